"""Deterministic reporting data: hourly view/hover/click/conversion counts.

Activity comes from "sources": a (campaign, advertisement, zone) triple of an active
campaign's placements.  Each source has a row for an hour when a seeded hash says it was
active, within the campaign's dates and never in the future; its views follow the
traffic's shape (``traffic.py``: hour of day, weekday, each zone's trend, spikes, outages).  Every count is a pure
function of (seed, source, hour), so any report is reproducible and totals always equal
the sum of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from .dataset import Dataset
from .traffic import HOUR_CURVE, day_factors

_MASK = (1 << 64) - 1
MAX_SOURCES_PER_NETWORK = 100
ZONES_PER_PAIR = 3
GROUP_FIELDS = {
    "network": "network_id",
    "zone": "zone_id",
    "campaign": "campaign_id",
    "advertiser": "advertiser_id",
    "advertisement": "advertisement_id",
}
SELECT_FIELDS = {
    "count(view)": "view_count",
    "count(click)": "click_count",
    "count(hover)": "hover_count",
    "count(conversion)": "conversion_count",
}


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: stable across processes (unlike ``hash``)."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 31
    return x


class Reports:
    """Reporting rows derived from a :class:`Dataset`."""

    def __init__(self, dataset: Dataset, now: dt.datetime | None = None):
        self.dataset = dataset
        self._now = now
        self._cache_version = -1
        self._sources: dict[int, list[tuple]] = {}

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def sources(self) -> dict[int, list[tuple]]:
        """network id -> [(campaign, ad, zone, advertiser, start, end, rate, ctr), ...]"""
        ds = self.dataset
        with ds.lock:
            if self._cache_version == ds.version:
                return self._sources
            out: dict[int, list[tuple]] = defaultdict(list)
            for cid in sorted(ds.campaigns):
                camp = ds.campaigns[cid]
                nid = camp["_network_id"]
                if not camp["active"] or len(out[nid]) >= MAX_SOURCES_PER_NETWORK:
                    continue
                start = _day(camp.get("start_date"), dt.date.min)
                end = _day(camp.get("end_date"), dt.date.max)
                zones_per_ad: dict[int, int] = defaultdict(int)
                for pl in ds.placements.get(cid, ()):
                    ad = pl["advertisement_id"]
                    if zones_per_ad[ad] >= ZONES_PER_PAIR or len(out[nid]) >= MAX_SOURCES_PER_NETWORK:
                        continue
                    zones_per_ad[ad] += 1
                    h = _mix(ds.seed, cid, ad, pl["zone_id"])
                    out[nid].append((cid, ad, pl["zone_id"], camp["advertiser_id"], start, end,
                                     20 + h % 380, 2 + (h >> 16) % 30))
            self._sources, self._cache_version = dict(out), ds.version
            return self._sources

    def hourly_rows(self, network_id: int, start: dt.date, end: dt.date) -> list[dict]:
        """Every activity row of a network between two of its days (inclusive).

        Days and hours are the network's own (its ``_utc_offset``): ``dated`` is the local
        hour with its offset, as the published spec shows it
        (``2026-11-29T22:00:00.000-05:00``), or the old ``2026-11-29 22:00:00`` for a
        network without one."""
        seed = self.dataset.seed
        with self.dataset.lock:
            offset = (self.dataset.networks.get(network_id) or {}).get("_utc_offset")
        now = self.now() + dt.timedelta(minutes=offset or 0)  # the network's wall clock
        rows = []
        day = start
        while day <= end:
            active = [s for s in self.sources().get(network_id, ()) if s[4] <= day <= s[5]]
            zone_factor = day_factors(seed, network_id, {s[2] for s in active}, day)
            for hour in range(24):
                moment = dt.datetime(day.year, day.month, day.day, hour)
                if moment > now:
                    break
                stamp = dated(moment, offset)
                hour_key = int(moment.timestamp()) // 3600
                for cid, ad, zone, adv, _s, _e, rate, ctr in active:
                    h = _mix(seed, cid, ad, zone, hour_key)
                    if h % 100 >= 65:
                        continue
                    # the source's draw shaped by the hour, the weekday and the zone's day
                    shaped = (1 + (h >> 8) % rate) * HOUR_CURVE[hour] * zone_factor[zone]
                    views = int(shaped + ((h >> 40) & 0x3FF) / 1024)  # rounded by the hash: stays whole
                    if views <= 0:
                        continue
                    clicks = views * ctr // 1000 + ((h >> 24) % 7 == 0)
                    rows.append({
                        "dated": stamp,
                        "advertisement_id": ad,
                        "campaign_id": cid,
                        "zone_id": zone,
                        "view_count": views,
                        "hover_count": views // 5 + (h >> 32) % 3,
                        "click_count": clicks,
                        "conversion_count": clicks // 8,
                        "advertiser_id": adv,
                        "network_id": network_id,
                    })
            day += dt.timedelta(days=1)
        return rows

    def report(self, report_type: str, object_id: int, start: dt.date, end: dt.date,
               summary: bool = False) -> dict:
        """The body of ``GET /records?type=...``."""
        ds = self.dataset
        kind = {"network": "networks", "advertiser": "advertisers", "campaign": "campaigns",
                "advertisement": "advertisements"}[report_type]
        with ds.lock:
            obj = getattr(ds, kind).get(object_id)
            network_id = object_id if report_type == "network" else ds.network_of(kind, object_id)
        if obj is None:
            raise KeyError(object_id)
        rows = self.hourly_rows(network_id, start, end)
        if report_type != "network":
            field = f"{report_type}_id"
            rows = [r for r in rows if r[field] == object_id]
        if summary:
            rows = _daily(rows)
        for r in rows:
            r.pop("network_id", None)
        return {
            "object": {k: v for k, v in obj.items() if not k.startswith("_")},
            "records": rows,
            "totals": totals(rows),
        }

    def custom(self, network_id: int, select: Iterable[str], group: Iterable[str],
               start: dt.date, end: dt.date) -> list[dict]:
        """The body rows of ``GET /records?type=custom``: selected sums grouped."""
        select, group = list(select), list(group)
        keys = [GROUP_FIELDS[g] for g in group]
        sums: dict[tuple, dict] = {}
        for r in self.hourly_rows(network_id, start, end):
            k = tuple(r[f] for f in keys)
            acc = sums.get(k)
            if acc is None:
                acc = sums[k] = dict(zip(keys, k, strict=False)) | {s: 0 for s in select}
            for s in select:
                acc[s] += r[SELECT_FIELDS[s]]
        return [sums[k] for k in sorted(sums)]


def dated(moment: dt.datetime, offset_minutes: int | None) -> str:
    """A row's ``dated``: the spec's ``2026-11-29T22:00:00.000-05:00``, or the old
    ``2026-11-29 22:00:00`` when the network has no offset."""
    if offset_minutes is None:
        return moment.strftime("%Y-%m-%d %H:00:00")
    sign, minutes = ("-" if offset_minutes < 0 else "+"), abs(offset_minutes)
    return moment.strftime("%Y-%m-%dT%H:00:00.000") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _daily(rows: list[dict]) -> list[dict]:
    out: dict[tuple, dict] = {}
    for r in rows:
        k = (r["dated"][:10], r["campaign_id"], r["advertisement_id"], r["zone_id"])
        acc = out.get(k)
        if acc is None:
            out[k] = dict(r, dated=k[0])
        else:
            for f in ("view_count", "hover_count", "click_count", "conversion_count"):
                acc[f] += r[f]
    return list(out.values())


def totals(rows: list[dict]) -> dict[str, int]:
    return {
        "views": sum(r["view_count"] for r in rows),
        "clicks": sum(r["click_count"] for r in rows),
        "hovers": sum(r["hover_count"] for r in rows),
        "conversions": sum(r["conversion_count"] for r in rows),
    }


def _day(value: object, default: dt.date) -> dt.date:
    """A campaign date as the ad server reads it; a malformed one (a fault a test set)
    leaves the flight open on that side, so the campaign still delivers."""
    try:
        return dt.date.fromisoformat(str(value)) if value else default
    except ValueError:
        return default
