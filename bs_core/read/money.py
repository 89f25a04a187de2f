"""Money as the pages and the digest show it: the Rates page's rows, a listing's Earned and
eCPM, the Overview's month to date, a rate's history.  Every figure comes from the one
definition in ``revenue.py``."""

from __future__ import annotations

import calendar
import datetime as dt

from pymongo.database import Database

from ..store.lookups import names
from ..store.rates import anything_priced, campaign_rates, history, rate_cards, rates_stamp  # noqa: F401
from ._matching import field_match
from .days import Today, today_of
from .revenue import campaign_money, carded_campaigns

RATE_ROWS = 2_000  #: rows the Rates page edits at once (a filter narrows the rest)


def rate_rows(db: Database, network_id: int | None = None, advertiser_id: int | None = None, search: str = "",
              limit: int = RATE_ROWS) -> tuple[list[dict], int]:
    """Campaigns with their rate (blank when unpriced), newest-ending first, and how many match."""
    query = field_match(search, network_id=network_id, advertiser_id=advertiser_id)
    total = db.campaigns.count_documents(query)
    found = list(db.campaigns.find(query, {"name_clean": 1, "advertiser_id": 1, "status": 1, "ends_on": 1,
                                           "network_id": 1}).sort([("name_key", 1), ("_id", 1)]).limit(limit))
    rates = campaign_rates(db, [c["_id"] for c in found])
    owners = names(db, "advertisers", [c.get("advertiser_id") for c in found])
    rows = []
    for c in found:
        r = rates.get(c["_id"])
        rows.append({"campaign_id": c["_id"], "name": c.get("name_clean", ""),
                     "advertiser": owners.get(c.get("advertiser_id"), ""), "status": c.get("status", ""),
                     "model": r.model if r else None, "amount": r.amount if r else None,
                     "capped": r.capped if r else False, "version": r.version if r else 0,
                     "updated_by": r.updated_by if r else "", "updated_at": r.updated_at if r else None})
    return rows, total


def card_rows(db: Database, network_id: int | None = None, search: str = "",
              limit: int = RATE_ROWS) -> tuple[list[dict], int]:
    """Zones with their rate card (blank when none), by name, and how many match."""
    query = field_match(search, network_id=network_id)
    total = db.zones.count_documents(query)
    found = list(db.zones.find(query, {"name_clean": 1, "network_id": 1}).sort([("name_key", 1), ("_id", 1)])
                 .limit(limit))
    cards = rate_cards(db, [z["_id"] for z in found])
    nets = names(db, "networks", [z.get("network_id") for z in found])
    return [{"zone_id": z["_id"], "name": z.get("name_clean", ""), "network": nets.get(z.get("network_id"), ""),
             "cpm": cards[z["_id"]].cpm if z["_id"] in cards else None,
             "version": cards[z["_id"]].version if z["_id"] in cards else 0,
             "updated_by": cards[z["_id"]].updated_by if z["_id"] in cards else "",
             "updated_at": cards[z["_id"]].updated_at if z["_id"] in cards else None} for z in found], total


def rate_changes(db: Database, kind: str, ref: int) -> list[dict]:
    """A rate's history, newest first (the read side's door to ``store.rates.history``)."""
    return history(db, kind, ref)


def priced_campaigns(db: Database) -> list[int]:
    """Campaigns with a rate, or placed in a zone with a rate card."""
    return sorted(set(db.rates.distinct("_id")) | carded_campaigns(db, db.rate_cards.distinct("_id")))


def by_yesterday(today: Today, networks) -> dict[dt.date, set]:
    """Networks grouped by their own yesterday: money over networks on the same day is one
    read (each campaign is cut at its network's yesterday anyway), not one per network."""
    out: dict[dt.date, set] = {}
    for nid in networks:
        out.setdefault(today_of(today, nid) - dt.timedelta(days=1), set()).add(nid)
    return out


def _same_day_last_month(day: dt.date) -> dt.date:
    first = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def month_to_date(db: Database, today: Today, network_id: int | None = None,
                  advertiser_id: int | None = None) -> dict | None:
    """What priced campaigns earned this month through each network's own yesterday, and on
    the same days of last month: ``{earned, before, first, last, priced}`` (None when no
    campaign is priced: unpriced is never 0)."""
    if not anything_priced(db):
        return None
    priced_ids = priced_campaigns(db)
    networks = [network_id] if network_id is not None else db.networks.distinct("_id")
    earned = before = 0.0
    priced = 0
    first = last = None
    for yesterday, group in by_yesterday(today, networks).items():
        start = yesterday.replace(day=1)
        first, last = min(first or start, start), max(last or yesterday, yesterday)
        now = [m for m in campaign_money(db, today, start, yesterday, network_id=network_id,
                                         advertiser_id=advertiser_id, ids=priced_ids) if m.network_id in group]
        then = [m for m in campaign_money(db, today, _same_day_last_month(start), _same_day_last_month(yesterday),
                                          network_id=network_id, advertiser_id=advertiser_id, ids=priced_ids)
                if m.network_id in group]
        earned += sum(m.earned for m in now if m.priced and m.earned is not None)
        before += sum(m.earned for m in then if m.priced and m.earned is not None)
        priced += sum(1 for m in now if m.priced)
    if not priced:
        return None
    return {"earned": earned, "before": before, "first": first, "last": last, "priced": priced}


def with_money(db: Database, today: Today, rows: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """Campaign rows (``_id``) with ``earned`` and ``ecpm`` over [start, end] added (None:
    unpriced); the rows themselves are left as they were (a cache may share them)."""
    if not anything_priced(db):
        return rows
    found = {m.campaign_id: m for m in campaign_money(db, today, start, end, ids=[r["_id"] for r in rows])}
    return [{**r, "earned": (found[r["_id"]].earned if r["_id"] in found else None),
             "ecpm": (found[r["_id"]].ecpm if r["_id"] in found else None)} for r in rows]
