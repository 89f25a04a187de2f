"""Deletions the guard held back, kept until confirmed or until the ids come back upstream.

One ``held_deletions`` document per held id: ``{_id: "COLLECTION|ID", collection, doc_id,
scope, run_scope, run_id, held_at}``.  A held deletion stays held in every later run
that would delete the same id again: a guard that only looked at one run at a time
would let a second run delete what the first one held (after the first run's inserts,
the same ids are a smaller share of the mirror).  Released when a run with
``--allow-deletes`` deletes the id, when the id appears in a complete list again, or
when its document has left the mirror some other way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pymongo import DeleteMany, UpdateOne
from pymongo.database import Database

HELD = "held_deletions"
BATCH = 1000


def held_ids(db: Database) -> dict[str, set]:
    """``{collection: ids held}`` for every collection with held deletions."""
    out: dict[str, set] = {}
    for doc in db[HELD].find({}, {"collection": 1, "doc_id": 1}):
        out.setdefault(doc["collection"], set()).add(doc["doc_id"])
    return out


def hold(db: Database, collection: str, ids: Iterable, *, scope: str, run_scope: str, run_id: str,
         now: dt.datetime) -> None:
    """Remember ``ids`` of ``collection`` as held (an id held before keeps its first run)."""
    ops = [UpdateOne({"_id": f"{collection}|{i}"},
                     {"$setOnInsert": {"collection": collection, "doc_id": i, "scope": scope,
                                       "run_scope": run_scope, "run_id": run_id, "held_at": now}},
                     upsert=True) for i in ids]
    for start in range(0, len(ops), BATCH):
        db[HELD].bulk_write(ops[start:start + BATCH], ordered=False)


def release(db: Database, collection: str, ids: Iterable) -> None:
    keys = [f"{collection}|{i}" for i in ids]
    ops = [DeleteMany({"_id": {"$in": keys[s:s + BATCH]}}) for s in range(0, len(keys), BATCH)]
    if ops:
        db[HELD].bulk_write(ops, ordered=False)


def release_gone(db: Database) -> None:
    """Release held ids whose documents are no longer in the mirror (deleted with a parent)."""
    for collection, ids in held_ids(db).items():
        present = {d["_id"] for d in db[collection].find({"_id": {"$in": list(ids)}}, {"_id": 1})}
        release(db, collection, ids - present)


def held_summary(db: Database) -> list[dict]:
    """Per collection and run scope: how many deletions are held, since when, and the
    scope whose run with ``--allow-deletes`` confirms them; largest first."""
    pipeline = [{"$group": {"_id": {"collection": "$collection", "run_scope": "$run_scope"},
                            "count": {"$sum": 1}, "since": {"$min": "$held_at"},
                            "scopes": {"$addToSet": "$scope"}}}]
    rows = [{"collection": d["_id"]["collection"], "run_scope": d["_id"]["run_scope"], "count": d["count"],
             "since": d["since"], "scopes": sorted(d["scopes"])[:5]} for d in db[HELD].aggregate(pipeline)]
    return sorted(rows, key=lambda r: (-r["count"], r["collection"]))
