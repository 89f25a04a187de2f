"""Earned and eCPM per advertiser, network and zone over a period, from the one definition
of what each campaign earns (``revenue.campaign_money``).

- an advertiser or a network earns what its priced campaigns earn;
- a zone earns each priced campaign's earnings spread over the zones it delivered in by its
  share of the period's views there (flat and monthly fees follow the views), except a
  campaign priced by rate cards, which earns in each zone exactly that zone's card;
- eCPM is earned per 1,000 views *of priced campaigns*: unpriced delivery is not free, it is
  unknown, so it does not dilute the figure.

A fee earned in a period with no views is in its advertiser's and network's totals but in no
zone's: there are no views to spread it over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from pymongo.database import Database

from ..dates import midnight
from ..store.rates import anything_priced, id_match, rate_cards
from ..store.stats_days import CAMPAIGN_ZONE_DAILY
from .days import Today, today_of
from .money import priced_campaigns
from .revenue import Money, campaign_money

#: listing kind -> the campaign field that owns its earnings (zones: spread by views)
OWNER_FIELDS = {"advertisers": "advertiser_id", "networks": "network_id"}
KINDS = (*OWNER_FIELDS, "zones", "campaigns")


@dataclasses.dataclass
class Earnings:
    earned: float = 0.0
    views: int = 0  #: views of priced campaigns only

    @property
    def ecpm(self) -> float | None:
        return self.earned / self.views * 1000 if self.views else None


def earnings_by(db: Database, today: Today, kind: str, start: dt.date, end: dt.date,
                network_id: int | None = None) -> dict[int, Earnings]:
    """``{id: Earnings}`` of every advertiser, network, zone or campaign that a priced
    campaign earned in over [start, end] (each network through its own yesterday).
    Nothing priced: ``{}`` (unpriced is never 0)."""
    if kind not in KINDS:
        raise ValueError(f"no earnings by {kind!r}")
    if not anything_priced(db):
        return {}
    priced = [m for m in campaign_money(db, today, start, end, network_id=network_id, ids=priced_campaigns(db))
              if m.priced and m.earned is not None]
    out: dict[int, Earnings] = defaultdict(Earnings)
    if kind == "zones":
        _spread_over_zones(db, today, priced, start, end, out)
        return dict(out)
    for m in priced:
        owner = m.campaign_id if kind == "campaigns" else getattr(m, OWNER_FIELDS[kind])
        out[owner].earned += m.earned
        out[owner].views += m.views
    return dict(out)


def _spread_over_zones(db: Database, today: Today, priced: list[Money], start: dt.date, end: dt.date,
                       out: dict[int, Earnings]) -> None:
    by_network: dict[int | None, list[Money]] = defaultdict(list)
    for m in priced:
        by_network[m.network_id].append(m)
    cards = rate_cards(db)
    for nid, campaigns in by_network.items():
        last = min(end, today_of(today, nid) - dt.timedelta(days=1))  # the network's own yesterday
        if last < start:
            continue
        views = _zone_views(db, [m.campaign_id for m in campaigns], start, last)
        for m in campaigns:
            zones = views.get(m.campaign_id, {})
            total = sum(zones.values())
            for zone, seen in zones.items():
                out[zone].views += seen
                if m.model == "rate card":
                    out[zone].earned += seen / 1000 * cards[zone].cpm if zone in cards else 0.0
                elif total:
                    out[zone].earned += m.earned * seen / total


def _zone_views(db: Database, ids: list[int], start: dt.date, end: dt.date) -> dict[int, dict[int, int]]:
    """``{campaign: {zone: views}}`` over [start, end]."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    keep = set(ids)
    pipeline = [{"$match": {**id_match("campaign_id", ids), "date": {"$gte": midnight(start), "$lte": midnight(end)}}},
                {"$group": {"_id": {"c": "$campaign_id", "z": "$zone_id"}, "v": {"$sum": "$views"}}}]
    for row in db[CAMPAIGN_ZONE_DAILY].aggregate(pipeline):
        if row["_id"]["c"] in keep:
            out[row["_id"]["c"]][row["_id"]["z"]] = row["v"]
    return out


def with_earnings(db: Database, today: Today, kind: str, rows: list[dict], start: dt.date,
                  end: dt.date) -> list[dict]:
    """Advertiser, network or zone rows (``_id``) with ``earned`` and ``ecpm`` over [start, end]
    added (None where no priced campaign delivered); the rows themselves are left as they were."""
    if not anything_priced(db):
        return rows
    found = earnings_by(db, today, kind, start, end)
    return [{**r, "earned": found[r["_id"]].earned if r["_id"] in found else None,
             "ecpm": found[r["_id"]].ecpm if r["_id"] in found else None} for r in rows]
