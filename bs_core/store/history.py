"""Reading the run history and the sync lease: what ran, what runs now, which mirror
version the pages show.  (Runs are written by ``sync/runs.py``, the lease by
``sync/lock.py``.)"""

from __future__ import annotations

from pymongo.database import Database

from ..dates import utcnow

LOCK_ID = "sync"
#: runs whose scope covers the whole account; the freshness the sidebar reports
ACCOUNT_SCOPES = ("full", "quick")


def current_lease(db: Database) -> dict | None:
    """The live lease, or None when no sync holds it."""
    doc = db.sync_lock.find_one({"_id": LOCK_ID})
    if doc and doc.get("expires_at") and doc["expires_at"] >= utcnow():
        return doc
    return None


def running_run(db: Database) -> dict | None:
    """The run holding the live lease, if it is still running."""
    lease = current_lease(db)
    if not lease:
        return None
    return db.sync_runs.find_one({"_id": lease.get("run_id"), "status": "running"})


def last_finished(db: Database, *, exclude: str | None = None, projection: dict | None = None) -> dict | None:
    """The most recently started run that is no longer running (``exclude``: a run id)."""
    query: dict = {"status": {"$ne": "running"}}
    if exclude is not None:
        query["_id"] = {"$ne": exclude}
    return db.sync_runs.find_one(query, projection, sort=[("started_at", -1)])


def mirror_version(db: Database) -> str:
    """The id of the last finished run: every change to the mirror ends one, so cached
    page reads keyed on this are never stale."""
    last = last_finished(db, projection={"_id": 1})
    return last["_id"] if last else "empty"


def last_success(db: Database) -> dict | None:
    return db.sync_runs.find_one({"status": "success"}, sort=[("finished_at", -1)])


def recent_runs(db: Database, limit: int = 20) -> list[dict]:
    return list(db.sync_runs.find({}, {"skipped": 0}).sort("started_at", -1).limit(limit))


def get_run(db: Database, run_id: str) -> dict | None:
    return db.sync_runs.find_one({"_id": run_id})


def needs_initialisation(db: Database) -> bool:
    """True until a full sync (any trigger) has succeeded."""
    return db.sync_runs.find_one({"status": "success", "scope": "full"}, {"_id": 1}) is None
