"""``sync_runs``, read and written here only: what ran, what runs now, which mirror
version the pages show.  (``sync/runs.py`` records a run through these functions; the
lease is ``store/lease.py``'s.)"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from ._connection import server_now
from .lease import LOCK_ID, current_lease

__all__ = ["LOCK_ID", "collection_freshness", "current_lease", "fail_runs", "first_look", "get_run", "insert_run",
           "last_finished", "last_success", "last_targeted", "mirror_version", "needs_initialisation",
           "problem_runs", "record_late", "recent_runs", "running_run", "server_now", "update_run"]

#: runs whose scope covers the whole account; the freshness the sidebar reports
ACCOUNT_SCOPES = ("full", "quick")


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
    page reads keyed on this are never stale.  A first start's running run counts from
    its first look (``RUN:first-look``), when the pages start reading the mirror."""
    last = db.sync_runs.find_one({"$or": [{"status": {"$ne": "running"}}, {"first_look": {"$exists": True}}]},
                                 {"_id": 1, "status": 1}, sort=[("started_at", -1)])
    if last is None:
        return "empty"
    return f"{last['_id']}:first-look" if last["status"] == "running" else last["_id"]


def first_look(db: Database) -> dict | None:
    """While no full sync has succeeded: the latest run that got a first start's first look
    into the mirror (its ``first_look``: when, what is still coming), else None."""
    return db.sync_runs.find_one({"first_look": {"$exists": True}}, {"first_look": 1, "status": 1},
                                 sort=[("started_at", -1)])


def last_success(db: Database) -> dict | None:
    """The last successful run of the whole account (a full or quick sync): what "last
    successful sync" means; targeted runs refresh only their scope."""
    return db.sync_runs.find_one({"status": "success", "scope": {"$in": list(ACCOUNT_SCOPES)}},
                                 sort=[("finished_at", -1)])


def last_targeted(db: Database) -> dict | None:
    """The last successful run of a narrower scope, if it came after :func:`last_success`."""
    account = last_success(db)
    query: dict = {"status": "success", "scope": {"$nin": list(ACCOUNT_SCOPES)}}
    if account is not None:
        query["finished_at"] = {"$gt": account["finished_at"]}
    return db.sync_runs.find_one(query, sort=[("finished_at", -1)])


def recent_runs(db: Database, limit: int = 20) -> list[dict]:
    return list(db.sync_runs.find({}, {"skipped": 0}).sort("started_at", -1).limit(limit))


def get_run(db: Database, run_id: str) -> dict | None:
    return db.sync_runs.find_one({"_id": run_id})


def needs_initialisation(db: Database) -> bool:
    """True until a full sync (any trigger) has succeeded."""
    return db.sync_runs.find_one({"status": "success", "scope": "full"}, {"_id": 1}) is None


# -- writing runs (the sync's RunRecorder, pending outcomes, the reaper) ------------------------
def insert_run(db: Database, run: dict) -> None:
    db.sync_runs.insert_one(run)


def update_run(db: Database, run_id: str, fields: dict, *, status: object = None) -> bool:
    """Set ``fields`` on a run (only while its status matches ``status``, when given); True
    if it matched."""
    query: dict = {"_id": run_id} if status is None else {"_id": run_id, "status": status}
    return db.sync_runs.update_one(query, {"$set": fields}).matched_count > 0


def record_late(db: Database, run_id: str, outcome: dict) -> None:
    """A run's outcome kept on disk while the database was gone: recorded now, unless another
    process ended the run meanwhile (a reaper's guess, "its lease expired", may be replaced)."""
    db.sync_runs.update_one({"_id": run_id, "$or": [{"status": "running"}, {"errors.type": "LeaseExpired"}]},
                            {"$set": outcome})


def fail_runs(db: Database, query: dict, now: dt.datetime, error: dict) -> int:
    """Mark the running runs ``query`` matches as failed, saying why; how many."""
    return db.sync_runs.update_many({**query, "status": "running"},
                                    {"$set": {"status": "failed", "finished_at": now},
                                     "$push": {"errors": error}}).modified_count


def problem_runs(db: Database, since: dt.datetime | None, limit: int = 10) -> list[dict]:
    """The latest failed or partial runs (after ``since``), each with its first error."""
    query: dict = {"status": {"$in": ["failed", "partial"]}}
    if since is not None:
        query["finished_at"] = {"$gt": since}
    return list(db.sync_runs.find(query, {"scope": 1, "status": 1, "finished_at": 1, "errors": {"$slice": 1}})
                .sort([("finished_at", -1)]).limit(limit))


def collection_freshness(db: Database, name: str) -> dict:
    """When a collection's content last changed and when a run last confirmed it upstream."""
    done = {"status": {"$in": ["success", "partial"]}}
    moved = {"$or": [{f"counts.{name}.{k}": {"$gt": 0}} for k in ("inserted", "updated", "deleted")]}
    changed = db.sync_runs.find_one(done | moved, {"finished_at": 1}, sort=[("finished_at", -1)])
    seen = db.sync_runs.find_one(done | {f"counts.{name}": {"$exists": True}}, {"finished_at": 1},
                                 sort=[("finished_at", -1)])
    return {"last_change": (changed or {}).get("finished_at"), "last_seen": (seen or {}).get("finished_at")}
