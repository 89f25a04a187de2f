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
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

import streamlit as st
from pymongo.database import Database

from .. import readmodels as rm
from ..errors import StoreUnavailableError
from ..runtime import Runtime
from ..store import history
from ..verify import verify

P = ParamSpec("P")
R = TypeVar("R")
_READS: dict[str, Callable] = {}


@dataclasses.dataclass(frozen=True)
class MirrorView:
    """What a page reads the mirror through."""

    runtime: Runtime
    version: str

    @property
    def key(self) -> tuple[str, str]:
        return self.runtime.settings.fingerprint(), self.version

    def database(self) -> Database:
        db = self.runtime.db()
        if db is None:
            raise StoreUnavailableError(self.runtime.db_error() or "the mirror database is unreachable")
        return db


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_read(name: str, key: tuple[str, str], _view: MirrorView, args: tuple, kwargs: dict):
    return _READS[name](_view.database(), *args, **kwargs)


def cached(fn: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[MirrorView, P], R]:
    """``fn(db, ...)`` as ``read(view, ...)``, cached per mirror version."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _READS[name] = fn

    @functools.wraps(fn)
    def read(view: MirrorView, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return _cached_read(name, view.key, view, args, kwargs)

    return read


def fresh(fn: Callable[Concatenate[Database, P], R]) -> Callable[Concatenate[MirrorView, P], R]:
    """``fn(db, ...)`` as ``read(view, ...)``, read anew on every call."""

    @functools.wraps(fn)
    def read(view: MirrorView, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(view.database(), *args, **kwargs)

    return read


# -- cached per mirror version ----------------------------------------------------------------
entity_counts = cached(rm.entity_counts)
campaign_status_counts = cached(rm.campaign_status_counts)
campaigns_enriched = cached(rm.campaigns_enriched)
campaigns_for_export = cached(rm.campaigns_for_export)
listing = cached(rm.listing)
advertisers = cached(rm.advertisers)
advertisements = cached(rm.advertisements)
zones = cached(rm.zones)
placements_named = cached(rm.placements_named)
network_summaries = cached(rm.network_summaries)
name_options = cached(rm.name_options)
name_of = cached(rm.name_of)
placement_counts = cached(rm.placement_counts)
campaign_counts = cached(rm.campaign_counts)
zone_views = cached(rm.zone_views)
stats_totals = cached(rm.stats_totals)
stats_daily_series = cached(rm.stats_daily_series)
top_campaigns = cached(rm.top_campaigns)
campaigns_ending_within = cached(rm.campaigns_ending_within)
campaign_timeline = cached(rm.campaign_timeline)
top_advertisers_by_running = cached(rm.top_advertisers_by_running)
placements_per_zone = cached(rm.placements_per_zone)
freshness = cached(rm.freshness)

# -- read anew: they change while a run works ---------------------------------------------------
recent_runs = fresh(history.recent_runs)
get_run = fresh(history.get_run)
running_run = fresh(history.running_run)
last_success = fresh(history.last_success)
last_finished = fresh(history.last_finished)
verify_mirror = fresh(verify)
