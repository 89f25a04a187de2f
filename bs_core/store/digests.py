"""``digest_runs``, written and read here only: one document per digest attempt (sent,
failed, nothing to send, a dry run), and the schedule's slot claims (``schedule:SLOT``),
which make a scheduled digest go out once however many servers watch the schedule."""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

DIGEST_RUNS = "digest_runs"


def record_attempt(db: Database, attempt: dict) -> None:
    """Keep one digest attempt (its ``_id``, times, status, channels, ...)."""
    db[DIGEST_RUNS].insert_one(attempt)


def last_sent(db: Database, advertiser_id: int | None = None) -> dt.datetime | None:
    """When the last digest (of the account, or of this advertiser) was sent."""
    doc = db[DIGEST_RUNS].find_one({"status": "sent", "advertiser_id": advertiser_id}, {"finished_at": 1},
                                   sort=[("finished_at", -1)])
    return doc["finished_at"] if doc else None


def recent_digests(db: Database, limit: int = 20) -> list[dict]:
    """The latest digest attempts, newest first (the schedule's slot claims left out)."""
    return list(db[DIGEST_RUNS].find({"status": {"$exists": True}}).sort([("finished_at", -1)]).limit(limit))


def slot_claimed(db: Database, slot_id: str) -> bool:
    return db[DIGEST_RUNS].find_one({"_id": slot_id}, {"_id": 1}) is not None


def claim_slot(db: Database, slot_id: str, slot: dt.datetime, now: dt.datetime) -> bool:
    """Take a schedule's slot for this process (False: another process has it)."""
    try:
        db[DIGEST_RUNS].insert_one({"_id": slot_id, "slot": slot, "claimed_at": now})
    except DuplicateKeyError:
        return False
    return True
