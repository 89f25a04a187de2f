"""Read-model rows -> the DataFrames the tables show and export (no Streamlit here)."""

from __future__ import annotations

import pandas as pd

from ..runview import RunView
from .format import dashboard_link

CAMPAIGN_COLUMNS = ["id", "name", "advertiser", "network", "status", "start", "end", "weight", "weight_value",
                    "placements", "views", "clicks", "ctr", "broadstreet"]


def campaigns_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r["_id"],
        "name": r.get("name_clean", ""),
        "advertiser": r.get("advertiser_name", ""),
        "network": r.get("network_name", ""),
        "status": r.get("status"),
        "start": r.get("starts_on"),
        "end": r.get("ends_on"),
        "weight": r.get("weight"),
        "weight_value": r.get("weight_value"),
        "placements": r.get("placement_count", 0),
        "views": r.get("views", 0),
        "clicks": r.get("clicks", 0),
        "ctr": r.get("ctr", 0.0),
        "broadstreet": dashboard_link(r.get("path")),
    } for r in rows], columns=CAMPAIGN_COLUMNS)


def advertisers_frame(rows: list[dict], networks: dict[int, str], running: dict, total: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r["_id"], "name": r.get("name_clean", ""), "network": networks.get(r.get("network_id"), ""),
        "website": r.get("website"), "running campaigns": running.get(r["_id"], 0),
        "campaigns": total.get(r["_id"], 0), "admins": len(r.get("admins") or []),
    } for r in rows], columns=["id", "name", "network", "website", "running campaigns", "campaigns", "admins"])


def advertisements_frame(rows: list[dict], placements: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r["_id"], "name": r.get("name_clean", ""), "type": (r.get("type") or "").replace("Advertisement", ""),
        "advertiser": r.get("advertiser_name", ""),
        "advertiser match": r.get("advertiser_match"),
        "active placement": bool(r.get("active_placement")),
        "placements": placements.get(r["_id"], 0),
        "updated (UTC)": r.get("updated_at_utc"),
        "image": (r.get("active") or {}).get("url") if isinstance(r.get("active"), dict) else None,
        "preview": r.get("preview_url"),
    } for r in rows], columns=["id", "name", "type", "advertiser", "advertiser match", "active placement",
                               "placements", "updated (UTC)", "image", "preview"])


def zones_frame(rows: list[dict], networks: dict[int, str], placements: dict, views: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r["_id"], "name": r.get("name_clean", ""), "network": networks.get(r.get("network_id"), ""),
        "alias": r.get("alias"), "self serve": bool(r.get("self_serve")),
        "placements": placements.get(r["_id"], 0), "views (stats window)": views.get(r["_id"], 0),
    } for r in rows], columns=["id", "name", "network", "alias", "self serve", "placements", "views (stats window)"])


def placements_frame(rows: list[dict]) -> pd.DataFrame:
    """Placements as ``readmodels.placements_named`` gives them."""
    return pd.DataFrame([{
        "zone id": r["zone_id"], "zone": r.get("zone_name", ""),
        "advertisement id": r["advertisement_id"], "advertisement": r.get("advertisement_name", ""),
        "restrictions": ", ".join(r.get("restrictions") or []),
    } for r in rows], columns=["zone id", "zone", "advertisement id", "advertisement", "restrictions"])


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    views = [RunView.of(r) for r in runs]
    return pd.DataFrame([{
        "run": v.run_id, "started (UTC)": v.started_at, "trigger": v.trigger, "started by": v.started_by,
        "scope": v.scope, "status": v.status, "duration (s)": v.duration_s,
        "requests": v.requests_total, "inserted": v.total("inserted"), "updated": v.total("updated"),
        "deleted": v.total("deleted"), "skipped": v.total("skipped"), "errors": len(v.errors),
    } for v in views], columns=["run", "started (UTC)", "trigger", "started by", "scope", "status", "duration (s)", "requests",
                               "inserted", "updated", "deleted", "skipped", "errors"])
