"""What campaigns earn: the rates entered here (``store/rates.py``) applied to the mirror's
delivery, each network's days on its own clock.

A campaign's price is its own rate, else the rate cards of the zones it delivered in
(CPM per zone); a campaign with neither is *unpriced*, never counted as 0.  The models:

- ``cpm``: views / 1,000 x the amount; capped: views past the goal (counted from the
  flight's first day) earn nothing;
- ``cpc``: clicks x the amount; capped: the clicks of the period's billable share of views;
- ``flat``: the amount for the whole flight, earned evenly over its days (needs an end date);
- ``monthly``: the amount per calendar month, each day earning amount / days in its month
  (a partial first or last month is prorated);
- rate card: each zone's views / 1,000 x that zone's CPM.

Every figure here is a pure function of a campaign's rate and daily rows, so the tests
compute each model by hand at month and flight boundaries.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections import defaultdict

from pymongo.database import Database

from ..dates import midnight
from ..store.rates import (  # noqa: F401 (MODELS, MODEL_HELP: the Rates page's choices)
    MODEL_HELP,
    MODELS,
    CampaignRate,
    anything_priced,
    campaign_rates,
    campaign_snapshots,
    history,
    id_match,
    rate_cards,
)
from ..store.stats_days import CAMPAIGN_ZONE_DAILY, DAILY
from ._matching import field_match
from .days import Today, today_of
from .pacing import goal_of

Daily = dict[dt.date, tuple[int, int]]  #: day -> (views, clicks)


def _day(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _span(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)] if start <= end else []


def billable_views(daily: Daily, start: dt.date, end: dt.date, goal: int | None, capped: bool) -> int:
    """Views of [start, end] that are billed: all of them, or with the cap only those that
    bring the flight's running total up to the goal."""
    inside = sum(v for d, (v, _) in daily.items() if start <= d <= end)
    if not capped or not goal:
        return inside
    before = sum(v for d, (v, _) in daily.items() if d < start)
    return max(0, min(before + inside, goal) - min(before, goal))


def earned(rate: CampaignRate, daily: Daily, start: dt.date, end: dt.date, goal: int | None,
           flight: tuple[dt.date | None, dt.date | None]) -> float | None:
    """What [start, end] earns under ``rate`` (None: not computable, e.g. a flat fee with no end date)."""
    first, last = flight
    if rate.model == "cpm":
        return billable_views(daily, start, end, goal, rate.capped) / 1000 * rate.amount
    if rate.model == "cpc":
        clicks = sum(c for d, (_, c) in daily.items() if start <= d <= end)
        if rate.capped and goal:
            views = sum(v for d, (v, _) in daily.items() if start <= d <= end)
            clicks = clicks * billable_views(daily, start, end, goal, True) / views if views else 0
        return clicks * rate.amount
    if first is None or (rate.model == "flat" and last is None):
        return None
    days = _span(max(start, first), min(end, last) if last else end)
    if rate.model == "flat":
        return rate.amount * len(days) / len(_span(first, last))
    return sum(rate.amount / calendar.monthrange(d.year, d.month)[1] for d in days)  # monthly


def booked(rate: CampaignRate, goal: int | None, flight: tuple[dt.date | None, dt.date | None]) -> float | None:
    """What the whole flight is sold for (None when the rate does not say: cpc, or no goal)."""
    first, last = flight
    if rate.model == "cpm":
        return goal / 1000 * rate.amount if goal else None
    if rate.model == "flat":
        return rate.amount
    if rate.model == "monthly" and first is not None and last is not None:
        return sum(rate.amount / calendar.monthrange(d.year, d.month)[1] for d in _span(first, last))
    return None


@dataclasses.dataclass(frozen=True)
class Money:
    campaign_id: int
    name: str
    network_id: int | None
    advertiser_id: int | None
    model: str  #: cpm, cpc, flat, monthly, "rate card", or "" (unpriced)
    rate: float | None  #: the campaign's amount (None for a rate card or unpriced)
    capped: bool
    views: int  #: in the period
    clicks: int
    earned: float | None  #: what the period's delivery earns (None: unpriced or not computable)
    booked: float | None
    ecpm: float | None  #: earned per 1,000 of the period's views

    @property
    def priced(self) -> bool:
        return bool(self.model)


def _daily_rows(db: Database, ids: list[int], since: dt.date | None = None,
                until: dt.date | None = None) -> dict[int, Daily]:
    """Each campaign's (views, clicks) per day in [since, until] (None: unbounded)."""
    if not ids:
        return {}
    out: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    keep = set(ids)
    days = {k: v for k, v in (("$gte", since), ("$lte", until)) if v is not None}
    match = {**id_match("campaign_id", ids), **({"date": {k: midnight(v) for k, v in days.items()}} if days else {})}
    pipeline = [{"$match": match}, {"$group": {"_id": {"c": "$campaign_id", "d": "$date"}, "v": {"$sum": "$views"},
                                               "k": {"$sum": "$clicks"}}}]
    for row in db[DAILY].aggregate(pipeline):
        if row["_id"]["c"] in keep:
            cell = out[row["_id"]["c"]][row["_id"]["d"].date()]
            cell[0] += row["v"]
            cell[1] += row["k"]
    return {cid: {d: (v, k) for d, (v, k) in days.items()} for cid, days in out.items()}


def _card_earned(db: Database, ids: list[int], cards: dict, start: dt.date, end: dt.date,
                 stops: dict[int, dt.date]) -> dict[int, float]:
    """Rate-card earnings of campaigns without a rate: each zone's views x its CPM."""
    if not ids or not cards:
        return {}
    keep = set(ids)
    pipeline = [{"$match": {**id_match("campaign_id", ids), **id_match("zone_id", cards),
                            "date": {"$gte": midnight(start), "$lte": midnight(end)}}},
                {"$project": {"campaign_id": 1, "zone_id": 1, "date": 1, "views": 1}}]
    out: dict[int, float] = defaultdict(float)
    for row in db[CAMPAIGN_ZONE_DAILY].aggregate(pipeline):
        if row["campaign_id"] in keep and row["zone_id"] in cards and row["date"].date() <= stops.get(
                row["campaign_id"], end):
            out[row["campaign_id"]] += row["views"] / 1000 * cards[row["zone_id"]].cpm
    return out


def carded_campaigns(db: Database, zone_ids: list[int]) -> set[int]:
    """Campaigns placed in any of these zones (the ones with a rate card): priced by the cards."""
    return set(db.placements.distinct("campaign_id", {"zone_id": {"$in": zone_ids}})) if zone_ids else set()


def campaign_money(db: Database, today: Today, start: dt.date | None = None, end: dt.date | None = None, *,
                   network_id: int | None = None, advertiser_id: int | None = None,
                   campaign_id: int | None = None, ids: list[int] | None = None) -> list[Money]:
    """Every matching campaign's money over [start, end] (default: its flight to date), each
    cut at its network's own yesterday.  Unpriced campaigns are listed with ``model`` ""."""
    query = field_match(network_id=network_id, advertiser_id=advertiser_id)
    if campaign_id is not None:
        query["_id"] = campaign_id
    elif ids is not None:
        query |= id_match("_id", ids)
    wanted = None if ids is None else set(ids)
    campaigns = [c for c in db.campaigns.find(query, {"name_clean": 1, "network_id": 1, "advertiser_id": 1,
                                                      "starts_on": 1, "ends_on": 1, "max_impression_count": 1})
                 if wanted is None or c["_id"] in wanted]
    campaigns.sort(key=lambda c: c["_id"])
    every_rate = campaign_rates(db)
    # a priced campaign deleted upstream keeps its rate: it is billed as its rate's snapshot had it
    listed = {c["_id"] for c in campaigns}
    gone = [r for r in every_rate if r not in listed and (campaign_id is None or r == campaign_id)
            and (wanted is None or r in wanted)]
    for snap in campaign_snapshots(db, gone).values():
        if all(v is None or snap.get(k) == v for k, v in (("network_id", network_id), ("advertiser_id", advertiser_id))):
            campaigns.append({**snap, "name_clean": f"{snap.get('name_clean') or snap['_id']} (deleted)",
                              "deleted": True})
    ids = [c["_id"] for c in campaigns]
    rates = {cid: every_rate[cid] for cid in ids if cid in every_rate}
    cards = rate_cards(db)
    # capped rates count views from the flight's first day; the others need only the period
    capped = [cid for cid in ids if cid in rates and rates[cid].capped]
    loose = [cid for cid in ids if not (cid in rates and rates[cid].capped)]
    daily = {**_daily_rows(db, capped, None, end), **_daily_rows(db, loose, start, end)}
    stops = {c["_id"]: today_of(today, c.get("network_id")) - dt.timedelta(days=1) for c in campaigns}
    first_day = min((d for days in daily.values() for d in days), default=today_of(today, None))
    lo = start or first_day
    carded = carded_campaigns(db, list(cards))
    card_earned = _card_earned(db, [c for c in ids if c not in rates], cards, lo, end or max(stops.values(), default=lo),
                               stops)
    out = []
    for c in campaigns:
        cid, rate = c["_id"], rates.get(c["_id"])
        last = min(end, stops[cid]) if end else stops[cid]
        rows = daily.get(cid, {})
        flight = (_day(c.get("starts_on")), _day(c.get("ends_on")))
        goal = goal_of(c)
        views = sum(v for d, (v, _) in rows.items() if lo <= d <= last)
        clicks = sum(k for d, (_, k) in rows.items() if lo <= d <= last)
        if rate is not None:
            model, amount, capped = rate.model, rate.amount, rate.capped
            got = earned(rate, {d: r for d, r in rows.items() if d <= last}, lo, last, goal, flight) \
                if lo <= last else 0.0
            sold = booked(rate, goal, flight)
        elif cid in card_earned or cid in carded:  # placed in a zone with a card: priced by it
            model, amount, capped, got, sold = "rate card", None, False, card_earned.get(cid, 0.0), None
        else:
            model, amount, capped, got, sold = "", None, False, None, None
        ecpm = got / views * 1000 if got is not None and views else None
        out.append(Money(cid, c.get("name_clean", ""), c.get("network_id"), c.get("advertiser_id"), model, amount,
                         capped, views, clicks, got, sold, ecpm))
    return out


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """ "2026-11" -> (Nov 1, Nov 30); ValueError naming the value otherwise."""
    try:
        year, number = (int(p) for p in month.split("-"))
        first = dt.date(year, number, 1)
    except ValueError:
        raise ValueError(f"--month {month[:20]!r}: expected YYYY-MM, e.g. 2026-11") from None
    return first, first.replace(day=calendar.monthrange(year, number)[1])


def at_risk(rate: CampaignRate | None, goal: int | None, projected_views: int | None) -> float | None:
    """What a campaign will not earn at its pace: the goal's views it is projected to miss,
    at its CPM (flat and monthly fees do not depend on delivery: 0; cpc and rate cards: not
    known, None)."""
    if rate is None or rate.model == "cpc":
        return None
    if rate.model in ("flat", "monthly"):
        return 0.0
    if not goal or projected_views is None:
        return None
    return max(0, goal - projected_views) / 1000 * rate.amount
