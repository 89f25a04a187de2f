"""Live BroadStreet reads for the entity tables, while the mirror is not usable.

Used during the first initialisation (empty mirror) and when the database is down.
Cached briefly so browsing does not hammer the API; normalised exactly as the mirror is,
walking the entity registry from networks down to the entity asked for.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import normalize as norm
from ..client import BroadStreetClient
from ..dates import today_utc
from ..entities import ENTITIES, EntityType
from ..runtime import Runtime

LIVE_TTL_SECONDS = 300


def entities(runtime: Runtime, kind: str) -> pd.DataFrame:
    """Networks, advertisers, zones, advertisements or campaigns straight from the API."""
    return _entities(runtime.settings.fingerprint(), runtime, kind)


@st.cache_data(ttl=LIVE_TTL_SECONDS, show_spinner="Reading BroadStreet…")
def _entities(fingerprint: str, _runtime: Runtime, kind: str) -> pd.DataFrame:
    client = BroadStreetClient(_runtime.api())
    try:
        return pd.DataFrame(_listed(client, ENTITIES[kind]))
    finally:
        client.close()


def _listed(client: BroadStreetClient, entity: EntityType) -> list[dict]:
    """Every document of ``entity``: its list under each of its parents, normalised."""
    today = today_utc()
    if entity.parent is None:
        return entity.normalize_many(entity.fetch(client, None), norm.Context(today))[0]
    rows: list[dict] = []
    for parent in _listed(client, ENTITIES[entity.parent]):
        network_id = parent["_id"] if entity.parent == "networks" else parent.get("network_id")
        ctx = norm.Context(today, network_id=network_id, **entity.parent_context(parent["_id"]))
        rows += entity.normalize_many(entity.fetch(client, parent["_id"]), ctx)[0]
    return rows
