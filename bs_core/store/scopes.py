"""``sync_scopes``, written and read here only: per collection and parent (``campaigns``
under advertiser 12), when a run last confirmed its complete list upstream; per network
and day (``stats_daily`` under ``NETWORK:DATE``), what a run fetched of its reporting
(``stats_days.py`` says what those records mean)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from pymongo import UpdateOne
from pymongo.database import Database

SCOPES = "sync_scopes"


def seen(collection: str, scope_key: object, now: dt.datetime, run_id: str, **extra: object) -> UpdateOne:
    """The write recording that ``collection``'s complete list under ``scope_key`` was
    fetched now (the run's writer sends these in bulk: :func:`write`)."""
    return UpdateOne({"_id": f"{collection}|{scope_key}"},
                     {"$set": {"collection": collection, "scope": str(scope_key), "last_seen_at": now,
                               "last_seen_run": run_id, **extra}}, upsert=True)


def write(db: Database, updates: list[UpdateOne]) -> None:
    db[SCOPES].bulk_write(updates, ordered=False)


def scopes_seen(db: Database, collection: str) -> set[str]:
    """Every parent scope whose list of ``collection`` a run has fetched."""
    return {d["scope"] for d in db[SCOPES].find({"collection": collection}, {"scope": 1})}


def records(db: Database, collection: str, key_prefix: str, fields: tuple[str, ...]) -> Iterator[dict]:
    """The records of ``collection`` whose scope starts with ``key_prefix``, with ``fields``."""
    # escaped: "|" in the key would otherwise be a regex alternation and match every scope
    query = {"collection": collection, "_id": {"$regex": f"^{re.escape(f'{collection}|{key_prefix}')}"}}
    return db[SCOPES].find(query, {"scope": 1, **dict.fromkeys(fields, 1)})
