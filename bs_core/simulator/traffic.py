"""The shape of the simulated traffic: when a placement's views come, and how many.

A source's hourly views are its own draw (``reports.py``) times a factor made of

* the hour of the network's own day (:data:`HOUR_CURVE`: quiet at night, a morning and an
  evening peak);
* the weekday (:func:`weekday_factors`: weekends lower, by how much differs per network);
* the zone's day (:func:`zone_day_factor`): a slow trend per zone (some grow, some fade),
  rare spikes (a story that went viral) and outages (a broken tag), and daily noise.

Every factor is a pure function of (seed, network or zone, date, hour), so reports stay
reproducible and totals still equal the sum of rows.  ``docs/broadstreet-api.md`` ("The
simulator's traffic") says the same for readers of the data.
"""

from __future__ import annotations

import datetime as dt
import functools

_MASK = (1 << 64) - 1

#: relative views per local hour, scaled to a mean of 1 (so a day's total keeps its size)
_HOURS = (0.18, 0.12, 0.10, 0.10, 0.14, 0.30, 0.65, 1.05, 1.35, 1.45, 1.40, 1.35,
          1.45, 1.40, 1.30, 1.25, 1.25, 1.30, 1.45, 1.60, 1.55, 1.20, 0.75, 0.40)
HOUR_CURVE = tuple(h * 24 / sum(_HOURS) for h in _HOURS)

TREND_ORIGIN = dt.date(2026, 1, 1)  #: where every zone's trend factor is 1
SPIKE_PER_MILLE = 12  #: days in a thousand a zone's traffic spikes (x1.8 to x3.0)
OUTAGE_PER_MILLE = 8  #: days in a thousand a zone's traffic mostly stops (x0 to x0.3)


def _mix(*parts: int) -> int:
    """splitmix64 over the parts (the same mixer as ``reports.py``), stable across processes."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 31
    return x


def _unit(h: int, shift: int = 0) -> float:
    """A number in [0, 1) from 16 bits of a hash."""
    return ((h >> shift) & 0xFFFF) / 0x10000


@functools.lru_cache(maxsize=256)
def weekday_factors(seed: int, network_id: int) -> tuple[float, ...]:
    """Monday..Sunday, mean 1: weekends at 55% to 90% of a weekday, mid-week a little busier."""
    h = _mix(seed, network_id, 0x77EE)
    weekend = 0.55 + 0.35 * _unit(h)
    raw = (1.0, 1.04, 1.06, 1.03, 0.97, weekend, weekend * (0.9 + 0.15 * _unit(h, 16)))
    return tuple(f * 7 / sum(raw) for f in raw)


def zone_day_factor(seed: int, zone_id: int, day: dt.date) -> float:
    """A zone's trend on that day times its spike or outage, if any, times daily noise."""
    slope = -0.6 + 1.5 * _unit(_mix(seed, zone_id, 0x7E4D))  # per year, -60% to +90%
    trend = min(max(1 + slope * (day - TREND_ORIGIN).days / 365, 0.4), 2.5)
    h = _mix(seed, zone_id, day.toordinal(), 0xDA1)
    event = h % 1000
    if event < SPIKE_PER_MILLE:
        trend *= 1.8 + 1.2 * _unit(h, 10)
    elif event < SPIKE_PER_MILLE + OUTAGE_PER_MILLE:
        trend *= 0.3 * _unit(h, 10)
    return trend * (0.88 + 0.24 * _unit(h, 30))


def day_factors(seed: int, network_id: int, zones: set[int], day: dt.date) -> dict[int, float]:
    """Each zone's factor on a network's day, its weekday included (the hour is applied per row)."""
    weekday = weekday_factors(seed, network_id)[day.weekday()]
    return {zone: weekday * zone_day_factor(seed, zone, day) for zone in zones}
