"""The read models as pages call them: the same typed functions, with a
:class:`MirrorView` in place of the database, cached per mirror version.

A page never holds a pymongo ``Database``: it holds a view (the runtime and the mirror
version it shows).  ``cached`` reads are keyed on the settings and the version (the id
of the last finished run), so a run that finishes shows its data at once, with no timer;
``fresh`` reads (run history, the live sync state) are read anew on every call.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import streamlit as st
from pymongo.database import Database

from .. import read as rm
from ..dates import now_utc
from ..errors import StoreUnavailableError
from ..read import bookings as booked
from ..read import (
    breakdowns,
    days,
    delivery,
    details,
    earnings,
    figures,
    inventory,
    money,
    pacing,
    reporting,
    reports,
    revenue,
)
from ..read.verify import verify
from ..runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")
_READS: dict[str, Callable] = {}
_computed = [0]  # cached reads computed (cache misses) by this process: prewarm.report() says it
_computed_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class MirrorView:
    """What a page reads the mirror through."""

    runtime: Runtime
    version: str
    rates: str = ""  #: ``store.rates.rates_stamp`` when the page began: money reads are keyed on it too

    @property
    def key(self) -> tuple[str, str]:
        return self.runtime.settings.fingerprint(), self.version

    def priced(self) -> MirrorView:
        """This view for reads that depend on rates too (money, a sort by earned): a rate
        edited without a sync is a new version for them, and only for them."""
        return dataclasses.replace(self, version=f"{self.version}|rates {self.rates}")

    def database(self) -> Database:
        db = self.runtime.db()
        if db is None:
            raise StoreUnavailableError(self.runtime.db_error() or "the mirror database is unreachable")
        return db


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_read(name: str, key: tuple[str, str], _view: MirrorView, args: tuple, kwargs: dict):
    with _computed_lock:  # runs only on a miss: a hit returns the kept answer
        _computed[0] += 1
    return _READS[name](_view.database(), *args, **kwargs)


def reads_computed() -> int:
    """How many cached reads this process has computed (each a cache miss)."""
    return _computed[0]


def cached(fn: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[MirrorView, P], R]:
    """``fn(db, ...)`` as ``read(view, ...)``, cached per mirror version."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _READS[name] = fn

    @functools.wraps(fn)
    def read(view: MirrorView, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return _cached_read(name, view.key, view, args, kwargs)

    return read


def priced(fn: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[MirrorView, P], R]:
    """``fn(db, ...)`` as ``read(view, ...)``, cached per mirror version and rates."""
    read_cached = cached(fn)

    @functools.wraps(fn)
    def read(view: MirrorView, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return read_cached(view.priced(), *args, **kwargs)

    return read


def fresh(fn: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[MirrorView, P], R]:
    """``fn(db, ...)`` as ``read(view, ...)``, read anew on every call."""

    @functools.wraps(fn)
    def read(view: MirrorView, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(view.database(), *args, **kwargs)

    return read


# -- cached per mirror version ----------------------------------------------------------------
scoped_counts = cached(rm.scoped_counts)
campaign_status_counts = cached(rm.campaign_status_counts)
campaigns_enriched = cached(rm.campaigns_enriched)
campaigns_listing = cached(rm.campaigns_listing)
campaigns_listing_export = cached(rm.campaigns_listing_export)
listing = cached(rm.listing)
advertisers_enriched = cached(rm.advertisers_enriched)
advertisements = cached(rm.advertisements)
advertisements_listing = cached(rm.advertisements_listing)
zones_enriched = cached(rm.zones_enriched)
placements_named = cached(rm.placements_named)
placement_tallies = cached(rm.placement_tallies)
network_summaries = cached(rm.network_summaries)
name_options = cached(rm.name_options)
name_of = cached(rm.name_of)
campaigns_ending_within = cached(rm.campaigns_ending_within)
campaign_timeline = cached(rm.campaign_timeline)
top_advertisers_by_running = cached(rm.top_advertisers_by_running)
placements_per_zone = cached(rm.placements_per_zone)
freshness = cached(rm.freshness)
# reporting
stats_coverage = cached(reporting.stats_coverage)
stats_totals = cached(reporting.totals)
stats_daily_series = cached(reporting.daily_series)
stats_daily_rows = cached(reporting.daily_rows)
top_campaigns = cached(reporting.top_campaigns)
stats_by = cached(reporting.stats_by)
hours = cached(breakdowns.hours)
campaign_zones = cached(breakdowns.campaign_zones)
network_figures = cached(breakdowns.networks)
pacing_of = cached(pacing.pacing)
pacing_cumulative = cached(pacing.cumulative)
# details and delivery health
campaign_detail = cached(details.campaign)
campaign_ads = cached(details.campaign_ads)
advertiser_detail = cached(details.advertiser)
zone_detail = cached(details.zone)
zone_campaigns = cached(details.zone_campaigns)
advertisement_detail = cached(details.advertisement)
advertisement_campaigns = cached(details.advertisement_campaigns)
document_detail = cached(details.document)
listing_named = cached(details.listing_named)
behind_pace = cached(figures.behind_pace)
over_delivering = cached(figures.over_delivering)
dark_zones = cached(delivery.dark_zones)
silent_campaigns = cached(delivery.silent_campaigns)
unplaced_active_ads = cached(delivery.unplaced_active_ads)
unsold_zones = cached(delivery.unsold_zones)
ending_soon = cached(delivery.ending_soon)
# inventory: forecasts are remade by a sync, bookings follow the mirror's campaigns
forecast_status = cached(inventory.forecast_status)
forecast_horizon = cached(inventory.forecast_horizon)
zone_choices = cached(inventory.zone_choices)
bookings = cached(booked.bookings)
availability = cached(inventory.availability)
not_booking = cached(booked.not_booking)
zone_outlook = cached(inventory.zone_outlook)
over_booked_zones = cached(inventory.over_booked_zones)
held_deletions = cached(rm.held_summary)  # changes only when a run ends
network_offsets = cached(days.network_offsets)  # each network's clock changes only when a run ends


def network_days(view: MirrorView | None) -> days.NetworkDays:
    """Each network's own today, now (the clocks cached, the dates fresh)."""
    return days.NetworkDays.at(now_utc(), network_offsets(view) if view is not None else {})

# money: rates change without a sync, so these are keyed on the rates as well
month_to_date = priced(money.month_to_date)
with_money = priced(money.with_money)
with_earnings = priced(earnings.with_earnings)
earnings_by = priced(earnings.earnings_by)
campaign_money = priced(revenue.campaign_money)
money_risks = priced(figures.risks)
behind_ids = priced(figures.behind_ids)
report = priced(reports.report)  # the Invoices page: report invoice's rows

# -- read anew: they change while a run works ---------------------------------------------------
recent_runs = fresh(rm.recent_runs)
recent_digests = fresh(rm.recent_digests)
get_run = fresh(rm.get_run)
verify_mirror = fresh(verify)
