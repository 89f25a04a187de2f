"""The Overview's figures: counts under a network or an advertiser, campaign statuses,
campaigns ending soon, the timeline, top advertisers, placements per zone, and how fresh
each collection is."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pymongo.database import Database

from ..dates import midnight
from ..entities import ENTITIES, ENTITY_NAMES
from ..normalize import CAMPAIGN_STATUSES
from ..store.history import collection_freshness, last_finished, last_success
from ..store.lookups import names
from ..store.summaries import SUMMARY_ROWS, placements_per_zone_live, stored_summary, top_zones
from ._counts import entity_counts, placement_tallies
from ._listings import enrich_campaigns
from .paging import Page, _open_ended_page, field_match


def _owned(network_id: int | None, advertiser_id: int | None) -> dict:
    """The campaign (or ad) filter of the Overview's network and advertiser choice."""
    return field_match(network_id=network_id, advertiser_id=advertiser_id)


def scoped_counts(db: Database, network_id: int | None = None, advertiser_id: int | None = None) -> dict[str, int]:
    """Documents per entity type under a network or an advertiser (all: :func:`entity_counts`).

    Per registered entity: the network (1) itself; placements from the tallies of the
    owned campaigns; under an advertiser, itself (1) and the zones its campaigns are placed
    in; any other kind by its ``network_id`` and, where its documents carry one, its
    ``advertiser_id``."""
    if network_id is None and advertiser_id is None:
        return entity_counts(db)
    owned = _owned(network_id, advertiser_id)
    campaign_ids = [d["_id"] for d in db.campaigns.find(owned, {"_id": 1})]
    placed = placement_tallies(db)["campaign_id"]
    counts: dict[str, int] = {}
    for entity in ENTITIES.values():
        if entity.parent is None:
            counts[entity.name] = 1
        elif entity.name == "placements":
            counts[entity.name] = sum(placed.get(c, 0) for c in campaign_ids)
        elif advertiser_id is not None and entity.name == "advertisers":
            counts[entity.name] = 1
        elif advertiser_id is not None and entity.name == "zones":
            zones = db.placements.distinct("zone_id", {"campaign_id": {"$in": campaign_ids}}) if campaign_ids else []
            counts[entity.name] = len(zones)
        elif entity.name == "campaigns":
            counts[entity.name] = len(campaign_ids)
        else:
            counts[entity.name] = db[entity.name].count_documents(
                owned if _by_advertiser(entity) else _owned(network_id, None))
    return counts


def _by_advertiser(entity) -> bool:
    """Its documents name their advertiser: it is indexed by ``advertiser_id``."""
    return any(next(iter(m.document["key"])) == "advertiser_id" for m in entity.indexes)


def campaign_status_counts(db: Database, network_id: int | None = None,
                           advertiser_id: int | None = None) -> dict[str, int]:
    pipeline = [{"$match": _owned(network_id, advertiser_id)}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    counts = {s: 0 for s in CAMPAIGN_STATUSES}
    counts.update({d["_id"]: d["n"] for d in db.campaigns.aggregate(pipeline)})
    return counts


def campaigns_ending_within(db: Database, days: int, today: dt.date, limit: int = 100,
                            network_id: int | None = None, advertiser_id: int | None = None) -> list[dict]:
    """Running campaigns whose end date falls in [today, today + days]."""
    q = _owned(network_id, advertiser_id) | {
        "status": "running", "ends_on": {"$gte": midnight(today), "$lte": midnight(today + dt.timedelta(days=days))}}
    rows = list(db.campaigns.find(q, {"_sync": 0}).sort([("ends_on", 1), ("_id", 1)]).limit(limit))
    return enrich_campaigns(db, rows)


def campaign_timeline(db: Database, limit: int = 200, network_id: int | None = None,
                      advertiser_id: int | None = None) -> Page:
    """The first ``limit`` running and scheduled campaigns with their dates, soonest-ending
    first (open-ended last), and how many there are in all."""
    q = _owned(network_id, advertiser_id) | {"status": {"$in": ["running", "scheduled"]}}
    page = _open_ended_page(db, "campaigns", q, ("ends_on", 1), 1, limit)
    adv = names(db, "advertisers", [r.get("advertiser_id") for r in page.rows])
    for r in page.rows:
        r["advertiser_name"] = adv.get(r.get("advertiser_id"), "")
    return page


def top_advertisers_by_running(db: Database, limit: int = 10, network_id: int | None = None) -> list[dict]:
    pipeline = [{"$match": _owned(network_id, None) | {"status": "running"}},
                {"$group": {"_id": "$advertiser_id", "running": {"$sum": 1}}},
                {"$sort": {"running": -1, "_id": 1}}, {"$limit": limit}]
    rows = list(db.campaigns.aggregate(pipeline))
    adv = names(db, "advertisers", [r["_id"] for r in rows])
    return [{"advertiser_id": r["_id"], "name": adv.get(r["_id"], ""), "running": r["running"]} for r in rows]


def placements_per_zone(db: Database, limit: int = 15, network_id: int | None = None,
                        advertiser_id: int | None = None) -> list[dict]:
    """Zones with the most placements.  Unfiltered, it reads the summary the last sync
    stored (a $group over every placement takes seconds on `large`); for a network, the
    stored tallies of its zones; for an advertiser, the placements of its campaigns."""
    if advertiser_id is not None:
        campaign_ids = [d["_id"] for d in db.campaigns.find({"advertiser_id": advertiser_id}, {"_id": 1})]
        per_zone = Counter(p["zone_id"] for p in db.placements.find({"campaign_id": {"$in": campaign_ids}},
                                                                    {"zone_id": 1, "_id": 0}))
    elif network_id is not None:
        tally = placement_tallies(db)["zone_id"]
        per_zone = Counter({z["_id"]: tally.get(z["_id"], 0) for z in db.zones.find({"network_id": network_id},
                                                                                     {"_id": 1})})
    else:
        if limit <= SUMMARY_ROWS:
            stored = stored_summary(db, "placements_per_zone")
            if stored is not None:
                return stored[:limit]
        return placements_per_zone_live(db, limit)
    return top_zones(db, per_zone, limit)


def freshness(db: Database) -> dict[str, Any]:
    """Per collection: when its content last changed and when it was last confirmed
    upstream (both from run history), plus the last successful and last finished runs."""
    out: dict[str, Any] = {"collections": {name: collection_freshness(db, name)
                                           for name in (*ENTITY_NAMES, "stats_daily")}}
    out["last_success"] = last_success(db)
    out["last_run"] = last_finished(db, projection={"_id": 1, "finished_at": 1, "status": 1, "scope": 1})
    return out
