"""Read models for the pages: every answer is an indexed query or an aggregation.

Nothing here loads a whole collection into Python: listings are filtered, sorted and
paginated by the server, and enrichment (names, placement counts, stats) is looked up
only for the rows of the page being shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, Literal

from pymongo.database import Database

from .dates import midnight
from .entities import ENTITIES, ENTITY_NAMES
from .normalize import CAMPAIGN_STATUSES
from .store.history import last_finished, last_success
from .store.lookups import count_by, names
from .store.summaries import (
    SUMMARY_ROWS,
    entity_counts_live,
    network_summaries_live,
    networks_sorted,
    placements_per_zone_live,
    stored_summary,
)

DEFAULT_PAGE_SIZE = 50
SORTABLE: dict[str, tuple[str, ...]] = {name: entity.sortable for name, entity in ENTITIES.items()}


@dataclasses.dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def literal_search(text: str) -> dict:
    """Case-insensitive substring match where regex metacharacters (``.*``, ``$ne``) are literal."""
    return {"$regex": re.escape(text.strip()), "$options": "i"}


def _page(db: Database, collection: str, query: dict, sort: tuple[str, int], page: int,
          page_size: int, projection: dict | None = None) -> Page:
    field, direction = sort
    if field not in SORTABLE[collection]:
        raise ValueError(f"cannot sort {collection} by {field!r}")
    page = max(int(page), 1)
    order = [(field, direction)] + ([("_id", 1)] if field != "_id" else [])
    cursor = (db[collection].find(query, projection or {"_sync": 0})
              .sort(order).skip((page - 1) * page_size).limit(page_size))
    # Unfiltered, the total is the collection's size, which each run stores (counting is a
    # scan on SecantusDB); the mirror changes only through runs.
    total = entity_counts(db)[collection] if not query else db[collection].count_documents(query)
    return Page(list(cursor), total, page, page_size)


# -- listings -------------------------------------------------------------------------------
@dataclasses.dataclass
class CampaignFilter:
    network_id: int | None = None
    advertiser_id: int | None = None
    statuses: tuple[str, ...] = ()
    overlaps_from: dt.date | None = None  # campaigns running at any time in [from, to]
    overlaps_to: dt.date | None = None
    search: str = ""

    def query(self) -> dict:
        q = _match(self.search, network_id=self.network_id, advertiser_id=self.advertiser_id)
        if self.statuses:
            q["status"] = {"$in": list(self.statuses)}
        clauses = []
        if self.overlaps_to is not None:  # starts no later than the window's end (null = always)
            clauses.append({"$or": [{"starts_on": None}, {"starts_on": {"$lte": midnight(self.overlaps_to)}}]})
        if self.overlaps_from is not None:  # ends no earlier than the window's start (null = open)
            clauses.append({"$or": [{"ends_on": None}, {"ends_on": {"$gte": midnight(self.overlaps_from)}}]})
        if clauses:
            q["$and"] = clauses
        return q


def campaigns(db: Database, flt: CampaignFilter | None = None, sort: tuple[str, int] = ("name_key", 1),
              page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    return _page(db, "campaigns", (flt or CampaignFilter()).query(), sort, page, page_size)


def campaigns_enriched(db: Database, flt: CampaignFilter, sort: tuple[str, int], page: int, page_size: int,
                       stats_from: dt.date | None, stats_to: dt.date | None) -> Page:
    """A page of campaigns with names, placement counts and stats over [stats_from, stats_to]."""
    result = campaigns(db, flt, sort, page, page_size)
    enrich_campaigns(db, result.rows, stats_from, stats_to)
    return result


EXPORT_LIMIT = 100_000


def campaigns_for_export(db: Database, flt: CampaignFilter, sort: tuple[str, int],
                         stats_from: dt.date | None, stats_to: dt.date | None) -> list[dict]:
    """Every campaign matching the filters (not just one page), enriched, for CSV."""
    rows = campaigns(db, flt, sort, page=1, page_size=EXPORT_LIMIT).rows
    enriched: list[dict] = []
    for i in range(0, len(rows), 500):  # enrichment looks up a bounded batch at a time
        enriched += enrich_campaigns(db, rows[i:i + 500], stats_from, stats_to)
    return enriched


def _match(search: str = "", **equal: Any) -> dict:
    """A query from equality filters (None = any) and a literal name search."""
    q: dict[str, Any] = {field: value for field, value in equal.items() if value is not None}
    if search.strip():
        q["name_clean"] = literal_search(search)
    return q


def listing(db: Database, kind: str, search: str = "", sort: tuple[str, int] = ("name_key", 1), page: int = 1,
            page_size: int = DEFAULT_PAGE_SIZE, **equal: Any) -> Page:
    """A page of any entity type, filtered by equality (None = any) and a literal name search."""
    return _page(db, kind, _match(search, **equal), sort, page, page_size)


def advertisers(db: Database, network_id: int | None = None, search: str = "",
                sort: tuple[str, int] = ("name_key", 1), page: int = 1,
                page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    return listing(db, "advertisers", search, sort, page, page_size, network_id=network_id)


def advertisements(db: Database, network_id: int | None = None, advertiser_id: int | None = None,
                   ad_type: str | None = None, active_placement: bool | None = None, search: str = "",
                   sort: tuple[str, int] = ("name_key", 1), page: int = 1,
                   page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    query = _match(search, network_id=network_id, advertiser_id=advertiser_id, type=ad_type,
                   active_placement=active_placement)
    return _page(db, "advertisements", query, sort, page, page_size)


def zones(db: Database, network_id: int | None = None, search: str = "",
          sort: tuple[str, int] = ("name_key", 1), page: int = 1,
          page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    return listing(db, "zones", search, sort, page, page_size, network_id=network_id)


def placements(db: Database, campaign_id: int | None = None, zone_id: int | None = None,
               advertisement_id: int | None = None, network_id: int | None = None,
               sort: tuple[str, int] = ("_id", 1), page: int = 1,
               page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    query = _match(campaign_id=campaign_id, zone_id=zone_id, advertisement_id=advertisement_id,
                   network_id=network_id)
    return _page(db, "placements", query, sort, page, page_size)


def placements_named(db: Database, campaign_id: int, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """A page of one campaign's placements with their zone and advertisement names."""
    result = placements(db, campaign_id=campaign_id, page=page, page_size=page_size)
    zones_ = names(db, "zones", [p["zone_id"] for p in result.rows])
    ads = names(db, "advertisements", [p["advertisement_id"] for p in result.rows])
    for row in result.rows:
        row["zone_name"] = zones_.get(row["zone_id"], "")
        row["advertisement_name"] = ads.get(row["advertisement_id"], "")
    return result


def networks(db: Database) -> list[dict]:
    return networks_sorted(db)


def network_summaries(db: Database) -> list[dict]:
    """One row per network with what the mirror holds for it (stored by the last run)."""
    stored = stored_summary(db, "networks")
    return stored if stored is not None else network_summaries_live(db)


def name_options(db: Database, collection: str, network_id: int | None = None) -> dict[int, str]:
    """``{id: "name (id)"}`` for select boxes (networks, advertisers of a network)."""
    query = {"network_id": network_id} if network_id is not None else {}
    cur = db[collection].find(query, {"name_clean": 1}).sort([("name_key", 1), ("_id", 1)])
    return {d["_id"]: f"{d.get('name_clean') or '(no name)'} ({d['_id']})" for d in cur}


def name_of(db: Database, collection: str, ident: int) -> str | None:
    """One document's cleaned name (its id when it has none); None when it is not mirrored."""
    doc = db[collection].find_one({"_id": ident}, {"name_clean": 1})
    return None if doc is None else (doc.get("name_clean") or str(ident))


def placement_counts(db: Database, field: Literal["campaign_id", "zone_id", "advertisement_id"],
                     ids: list) -> dict:
    """``{id: placements}`` for a page of campaigns, zones or advertisements."""
    return count_by(db, "placements", field, ids)


def campaign_counts(db: Database, advertiser_ids: list, status: str | None = None) -> dict:
    """``{advertiser id: campaigns}`` (only those with ``status`` when given)."""
    return count_by(db, "campaigns", "advertiser_id", advertiser_ids, {"status": status} if status else None)


def zone_views(db: Database, ids: list) -> list[dict]:
    """Views over the stats window for a page of zones (from the per-zone custom report)."""
    if not ids:
        return []
    pipeline = [{"$match": {"zone_id": {"$in": list(set(ids))}}},
                {"$group": {"_id": "$zone_id", "views": {"$sum": "$views"}, "clicks": {"$sum": "$clicks"}}}]
    return [{"zone_id": d["_id"], "views": d["views"], "clicks": d["clicks"]} for d in db.stats_zones.aggregate(pipeline)]


def with_ctr(row: dict) -> dict:
    views = row.get("views", 0) or 0
    row["ctr"] = (row.get("clicks", 0) or 0) / views if views else 0.0
    return row


def stats_by(db: Database, field: str, ids: list, start: dt.date | None = None,
             end: dt.date | None = None) -> dict:
    """``{id: {views, clicks, hovers, conversions, ctr}}`` over a date window."""
    if not ids:
        return {}
    match: dict[str, Any] = {field: {"$in": list(set(ids))}} | _date_match(start, end)
    pipeline = [{"$match": match}, {"$group": {"_id": f"${field}", **_SUMS}}]
    return {d.pop("_id"): with_ctr(d) for d in db.stats_daily.aggregate(pipeline)}


def enrich_campaigns(db: Database, rows: list[dict], start: dt.date | None = None,
                     end: dt.date | None = None) -> list[dict]:
    """Add advertiser and network names, placement counts and stats to a page of campaigns."""
    ids = [r["_id"] for r in rows]
    adv = names(db, "advertisers", [r.get("advertiser_id") for r in rows])
    net = names(db, "networks", [r.get("network_id") for r in rows])
    placed = count_by(db, "placements", "campaign_id", ids)
    stats = stats_by(db, "campaign_id", ids, start, end)
    for r in rows:
        r["advertiser_name"] = adv.get(r.get("advertiser_id"), "")
        r["network_name"] = net.get(r.get("network_id"), "")
        r["placement_count"] = placed.get(r["_id"], 0)
        s = stats.get(r["_id"], {})
        r["views"], r["clicks"], r["ctr"] = s.get("views", 0), s.get("clicks", 0), s.get("ctr", 0.0)
    return rows


# -- overview ------------------------------------------------------------------------------
def entity_counts(db: Database) -> dict[str, int]:
    """Documents per entity collection: from the summary the last run stored, else counted now."""
    stored = stored_summary(db, "entity_counts")
    return stored if stored is not None else entity_counts_live(db)


def campaign_status_counts(db: Database, network_id: int | None = None) -> dict[str, int]:
    match = {"network_id": network_id} if network_id is not None else {}
    pipeline = [{"$match": match}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    counts = {s: 0 for s in CAMPAIGN_STATUSES}
    counts.update({d["_id"]: d["n"] for d in db.campaigns.aggregate(pipeline)})
    return counts


def campaigns_ending_within(db: Database, days: int, today: dt.date, limit: int = 100) -> list[dict]:
    """Running campaigns whose end date falls in [today, today + days]."""
    q = {"status": "running",
         "ends_on": {"$gte": midnight(today), "$lte": midnight(today + dt.timedelta(days=days))}}
    rows = list(db.campaigns.find(q, {"_sync": 0}).sort([("ends_on", 1), ("_id", 1)]).limit(limit))
    return enrich_campaigns(db, rows)


def campaign_timeline(db: Database, limit: int = 200) -> list[dict]:
    """Running and scheduled campaigns with their dates, soonest-ending first."""
    rows = list(db.campaigns.find({"status": {"$in": ["running", "scheduled"]}},
                                  {"name_clean": 1, "status": 1, "starts_on": 1, "ends_on": 1,
                                   "advertiser_id": 1, "network_id": 1})
                .sort([("ends_on", 1), ("_id", 1)]).limit(limit))
    adv = names(db, "advertisers", [r.get("advertiser_id") for r in rows])
    for r in rows:
        r["advertiser_name"] = adv.get(r.get("advertiser_id"), "")
    return rows


def top_advertisers_by_running(db: Database, limit: int = 10) -> list[dict]:
    pipeline = [{"$match": {"status": "running"}},
                {"$group": {"_id": "$advertiser_id", "running": {"$sum": 1}}},
                {"$sort": {"running": -1, "_id": 1}}, {"$limit": limit}]
    rows = list(db.campaigns.aggregate(pipeline))
    adv = names(db, "advertisers", [r["_id"] for r in rows])
    return [{"advertiser_id": r["_id"], "name": adv.get(r["_id"], ""), "running": r["running"]} for r in rows]


def placements_per_zone(db: Database, limit: int = 15, network_id: int | None = None) -> list[dict]:
    """Zones with the most placements.  Unfiltered, it reads the summary the last sync
    stored (a $group over every placement takes seconds on `large`)."""
    if network_id is None and limit <= SUMMARY_ROWS:
        stored = stored_summary(db, "placements_per_zone")
        if stored is not None:
            return stored[:limit]
    return placements_per_zone_live(db, limit, network_id)


# -- reporting ------------------------------------------------------------------------------
_SUMS = {"views": {"$sum": "$views"}, "clicks": {"$sum": "$clicks"},
         "hovers": {"$sum": "$hovers"}, "conversions": {"$sum": "$conversions"}}


def _date_match(start: dt.date | None, end: dt.date | None) -> dict:
    rng: dict[str, Any] = {}
    if start is not None:
        rng["$gte"] = midnight(start)
    if end is not None:
        rng["$lte"] = midnight(end)
    return {"date": rng} if rng else {}


def stats_totals(db: Database, start: dt.date | None = None, end: dt.date | None = None,
                 network_id: int | None = None, campaign_id: int | None = None) -> dict:
    match = _match(network_id=network_id, campaign_id=campaign_id) | _date_match(start, end)
    rows = list(db.stats_daily.aggregate([{"$match": match}, {"$group": {"_id": None, **_SUMS}}]))
    total = rows[0] if rows else {"views": 0, "clicks": 0, "hovers": 0, "conversions": 0}
    total.pop("_id", None)
    return with_ctr(total)


def stats_daily_series(db: Database, start: dt.date | None = None, end: dt.date | None = None,
                       network_id: int | None = None, campaign_id: int | None = None) -> list[dict]:
    match = _match(network_id=network_id, campaign_id=campaign_id) | _date_match(start, end)
    pipeline = [{"$match": match}, {"$group": {"_id": "$date", **_SUMS}}, {"$sort": {"_id": 1}}]
    return [with_ctr({"date": d.pop("_id"), **d}) for d in db.stats_daily.aggregate(pipeline)]


def top_campaigns(db: Database, start: dt.date | None, end: dt.date | None, by: str = "views",
                  limit: int = 10, min_views: int = 100, network_id: int | None = None) -> list[dict]:
    """Campaigns ranked by views or by CTR (CTR only among campaigns with ``min_views``)."""
    if by not in ("views", "ctr", "clicks"):
        raise ValueError("by must be views, clicks or ctr")
    match = _match(network_id=network_id) | _date_match(start, end)
    pipeline: list[dict] = [{"$match": match}, {"$group": {"_id": "$campaign_id", **_SUMS}}]
    if by == "ctr":
        pipeline += [{"$match": {"views": {"$gte": min_views}}},
                     {"$addFields": {"ctr": {"$divide": ["$clicks", "$views"]}}}]
    pipeline += [{"$sort": {by: -1, "_id": 1}}, {"$limit": limit}]
    rows = list(db.stats_daily.aggregate(pipeline))
    nm = names(db, "campaigns", [r["_id"] for r in rows])
    return [with_ctr({"campaign_id": r["_id"], "name": nm.get(r["_id"], ""),
                      **{k: v for k, v in r.items() if k not in ("_id", "ctr")}}) for r in rows]


def freshness(db: Database) -> dict[str, Any]:
    """Per collection: when its content last changed and when it was last confirmed
    upstream (both from run history), plus the last successful and last finished runs."""
    done = {"status": {"$in": ["success", "partial"]}}
    out: dict[str, Any] = {"collections": {}}
    for name in ENTITY_NAMES + ("stats_daily",):
        moved = {"$or": [{f"counts.{name}.{k}": {"$gt": 0}} for k in ("inserted", "updated", "deleted")]}
        changed = db.sync_runs.find_one(done | moved, {"finished_at": 1}, sort=[("finished_at", -1)])
        seen = db.sync_runs.find_one(done | {f"counts.{name}": {"$exists": True}}, {"finished_at": 1},
                                     sort=[("finished_at", -1)])
        out["collections"][name] = {"last_change": (changed or {}).get("finished_at"),
                                    "last_seen": (seen or {}).get("finished_at")}
    out["last_success"] = last_success(db)
    out["last_run"] = last_finished(db, projection={"_id": 1, "finished_at": 1, "status": 1, "scope": 1})
    return out
