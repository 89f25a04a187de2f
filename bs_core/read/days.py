"""Each network's own days: the one place that says which day it is for a network.

BroadStreet dates a network's reporting rows on that network's clock (its UTC offset,
recorded with every fetched day), so "yesterday" is not one date for the account: at
05:41 UTC on Dec 2 it is Dec 1 for a UTC-05:00 network but Nov 30 for a UTC-08:00 one,
whose Dec 1 is still under way.  Every surface that cuts at "complete days" (pacing,
Delivery health's windows, the Overview's complete days, digests, ``report``'s default
period) asks :func:`network_days` and cuts each network at its own yesterday; a figure
over networks on different clocks sums each network's own complete days.

``now`` comes from :func:`bs_core.dates.now_utc`, the one clock tests freeze.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from pymongo.database import Database

from ..dates import now_utc, parse_offset
from ..store.stats_days import recorded_days, utc_offsets


@dataclasses.dataclass(frozen=True)
class NetworkDays:
    """Which day it is for each network, at one moment.  Built of dates only (no time), so
    it is equal, and caches keyed on it hit, for the whole of a day."""

    utc_today: dt.date  #: for a network whose clock is unknown
    todays: tuple[tuple[int, dt.date], ...] = ()  #: (network, its own date now)
    clocks: tuple[tuple[int, str], ...] = ()  #: (network, "-08:00")

    @classmethod
    def at(cls, now: dt.datetime, offsets: dict[int, str]) -> NetworkDays:
        return cls(now.date(), tuple(sorted((nid, (now + parse_offset(o)).date()) for nid, o in offsets.items())),
                   tuple(sorted(offsets.items())))

    def today(self, network_id: int | None) -> dt.date:
        """The network's own date now (UTC's for a network whose clock is unknown)."""
        return dict(self.todays).get(network_id, self.utc_today)

    def yesterday(self, network_id: int | None) -> dt.date:
        """The network's last complete day."""
        return self.today(network_id) - dt.timedelta(days=1)

    def last_complete(self, networks: Iterable[int]) -> dict[int, dt.date]:
        return {nid: self.yesterday(nid) for nid in networks}

    def describe(self, networks: Iterable[int]) -> str:
        """ "through 2026-12-01 for UTC-05:00, through 2026-11-30 for UTC-08:00", or one
        date when every network in question is on the same day."""
        clocks = dict(self.clocks)
        by_day: dict[dt.date, set[str]] = {}
        for nid in networks:
            by_day.setdefault(self.yesterday(nid), set()).add(f"UTC{clocks.get(nid) or '+00:00'}")
        if len(by_day) <= 1:
            return f"through {next(iter(by_day))}" if by_day else ""
        return ", ".join(f"through {day} for {', '.join(sorted(names))}"
                         for day, names in sorted(by_day.items(), reverse=True))


#: what surfaces pass as "today": one date for every network (tests, old callers), or each
#: network's own
Today = dt.date | NetworkDays


def today_of(today: Today, network_id: int | None) -> dt.date:
    return today.today(network_id) if isinstance(today, NetworkDays) else today


def network_offsets(db: Database) -> dict[int, str]:
    """Each network's clock as its newest fetched day recorded it (``{network: "-08:00"}``)."""
    return utc_offsets(recorded_days(db))


def network_days(db: Database, now: dt.datetime | None = None) -> NetworkDays:
    """Each network's own day at ``now`` (the clock's now by default)."""
    return NetworkDays.at(now or now_utc(), network_offsets(db))


def days_for(db: Database, today: dt.date) -> NetworkDays:
    """Each network's day when "today" is ``today`` for UTC: now, if it is today; else that
    day's end, when every network's own day has begun (a digest or report for a past day)."""
    now = now_utc()
    moment = now if today == now.date() else dt.datetime.combine(today, dt.time(23, 59))
    return network_days(db, moment)
