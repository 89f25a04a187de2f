"""Figures split the ways delivery questions need: a campaign per zone, a zone per
campaign, per network, by hour of day, and a daily series rolled up by week or month.

Each reads the grain that holds it (``stats_campaign_zone_daily`` for a campaign in a
zone, ``stats_hours`` for hours of the day), so no figure is a whole-campaign total shown
as a zone's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from pymongo.database import Database

from ..dates import midnight
from ..store.lookups import names
from ..store.stats_days import CAMPAIGN_ZONE_DAILY, DAILY, HOURS
from .reporting import FIGURES, StatsFilter, dates, with_ctr

_SUMS = {f: {"$sum": f"${f}"} for f in FIGURES}
ROLLUPS = ("day", "week", "month")


def _grouped(db: Database, collection: str, narrow: dict, start: dt.date | None, end: dt.date | None,
             field: str) -> dict[int, dict]:
    rest = dates(start, end)
    pipeline = [{"$match": narrow}, *([{"$match": rest}] if rest else []),
                {"$group": {"_id": f"${field}", **_SUMS}}]
    return {d.pop("_id"): with_ctr(d) for d in db[collection].aggregate(pipeline)}


def campaign_zones(db: Database, campaign_id: int, start: dt.date | None, end: dt.date | None) -> list[dict]:
    """A campaign's delivery in each zone over [start, end], most views first."""
    per_zone = _grouped(db, CAMPAIGN_ZONE_DAILY, {"campaign_id": campaign_id}, start, end, "zone_id")
    known = names(db, "zones", list(per_zone))
    rows = [{"zone_id": z, "name": known.get(z, f"zone {z} (not mirrored)"), **f} for z, f in per_zone.items()]
    return sorted(rows, key=lambda r: (-r["views"], r["zone_id"]))


def campaign_zone_views(db: Database, campaign_id: int, start: dt.date | None, end: dt.date | None) -> dict[int, int]:
    """``{zone: views}`` of one campaign."""
    return {z: f["views"] for z, f in _grouped(db, CAMPAIGN_ZONE_DAILY, {"campaign_id": campaign_id}, start, end,
                                                 "zone_id").items()}


def zone_campaigns(db: Database, zone_id: int, start: dt.date | None, end: dt.date | None) -> dict[int, dict]:
    """``{campaign: figures}``: each campaign's delivery in this zone (not its total)."""
    return _grouped(db, CAMPAIGN_ZONE_DAILY, {"zone_id": zone_id}, start, end, "campaign_id")


def campaign_ads(db: Database, campaign_id: int, start: dt.date | None, end: dt.date | None) -> dict[int, dict]:
    """``{advertisement: figures}`` of one campaign."""
    return _grouped(db, DAILY, {"campaign_id": campaign_id}, start, end, "advertisement_id")


def ad_campaigns(db: Database, ad_id: int, start: dt.date | None, end: dt.date | None) -> dict[int, dict]:
    """``{campaign: figures}`` of one advertisement."""
    return _grouped(db, DAILY, {"advertisement_id": ad_id}, start, end, "campaign_id")


def networks(db: Database, start: dt.date | None, end: dt.date | None) -> dict[int, dict]:
    """``{network: figures}`` over [start, end]."""
    return _grouped(db, DAILY, {}, start, end, "network_id")


def hours(db: Database, start: dt.date | None, end: dt.date | None, flt: StatsFilter = StatsFilter()) -> list[dict]:
    """24 rows ``{hour, views, clicks, hovers, conversions, ctr}`` (account hours) summed
    over [start, end] for a network, an advertiser or a campaign."""
    if flt.zone_id is not None:
        raise ValueError("hours of the day are kept per campaign, not per zone")
    narrow = {"campaign_id": flt.campaign_id} if flt.campaign_id is not None else {}
    query = {k: v for k, v in (("network_id", flt.network_id), ("advertiser_id", flt.advertiser_id))
             if v is not None} | dates(start, end)
    sums = {f: [0] * 24 for f in FIGURES}
    cursor = db[HOURS].find(narrow, {f: 1 for f in FIGURES} | {"date": 1, "network_id": 1, "advertiser_id": 1}) \
        if narrow else db[HOURS].find(query, dict.fromkeys(FIGURES, 1) | {"date": 1, "network_id": 1})
    stops = {nid: midnight(last) for nid, last in flt.through or ()}  # each network's own complete days
    for doc in cursor:
        if (narrow and not _matches(doc, query)) or doc["date"] > stops.get(doc.get("network_id"), doc["date"]):
            continue
        for f in FIGURES:
            for hour, n in enumerate(doc.get(f) or ()):
                sums[f][hour] += n
    return [with_ctr({"hour": h, **{f: sums[f][h] for f in FIGURES}}) for h in range(24)]


def _matches(doc: dict, query: dict) -> bool:
    for field, want in query.items():
        if field == "date":
            if ("$gte" in want and doc["date"] < want["$gte"]) or ("$lte" in want and doc["date"] > want["$lte"]):
                return False
        elif doc.get(field) != want:
            return False
    return True


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # Monday


def bucket_span(key: dt.date, grain: str) -> int:
    """Days in the calendar bucket starting ``key``: 1, 7, or the month's length."""
    if grain == "day":
        return 1
    if grain == "week":
        return 7
    following = (key.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - key).days


def rollup(series: list[dict], grain: str, period: tuple[dt.date, dt.date] | None = None) -> list[dict]:
    """A daily series (``{date, views, ...}``) summed by ``day``, ``week`` (from Monday) or
    ``month``.  Each row says how many of its calendar days the period holds (``days``, of
    ``span``): a first or last week or month cut by the period is ``partial``, and charts say so."""
    if grain not in ROLLUPS:
        raise ValueError(f"rollup must be one of {', '.join(ROLLUPS)}")

    def key_of(day: dt.date) -> dt.date:
        return day if grain == "day" else week_start(day) if grain == "week" else day.replace(day=1)

    buckets: dict[dt.date, dict] = defaultdict(lambda: {**dict.fromkeys(FIGURES, 0), "days": 0})
    for row in series:
        day = row["date"].date() if isinstance(row["date"], dt.datetime) else row["date"]
        for f in FIGURES:
            buckets[key_of(day)][f] += row[f]
        if period is None:
            buckets[key_of(day)]["days"] += 1
    if period is not None:  # the days of the period in each bucket, quiet days too
        for offset in range((period[1] - period[0]).days + 1):
            day = period[0] + dt.timedelta(days=offset)
            buckets[key_of(day)]["days"] += 1
    out = []
    for key in sorted(buckets):
        span = bucket_span(key, grain)
        out.append(with_ctr({"date": key, **buckets[key], "span": span, "partial": buckets[key]["days"] < span}))
    return out
