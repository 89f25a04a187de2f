"""What a detail panel shows for one campaign, advertiser or zone (opened from a table
row or an ``open=KIND:ID`` link)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pymongo.database import Database

from ..store.lookups import names
from . import enrich_campaigns, placement_tallies, reporting
from .reporting import StatsFilter

#: the kinds a detail can be opened for, as ``open=KIND:ID`` names them


def _figures(db: Database, flt: StatsFilter, start: dt.date | None, end: dt.date | None) -> dict:
    """Lifetime (every mirrored day) and selected-period figures."""
    return {"lifetime": reporting.totals(db, None, None, flt), "period": reporting.totals(db, start, end, flt)}


def campaign(db: Database, campaign_id: int, start: dt.date | None, end: dt.date | None) -> dict | None:
    """The campaign with its names and figures.  A campaign deleted upstream keeps its
    figures (``deleted`` True, no other fields); one the mirror never held, no reporting
    of it included, is None."""
    doc = db.campaigns.find_one({"_id": campaign_id}, {"_sync": 0})
    if doc is None and db.stats_daily.find_one({"campaign_id": campaign_id}, {"_id": 1}) is None:
        return None
    out = {"_id": campaign_id, "deleted": doc is None, **(doc or {})}
    if doc is not None:
        enrich_campaigns(db, [out], start, end)
    return out | _figures(db, StatsFilter(campaign_id=campaign_id), start, end)


def campaign_ads(db: Database, campaign_id: int) -> list[dict]:
    """The advertisements a campaign places, with how many zones each is placed in."""
    per_ad = Counter(p["advertisement_id"] for p in db.placements.find({"campaign_id": campaign_id},
                                                                       {"advertisement_id": 1, "_id": 0}))
    ads = {d["_id"]: d for d in db.advertisements.find({"_id": {"$in": list(per_ad)}}, {"_sync": 0})}
    return [{**ads.get(ad, {"_id": ad, "name_clean": f"advertisement {ad} (not mirrored)"}), "zones_placed": n}
            for ad, n in sorted(per_ad.items(), key=lambda kv: (-kv[1], kv[0]))]


def advertiser(db: Database, advertiser_id: int, start: dt.date | None, end: dt.date | None) -> dict | None:
    doc = db.advertisers.find_one({"_id": advertiser_id}, {"_sync": 0})
    if doc is None:
        return None
    doc["network_name"] = names(db, "networks", [doc.get("network_id")]).get(doc.get("network_id"), "")
    doc["running_campaigns"] = placement_tallies(db)["advertiser_running"].get(advertiser_id, 0)
    doc["campaign_count"] = db.campaigns.count_documents({"advertiser_id": advertiser_id})
    doc["ad_count"] = db.advertisements.count_documents({"advertiser_id": advertiser_id})
    return doc | _figures(db, StatsFilter(advertiser_id=advertiser_id), start, end)


def zone(db: Database, zone_id: int, start: dt.date | None, end: dt.date | None) -> dict | None:
    doc = db.zones.find_one({"_id": zone_id}, {"_sync": 0})
    if doc is None:
        return None
    tallies = placement_tallies(db)
    doc["network_name"] = names(db, "networks", [doc.get("network_id")]).get(doc.get("network_id"), "")
    doc["placement_count"] = tallies["zone_id"].get(zone_id, 0)
    doc["running_campaigns"] = tallies["zone_running_campaigns"].get(zone_id, 0)
    return doc | _figures(db, StatsFilter(zone_id=zone_id), start, end)


def zone_campaigns(db: Database, zone_id: int, start: dt.date | None, end: dt.date | None) -> list[dict]:
    """The campaigns placed in a zone (running first), with how many of their ads it shows."""
    per_campaign = Counter(p["campaign_id"] for p in db.placements.find({"zone_id": zone_id},
                                                                        {"campaign_id": 1, "_id": 0}))
    rows = list(db.campaigns.find({"_id": {"$in": list(per_campaign)}}, {"_sync": 0}))
    enrich_campaigns(db, rows, start, end)
    for r in rows:
        r["ads_in_zone"] = per_campaign[r["_id"]]
    order = {"running": 0, "scheduled": 1, "paused": 2, "ended": 3}
    return sorted(rows, key=lambda r: (order.get(r.get("status"), 4), r.get("name_key") or "", r["_id"]))
