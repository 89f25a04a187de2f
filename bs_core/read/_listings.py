"""Listings: pages of campaigns, advertisers, ads, zones, placements and networks, with
what their tables show beside the stored fields (names, placement counts, figures over a
period), looked up only for the rows of the page being shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from pymongo.database import Database

from ..dates import midnight
from ..store.lookups import count_by, names
from ..store.summaries import network_summaries_live, networks_sorted, stored_summary
from . import breakdowns, pacing, reporting
from ._counts import placement_tallies
from .paging import DEFAULT_PAGE_SIZE, Page, _page, field_match, sort_metric


@dataclasses.dataclass
class CampaignFilter:
    network_id: int | None = None
    advertiser_id: int | None = None
    statuses: tuple[str, ...] = ()
    overlaps_from: dt.date | None = None  # campaigns running at any time in [from, to]
    overlaps_to: dt.date | None = None
    search: str = ""
    ids: tuple[int, ...] | None = None  # only these campaigns (a named figure's, see figures.py)

    def query(self) -> dict:
        q = field_match(self.search, network_id=self.network_id, advertiser_id=self.advertiser_id)
        if self.ids is not None:
            q["_id"] = {"$in": list(self.ids)}
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
              page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, stats_from: dt.date | None = None,
              stats_to: dt.date | None = None, today: dt.date | None = None) -> Page:
    query = (flt or CampaignFilter()).query()
    metric = sort_metric(db, "campaigns", sort[0], query, stats_from, stats_to, today)
    return _page(db, "campaigns", query, sort, page, page_size, metric)


def campaigns_enriched(db: Database, flt: CampaignFilter, sort: tuple[str, int], page: int, page_size: int,
                       stats_from: dt.date | None, stats_to: dt.date | None, today: dt.date | None = None) -> Page:
    """A page of campaigns with names, placement counts, stats over [stats_from, stats_to]
    and, given ``today``, the pacing of those with a goal."""
    result = campaigns(db, flt, sort, page, page_size, stats_from, stats_to, today)
    enrich_campaigns(db, result.rows, stats_from, stats_to)
    if today is not None:
        add_pacing(db, result.rows, today, flt.network_id)
    return result


def add_pacing(db: Database, rows: list[dict], today: dt.date, network_id: int | None = None) -> list[dict]:
    """``goal``, ``pacing`` (delivered / expected) and ``pace_status`` on campaigns with a goal."""
    paced = pacing.by_campaign(db, today, network_id)
    for r in rows:
        p = paced.get(r["_id"])
        r["goal"], r["pacing"], r["pace_status"] = (p.goal, p.pacing, p.status) if p else (None, None, "")
    return rows


EXPORT_LIMIT = 100_000


def campaigns_for_export(db: Database, flt: CampaignFilter, sort: tuple[str, int],
                         stats_from: dt.date | None, stats_to: dt.date | None,
                         today: dt.date | None = None) -> list[dict]:
    """Every campaign matching the filters (not just one page), enriched, for CSV."""
    rows = campaigns(db, flt, sort, 1, EXPORT_LIMIT, stats_from, stats_to, today).rows
    enriched: list[dict] = []
    for i in range(0, len(rows), 500):  # enrichment looks up a bounded batch at a time
        enriched += enrich_campaigns(db, rows[i:i + 500], stats_from, stats_to)
    return add_pacing(db, enriched, today, flt.network_id) if today is not None else enriched


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


def advertisements_listing(db: Database, network_id: int | None, search: str, sort: tuple[str, int], page: int,
                           page_size: int, start: dt.date | None, end: dt.date | None,
                           advertiser: int | None = None, ad_type: str | None = None,
                           active: bool | None = None) -> Page:
    """A page of advertisements, sortable by their figures over [start, end], with those
    figures and their placement tallies (the Advertisements listing)."""
    query = field_match(search, network_id=network_id, advertiser_id=advertiser, type=ad_type,
                        active_placement=active)
    result = _page(db, "advertisements", query, sort, page, page_size,
                   sort_metric(db, "advertisements", sort[0], query, start, end))
    tallies = placement_tallies(db)
    stats = reporting.stats_by(db, "advertisement_id", [r["_id"] for r in result.rows], start, end)
    for r in result.rows:
        r["placement_count"] = tallies["advertisement_id"].get(r["_id"], 0)
        r["in_running"] = tallies["ad_in_running"].get(r["_id"], 0)
        _put_figures(r, stats.get(r["_id"]))
    return result


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


def placements_named(db: Database, campaign_id: int, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE,
                     start: dt.date | None = None, end: dt.date | None = None) -> Page:
    """A page of one campaign's placements with their zone and advertisement names, and
    the figures BroadStreet's rows allow per placement: this campaign's views in the zone
    and of the ad over [start, end] (rows are kept per campaign and zone, and per campaign
    and ad, not per campaign, ad and zone)."""
    result = placements(db, campaign_id=campaign_id, page=page, page_size=page_size)
    zones_ = names(db, "zones", [p["zone_id"] for p in result.rows])
    ads = names(db, "advertisements", [p["advertisement_id"] for p in result.rows])
    in_zone = breakdowns.campaign_zone_views(db, campaign_id, start, end)
    of_ad = breakdowns.campaign_ads(db, campaign_id, start, end)
    for row in result.rows:
        row["zone_name"] = zones_.get(row["zone_id"], "")
        row["advertisement_name"] = ads.get(row["advertisement_id"], "")
        row["zone_views"] = in_zone.get(row["zone_id"], 0)
        row["ad_views"] = (of_ad.get(row["advertisement_id"]) or {}).get("views", 0)
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
