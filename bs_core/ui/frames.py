"""Read-model rows -> the DataFrames the tables show and export (no Streamlit here).

One header style everywhere: sentence case ("Running campaigns"), with ID and CTR in
capitals.  The column names are the headers, so a CSV export reads like the table.
Important columns come first, so they fit at 1,400 px; IDs and links come last.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..entities import ENTITIES
from ..read import RunView
from .format import dashboard_link

AD_TYPES = {"StaticAdvertisement": "Static", "HtmlAdvertisement": "HTML", "StencilAdvertisement": "Stencil"}


def day(value: dt.datetime | dt.date | None, none: str = "") -> str:
    """A calendar day as YYYY-MM-DD (``none`` for a missing date: "open-ended" for an end)."""
    return value.strftime("%Y-%m-%d") if value is not None else none


def ad_type(raw: str | None) -> str:
    """``HtmlAdvertisement`` -> ``HTML``, as the type filter names it."""
    return AD_TYPES.get(raw or "", (raw or "").removesuffix("Advertisement"))


def _figures(r: dict) -> dict:
    return {"Views": r.get("views", 0), "Clicks": r.get("clicks", 0), "CTR": r.get("ctr", 0.0)}


# the figures right after the name and status: at 1,000 px Views through Pace are visible
# without scrolling sideways
CAMPAIGN_COLUMNS = ["Name", "Status", "Views", "Clicks", "CTR", "Pacing", "Pace", "Advertiser", "Start", "End",
                    "Placements", "Goal", "BroadStreet", "Network", "Weight", "ID"]


def whole_share(value: float | None) -> float | None:
    """A pacing share rounded to a whole percent (2.8712 -> 2.87, shown "287%"): one rule of
    decimals for every pacing figure, on pages and in exports."""
    return None if value is None else round(value, 2)


PACING_COLUMNS = ("Pacing", "Pace", "Goal")


def campaigns_frame(rows: list[dict]) -> pd.DataFrame:
    """Campaigns as ``read.campaigns_enriched`` gives them (pacing columns when it added them)."""
    paced = any("pace_status" in r for r in rows)
    frame = pd.DataFrame([{
        "Name": r.get("name_clean", ""), "Advertiser": r.get("advertiser_name", ""), "Status": r.get("status"),
        "Start": day(r.get("starts_on"), "—"), "End": day(r.get("ends_on"), "open-ended"),
        **_figures(r), "Placements": r.get("placement_count", 0), "Network": r.get("network_name", ""),
        "Pacing": whole_share(r.get("pacing")), "Pace": r.get("pace_status", ""), "Goal": r.get("goal"),
        "Weight": r.get("weight"), "ID": r["_id"], "BroadStreet": dashboard_link(r.get("path")),
    } for r in rows], columns=[c for c in CAMPAIGN_COLUMNS if paced or c not in PACING_COLUMNS])
    if paced:  # numbers with gaps (no goal): empty cells, not "None"
        frame["Pacing"] = pd.to_numeric(frame["Pacing"], errors="coerce")
        frame["Goal"] = pd.to_numeric(frame["Goal"], errors="coerce").astype("Int64")
    return with_money_columns(frame, rows)


def with_money_columns(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """Earned and eCPM after CTR once a row carries them (what the period earns; empty where
    nothing priced delivered: unpriced is never 0)."""
    if any(r.get("earned") is not None for r in rows):
        at = list(frame.columns).index("CTR") + 1
        for offset, (column, field) in enumerate((("Earned", "earned"), ("eCPM", "ecpm"))):
            frame.insert(at + offset, column, pd.to_numeric(
                pd.Series([None if r.get(field) is None else round(r[field], 2) for r in rows], dtype="object"),
                errors="coerce"))
    return frame


def advertisers_frame(rows: list[dict]) -> pd.DataFrame:
    """Advertisers as ``read.advertisers_enriched`` gives them (and Earned, eCPM when priced)."""
    return with_money_columns(pd.DataFrame([{
        "Name": r.get("name_clean", ""), "Running campaigns": r.get("running_campaigns", 0),
        "Campaigns": r.get("campaign_count", 0), **_figures(r), "Network": r.get("network_name", ""),
        "Website": r.get("website"), "Admins": len(r.get("admins") or []), "ID": r["_id"],
    } for r in rows], columns=["Name", "Running campaigns", "Campaigns", "Views", "Clicks", "CTR", "Network",
                               "Website", "Admins", "ID"]), rows)


def advertisements_frame(rows: list[dict], tallies: dict[str, dict] | None = None) -> pd.DataFrame:
    """Advertisements with their placement tallies (from ``tallies``, or from the rows as
    ``read.advertisements_listing`` gives them, with figures)."""
    if tallies is None:
        return pd.DataFrame([{**_figures(r)} for r in rows], columns=["Views", "Clicks", "CTR"]).join(
            advertisements_frame(rows, {"advertisement_id": {r["_id"]: r.get("placement_count", 0) for r in rows},
                                        "ad_in_running": {r["_id"]: r.get("in_running", 0) for r in rows}}))[
            ["Name", "Views", "Clicks", "CTR", "Type", "Advertiser", "Placements", "In running campaigns",
             "Active in BroadStreet", "Advertiser match", "Updated (UTC)", "Image", "Preview", "ID"]]
    placed, in_running = tallies.get("advertisement_id", {}), tallies.get("ad_in_running", {})
    return pd.DataFrame([{
        "Name": r.get("name_clean", ""), "Type": ad_type(r.get("type")), "Advertiser": r.get("advertiser_name", ""),
        "Placements": placed.get(r["_id"], 0), "In running campaigns": in_running.get(r["_id"], 0),
        "Active in BroadStreet": bool(r.get("active_placement")), "Advertiser match": r.get("advertiser_match"),
        "Updated (UTC)": r.get("updated_at_utc"),
        "Image": (r.get("active") or {}).get("url") if isinstance(r.get("active"), dict) else None,
        "Preview": r.get("preview_url"), "ID": r["_id"],
    } for r in rows], columns=["Name", "Type", "Advertiser", "Placements", "In running campaigns",
                               "Active in BroadStreet", "Advertiser match", "Updated (UTC)", "Image", "Preview", "ID"])


def zones_frame(rows: list[dict]) -> pd.DataFrame:
    """Zones as ``read.zones_enriched`` gives them (and Earned, eCPM when priced)."""
    return with_money_columns(pd.DataFrame([{
        "Name": r.get("name_clean", ""), **_figures(r), "Placements": r.get("placement_count", 0),
        "Running campaigns": r.get("running_campaigns", 0), "Network": r.get("network_name", ""),
        "Alias": r.get("alias"), "Self serve": bool(r.get("self_serve")), "ID": r["_id"],
    } for r in rows], columns=["Name", "Views", "Clicks", "CTR", "Placements", "Running campaigns", "Network",
                               "Alias", "Self serve", "ID"]), rows)


def placements_frame(rows: list[dict]) -> pd.DataFrame:
    """Placements as ``read.placements_named`` gives them."""
    return pd.DataFrame([{
        "Zone": r.get("zone_name", ""), "Advertisement": r.get("advertisement_name", ""),
        "Views in this zone": r.get("zone_views", 0), "Views of this ad": r.get("ad_views", 0),
        "Restrictions": ", ".join(r.get("restrictions") or []), "Zone ID": r["zone_id"],
        "Advertisement ID": r["advertisement_id"],
    } for r in rows], columns=["Zone", "Advertisement", "Views in this zone", "Views of this ad", "Restrictions",
                               "Zone ID", "Advertisement ID"])


def campaign_ads_frame(rows: list[dict]) -> pd.DataFrame:
    """A campaign's ads as ``details.campaign_ads`` gives them (figures in this campaign)."""
    return pd.DataFrame([{
        "Name": r.get("name_clean", ""), **_figures(r), "Type": ad_type(r.get("type")),
        "Zones placed in": r.get("zones_placed", 0), "Preview": r.get("preview_url"), "ID": r["_id"],
    } for r in rows], columns=["Name", "Views", "Clicks", "CTR", "Type", "Zones placed in", "Preview", "ID"])


def zone_campaigns_frame(rows: list[dict]) -> pd.DataFrame:
    """Campaigns placed in a zone, with their delivery in this zone."""
    return campaigns_frame(rows).assign(**{"Ads in this zone": [r.get("ads_in_zone", 0) for r in rows]})[
        ["Name", "Advertiser", "Status", "Views", "Clicks", "CTR", "Ads in this zone", "Start", "End", "ID"]].rename(
        columns={"Views": "Views in this zone", "Clicks": "Clicks in this zone", "CTR": "CTR in this zone"})


def campaign_zones_frame(rows: list[dict]) -> pd.DataFrame:
    """A campaign's delivery per zone (``breakdowns.campaign_zones``)."""
    return pd.DataFrame([{"Zone": r["name"], **_figures(r), "Zone ID": r["zone_id"]} for r in rows],
                        columns=["Zone", "Views", "Clicks", "CTR", "Zone ID"])


def ad_campaigns_frame(rows: list[dict]) -> pd.DataFrame:
    """The campaigns that place an ad, with the ad's figures in each."""
    return campaigns_frame(rows).assign(Zones=[r.get("zones", "") for r in rows])[
        ["Name", "Advertiser", "Status", "Views", "Clicks", "CTR", "Zones", "Start", "End", "ID"]]


def pacing_frame(rows: list) -> pd.DataFrame:
    """Pacing rows (``read.pacing.Pacing``) as the lists and exports show them."""
    return pd.DataFrame([{
        "Name": p.name, "Pace": p.status, "Pacing": whole_share(p.pacing), "Delivered": p.delivered, "Expected": p.expected,
        "Goal": p.goal, "Needed per day": p.needed_per_day, "Projected": p.projected,
        "Start": day(p.starts_on, "—"), "End": day(p.ends_on, "open-ended"), "Lacking days": p.lacking_days,
        "ID": p.campaign_id,
    } for p in rows], columns=["Name", "Pace", "Pacing", "Delivered", "Expected", "Goal", "Needed per day",
                               "Projected", "Start", "End", "Lacking days", "ID"])


def silent_frame(rows: list[dict]) -> pd.DataFrame:
    return campaigns_frame(rows).assign(**{"Last views on": [day(r.get("last_views_on"), "never") for r in rows]})[
        ["Name", "Advertiser", "Start", "End", "Last views on", "Placements", "Network", "ID", "BroadStreet"]]


def unsold_zones_frame(rows: list[dict]) -> pd.DataFrame:
    return zones_frame(rows)[["Name", "Network", "Placements", "Alias", "ID"]]


def dark_zones_frame(rows: list[dict]) -> pd.DataFrame:
    return zones_frame(rows)[["Name", "Running campaigns", "Placements", "Network", "ID"]]


def header(name: str) -> str:
    """``running campaigns`` / ``advertiser_id`` -> ``Running campaigns`` / ``Advertiser ID``."""
    words = str(name).replace("_", " ").split(" ")
    words = [{"id": "ID", "ctr": "CTR", "utc": "UTC", "(utc)": "(UTC)", "ecpm": "eCPM"}.get(w.lower(), w)
             for w in words]
    text = " ".join(words)
    return text if text.startswith("eCPM") else text[:1].upper() + text[1:]


def sentence_case(df: pd.DataFrame) -> pd.DataFrame:
    """Any frame's headers in the one header style."""
    return df.rename(columns=header)


LIVE_HEADERS = {"_id": "ID", "name_clean": "Name", "starts_on": "Start", "ends_on": "End", "web_home_url": "Website",
                "advertiser_name": "Advertiser", "active_placement": "Active in BroadStreet",
                "updated_at_utc": "Updated (UTC)"}


def live_frame(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A live entity table as the mirrored tables show it: their leading columns with
    readable headers, days as YYYY-MM-DD (an open end as "open-ended"), the ID last."""
    columns = [c for c in ENTITIES[kind].live_columns if c in df.columns]
    out = pd.DataFrame(index=df.index)
    for column in columns:
        values = df[column]
        if column in ("starts_on", "ends_on"):
            none = "open-ended" if column == "ends_on" else ""
            values = values.map(lambda v, none=none: day(None if pd.isna(v) else v, none))
        elif column == "type":
            values = values.map(ad_type)
        out[LIVE_HEADERS.get(column) or header(column)] = values
    return out


def daily_stats_frame(rows: list[dict]) -> pd.DataFrame:
    """``reporting.daily_rows`` with readable headers (the CSV of a selection's daily figures)."""
    return sentence_case(pd.DataFrame(rows))


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    views = [RunView.of(r) for r in runs]
    return pd.DataFrame([{
        "Run": v.run_id, "Started (UTC)": v.started_at, "Trigger": v.trigger, "Started by": v.started_by,
        "Scope": v.scope, "Status": v.status, "Duration (s)": v.duration_s,
        "Requests": v.requests_total, "Inserted": v.total("inserted"), "Updated": v.total("updated"),
        "Deleted": v.total("deleted"), "Skipped": v.total("skipped"), "Errors": len(v.errors),
    } for v in views], columns=["Run", "Started (UTC)", "Trigger", "Started by", "Scope", "Status", "Duration (s)",
                               "Requests", "Inserted", "Updated", "Deleted", "Skipped", "Errors"])


def availability_zones_frame(rows: list[dict], zones: dict[int, dict]) -> pd.DataFrame:
    """Inventory's zones: each zone's forecast, booked and available views over the period
    (``zones``: ``inventory.zone_choices`` by id, for the names)."""
    return pd.DataFrame([{
        "Zone": zones.get(r["zone_id"], {}).get("name", str(r["zone_id"])),
        "Network": zones.get(r["zone_id"], {}).get("network", ""),
        "Forecast": r["forecast"], "Booked": r["booked"], "Available": r["available"],
        "Sell-through": r["sell_through"], "Over-booked days": r["over_booked_days"], "ID": r["zone_id"],
    } for r in rows], columns=["Zone", "Network", "Forecast", "Booked", "Available", "Sell-through",
                               "Over-booked days", "ID"])


def bookings_frame(rows: list[dict]) -> pd.DataFrame:
    """The campaigns booking views in Inventory's zones."""
    return pd.DataFrame([{
        "Name": r["name"], "Status": r["status"], "Booked here": r["booked_here"], "Still to deliver": r["remaining"],
        "Goal": r["goal"], "From": day(r["first_day"]), "End": day(r["last_day"]), "Spread": r["spread"],
        "ID": r["campaign_id"],
    } for r in rows], columns=["Name", "Status", "Booked here", "Still to deliver", "Goal", "From", "End", "Spread",
                               "ID"])


def not_booking_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"Name": r["name"], "Status": r["status"], "Books nothing because": r["why"],
                          "ID": r["campaign_id"]} for r in rows],
                        columns=["Name", "Status", "Books nothing because", "ID"])


def over_booked_frame(rows: list[dict]) -> pd.DataFrame:
    """Delivery health's over-booked zones."""
    return pd.DataFrame([{
        "Zone": r["name"], "Network": r["network"], "Over-booked days": r["days"], "Worst day": day(r["worst_day"]),
        "Booked above forecast": r["over_by"], "ID": r["zone_id"],
    } for r in rows], columns=["Zone", "Network", "Over-booked days", "Worst day", "Booked above forecast", "ID"])
