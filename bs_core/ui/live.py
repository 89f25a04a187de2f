"""Live BroadStreet reads for the entity tables, while the mirror is not usable.

Used during the first initialisation (empty mirror) and when the database is down.
Cached briefly so browsing does not hammer the API; normalised exactly as the mirror is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from .. import normalize as norm
from ..client import BroadStreetClient
from ..runtime import get_runtime

LIVE_TTL_SECONDS = 300


def _client() -> BroadStreetClient:
    return BroadStreetClient(get_runtime().api())


@st.cache_data(ttl=LIVE_TTL_SECONDS, show_spinner="Reading BroadStreet…")
def entities(kind: str) -> pd.DataFrame:
    """Networks, advertisers, zones, advertisements or campaigns straight from the API."""
    client = _client()
    today = dt.datetime.now(dt.UTC).date()
    try:
        networks = client.networks()
        if kind == "networks":
            return pd.DataFrame(norm.normalize_many("networks", networks, norm.Context(today))[0])
        rows: list[dict] = []
        for net in networks:
            ctx = norm.Context(today, network_id=net["id"])
            if kind == "campaigns":
                for adv in client.advertisers(net["id"]):
                    rows += norm.normalize_many("campaigns", client.campaigns(advertiser_id=adv["id"]), ctx)[0]
            else:
                fetch = {"advertisers": client.advertisers, "zones": client.zones,
                         "advertisements": client.advertisements}[kind]
                rows += norm.normalize_many(kind, fetch(net["id"]), ctx)[0]
        return pd.DataFrame(rows)
    finally:
        client.close()
