"""Scheduled syncs: a quick sync starts when the mirror is older than the interval."""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from ..store.history import last_success, running_run, server_now


def due_for_sync(db: Database, interval_minutes: int, now: dt.datetime | None = None) -> bool:
    """True when no sync is running and the last successful one is older than the interval
    (by the database server's clock, the one run records are stamped with)."""
    if interval_minutes <= 0 or running_run(db) is not None:
        return False
    return seconds_until_due(db, interval_minutes, now) == 0


def seconds_until_due(db: Database, interval_minutes: int, now: dt.datetime | None = None) -> float | None:
    """Seconds until the mirror is older than the interval (0: it is already); None when
    scheduled syncs are off.  The scheduler sleeps this long (at most a minute), so a
    1-minute interval syncs every minute, not every two."""
    if interval_minutes <= 0:
        return None
    last = last_success(db)
    if last is None or last.get("finished_at") is None:
        return 0.0
    left = last["finished_at"] + dt.timedelta(minutes=interval_minutes) - (now or server_now(db))
    return max(left.total_seconds(), 0.0)
