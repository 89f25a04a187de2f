"""The rows of ``python -m bs_core report KIND``: the pages' read models as plain rows
(integer ids, the figures, CTR as a fraction) for scripts and cron.

A period must lie inside the mirror's reporting coverage, ids must be known to the
mirror: :class:`ReportError` says which value is wrong, in one line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pymongo.database import Database

from ..errors import MirrorError
from ..store.lookups import names
from . import breakdowns, figures, inventory, pacing, reporting, revenue
from .days import NetworkDays, Today
from .reporting import FIGURES, StatsFilter

KINDS = ("campaigns", "ads", "zones", "networks", "pacing", "hours", "figures", "revenue", "invoice", "availability")
DEFAULT_DAYS = 30


class ReportError(MirrorError, ValueError):
    """A bad value for a report: printed as one line, exit 64."""


@dataclasses.dataclass(frozen=True)
class ReportQuery:
    kind: str
    start: dt.date | None = None
    end: dt.date | None = None
    network_id: int | None = None
    campaign_id: int | None = None
    advertiser_id: int | None = None
    month: str | None = None  #: "2026-11", for an invoice
    currency: str = "USD"
    zones: tuple[int, ...] = ()  #: report availability's zones


def _known(db: Database, collection: str, ident: int | None, option: str) -> None:
    """An id the mirror holds (or held: a deleted campaign keeps its reporting)."""
    if ident is None or db[collection].find_one({"_id": ident}, {"_id": 1}) is not None:
        return
    field = {"campaigns": "campaign_id", "advertisers": "advertiser_id", "networks": "network_id"}[collection]
    if db.stats_daily.find_one({field: ident}, {"_id": 1}) is None:
        raise ReportError(f"{option} {ident}: not in the mirror")


def _last_complete(db: Database, q: ReportQuery, today: Today) -> dict[int, dt.date]:
    """Each network in question's last complete day, on its own clock."""
    if not isinstance(today, NetworkDays):
        return {}
    networks = [q.network_id] if q.network_id is not None else db.networks.distinct("_id")
    return today.last_complete(networks)


def period(db: Database, q: ReportQuery, today: Today) -> tuple[dt.date, dt.date]:
    """The asked period, or the last 30 complete days the mirror holds (ending at the newest
    network's yesterday: see :func:`cut`); refused when the mirror does not hold every day of it."""
    coverage = reporting.stats_coverage(db, q.network_id)
    if coverage.first is None:
        raise ReportError("the mirror holds no reporting days yet: run a sync first")
    for option, day in (("--from", q.start), ("--to", q.end)):  # messages name only values the user gave
        if day is not None and not coverage.covers(day, day):
            raise ReportError(f"{option} {day}: outside the mirror's reporting, which holds {coverage.describe()}")
    lasts = _last_complete(db, q, today)
    yesterday = max(lasts.values(), default=(today.utc_today if isinstance(today, NetworkDays) else today)
                    - dt.timedelta(days=1))
    end = q.end or min(yesterday, coverage.last)
    start = q.start or max(end - dt.timedelta(days=DEFAULT_DAYS - 1), coverage.first)
    if start > end:
        raise ReportError(f"--from {start} is after --to {end}" if q.start and q.end else
                          f"--from {start} is after the last complete day the mirror holds ({end})")
    if not coverage.covers(start, end):
        missing = [d for d in coverage.missing if start <= d <= end]
        raise ReportError(f"{start} to {end}: the mirror lacks {len(missing)} day(s) of it (first {missing[0]}); "
                          "the next sync fetches them")
    return start, end


def cut(db: Database, q: ReportQuery, today: Today) -> tuple[tuple[int, dt.date], ...] | None:
    """Without ``--to``, each network's rows stop at its own last complete day: a UTC-08:00
    network's partial today is never summed as a whole day (``StatsFilter.through``)."""
    lasts = _last_complete(db, q, today)
    return tuple(sorted(lasts.items())) if q.end is None and len(set(lasts.values())) > 1 else None


def report(db: Database, q: ReportQuery, today: Today) -> list[dict]:
    """The rows of one report; ``today``: each network's (:func:`days.network_days`), or one date."""
    if q.kind not in KINDS:
        raise ReportError(f"unknown report {q.kind!r} (one of {', '.join(KINDS)})")
    _known(db, "networks", q.network_id, "--network")
    _known(db, "campaigns", q.campaign_id, "--campaign")
    _known(db, "advertisers", q.advertiser_id, "--advertiser")
    if q.kind == "figures":  # a row per counted row of every named figure (figures.py)
        return [{"figure": key, "kind": f["kind"], "id": ident} for key, f in
                figures.counted(db, today, q.network_id).items() for ident in f["ids"]]
    if q.kind == "invoice":
        return _invoice(db, q, today)
    if q.kind == "availability":
        return _availability(db, q, today)
    if q.kind == "pacing":
        return [_pacing_row(p) for p in pacing.pacing(db, today, q.network_id, q.advertiser_id, q.campaign_id)]
    start, end = period(db, q, today)
    flt = StatsFilter(q.network_id, q.advertiser_id, q.campaign_id, through=cut(db, q, today))
    if q.kind == "revenue":
        return _revenue(db, q, today, start, end)
    if q.kind == "hours":
        return [{"hour": r["hour"], **_figures(r)} for r in breakdowns.hours(db, start, end, flt)]
    field, collection = {"campaigns": ("campaign_id", "campaigns"), "ads": ("advertisement_id", "advertisements"),
                         "zones": ("zone_id", "zones"), "networks": ("network_id", "networks")}[q.kind]
    per_id = reporting.stats_by(db, field, None, start, end, flt)  # type: ignore[arg-type]
    known = names(db, collection, list(per_id))
    return [{field: ident, "name": known.get(ident, ""), **_figures(per_id[ident])} for ident in sorted(per_id)]


def _figures(row: dict) -> dict:
    return {**{f: int(row.get(f) or 0) for f in FIGURES}, "ctr": round(row.get("ctr") or 0.0, 6)}


def _pacing_row(p: pacing.Pacing) -> dict:
    return {"campaign_id": p.campaign_id, "name": p.name, "network_id": p.network_id,
            "advertiser_id": p.advertiser_id, "goal": p.goal, "starts_on": p.starts_on, "ends_on": p.ends_on,
            "delivered": p.delivered, "expected": p.expected,
            "pacing": None if p.pacing is None else round(p.pacing, 4), "needed_per_day": p.needed_per_day,
            "projected": p.projected, "status": p.status, "covers_from": p.covers_from, "covers_to": p.covers_to,
            "lacking_days": p.lacking_days}


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _revenue(db: Database, q: ReportQuery, today: Today, start: dt.date, end: dt.date) -> list[dict]:
    """A row per campaign: the period's delivery and what it earns; unpriced ones say so."""
    risk = figures.risks(db, today, q.network_id)
    rows = []
    for m in revenue.campaign_money(db, today, start, end, network_id=q.network_id, advertiser_id=q.advertiser_id,
                                    campaign_id=q.campaign_id):
        rows.append({"campaign_id": m.campaign_id, "name": m.name, "model": m.model or "unpriced",
                     "rate": m.rate, "capped": m.capped, "views": m.views, "clicks": m.clicks,
                     "earned": _money(m.earned), "booked": _money(m.booked),
                     "ecpm": _money(m.ecpm), "at_risk": _money(risk.get(m.campaign_id, 0.0 if m.priced else None)),
                     "currency": q.currency})
    return rows


def _invoice(db: Database, q: ReportQuery, today: Today) -> list[dict]:
    """A row per priced campaign that delivered or earned in the month, by advertiser."""
    if not q.month:
        raise ReportError("report invoice needs --month YYYY-MM")
    try:
        first, last = revenue.month_days(q.month)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    if isinstance(today, NetworkDays) and first > max(today.last_complete(db.networks.distinct("_id")).values(),
                                                       default=today.utc_today):
        raise ReportError(f"--month {q.month}: has not begun yet")
    billed = [m for m in revenue.campaign_money(db, today, first, last, network_id=q.network_id,
                                                advertiser_id=q.advertiser_id, campaign_id=q.campaign_id)
              if m.priced and (m.views or m.clicks or m.earned)]
    owners = names(db, "advertisers", [m.advertiser_id for m in billed])
    rows = []
    for m in billed:
        rows.append({"advertiser_id": m.advertiser_id, "advertiser": owners.get(m.advertiser_id, ""),
                     "campaign_id": m.campaign_id, "campaign": m.name, "views": m.views, "clicks": m.clicks,
                     "model": m.model, "rate": m.rate, "capped": m.capped, "amount": _money(m.earned),
                     "currency": q.currency})
    return sorted(rows, key=lambda r: (r["advertiser"].lower(), r["advertiser_id"] or 0, r["campaign_id"]))


AVAILABILITY_DAYS = 30  #: report availability's default period, from today


def availability_period(db: Database, q: ReportQuery, days: NetworkDays) -> tuple[list[int], dt.date, dt.date]:
    """The zones and days asked about, refused in one line when a zone is unknown, has no
    forecast, or the period is past or beyond the forecasts' horizon."""
    horizon = inventory.forecast_horizon(db)
    if horizon is None:
        raise ReportError("the mirror holds no forecasts yet: run a sync first")
    if q.zones:
        known = {z["_id"] for z in db.zones.find({"_id": {"$in": list(q.zones)}}, {"_id": 1})}
        for zone in q.zones:
            if zone not in known:
                raise ReportError(f"--zones {zone}: not in the mirror")
        zones = list(dict.fromkeys(q.zones))
    elif q.network_id is not None:
        zones = sorted(z["_id"] for z in db.zones.find({"network_id": q.network_id}, {"_id": 1}))
    else:
        raise ReportError("report availability needs --zones ID,ID or --network ID")
    forecasts = inventory.zone_forecasts(db, zones)
    if not forecasts:
        which = f"--zones {','.join(map(str, zones))}" if q.zones else f"--network {q.network_id}"
        raise ReportError(f"{which}: no forecast (no views in the mirror's history, so no evidence of traffic)")
    today = min(days.today(f.get("network_id")) for f in forecasts.values())
    start = q.start or today
    end = q.end or min(start + dt.timedelta(days=AVAILABILITY_DAYS - 1), horizon[1])
    if start < today:
        raise ReportError(f"--from {start}: in the past (availability starts today, {today})")
    if end > horizon[1]:
        raise ReportError(f"--to {end}: past the forecasts' horizon ({horizon[1]})")
    if start > end:
        raise ReportError(f"--from {start} is after --to {end}")
    return zones, start, end


def _availability(db: Database, q: ReportQuery, today: Today) -> list[dict]:
    """A row per zone and day: forecast (with its likely range), booked and available views."""
    days = today if isinstance(today, NetworkDays) else NetworkDays(today)
    zones, start, end = availability_period(db, q, days)
    return inventory.availability(db, zones, start, end, days).table()
