"""Overview figures stored at the end of each run (``mirror_summary``).

Counting or grouping a large collection is a scan on SecantusDB (over a second for
`large` placements), and the mirror changes only through runs, so each run that changed
something stores entity counts, placements per zone and per-network summaries; the read
models serve them from here.
"""

from __future__ import annotations

from pymongo.database import Database

from ..entities import ENTITY_NAMES
from ..normalize import website_url
from .history import last_finished
from .lookups import count_by, names

SUMMARY_ROWS = 50


def entity_counts_live(db: Database) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in ENTITY_NAMES}


def placements_per_zone_live(db: Database, limit: int = 15, network_id: int | None = None) -> list[dict]:
    match = {"network_id": network_id} if network_id is not None else {}
    pipeline = [{"$match": match}, {"$group": {"_id": "$zone_id", "placements": {"$sum": 1}}},
                {"$sort": {"placements": -1, "_id": 1}}, {"$limit": limit}]
    rows = list(db.placements.aggregate(pipeline))
    zn = names(db, "zones", [r["_id"] for r in rows])
    return [{"zone_id": r["_id"], "name": zn.get(r["_id"], ""), "placements": r["placements"]} for r in rows]


def networks_sorted(db: Database) -> list[dict]:
    return list(db.networks.find({}, {"_sync": 0}).sort([("name_key", 1), ("_id", 1)]))


def network_summaries_live(db: Database) -> list[dict]:
    nets = networks_sorted(db)
    ids = [n["_id"] for n in nets]
    per = {name: count_by(db, name, "network_id", ids) for name in ("advertisers", "zones", "advertisements",
                                                                     "campaigns")}
    running = count_by(db, "campaigns", "network_id", ids, {"status": "running"})
    return [{
        "id": n["_id"], "name": n.get("name_clean", ""),
        "advertisers": per["advertisers"].get(n["_id"], 0), "zones": per["zones"].get(n["_id"], 0),
        "advertisements": per["advertisements"].get(n["_id"], 0), "campaigns": per["campaigns"].get(n["_id"], 0),
        "running campaigns": running.get(n["_id"], 0),
        "website": website_url(n.get("web_home_url")),
        "path": n.get("path"),
    } for n in nets]


def stored_summary(db: Database, field: str):
    """One field of the stored summary, or None when no run stored one."""
    summary = db.mirror_summary.find_one({"_id": "overview"}, {field: 1})
    return None if summary is None else summary.get(field)


def refresh_summaries(db: Database, run_id: str, counts: dict[str, dict]) -> bool:
    """Recompute the stored overview summary if this run changed the mirror or the summary
    was not maintained by the previous run (one that was killed, say); True if it did."""
    touched = any(c.get("inserted") or c.get("updated") or c.get("deleted") for c in counts.values())
    summary = db.mirror_summary.find_one({"_id": "overview"}, {"run_id": 1})
    previous = last_finished(db, exclude=run_id, projection={"_id": 1})
    stale = summary is None or (previous is not None and summary.get("run_id") != previous["_id"])
    if not (touched or stale):
        db.mirror_summary.update_one({"_id": "overview"}, {"$set": {"run_id": run_id}})
        return False
    db.mirror_summary.replace_one({"_id": "overview"}, {
        "run_id": run_id,
        "entity_counts": entity_counts_live(db),
        "placements_per_zone": placements_per_zone_live(db, SUMMARY_ROWS),
        "networks": network_summaries_live(db),
    }, upsert=True)
    return True
