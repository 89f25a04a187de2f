"""Pacing: is each campaign with a goal (``max_impression_count``) delivering as sold?

Everything is measured through the campaign's network's last complete day (its own
yesterday, ``days.py``: a UTC-08:00 network's Dec 1 is not complete at 05:41 UTC on Dec 2),
so a young partial day never makes a campaign look behind:

* ``delivered``: views from the flight's start through that day;
* ``expected``: the goal times the share of the flight elapsed (even delivery);
* ``pacing``: delivered / expected;
* ``needed_per_day``: views a day from today to the end date to meet the goal;
* ``projected``: delivered plus the last 7 complete days' daily rate until the end date.

A flight that began before the mirror's reporting coverage (or crosses a missing day)
is not judged on part of its days: its status is ``partial data`` and ``lacking_days``
says how many days the figure lacks (unless the days held already meet the goal: the
missing ones can only add to it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from collections import OrderedDict, defaultdict

from pymongo.database import Database

from ..dates import days_between, midnight
from ..store.history import mirror_version
from ..store.stats_days import DAILY
from ._matching import field_match
from .days import Today, today_of
from .reporting import Coverage, stats_coverage

TOLERANCE = 0.10  # within 10% of even delivery is "on pace"; 10% past the goal is "over-delivered"
RATE_DAYS = 7
STATUSES = ("behind", "at risk", "on pace", "ahead", "goal met", "over-delivered", "not started", "no end date",
            "partial data")
#: the statuses ad-ops act on, as Delivery health lists them
BEHIND = ("behind", "at risk")


@dataclasses.dataclass
class Pacing:
    campaign_id: int
    name: str
    network_id: int | None
    advertiser_id: int | None
    goal: int
    starts_on: dt.date | None
    ends_on: dt.date | None
    delivered: int = 0
    expected: int | None = None
    pacing: float | None = None
    needed_per_day: int | None = None
    projected: int | None = None
    status: str = "not started"
    covers_from: dt.date | None = None  # the flight days the figures sum (through the last complete day)
    covers_to: dt.date | None = None
    lacking_days: int = 0  # flight days through the last complete day the mirror does not hold
    campaign_status: str = ""  # running, scheduled, paused, ended (as the sync derived it)

    def as_row(self) -> dict:
        return dataclasses.asdict(self)


def goal_of(campaign: dict) -> int | None:
    """A campaign's impression goal, when it has a positive whole one."""
    goal = campaign.get("max_impression_count")
    if isinstance(goal, bool):
        return None
    try:
        value = int(str(goal).strip()) if goal is not None else 0
    except ValueError:
        return None
    return value if value > 0 else None


def _day(value: object) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else None


def pacing_of(campaign: dict, daily_views: dict[dt.date, int], today: dt.date, coverage: Coverage) -> Pacing:
    """One campaign's pacing from its views per day (``{day: views}``)."""
    goal = goal_of(campaign) or 0
    start, end = _day(campaign.get("starts_on")), _day(campaign.get("ends_on"))
    out = Pacing(campaign["_id"], campaign.get("name_clean") or str(campaign["_id"]), campaign.get("network_id"),
                 campaign.get("advertiser_id"), goal, start, end, campaign_status=campaign.get("status") or "")
    as_of = today - dt.timedelta(days=1)
    first = start or coverage.first
    last = min(as_of, end) if end else as_of
    if first is None or first > last:
        return out  # not started (no complete day of its flight yet)
    flight = days_between(first, last)
    out.covers_from, out.covers_to = first, last
    out.lacking_days = sum(1 for d in flight if not coverage.covers(d, d))
    out.delivered = sum(daily_views.get(d, 0) for d in flight)
    recent = [d for d in flight if d > as_of - dt.timedelta(days=RATE_DAYS)]
    rate = sum(daily_views.get(d, 0) for d in recent) / len(recent) if recent else 0.0
    if end is not None and start is not None:
        flight_days = (end - start).days + 1
        out.expected = round(goal * min(len(flight) / flight_days, 1.0))
        out.pacing = out.delivered / out.expected if out.expected else None
        remaining = max((end - today).days + 1, 0)
        out.needed_per_day = math.ceil(max(goal - out.delivered, 0) / remaining) if remaining else None
        out.projected = round(out.delivered + rate * remaining)
    out.status = _status(out, today)
    return out


def _status(p: Pacing, today: dt.date) -> str:
    # days the mirror lacks can only add views: a goal met on the days held is met
    if p.delivered >= p.goal * (1 + TOLERANCE):
        return "over-delivered"
    if p.delivered >= p.goal:
        return "goal met"
    if p.lacking_days:
        return "partial data"
    if p.ends_on is None or p.starts_on is None:
        return "no end date"
    if p.ends_on < today or (p.pacing is not None and p.pacing < 1 - TOLERANCE):
        return "behind"  # an ended flight short of its goal missed it
    if p.projected is not None and p.projected < p.goal:
        return "at risk"
    if p.pacing is not None and p.pacing > 1 + TOLERANCE:
        return "ahead"
    return "on pace"


def goal_campaigns(db: Database, network_id: int | None = None, advertiser_id: int | None = None,
                   campaign_id: int | None = None) -> list[dict]:
    query = field_match(network_id=network_id, advertiser_id=advertiser_id) | {
        "max_impression_count": {"$nin": [None, 0, ""]}}
    if campaign_id is not None:
        query["_id"] = campaign_id
    found = db.campaigns.find(query, {"name_clean": 1, "name_key": 1, "network_id": 1, "advertiser_id": 1,
                                      "starts_on": 1, "ends_on": 1, "max_impression_count": 1, "status": 1})
    return sorted((c for c in found if goal_of(c)), key=lambda c: (c.get("name_key") or "", c["_id"]))


def _views_per_day(db: Database, campaigns: list[dict], since: dt.date | None) -> dict[int, dict[dt.date, int]]:
    """``{campaign: {day: views}}`` for these campaigns from ``since`` on: one grouped read.

    One campaign's rows come through its index; for many, every (campaign, day) total is
    grouped and the wanted ones kept: on SecantusDB an ``$in`` of the ~1,000 goal
    campaigns of `large` took 2.8 s, the whole grouping 0.4 s."""
    out: dict[int, dict[dt.date, int]] = defaultdict(dict)
    if not campaigns:
        return out
    wanted = {c["_id"] for c in campaigns}
    stages = [{"$match": {"campaign_id": next(iter(wanted))}}] if len(wanted) == 1 else []
    pipeline = [*stages, {"$group": {"_id": {"c": "$campaign_id", "d": "$date"}, "views": {"$sum": "$views"}}}]
    first = midnight(since) if since else None
    for row in db[DAILY].aggregate(pipeline):
        key = row["_id"]
        if key["c"] in wanted and (first is None or key["d"] >= first):
            out[key["c"]][key["d"].date()] = row["views"]
    return out


def pacing(db: Database, today: Today, network_id: int | None = None, advertiser_id: int | None = None,
           campaign_id: int | None = None) -> list[Pacing]:
    """Pacing of every campaign with a goal under a network, an advertiser or one campaign."""
    if campaign_id is not None:
        return _computed(db, today, goal_campaigns(db, campaign_id=campaign_id))
    every = _account(db, today)
    return [p for p in every if network_id in (None, p.network_id) and advertiser_id in (None, p.advertiser_id)]


_MEMO: OrderedDict[tuple, list[Pacing]] = OrderedDict()
_MEMO_LOCK = threading.Lock()


def _account(db: Database, today: Today) -> list[Pacing]:
    """Every goal campaign's pacing, computed once per mirror version and day in this
    process: the Campaigns column, its sort, the Overview and Delivery health share it
    (1.3 s on `large`, where the pages' own caches are keyed on more than this)."""
    key = (id(db.client), db.name, mirror_version(db), today)  # not .address: mongos clusters refuse it
    with _MEMO_LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    found = _computed(db, today, goal_campaigns(db))
    with _MEMO_LOCK:
        _MEMO[key] = found
        while len(_MEMO) > 8:
            _MEMO.popitem(last=False)
    return found


def _computed(db: Database, today: Today, campaigns: list[dict]) -> list[Pacing]:
    coverage = stats_coverage(db)
    starts = [c["starts_on"].date() for c in campaigns if isinstance(c.get("starts_on"), dt.datetime)]
    since = max(min(starts), coverage.first) if starts and coverage.first else coverage.first
    views = _views_per_day(db, campaigns, since)
    return [pacing_of(c, views.get(c["_id"], {}), today_of(today, c.get("network_id")), coverage)
            for c in campaigns]


def by_campaign(db: Database, today: Today, network_id: int | None = None) -> dict[int, Pacing]:
    return {p.campaign_id: p for p in pacing(db, today, network_id)}


def cumulative(db: Database, campaign_id: int, today: Today) -> list[dict]:
    """Per flight day through the last complete day: delivered so far and expected so far
    (even delivery of the goal), for the detail's chart; from the first day the mirror
    holds when the flight began earlier (its delivered then counts from that day)."""
    found = pacing(db, today, campaign_id=campaign_id)
    if not found or found[0].covers_from is None:
        return []
    p = found[0]
    coverage = stats_coverage(db)
    held_from = max(p.covers_from, coverage.first) if coverage.first else p.covers_from
    views = _views_per_day(db, [{"_id": campaign_id}], held_from).get(campaign_id, {})
    flight_days = (p.ends_on - p.starts_on).days + 1 if p.ends_on and p.starts_on else None
    rows, total = [], 0
    for i, day in enumerate(days_between(p.covers_from, p.covers_to), start=1):
        total += views.get(day, 0)
        expected = round(p.goal * min(i / flight_days, 1.0)) if flight_days else None
        if day >= held_from:  # days the mirror lacks are not drawn as zero views
            rows.append({"date": day, "delivered": total, "expected": expected, "goal": p.goal})
    return rows
