"""Small indexed look-ups shared by the read models and the stored summaries."""

from __future__ import annotations

from pymongo.database import Database


def names(db: Database, collection: str, ids: list) -> dict:
    """``{_id: cleaned name}`` for a handful of ids (enriching a page)."""
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {d["_id"]: d.get("name_clean", "") for d in db[collection].find({"_id": {"$in": ids}}, {"name_clean": 1})}


def count_by(db: Database, collection: str, field: str, ids: list, extra: dict | None = None) -> dict:
    """``{id: number of documents with field == id}`` for a page of ids."""
    if not ids:
        return {}
    match = {field: {"$in": list(set(ids))}} | (extra or {})
    pipeline = [{"$match": match}, {"$group": {"_id": f"${field}", "n": {"$sum": 1}}}]
    return {d["_id"]: d["n"] for d in db[collection].aggregate(pipeline)}
