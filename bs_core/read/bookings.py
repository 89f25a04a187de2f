"""Booked delivery: what the running and scheduled campaigns with a goal still need, and
where and when they will take it.

Each such campaign still needs ``goal - delivered`` (delivered through its network's own
yesterday, as pacing counts it).  That is spread evenly over its remaining flight days
(from its network's today, or its start if later, through its end date), and over its
zones by its share of views in each over the last 14 complete days; a campaign with no
views in them yet, evenly over the zones it is placed in.  A campaign without a goal,
without an end date, or placed nowhere books nothing and is listed with the reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from pymongo.database import Database

from ..dates import days_between, midnight
from ..store.rates import id_match
from ..store.stats_days import CAMPAIGN_ZONE_DAILY
from . import pacing as pacing_reads
from ._counts import placement_tallies
from .days import NetworkDays

SHARE_DAYS = 14  #: complete days a campaign's views per zone are shared out by
BOOKING = ("running", "scheduled")  #: campaign statuses that book delivery


@dataclasses.dataclass
class Booking:
    """One campaign's booked delivery (or why it books none)."""

    campaign_id: int
    name: str
    network_id: int | None
    status: str
    goal: int | None = None
    remaining: int = 0  #: goal - delivered, never below 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    spread: str = ""  #: "zone shares", "evenly over placements", or why nothing is booked
    zones: dict[int, float] = dataclasses.field(default_factory=dict)  #: zone -> share

    @property
    def books(self) -> bool:
        return bool(self.zones) and self.remaining > 0 and self.first_day is not None

    @property
    def per_day(self) -> float:
        if not self.books:
            return 0.0
        return self.remaining / ((self.last_day - self.first_day).days + 1)


def _shares(db: Database, spans: dict[int, tuple[dt.date, dt.date]]) -> dict[int, dict[int, float]]:
    """``{campaign: {zone: share of its views}}`` over each campaign's ``(first, last)`` days."""
    first = min(lo for lo, _ in spans.values())
    pipeline = [{"$match": {"date": {"$gte": midnight(first)}} | id_match("campaign_id", list(spans))},
                {"$group": {"_id": {"c": "$campaign_id", "z": "$zone_id", "d": "$date"}, "views": {"$sum": "$views"}}}]
    views: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for row in db[CAMPAIGN_ZONE_DAILY].aggregate(pipeline):
        c, z, d = row["_id"].get("c"), row["_id"].get("z"), row["_id"].get("d")
        if c in spans and z is not None and spans[c][0] <= d.date() <= spans[c][1] and row["views"] > 0:
            views[c][z] += row["views"]
    return {c: {z: v / sum(by_zone.values()) for z, v in by_zone.items()} for c, by_zone in views.items()}


def _placed(db: Database, campaigns: list[int]) -> dict[int, dict[int, float]]:
    """``{campaign: {zone: 1/n}}`` over the zones it is placed in."""
    wanted, zones = set(campaigns), defaultdict(set)
    for p in db.placements.find(id_match("campaign_id", campaigns), {"campaign_id": 1, "zone_id": 1}):
        if p.get("campaign_id") in wanted and p.get("zone_id") is not None:
            zones[p["campaign_id"]].add(p["zone_id"])
    return {c: {z: 1 / len(zs) for z in zs} for c, zs in zones.items()}


def bookings(db: Database, days: NetworkDays) -> list[Booking]:
    """Every running or scheduled campaign with a goal, and what it books where."""
    found = [p for p in pacing_reads.pacing(db, days) if p.campaign_status in BOOKING]
    out: list[Booking] = []
    for p in found:
        today = days.today(p.network_id)
        b = Booking(p.campaign_id, p.name, p.network_id, p.campaign_status, p.goal,
                    max(p.goal - p.delivered, 0))
        if p.ends_on is None:
            b.spread = "no end date: nothing to spread over"
        elif p.ends_on < today:
            b.spread = "flight over"
        elif b.remaining == 0:
            b.spread = "goal met"
        else:
            b.first_day, b.last_day = max(today, p.starts_on or today), p.ends_on
        out.append(b)
    # each campaign's last 14 complete days, on its network's clock (today is partial)
    spans = {b.campaign_id: (days.yesterday(b.network_id) - dt.timedelta(days=SHARE_DAYS - 1),
                             days.yesterday(b.network_id)) for b in out if b.first_day is not None}
    shares = _shares(db, spans) if spans else {}
    unseen = [c for c in spans if c not in shares]
    placed = _placed(db, unseen) if unseen else {}
    for b in out:
        if b.first_day is None:
            continue
        if b.campaign_id in shares:
            b.zones, b.spread = shares[b.campaign_id], "zone shares"
        elif b.campaign_id in placed:
            b.zones, b.spread = placed[b.campaign_id], "evenly over placements"
        else:
            b.first_day = b.last_day = None
            b.spread = "placed nowhere"
    return out


def unbooked(db: Database, network_id: int | None = None) -> list[dict]:
    """Running or scheduled campaigns without a goal: they book nothing (listed as such)."""
    query = {"status": {"$in": list(BOOKING)}, "max_impression_count": {"$in": [None, 0, ""]}}
    if network_id is not None:
        query["network_id"] = network_id
    return [{"campaign_id": c["_id"], "name": c.get("name_clean") or str(c["_id"]), "status": c.get("status")}
            for c in db.campaigns.find(query, {"name_clean": 1, "status": 1}).sort("_id", 1)]


def booked_by_zone(found: list[Booking], zones: set[int] | None, first: dt.date,
                   last: dt.date) -> dict[int, dict[dt.date, float]]:
    """``{zone: {day: views booked}}`` between two days."""
    out: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for b in found:
        if not b.books:
            continue
        lo, hi = max(b.first_day, first), min(b.last_day, last)
        if lo > hi:
            continue
        for zone, share in b.zones.items():
            if zones is None or zone in zones:
                for day in days_between(lo, hi):
                    out[zone][day] += b.per_day * share
    return out


def booked_here(found: list[Booking], zones: set[int], first: dt.date, last: dt.date) -> list[dict]:
    """The campaigns booking views in these zones between two days, with the views each
    books there, the most first."""
    out = []
    for b in found:
        if not b.books:
            continue
        lo, hi = max(b.first_day, first), min(b.last_day, last)
        share = sum(v for z, v in b.zones.items() if z in zones)
        if lo > hi or share == 0:
            continue
        out.append({"campaign_id": b.campaign_id, "name": b.name, "status": b.status, "goal": b.goal,
                    "remaining": b.remaining, "first_day": b.first_day, "last_day": b.last_day,
                    "spread": b.spread, "booked_here": round(b.per_day * share * ((hi - lo).days + 1))})
    return sorted(out, key=lambda r: (-r["booked_here"], r["campaign_id"]))


def not_booking(db: Database, days: NetworkDays, zones: list[int]) -> list[dict]:
    """Running or scheduled campaigns placed in these zones that book nothing, and why (no
    goal, no end date, goal met...)."""
    found = bookings(db, days)
    wanted = set(zones)
    if wanted and len(wanted) >= db.zones.estimated_document_count():  # every zone: placed anywhere
        placed = {c for c, n in placement_tallies(db)["campaign_id"].items() if n}
    else:  # a few zones by index; many, by reading every placement (an "$in" of thousands is a slow scan)
        placed = {p["campaign_id"] for p in db.placements.find(id_match("zone_id", zones),
                                                                {"campaign_id": 1, "zone_id": 1})
                  if p.get("campaign_id") is not None and p.get("zone_id") in wanted}
    rows = [{"campaign_id": b.campaign_id, "name": b.name, "status": b.status, "why": b.spread}
            for b in found if not b.books and b.campaign_id in placed]
    rows += [{"campaign_id": c["campaign_id"], "name": c["name"], "status": c["status"], "why": "no goal"}
             for c in unbooked(db) if c["campaign_id"] in placed]
    return sorted(rows, key=lambda r: (r["name"].lower(), r["campaign_id"]))
