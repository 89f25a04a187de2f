"""Cached reads for the pages.

Every cached query takes the mirror ``version`` (the id of the last finished run): a run
that finishes changes it, so the pages show its data at once; no timer is involved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from .. import readmodels as rm
from ..runtime import get_runtime


def mirror_version(db) -> str:
    last = db.sync_runs.find_one({"status": {"$ne": "running"}}, {"_id": 1}, sort=[("started_at", -1)])
    return last["_id"] if last else "empty"


def _db():
    db = get_runtime().db()
    if db is None:
        raise RuntimeError("the mirror database is unreachable")
    return db


@st.cache_data(show_spinner=False, max_entries=512)
def read(name: str, version: str, **kwargs: Any) -> Any:
    """``readmodels.<name>(db, **kwargs)``, cached per mirror version."""
    return getattr(rm, name)(_db(), **kwargs)


@st.cache_data(show_spinner=False, max_entries=256)
def campaign_page(version: str, *, network_id: int | None, advertiser_id: int | None, statuses: tuple,
                  overlaps_from: dt.date | None, overlaps_to: dt.date | None, search: str,
                  sort: tuple[str, int], page: int, page_size: int,
                  stats_from: dt.date | None, stats_to: dt.date | None) -> rm.Page:
    flt = rm.CampaignFilter(network_id, advertiser_id, statuses, overlaps_from, overlaps_to, search)
    result = rm.campaigns(_db(), flt, sort, page, page_size)
    rm.enrich_campaigns(_db(), result.rows, stats_from, stats_to)
    return result


@st.cache_data(show_spinner=False, max_entries=64)
def name_options(version: str, collection: str, network_id: int | None = None) -> dict[int, str]:
    """``{id: "name (id)"}`` for select boxes (networks, advertisers of a network)."""
    query = {"network_id": network_id} if network_id is not None else {}
    cur = _db()[collection].find(query, {"name_clean": 1}).sort([("name_key", 1), ("_id", 1)])
    return {d["_id"]: f"{d.get('name_clean') or '(no name)'} ({d['_id']})" for d in cur}
