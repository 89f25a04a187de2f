"""Daily views of a zone for the days to come, and the backtest that says how good that is.

Pure arithmetic on lists of daily views (no database): ``store/forecasts.py`` feeds it
the mirror's history once per sync and keeps the answers; ``bench/forecast_bench.py``
backtests it.

The method (:func:`forecast`), for one zone's history:

1. divide out the weekday pattern of the zone's *network* (weekday shares are far steadier
   pooled over a network's zones than per zone, and the pattern is the network's
   audience);
2. replace outliers (a spike, an outage: more than 3.5 robust deviations from the
   week's median around the day) by that median;
3. smooth what is left with a damped trend (Holt: level and trend, the trend fading);
4. multiply the weekday pattern back in.

The baseline it must beat (:func:`seasonal_naive`) is the mean of the same weekday over
the last four weeks.  :func:`backtest` holds out the last 28 days, forecasts them from what
came before by both, and reports each one's WAPE (the sum of absolute errors over the sum
of actual views), overall and for the 10% smallest zones; the ratios of actual to
forecast views in it give every forecast its likely range (10th to 90th percentile).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

HORIZON = 90  #: days forecast, from the network's today
HOLDOUT = 28  #: days the backtest holds out
BASELINE_WEEKS = 4
SEASON_DAYS = 56  #: days of history the weekday pattern is read from
OUTLIER_DEVIATIONS = 3.5
ALPHA, BETA, PHI = 0.15, 0.02, 0.9  #: Holt's smoothing of the level and trend, and the trend's damping
LOW_QUANTILE, HIGH_QUANTILE = 0.1, 0.9
SMALL_SHARE = 0.1  #: "the smallest zones": this share of zones with the fewest views in training

#: a zone's daily views, oldest first, one value per day (None: a day the mirror lacks)
History = Sequence[float | None]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return 0.0
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 1.0
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def weekday_pattern(histories: Sequence[History], first_day: dt.date) -> tuple[float, ...]:
    """Monday..Sunday shares (mean 1) of the summed histories (a network's zones): each
    day against the 7-day average around it, the median per weekday."""
    if not histories:
        return (1.0,) * 7
    n = max(len(h) for h in histories)
    total = [sum((h[i] or 0.0) for h in histories if i < len(h)) for i in range(n)]
    start = max(0, n - SEASON_DAYS)
    ratios: list[list[float]] = [[] for _ in range(7)]
    for i in range(max(start, 3), n - 3):
        around = sum(total[i - 3:i + 4]) / 7
        if around > 0:
            ratios[(first_day + dt.timedelta(days=i)).weekday()].append(total[i] / around)
    raw = [_median(r) if r else 1.0 for r in ratios]
    mean = sum(raw) / 7
    return tuple(r / mean if mean > 0 else 1.0 for r in raw)


def _trimmed(history: History) -> tuple[int, list[float | None]]:
    """The history from its first day with views (before it the zone was not yet sold: no
    evidence of its traffic), and where that day is."""
    for i, v in enumerate(history):
        if v:
            return i, list(history[i:])
    return len(history), []


def _cleaned(values: list[float | None]) -> list[float | None]:
    """Outliers replaced by the median of the week around them."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    out = list(values)
    locals_, residuals = {}, []
    for k, (i, v) in enumerate(known):
        around = [w for _, w in known[max(0, k - 3):k + 4]]
        locals_[i] = _median(around)
        residuals.append(abs(v - locals_[i]))
    # a robust spread; on a flat history (spread 0) a hundredth of the typical day, so a
    # lone spike still stands out
    scale = max(1.4826 * _median(residuals), 0.01 * _median([v for _, v in known]))
    for i, v in known:
        if scale > 0 and abs(v - locals_[i]) > OUTLIER_DEVIATIONS * scale:
            out[i] = locals_[i]
    return out


def forecast(history: History, first_day: dt.date, pattern: Sequence[float], horizon: int = HORIZON) -> list[float]:
    """Views for each of ``horizon`` days after the history (which starts on ``first_day``)."""
    start, values = _trimmed(history)
    if not values:
        return [0.0] * horizon
    day0 = first_day + dt.timedelta(days=start)
    season = [pattern[(day0 + dt.timedelta(days=i)).weekday()] or 1.0 for i in range(len(values))]
    plain = _cleaned([None if v is None else v / s for v, s in zip(values, season, strict=True)])
    known = [v for v in plain if v is not None]
    level, trend = (sum(known[:7]) / len(known[:7]) if known else 0.0), 0.0
    for v in plain:
        previous = level
        guess = level + PHI * trend
        if v is None:  # a day the mirror lacks: carry the guess
            level = guess
            continue
        level = ALPHA * v + (1 - ALPHA) * guess
        trend = BETA * (level - previous) + (1 - BETA) * PHI * trend
    after = first_day + dt.timedelta(days=len(history))
    out, damped = [], 0.0
    for h in range(horizon):
        damped += PHI ** (h + 1)
        out.append(max(level + damped * trend, 0.0) * pattern[(after + dt.timedelta(days=h)).weekday()])
    return out


def seasonal_naive(history: History, first_day: dt.date, horizon: int = HORIZON) -> list[float]:
    """The baseline: each day is the mean of the same weekday over the last four weeks."""
    n = len(history)
    out = []
    for h in range(horizon):
        same = [history[n + (h % 7) - 7 * k] for k in range(1, BASELINE_WEEKS + 1) if n + (h % 7) - 7 * k >= 0]
        known = [v for v in same if v is not None]
        out.append(sum(known) / len(known) if known else 0.0)
    return out


@dataclasses.dataclass(frozen=True)
class Backtest:
    wape_baseline: float | None
    wape_method: float | None
    wape_baseline_small: float | None
    wape_method_small: float | None
    zones: int
    #: actual / forecast views: a day's (per zone) and a whole held-out period's, 10th and 90th percentile
    day_range: tuple[float, float] = (1.0, 1.0)
    period_range: tuple[float, float] = (1.0, 1.0)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _wape(pairs: list[tuple[float, float]]) -> float | None:
    actual = sum(a for a, _ in pairs)
    return sum(abs(a - f) for a, f in pairs) / actual if actual > 0 else None


def backtest(histories: Mapping[int, History], networks: Mapping[int, int], first_day: dt.date,
             holdout: int = HOLDOUT) -> Backtest:
    """Hold out each zone's last ``holdout`` days and forecast them from the days before,
    by the method and by the baseline.  ``networks``: zone -> its network (whose weekday
    pattern the method uses)."""
    train = {z: list(h[:-holdout]) for z, h in histories.items() if len(h) > holdout + 14}
    train = {z: h for z, h in train.items() if any(h)}
    if not train:
        return Backtest(None, None, None, None, 0)
    patterns = {nid: weekday_pattern([train[z] for z in train if networks.get(z) == nid], first_day)
                for nid in set(networks.values())}
    method, baseline, day_ratios, period_ratios = {}, {}, [], []
    for z, h in train.items():
        actual = [v or 0.0 for v in histories[z][-holdout:]]
        made = forecast(h, first_day, patterns.get(networks.get(z), (1.0,) * 7), holdout)
        method[z] = list(zip(actual, made, strict=True))
        baseline[z] = list(zip(actual, seasonal_naive(h, first_day, holdout), strict=True))
        day_ratios += [a / f for a, f in method[z] if f > 0]
        if sum(made) > 0:
            period_ratios.append(sum(actual) / sum(made))
    sizes = sorted(train, key=lambda z: (sum(v or 0.0 for v in train[z]), z))
    small = sizes[:max(1, round(len(sizes) * SMALL_SHARE))]

    def pooled(found: dict, zones) -> list[tuple[float, float]]:
        return [pair for z in zones for pair in found[z]]

    return Backtest(
        _wape(pooled(baseline, train)), _wape(pooled(method, train)),
        _wape(pooled(baseline, small)), _wape(pooled(method, small)), len(train),
        (_quantile(day_ratios, LOW_QUANTILE), _quantile(day_ratios, HIGH_QUANTILE)),
        (_quantile(period_ratios, LOW_QUANTILE), _quantile(period_ratios, HIGH_QUANTILE)))
