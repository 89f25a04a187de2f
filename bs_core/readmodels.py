"""Read models for the pages: every answer is an indexed query or an aggregation.

Listings are filtered, sorted and paginated by the server; enrichment (names, placement
counts, stats) is looked up only for the rows of the page being shown.  A sort by a
figure the documents do not store (views over a period, placements) reads the matching
ids and names only, orders them by that figure, then reads one page of documents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from typing import Any, Literal

from pymongo.database import Database

from . import reporting
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
    placement_tallies_live,
    placements_per_zone_live,
    stored_summary,
    stored_tallies,
    top_zones,
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
          page_size: int, metric: dict | None = None) -> Page:
    """One page of ``query`` in ``sort`` order (ties by ``_id``).  ``metric`` ({id: number})
    sorts by a figure the documents do not store (views over a period, placements)."""
    field, direction = sort
    page = max(int(page), 1)
    if metric is not None:
        return _metric_page(db, collection, query, metric, direction, page, page_size)
    if field not in SORTABLE[collection]:
        raise ValueError(f"cannot sort {collection} by {field!r}")
    if field in NULLS_MEAN_OPEN.get(collection, ()):
        return _open_ended_page(db, collection, query, sort, page, page_size)
    order = [(field, direction)] + ([("_id", 1)] if field != "_id" else [])
    cursor = (db[collection].find(query, {"_sync": 0})
              .sort(order).skip((page - 1) * page_size).limit(page_size))
    return Page(list(cursor), _total(db, collection, query), page, page_size)


def _total(db: Database, collection: str, query: dict) -> int:
    # Unfiltered, the total is the collection's size, which each run stores (counting is a
    # scan on SecantusDB); the mirror changes only through runs.
    return entity_counts(db)[collection] if not query else db[collection].count_documents(query)


#: date fields where null means "open-ended": they sort as later than any date
NULLS_MEAN_OPEN = {"campaigns": ("ends_on",)}


def _open_ended_page(db: Database, collection: str, query: dict, sort: tuple[str, int], page: int,
                     page_size: int) -> Page:
    """Sort by an end date with open-ended (null) rows after every date when ascending and
    before them when descending (MongoDB would put nulls first ascending)."""
    field, direction = sort
    open_ended = _with(query, field, None)
    open_count = db[collection].count_documents(open_ended)
    # a range (not "$ne: null") so the field's index serves the dated part's sort
    parts = [(_with(query, field, {"$gte": EARLIEST}), [(field, direction), ("_id", 1)],
              _total(db, collection, query) - open_count),
             (open_ended, [("name_key", 1), ("_id", 1)], open_count)]
    if direction < 0:
        parts.reverse()
    rows: list[dict] = []
    skip, total = (page - 1) * page_size, 0
    for part, order, n in parts:
        if len(rows) < page_size and skip < total + n:
            rows += db[collection].find(part, {"_sync": 0}).sort(order).skip(max(skip - total, 0)).limit(
                page_size - len(rows))
        total += n
    return Page(rows, total, page, page_size)


EARLIEST = dt.datetime(1900, 1, 1)


def _with(query: dict, field: str, condition: object) -> dict:
    """``query`` and ``field`` matching ``condition``."""
    return {**query, field: condition} if field not in query else {"$and": [query, {field: condition}]}


def _metric_page(db: Database, collection: str, query: dict, metric: dict, direction: int, page: int,
                 page_size: int) -> Page:
    """Sort the matching ids by ``metric`` (missing = 0, ties by name), then read one page.

    Only ids and sort keys of the matching documents are read (10k campaigns on `large`);
    the documents themselves only for the page."""
    keys = [(metric.get(d["_id"], 0), d.get("name_key") or "", d["_id"])
            for d in db[collection].find(query, {"name_key": 1})]
    keys.sort(key=lambda k: (-k[0] if direction < 0 else k[0], k[1], k[2]))
    ids = [k[2] for k in keys[(page - 1) * page_size:page * page_size]]
    found = {d["_id"]: d for d in db[collection].find({"_id": {"$in": ids}}, {"_sync": 0})}
    return Page([found[i] for i in ids if i in found], len(keys), page, page_size)


def placement_tallies(db: Database) -> dict[str, dict[int, int]]:
    """Placements per campaign, zone and ad, and what running campaigns use (see
    ``store.summaries.TALLIES``): as the last run stored them, else counted now."""
    return stored_tallies(db) or placement_tallies_live(db)


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
        q = field_match(self.search, network_id=self.network_id, advertiser_id=self.advertiser_id)
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


#: figures a listing can also be sorted by (over the chosen period, or from the tallies)
METRIC_SORTS = {"campaigns": ("views", "clicks", "ctr", "placements"),
                "zones": ("views", "placements"), "advertisers": ("running", "views")}
_ID_FIELD = {"campaigns": "campaign_id", "zones": "zone_id", "advertisers": "advertiser_id"}


def sort_metric(db: Database, collection: str, field: str, query: dict, start: dt.date | None,
                end: dt.date | None) -> dict | None:
    """``{id: value}`` to sort ``collection`` by ``field`` when it is a figure, else None."""
    if field not in METRIC_SORTS.get(collection, ()):
        return None
    if field == "placements":
        return placement_tallies(db)[_ID_FIELD[collection]]
    if field == "running":
        return placement_tallies(db)["advertiser_running"]
    network = query.get("network_id") if isinstance(query.get("network_id"), int) else None
    stats = reporting.stats_by(db, _ID_FIELD[collection], None, start, end, reporting.StatsFilter(network))
    return {ident: figures[field] for ident, figures in stats.items()}


def campaigns(db: Database, flt: CampaignFilter | None = None, sort: tuple[str, int] = ("name_key", 1),
              page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, stats_from: dt.date | None = None,
              stats_to: dt.date | None = None) -> Page:
    query = (flt or CampaignFilter()).query()
    metric = sort_metric(db, "campaigns", sort[0], query, stats_from, stats_to)
    return _page(db, "campaigns", query, sort, page, page_size, metric)


def campaigns_enriched(db: Database, flt: CampaignFilter, sort: tuple[str, int], page: int, page_size: int,
                       stats_from: dt.date | None, stats_to: dt.date | None) -> Page:
    """A page of campaigns with names, placement counts and stats over [stats_from, stats_to]."""
    result = campaigns(db, flt, sort, page, page_size, stats_from, stats_to)
    enrich_campaigns(db, result.rows, stats_from, stats_to)
    return result


EXPORT_LIMIT = 100_000


def campaigns_for_export(db: Database, flt: CampaignFilter, sort: tuple[str, int],
                         stats_from: dt.date | None, stats_to: dt.date | None) -> list[dict]:
    """Every campaign matching the filters (not just one page), enriched, for CSV."""
    rows = campaigns(db, flt, sort, 1, EXPORT_LIMIT, stats_from, stats_to).rows
    enriched: list[dict] = []
    for i in range(0, len(rows), 500):  # enrichment looks up a bounded batch at a time
        enriched += enrich_campaigns(db, rows[i:i + 500], stats_from, stats_to)
    return enriched


def field_match(search: str = "", **equal: Any) -> dict:
    """A query from equality filters (None = any) and a literal name search."""
    q: dict[str, Any] = {field: value for field, value in equal.items() if value is not None}
    if search.strip():
        q["name_clean"] = literal_search(search)
    return q


def listing(db: Database, kind: str, search: str = "", sort: tuple[str, int] = ("name_key", 1), page: int = 1,
            page_size: int = DEFAULT_PAGE_SIZE, start: dt.date | None = None, end: dt.date | None = None,
            **equal: Any) -> Page:
    """A page of any entity type, filtered by equality (None = any) and a literal name search,
    sorted by a stored field or a figure over [start, end] (:data:`METRIC_SORTS`)."""
    query = field_match(search, **equal)
    return _page(db, kind, query, sort, page, page_size, sort_metric(db, kind, sort[0], query, start, end))


def advertisers(db: Database, network_id: int | None = None, search: str = "",
                sort: tuple[str, int] = ("name_key", 1), page: int = 1,
                page_size: int = DEFAULT_PAGE_SIZE, start: dt.date | None = None,
                end: dt.date | None = None) -> Page:
    return listing(db, "advertisers", search, sort, page, page_size, start, end, network_id=network_id)


def advertisers_enriched(db: Database, network_id: int | None, search: str, sort: tuple[str, int], page: int,
                         page_size: int, start: dt.date | None, end: dt.date | None) -> Page:
    """A page of advertisers with network names, campaign counts and figures over [start, end]."""
    result = advertisers(db, network_id, search, sort, page, page_size, start, end)
    ids = [r["_id"] for r in result.rows]
    nets = names(db, "networks", [r.get("network_id") for r in result.rows])
    running = placement_tallies(db)["advertiser_running"]
    total = count_by(db, "campaigns", "advertiser_id", ids)
    stats = reporting.stats_by(db, "advertiser_id", ids, start, end)
    for r in result.rows:
        r["network_name"] = nets.get(r.get("network_id"), "")
        r["running_campaigns"], r["campaign_count"] = running.get(r["_id"], 0), total.get(r["_id"], 0)
        _put_figures(r, stats.get(r["_id"]))
    return result


def _put_figures(row: dict, figures: dict | None) -> None:
    figures = figures or {}
    for name in ("views", "clicks", "ctr"):
        row[name] = figures.get(name, 0)


def advertisements(db: Database, network_id: int | None = None, advertiser_id: int | None = None,
                   ad_type: str | None = None, active_placement: bool | None = None, search: str = "",
                   sort: tuple[str, int] = ("name_key", 1), page: int = 1,
                   page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    query = field_match(search, network_id=network_id, advertiser_id=advertiser_id, type=ad_type,
                   active_placement=active_placement)
    return _page(db, "advertisements", query, sort, page, page_size)


def zones(db: Database, network_id: int | None = None, search: str = "",
          sort: tuple[str, int] = ("name_key", 1), page: int = 1,
          page_size: int = DEFAULT_PAGE_SIZE, start: dt.date | None = None, end: dt.date | None = None) -> Page:
    return listing(db, "zones", search, sort, page, page_size, start, end, network_id=network_id)


def zones_enriched(db: Database, network_id: int | None, search: str, sort: tuple[str, int], page: int,
                   page_size: int, start: dt.date | None, end: dt.date | None) -> Page:
    """A page of zones with network names, placements, running campaigns and figures."""
    result = zones(db, network_id, search, sort, page, page_size, start, end)
    nets = names(db, "networks", [r.get("network_id") for r in result.rows])
    tallies = placement_tallies(db)
    stats = reporting.stats_by(db, "zone_id", [r["_id"] for r in result.rows], start, end)
    for r in result.rows:
        r["network_name"] = nets.get(r.get("network_id"), "")
        r["placement_count"] = tallies["zone_id"].get(r["_id"], 0)
        r["running_campaigns"] = tallies["zone_running_campaigns"].get(r["_id"], 0)
        _put_figures(r, stats.get(r["_id"]))
    return result


def placements(db: Database, campaign_id: int | None = None, zone_id: int | None = None,
               advertisement_id: int | None = None, network_id: int | None = None,
               sort: tuple[str, int] = ("_id", 1), page: int = 1,
               page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    query = field_match(campaign_id=campaign_id, zone_id=zone_id, advertisement_id=advertisement_id,
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


def enrich_campaigns(db: Database, rows: list[dict], start: dt.date | None = None,
                     end: dt.date | None = None, figures: bool = True) -> list[dict]:
    """Add advertiser and network names, placement counts and (unless ``figures`` is
    False) views, clicks and CTR over [start, end] to campaigns."""
    ids = [r["_id"] for r in rows]
    adv = names(db, "advertisers", [r.get("advertiser_id") for r in rows])
    net = names(db, "networks", [r.get("network_id") for r in rows])
    placed = placement_tallies(db)["campaign_id"]
    stats = reporting.stats_by(db, "campaign_id", ids, start, end) if figures else {}
    for r in rows:
        r["advertiser_name"] = adv.get(r.get("advertiser_id"), "")
        r["network_name"] = net.get(r.get("network_id"), "")
        r["placement_count"] = placed.get(r["_id"], 0)
        _put_figures(r, stats.get(r["_id"]))
    return rows


# -- overview ------------------------------------------------------------------------------
def entity_counts(db: Database) -> dict[str, int]:
    """Documents per entity collection: from the summary the last run stored, else counted now."""
    stored = stored_summary(db, "entity_counts")
    return stored if stored is not None else entity_counts_live(db)


def _owned(network_id: int | None, advertiser_id: int | None) -> dict:
    """The campaign (or ad) filter of the Overview's network and advertiser choice."""
    return field_match(network_id=network_id, advertiser_id=advertiser_id)


def scoped_counts(db: Database, network_id: int | None = None, advertiser_id: int | None = None) -> dict[str, int]:
    """Documents per entity type under a network or an advertiser (all: :func:`entity_counts`).
    An advertiser's zones are the zones its campaigns are placed in."""
    if network_id is None and advertiser_id is None:
        return entity_counts(db)
    owned = _owned(network_id, advertiser_id)
    campaign_ids = [d["_id"] for d in db.campaigns.find(owned, {"_id": 1})]
    placed = placement_tallies(db)["campaign_id"]
    counts = {"campaigns": len(campaign_ids), "advertisements": db.advertisements.count_documents(owned),
              "placements": sum(placed.get(c, 0) for c in campaign_ids)}
    if advertiser_id is not None:
        zones = db.placements.distinct("zone_id", {"campaign_id": {"$in": campaign_ids}}) if campaign_ids else []
        return counts | {"networks": 1, "advertisers": 1, "zones": len(zones)}
    return counts | {"networks": 1, "advertisers": db.advertisers.count_documents(owned),
                     "zones": db.zones.count_documents(owned)}


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
                      advertiser_id: int | None = None) -> list[dict]:
    """Running and scheduled campaigns with their dates, soonest-ending first (open-ended last)."""
    q = _owned(network_id, advertiser_id) | {"status": {"$in": ["running", "scheduled"]}}
    rows = _open_ended_page(db, "campaigns", q, ("ends_on", 1), 1, limit).rows
    adv = names(db, "advertisers", [r.get("advertiser_id") for r in rows])
    for r in rows:
        r["advertiser_name"] = adv.get(r.get("advertiser_id"), "")
    return rows


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
