"""Dates and times as the mirror stores them: naive UTC datetimes (BSON has no date type,
so a calendar day is stored as its UTC midnight)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC, millisecond precision: what BSON stores and gives back."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def midnight(day: dt.date) -> dt.datetime:
    """A calendar day as the naive UTC midnight datetime that stands for it in the mirror."""
    return dt.datetime(day.year, day.month, day.day)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def last_days(today: dt.date, days: int) -> list[dt.date]:
    """The ``days`` days ending with ``today``, oldest first."""
    return days_between(today - dt.timedelta(days=days - 1), today)
