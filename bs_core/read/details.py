"""What a detail panel shows for one campaign, advertiser or zone (opened from a table
row or an ``open=KIND:ID`` link), and for a document of any kind (:func:`document`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pymongo.database import Database

from ..entities import ENTITIES
from ..store.lookups import names
from . import breakdowns, reporting
from ._counts import placement_tallies
from ._listings import enrich_campaigns, listing
from .paging import Page
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


def campaign_ads(db: Database, campaign_id: int, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[dict]:
    """The advertisements a campaign places (or delivered over [start, end]), with how
    many zones each is placed in and its views, clicks and CTR in this campaign."""
    per_ad = Counter(p["advertisement_id"] for p in db.placements.find({"campaign_id": campaign_id},
                                                                       {"advertisement_id": 1, "_id": 0}))
    figures = breakdowns.campaign_ads(db, campaign_id, start, end)
    wanted = set(per_ad) | set(figures)
    ads = {d["_id"]: d for d in db.advertisements.find({"_id": {"$in": list(wanted)}}, {"_sync": 0})}
    rows = [{**ads.get(ad, {"_id": ad, "name_clean": f"advertisement {ad} (not mirrored)"}),
             "zones_placed": per_ad.get(ad, 0), **_three(figures.get(ad))} for ad in wanted]
    return sorted(rows, key=lambda r: (-r["views"], -r["zones_placed"], r["_id"]))


def _three(figures: dict | None) -> dict:
    figures = figures or {}
    return {"views": figures.get("views", 0), "clicks": figures.get("clicks", 0), "ctr": figures.get("ctr", 0.0)}


def advertisement(db: Database, ad_id: int, start: dt.date | None, end: dt.date | None) -> dict | None:
    """One advertisement with its figures (every campaign it ran in)."""
    doc = db.advertisements.find_one({"_id": ad_id}, {"_sync": 0})
    if doc is None:
        return None
    doc["network_name"] = names(db, "networks", [doc.get("network_id")]).get(doc.get("network_id"), "")
    doc["placement_count"] = placement_tallies(db)["advertisement_id"].get(ad_id, 0)
    return doc | _figures(db, StatsFilter(advertisement_id=ad_id), start, end)


def advertisement_campaigns(db: Database, ad_id: int, start: dt.date | None, end: dt.date | None) -> list[dict]:
    """The campaigns that place an ad (or delivered it over [start, end]), with the zones
    it is placed in there and the ad's figures in each."""
    zones: dict[int, set] = {}
    for p in db.placements.find({"advertisement_id": ad_id}, {"campaign_id": 1, "zone_id": 1, "_id": 0}):
        zones.setdefault(p["campaign_id"], set()).add(p["zone_id"])
    figures = breakdowns.ad_campaigns(db, ad_id, start, end)
    ids = list(set(zones) | set(figures))
    rows = list(db.campaigns.find({"_id": {"$in": ids}}, {"_sync": 0}))
    enrich_campaigns(db, rows, figures=False)
    zone_names = names(db, "zones", [z for zs in zones.values() for z in zs])
    for r in rows:
        r.update(_three(figures.get(r["_id"])))
        r["zones"] = ", ".join(sorted(zone_names.get(z, str(z)) for z in zones.get(r["_id"], ())))
    return sorted(rows, key=lambda r: (-r["views"], r.get("name_key") or "", r["_id"]))


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
    """The campaigns placed in a zone (running first), with how many of their ads it shows
    and their delivery in this zone (not their totals)."""
    per_campaign = Counter(p["campaign_id"] for p in db.placements.find({"zone_id": zone_id},
                                                                        {"campaign_id": 1, "_id": 0}))
    in_zone = breakdowns.zone_campaigns(db, zone_id, start, end)
    rows = list(db.campaigns.find({"_id": {"$in": list(set(per_campaign) | set(in_zone))}}, {"_sync": 0}))
    enrich_campaigns(db, rows, figures=False)
    for r in rows:
        r["ads_in_zone"] = per_campaign.get(r["_id"], 0)
        r.update(_three(in_zone.get(r["_id"])))
    order = {"running": 0, "scheduled": 1, "paused": 2, "ended": 3}
    return sorted(rows, key=lambda r: (order.get(r.get("status"), 4), r.get("name_key") or "", r["_id"]))


def with_parent_names(db: Database, kind: str, rows: list[dict]) -> list[dict]:
    """Each row of ``kind`` with the name of the document it is listed under (``parent_name``)."""
    entity = ENTITIES[kind]
    if entity.parent is not None:
        known = names(db, entity.parent, [r.get(entity.parent_field) for r in rows])
        for r in rows:
            r["parent_name"] = known.get(r.get(entity.parent_field), "")
    return rows


def document(db: Database, kind: str, ident: int) -> dict | None:
    """One document of any kind, with its parent's name: the detail of a kind the registry
    declares with no panel of its own (its ``facts``)."""
    doc = db[kind].find_one({"_id": ident}, {"_sync": 0})
    return None if doc is None else with_parent_names(db, kind, [doc])[0]


def listing_named(db: Database, kind: str, network_id: int | None, search: str, sort: tuple[str, int], page: int,
                  page_size: int, start: dt.date | None = None, end: dt.date | None = None) -> Page:
    """A page of any kind under a network (None: all), each row with its parent's name:
    the table of a kind the registry declares with no listing of its own."""
    found = listing(db, kind, search, sort, page, page_size, start, end, network_id=network_id)
    with_parent_names(db, kind, found.rows)
    return found
