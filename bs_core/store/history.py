"""Reading the run history and the sync lease: what ran, what runs now, which mirror
version the pages show.  (Runs are written by ``sync/runs.py``, the lease by
``store/lease.py``.)"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

LOCK_ID = "sync"
#: runs whose scope covers the whole account; the freshness the sidebar reports
ACCOUNT_SCOPES = ("full", "quick")


def server_now(db: Database) -> dt.datetime:
    """The database server's clock (naive UTC): leases are judged by it, never by this
    machine's, so a client whose clock is off can neither take a live lease nor keep an
    expired one."""
    return db.client.admin.command("hello")["localTime"].replace(tzinfo=None)


def current_lease(db: Database) -> dict | None:
    """The live lease, or None when no sync holds it."""
    return db.sync_lock.find_one({"_id": LOCK_ID, "expires_at": {"$gte": server_now(db)}})


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
