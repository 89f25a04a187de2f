"""Every zone's forecast, made once per sync (or per day) from the mirror and kept.

``zone_forecasts`` holds one document per zone that delivered views in its history:
``{_id: zone, network_id, first_day, views: [90 days], low: [...], high: [...]}``, the
first day being the network's own today when it was made (``read/days.py``: each network's
clock).  ``mirror_summary`` ``{_id: "forecast"}`` keeps when, from what, and the backtest
(``forecast/model.py``) that gave the ranges.  Pages and ``report availability`` only read these:
a forecast is never computed on a page view.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pymongo import ReplaceOne
from pymongo.database import Database

from ..dates import days_between, midnight, now_utc, parse_offset
from ..forecast import model
from . import summaries
from .rates import id_match
from .stats_days import ZONE_DAILY, recorded_days, utc_offsets

log = logging.getLogger(__name__)

FORECASTS = "zone_forecasts"
META_ID = "forecast"


def _today(now: dt.datetime, offset: str | None) -> dt.date:
    return (now + parse_offset(offset)).date()


def zone_histories(db: Database, now: dt.datetime) -> tuple[dt.date | None, dict[int, list], dict[int, int],
                                                            dict[int, dt.date]]:
    """``(first day, {zone: [views per day]}, {zone: network}, {network: its today})``: every
    zone's daily views from the mirror's first reporting day through its network's own
    yesterday; a day the mirror does not hold for that network is None, a held day without
    a row 0."""
    recorded = recorded_days(db)
    offsets = utc_offsets(recorded)
    todays = {nid: _today(now, offsets.get(nid)) for nid in recorded}
    held = {nid: set(days) for nid, days in recorded.items()}
    firsts = [min(days) for days in held.values() if days]
    if not firsts:
        return None, {}, {}, todays
    first = min(firsts)
    views: dict[int, dict[dt.date, float]] = {}
    networks: dict[int, int] = {}
    for row in db[ZONE_DAILY].find({"date": {"$gte": midnight(first)}},
                                   {"_id": 0, "zone_id": 1, "network_id": 1, "date": 1, "views": 1}):
        zone = row.get("zone_id")
        if zone is None:
            continue
        networks[zone] = row.get("network_id")
        views.setdefault(zone, {})[row["date"].date()] = float(row.get("views") or 0)
    histories = {}
    for zone, by_day in views.items():
        nid = networks[zone]
        last = todays.get(nid, now.date()) - dt.timedelta(days=1)
        days = held.get(nid, set())
        histories[zone] = [by_day.get(d, 0.0) if d in days else None for d in days_between(first, last)]
    return first, histories, networks, todays


def refresh_forecasts(db: Database, run_id: str | None = None, now: dt.datetime | None = None) -> dict:
    """Forecast every zone from the mirror's history and keep the answers; the backtest's
    figures and the time it took come back (and are kept with them)."""
    started = time.monotonic()
    now = now or now_utc()
    first, histories, networks, todays = zone_histories(db, now)
    made = {}
    if first is not None and histories:
        check = model.backtest(histories, networks, first)
        patterns = {nid: model.weekday_pattern([h for z, h in histories.items() if networks[z] == nid], first)
                    for nid in set(networks.values())}
        day_low, day_high = check.day_range
        for zone, history in histories.items():
            nid = networks[zone]
            ahead = model.forecast(history, first, patterns[nid])
            if not any(ahead):
                continue  # delivered nothing lately: no evidence of what it could deliver
            made[zone] = {"_id": zone, "network_id": nid, "first_day": midnight(todays.get(nid, now.date())),
                          "views": [round(v) for v in ahead], "low": [round(v * day_low) for v in ahead],
                          "high": [round(v * day_high) for v in ahead], "run_id": run_id}
    else:
        check = model.backtest({}, {}, now.date())
    if made:
        db[FORECASTS].bulk_write([ReplaceOne({"_id": z}, doc, upsert=True) for z, doc in made.items()],
                                 ordered=False)
    db[FORECASTS].delete_many({"_id": {"$nin": list(made)}} if len(made) < 5000 else {"run_id": {"$ne": run_id}})
    starts = [doc["first_day"] for doc in made.values()]
    meta = {"_id": META_ID, "made_at": now, "made_on": midnight(now.date()), "run_id": run_id, "zones": len(made),
            "first_history_day": midnight(first) if first else None,
            # the days some zone's forecast covers: a network's today is UTC's, or a day either side
            "first_day": min(starts, default=None),
            "last_day": max(starts) + dt.timedelta(days=model.HORIZON - 1) if starts else None,
            "backtest": check.as_dict(), "seconds": round(time.monotonic() - started, 3)}
    summaries.keep(db, META_ID, meta)
    return meta


def forecast_meta(db: Database) -> dict | None:
    return summaries.kept(db, META_ID)


def stale(db: Database, now: dt.datetime | None = None) -> bool:
    """Whether the kept forecasts were made before today (UTC) or never."""
    meta = forecast_meta(db)
    return meta is None or meta.get("made_on") != midnight((now or now_utc()).date())


def zone_forecasts(db: Database, zones: list[int] | None = None) -> dict[int, dict]:
    if zones is None:
        return {doc["_id"]: doc for doc in db[FORECASTS].find({}, {"run_id": 0})}
    wanted = set(zones)  # many ids: read every forecast and pick (an "$in" of thousands is a slow scan)
    return {doc["_id"]: doc for doc in db[FORECASTS].find(id_match("_id", wanted), {"run_id": 0})
            if doc["_id"] in wanted}
