"""Dates and times as the mirror stores them: naive UTC datetimes (BSON has no date type,
so a calendar day is stored as its UTC midnight)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

_frozen: dt.datetime | None = None  # set by freeze(): the one clock every surface reads


def now_utc() -> dt.datetime:
    """Now, naive UTC: the clock every surface's "today" and "yesterday" derive from
    (tests freeze it with :func:`freeze`)."""
    return _frozen or dt.datetime.now(dt.UTC).replace(tzinfo=None)


@contextlib.contextmanager
def freeze(moment: dt.datetime) -> Iterator[None]:
    """Make :func:`now_utc` (and so :func:`today_utc` and every network's day) ``moment``."""
    global _frozen
    before, _frozen = _frozen, moment.replace(tzinfo=None)
    try:
        yield
    finally:
        _frozen = before


def utcnow() -> dt.datetime:
    """Naive UTC, millisecond precision: what BSON stores and gives back."""
    now = now_utc()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def today_utc() -> dt.date:
    return now_utc().date()


def midnight(day: dt.date) -> dt.datetime:
    """A calendar day as the naive UTC midnight datetime that stands for it in the mirror."""
    return dt.datetime(day.year, day.month, day.day)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def last_days(today: dt.date, days: int) -> list[dt.date]:
    """The ``days`` days ending with ``today``, oldest first."""
    return days_between(today - dt.timedelta(days=days - 1), today)


def parse_offset(text: str | None) -> dt.timedelta:
    """ "-08:00" -> -8 h; none (a network whose rows carry no offset) -> UTC."""
    if not text:
        return dt.timedelta(0)
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
