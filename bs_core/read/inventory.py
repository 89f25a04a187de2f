"""What can still be sold: each zone's forecast, the delivery already booked on it
(``bookings.py``), and what is left (``forecast - booked``, never below 0).

* **Forecast**: made once per sync and kept (``store/forecasts.py``, ``forecast/model.py``);
  read here, never computed.  A zone that delivered nothing lately has none: BroadStreet
  reports delivered views, never unfilled requests, so there is no evidence of its traffic.
* **Available** = forecast - booked per zone and day, never below 0; **sell-through** =
  booked / forecast; a zone and day booked above its forecast is **over-booked**.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pymongo.database import Database

from ..dates import days_between, midnight
from ..store.forecasts import forecast_meta, zone_forecasts
from ..store.lookups import names
from ..store.rates import id_match
from ..store.stats_days import ZONE_DAILY
from .bookings import booked_by_zone, bookings
from .days import NetworkDays

#: the columns of a row per zone and day, as ``report availability`` and the page's download give them
ROW_FIELDS = ("zone_id", "date", "forecast", "low", "high", "booked", "available", "over_booked")


@dataclasses.dataclass(frozen=True)
class Availability:
    """Forecast, booked and available views of some zones over some days."""

    rows: list[dict]  #: a row per zone and day: zone_id, date, forecast, low, high, booked, available
    unforecast: list[int]  #: zones asked for that have no forecast (no delivery lately)
    period_range: tuple[float, float]  #: actual / forecast over a period, 10th and 90th percentile
    first_day: dt.date
    last_day: dt.date

    def _sum(self, field: str) -> int:
        return sum(r[field] for r in self.rows)

    @property
    def forecast(self) -> int:
        return self._sum("forecast")

    @property
    def booked(self) -> int:
        return self._sum("booked")

    @property
    def available(self) -> int:
        return self._sum("available")

    @property
    def available_range(self) -> tuple[int, int]:
        """What is left if the period's traffic comes in at the low or the high end."""
        lo, hi = self.period_range
        return (round(sum(max(r["forecast"] * lo - r["booked"], 0) for r in self.rows)),
                round(sum(max(r["forecast"] * hi - r["booked"], 0) for r in self.rows)))

    @property
    def forecast_range(self) -> tuple[int, int]:
        lo, hi = self.period_range
        return round(self.forecast * lo), round(self.forecast * hi)

    @property
    def sell_through(self) -> float | None:
        return self.booked / self.forecast if self.forecast else None

    @property
    def over_booked(self) -> list[dict]:
        return [r for r in self.rows if r["over_booked"]]

    def table(self) -> list[dict]:
        """A row per zone and day with :data:`ROW_FIELDS` only (no network: ids and figures)."""
        return [{k: r[k] for k in ROW_FIELDS} for r in self.rows]

    def by_day(self) -> list[dict]:
        out: dict[dt.date, dict] = {}
        for r in self.rows:
            acc = out.setdefault(r["date"], {"date": r["date"], "forecast": 0, "low": 0, "high": 0, "booked": 0,
                                             "available": 0})
            for field in ("forecast", "low", "high", "booked", "available"):
                acc[field] += r[field]
        return [out[d] for d in sorted(out)]

    def by_zone(self) -> list[dict]:
        """Each zone's totals over the period, the most available first."""
        out: dict[int, dict] = {}
        for r in self.rows:
            acc = out.setdefault(r["zone_id"], {"zone_id": r["zone_id"], "network_id": r["network_id"], "forecast": 0,
                                                "booked": 0, "available": 0, "over_booked_days": 0})
            for field in ("forecast", "booked", "available"):
                acc[field] += r[field]
            acc["over_booked_days"] += r["over_booked"]
        for acc in out.values():
            acc["sell_through"] = acc["booked"] / acc["forecast"] if acc["forecast"] else None
        return sorted(out.values(), key=lambda z: (-z["available"], z["zone_id"]))

    def answer(self, wanted: int) -> tuple[str, str]:
        """("yes" | "likely" | "unlikely" | "no", a sentence) for "can I sell ``wanted`` views here?"."""
        low, high = self.available_range
        central = self.available
        span = f"{low:,} to {high:,} views likely available ({central:,} expected)"
        if not self.rows:
            return "no", "No forecast for these zones: they delivered nothing lately, so their traffic is unknown."
        if wanted <= low:
            return "yes", f"Yes: {wanted:,} views fit even if traffic comes in low; {span}."
        if wanted <= central:
            return "likely", f"Likely: {wanted:,} views fit the expected traffic, not its low end; {span}."
        if wanted <= high:
            return "unlikely", f"Only if traffic comes in high: {wanted:,} views exceed the {central:,} expected; {span}."
        return "no", f"No: {wanted:,} views exceed even the high end; {span}."


def forecast_status(db: Database) -> dict | None:
    """When the kept forecasts were made, for how many zones, and their backtest."""
    return forecast_meta(db)


def forecast_horizon(db: Database) -> tuple[dt.date, dt.date] | None:
    """The first and last day any kept forecast covers."""
    meta = forecast_meta(db)
    if meta is None or not meta.get("zones") or meta.get("first_day") is None:
        return None
    return meta["first_day"].date(), meta["last_day"].date()


def availability(db: Database, zones: list[int], first: dt.date, last: dt.date, days: NetworkDays) -> Availability:
    """Forecast, booked and available per zone and day for these zones between two days
    (days past a zone's forecast, or before its network's today, are left out)."""
    forecasts = zone_forecasts(db, zones)
    meta = forecast_meta(db) or {}
    period_range = tuple((meta.get("backtest") or {}).get("period_range") or (1.0, 1.0))
    booked = booked_by_zone(bookings(db, days), set(zones), first, last)
    rows = []
    for zone in zones:
        f = forecasts.get(zone)
        if f is None:
            continue
        start = f["first_day"].date()
        for day in days_between(max(first, start, days.today(f.get("network_id"))), last):
            i = (day - start).days
            if i >= len(f["views"]):
                break
            views, b = f["views"][i], round(booked.get(zone, {}).get(day, 0.0))
            rows.append({"zone_id": zone, "network_id": f.get("network_id"), "date": day, "forecast": views,
                         "low": f["low"][i], "high": f["high"][i], "booked": b, "available": max(views - b, 0),
                         "over_booked": b > views})
    return Availability(rows, [z for z in zones if z not in forecasts], period_range, first, last)


OVER_BOOKED_AHEAD = 14  #: days Delivery health looks ahead for over-booked zones


def over_booked_zones(db: Database, days: NetworkDays, network_id: int | None = None,
                      ahead: int = OVER_BOOKED_AHEAD) -> list[dict]:
    """Zones booked above their forecast on some day of the next ``ahead`` days (each
    network's own days, from its today): the zone, its name and network, how many days,
    the worst day and by how much."""
    zones = [z for z, f in zone_forecasts(db).items() if network_id is None or f.get("network_id") == network_id]
    if not zones:
        return []
    first = days.utc_today
    found = availability(db, zones, first - dt.timedelta(days=1), first + dt.timedelta(days=ahead), days)
    worst: dict[int, dict] = {}
    for r in found.over_booked:
        if r["date"] >= days.today(r["network_id"]) + dt.timedelta(days=ahead):
            continue  # each network's own next 14 days
        z = worst.setdefault(r["zone_id"], {"_id": r["zone_id"], "zone_id": r["zone_id"],
                                            "network_id": r["network_id"], "days": 0, "worst_day": r["date"],
                                            "over_by": 0})
        z["days"] += 1
        if r["booked"] - r["forecast"] > z["over_by"]:
            z["worst_day"], z["over_by"] = r["date"], r["booked"] - r["forecast"]
    labels, networks = names(db, "zones", list(worst)), names(db, "networks", [z["network_id"] for z in worst.values()])
    for z in worst.values():
        z["name"] = labels.get(z["zone_id"], str(z["zone_id"]))
        z["network"] = networks.get(z["network_id"], "")
    return sorted(worst.values(), key=lambda z: (-z["over_by"], z["zone_id"]))


def zone_choices(db: Database, network_id: int | None = None, advertiser_id: int | None = None,
                 name: str = "") -> list[dict]:
    """The zones an Inventory selection names: ``{_id, name, network_id, network}`` of a network's
    zones, those an advertiser's campaigns are placed in, those whose name contains
    ``name`` (any case; the text is matched as text, never as a pattern), or all; by name."""
    query: dict = {}
    if network_id is not None:
        query["network_id"] = network_id
    if advertiser_id is not None:
        campaigns = [c["_id"] for c in db.campaigns.find({"advertiser_id": advertiser_id}, {"_id": 1})]
        mine = set(campaigns)
        placed = {p.get("zone_id") for p in db.placements.find(id_match("campaign_id", campaigns),
                                                               {"zone_id": 1, "campaign_id": 1})
                  if p.get("campaign_id") in mine}
    wanted = name.strip().lower()
    networks = {n["_id"]: n.get("name_clean", "") for n in db.networks.find({}, {"name_clean": 1})}
    rows = [{"_id": z["_id"], "name": z.get("name_clean") or str(z["_id"]), "network_id": z.get("network_id"),
             "network": networks.get(z.get("network_id"), "")}
            for z in db.zones.find(query, {"name_clean": 1, "network_id": 1})
            if advertiser_id is None or z["_id"] in placed]  # an "$in" of thousands is a slow scan
    return sorted((r for r in rows if wanted in r["name"].lower()), key=lambda r: (r["name"].lower(), r["_id"]))


def zone_outlook(db: Database, zone_id: int, days: NetworkDays, history_days: int = 56) -> dict:
    """A zone's last ``history_days`` complete days of views and its forecast from its
    network's today: ``{history: [{date, views}], ahead: Availability | None}``."""
    f = zone_forecasts(db, [zone_id]).get(zone_id)
    zone = db.zones.find_one({"_id": zone_id}, {"network_id": 1}) or {}
    nid = f.get("network_id") if f else zone.get("network_id")
    yesterday = days.yesterday(nid)
    first = yesterday - dt.timedelta(days=history_days - 1)
    views = {r["date"].date(): r.get("views") or 0 for r in db[ZONE_DAILY].find(
        {"zone_id": zone_id, "date": {"$gte": midnight(first), "$lte": midnight(yesterday)}}, {"date": 1, "views": 1})}
    history = [{"date": d, "views": views.get(d, 0)} for d in days_between(first, yesterday)]
    ahead = None
    if f is not None:
        start = days.today(nid)
        ahead = availability(db, [zone_id], start, f["first_day"].date() + dt.timedelta(days=len(f["views"]) - 1),
                             days)
    return {"history": history, "ahead": ahead}
