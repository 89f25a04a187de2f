"""Overview figures stored at the end of each run (``mirror_summary``).

Counting or grouping a large collection is a scan on SecantusDB (over a second for
`large` placements), and the mirror changes only through runs, so each run that changed
something stores entity counts, placements per zone and per-network summaries; the read
models serve them from here.
"""

from __future__ import annotations

from collections import Counter

from pymongo.database import Database

from ..entities import ENTITIES, ENTITY_NAMES
from ..normalize import website_url
from .history import last_finished
from .lookups import count_by, names

SUMMARY_ROWS = 50


def entity_counts_live(db: Database, known: dict[str, int] | None = None) -> dict[str, int]:
    """Documents per entity type; ``known``: counts the caller has just made another way
    (the placements, from the one pass :func:`placement_tallies_live` makes: counting
    150,000 of them again cost 2.5 s on the embedded server)."""
    known = known or {}
    return {name: known[name] if name in known else db[name].count_documents({}) for name in ENTITY_NAMES}


def placements_per_zone_live(db: Database, limit: int = 15, network_id: int | None = None) -> list[dict]:
    match = {"network_id": network_id} if network_id is not None else {}
    pipeline = [{"$match": match}, {"$group": {"_id": "$zone_id", "placements": {"$sum": 1}}},
                {"$sort": {"placements": -1, "_id": 1}}, {"$limit": limit}]
    return top_zones(db, {r["_id"]: r["placements"] for r in db.placements.aggregate(pipeline)}, limit)


def top_zones(db: Database, per_zone: dict, limit: int) -> list[dict]:
    """The ``limit`` zones with the most placements (ties by id), named."""
    top = sorted(((n, z) for z, n in per_zone.items() if n and z is not None), key=lambda nz: (-nz[0], nz[1]))[:limit]
    zn = names(db, "zones", [z for _, z in top])
    return [{"zone_id": z, "name": zn.get(z, ""), "placements": n} for n, z in top]


def networks_sorted(db: Database) -> list[dict]:
    return list(db.networks.find({}, {"_sync": 0}).sort([("name_key", 1), ("_id", 1)]))


def network_summaries_live(db: Database) -> list[dict]:
    nets = networks_sorted(db)
    ids = [n["_id"] for n in nets]
    # every entity the mirror finds per network by index (entities.EntityType.indexed_by_network)
    per = {e.name: count_by(db, e.name, "network_id", ids) for e in ENTITIES.values() if e.indexed_by_network}
    running = count_by(db, "campaigns", "network_id", ids, {"status": "running"})
    return [{
        "id": n["_id"], "name": n.get("name_clean", ""),
        **{name: counts.get(n["_id"], 0) for name, counts in per.items()},
        "running campaigns": running.get(n["_id"], 0),
        "website": website_url(n.get("web_home_url")),
        "path": n.get("path"),
    } for n in nets]


#: what :func:`placement_tallies_live` counts, per id
TALLIES = ("campaign_id", "zone_id", "advertisement_id",  # placements of each
           "ad_in_running",  # placements of an ad in running campaigns
           "zone_running_campaigns",  # running campaigns placed in a zone
           "advertiser_running")  # running campaigns of an advertiser


def placement_tallies_live(db: Database) -> dict[str, dict[int, int]]:
    """The counts tables sort by and delivery health checks, in one pass over the
    placements (a ``$group`` per field would scan them once each)."""
    running = {d["_id"]: d.get("advertiser_id") for d in db.campaigns.find({"status": "running"},
                                                                           {"advertiser_id": 1})}
    out = {name: Counter() for name in TALLIES}
    zone_campaigns: set[tuple[int, int]] = set()
    fields = {"_id": 0, "campaign_id": 1, "zone_id": 1, "advertisement_id": 1}
    for p in db.placements.find({}, fields, batch_size=10_000):
        for field in ("campaign_id", "zone_id", "advertisement_id"):
            out[field][p.get(field)] += 1
        if p.get("campaign_id") in running:
            out["ad_in_running"][p.get("advertisement_id")] += 1
            zone_campaigns.add((p.get("zone_id"), p["campaign_id"]))
    out["zone_running_campaigns"].update(zone for zone, _ in zone_campaigns)
    out["advertiser_running"].update(running.values())
    return {name: dict(counter) for name, counter in out.items()}


#: (client, database) -> (run id, decoded tallies): the stored tallies change only with a
#: run, and reading and decoding them (~25k pairs on `large`) took 0.15 s per call, paid
#: by every caller of one page (a sort, its enrichment, each batch of a CSV export)
_DECODED: dict[tuple, tuple[str, dict]] = {}


def stored_tallies(db: Database) -> dict[str, dict[int, int]] | None:
    """The tallies the last run stored (pairs in BSON: its keys must be strings).
    Callers only read the answer: it is shared until the next run stores new ones."""
    stamp = db.mirror_summary.find_one({"_id": "overview", "tallies": {"$exists": True}}, {"run_id": 1})
    if stamp is None:
        return None
    where = (id(db.client), db.name)  # not .address: a client of several mongoses refuses it
    cached = _DECODED.get(where)
    if cached is not None and cached[0] == stamp.get("run_id"):
        return cached[1]
    # A run that stores new tallies between these two reads leaves them under the older
    # run id here: the next call's stamp differs, and they are read again.
    stored = stored_summary(db, "tallies")
    if stored is None:
        return None
    decoded = {name: {k: n for k, n in pairs} for name, pairs in stored.items()}
    _DECODED[where] = (stamp.get("run_id"), decoded)
    return decoded


def stored_summary(db: Database, field: str):
    """One field of the stored summary, or None when no run stored one."""
    summary = db.mirror_summary.find_one({"_id": "overview"}, {field: 1})
    return None if summary is None else summary.get(field)


def refresh_summaries(db: Database, run_id: str, counts: dict[str, dict]) -> bool:
    """Recompute the stored overview summary if this run changed the mirror or the summary
    was not maintained by the previous run (one that was killed, say); True if it did."""
    # reporting rows feed none of these figures: a run that only fetched stats keeps them
    touched = any(c.get("inserted") or c.get("updated") or c.get("deleted")
                  for name, c in counts.items() if name in ENTITY_NAMES)
    # a summary without tallies was stored by an older version: recompute it
    summary = db.mirror_summary.find_one({"_id": "overview", "tallies": {"$exists": True}}, {"run_id": 1})
    previous = last_finished(db, exclude=run_id, projection={"_id": 1})
    stale = summary is None or (previous is not None and summary.get("run_id") != previous["_id"])
    if not (touched or stale):
        db.mirror_summary.update_one({"_id": "overview"}, {"$set": {"run_id": run_id}})
        return False
    tallies = placement_tallies_live(db)
    db.mirror_summary.replace_one({"_id": "overview"}, {
        "run_id": run_id,
        "entity_counts": entity_counts_live(db, {"placements": sum(tallies["campaign_id"].values())}),
        "placements_per_zone": top_zones(db, tallies["zone_id"], SUMMARY_ROWS),  # from the same pass
        "networks": network_summaries_live(db),
        "tallies": {name: [[k, n] for k, n in counts.items() if k is not None] for name, counts in tallies.items()},
    }, upsert=True)
    return True


def keep(db: Database, key: str, doc: dict) -> None:
    """Keep another derived figure beside the overview's (the forecasts' ``forecast``)."""
    db.mirror_summary.replace_one({"_id": key}, {**doc, "_id": key}, upsert=True)


def kept(db: Database, key: str) -> dict | None:
    return db.mirror_summary.find_one({"_id": key})
