"""Five-field cron schedules (``0 7 * * 1-5``: minute, hour, day of month, month, day of
week) for the digest: which minutes match, and the latest matching minute at or before a
moment.  Day of week is 0-7 with both 0 and 7 Sunday; ranges, lists and steps
(``*/15``, ``1-5``, ``8,12``) as cron has them.  When both day fields are restricted a
day matches either, as in cron."""

from __future__ import annotations

import dataclasses
import datetime as dt

from .errors import MirrorError

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


class CronError(MirrorError, ValueError):
    """A schedule that is not five cron fields."""


@dataclasses.dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is "*"
    any_weekday: bool

    def matches(self, moment: dt.datetime) -> bool:
        return (moment.minute in self.minutes and moment.hour in self.hours and moment.month in self.months
                and self._day_matches(moment))

    def last_at_or_before(self, moment: dt.datetime, within: dt.timedelta = dt.timedelta(days=366)) -> dt.datetime | None:
        """The latest matching minute at or before ``moment`` (None when none in ``within``)."""
        minute = moment.replace(second=0, microsecond=0)
        earliest = minute - within
        while minute >= earliest:
            if minute.month in self.months and self._day_matches(minute) and minute.hour in self.hours:
                for m in sorted(self.minutes, reverse=True):
                    if m <= minute.minute:
                        return minute.replace(minute=m)
                minute = minute.replace(minute=0) - dt.timedelta(minutes=1)  # the hour before
            elif minute.month in self.months and self._day_matches(minute):
                minute = minute.replace(minute=59) - dt.timedelta(hours=1)
            else:
                minute = minute.replace(hour=23, minute=59) - dt.timedelta(days=1)
        return None

    def _day_matches(self, moment: dt.datetime) -> bool:
        day_ok, weekday_ok = moment.day in self.days, (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def parse(text: str) -> Cron:
    parts = str(text).split()
    if len(parts) != 5:
        raise CronError(f"a schedule is five fields (minute hour day month weekday), e.g. '0 7 * * 1-5'; "
                        f"got {str(text)[:60]!r}")
    values = [_field(part, name, lo, hi) for part, (name, lo, hi) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in values[4])
    cron = Cron(" ".join(parts), *map(frozenset, values[:4]), weekdays, parts[2] == "*", parts[4] == "*")
    if not _can_fire(cron):
        raise CronError(f"'{cron.text}' never fires: no month it names has day {min(cron.days)} "
                        f"(e.g. '0 0 30 2 *' asks for February 30)")
    return cron


# the longest each month can be (February 29 comes every fourth year, within the four years asked)
_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _can_fire(cron: Cron) -> bool:
    """Whether the schedule matches some minute within four years.  Minutes, hours and
    weekdays always occur; only a day of month that none of the named months has (with the
    day of week left as ``*``, so the days are not or-ed with weekdays) never comes."""
    if cron.any_day or not cron.any_weekday:
        return True
    return any(min(cron.days) <= _MONTH_DAYS[month] for month in cron.months)


def _field(part: str, name: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for item in part.split(","):
        rng, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if rng == "*":
                first, last = lo, hi
            elif "-" in rng:
                first, last = (int(x) for x in rng.split("-", 1))
            else:
                first = last = int(rng)
        except ValueError:
            raise CronError(f"the {name} field {part!r} is not a number, range, list or step") from None
        if step < 1 or not (lo <= first <= last <= hi):
            raise CronError(f"the {name} field {part!r} is outside {lo}-{hi}")
        out.update(range(first, last + 1, step))
    return out
