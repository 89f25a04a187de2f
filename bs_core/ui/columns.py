"""How each table column is drawn, by header (frames.py names the headers).

One mapping for every table: a header means the same thing and looks the same wherever
it appears.  Widths keep the important columns in view at 1,400 px (Campaigns: from the
name through CTR).  A missing value shows as "—" (``placeholder`` of every table)."""

from __future__ import annotations

import streamlit as st

cc = st.column_config
MISSING = "—"  # what every table shows for a missing value (Streamlit's own is a grey "None")

COLUMNS = {
    "Name": cc.TextColumn(width=175),
    "Advertiser": cc.TextColumn(width=130),
    "Network": cc.TextColumn(width=130),
    "Zone": cc.TextColumn(width=200),
    "Advertisement": cc.TextColumn(width=200),
    "Status": cc.TextColumn(width=70),
    "Start": cc.TextColumn(width=82),
    "End": cc.TextColumn(width=82, help="open-ended: the campaign has no end date"),
    "Views": cc.NumberColumn(format="localized", width=80),
    "Clicks": cc.NumberColumn(format="localized", width=62),
    # step 0.0001: two decimals always ("1.70%" beside "1.74%", not "1.7%")
    "CTR": cc.NumberColumn(format="percent", step=0.0001, width=60, help="Clicks / views over the period"),
    "Placements": cc.NumberColumn(format="localized", width=78),
    "Pacing": cc.NumberColumn(format="percent", width=84, help="Views delivered / views expected by yesterday under "
                              "even delivery of the goal over the flight (campaigns with a goal)"),
    "Pace": cc.TextColumn(width=112, help="behind (under 90% of expected), at risk (the last 7 days' rate misses the "
                          "goal), on pace, ahead, goal met, over-delivered (10% past the goal), not started, "
                          "no end date, partial data (the mirror lacks days of the flight)"),
    "Earned": cc.NumberColumn(format="%.2f", width=90, help="What the period's delivery earns under the "
                              "campaign's rate (BS_CURRENCY; empty: unpriced)"),
    "eCPM": cc.NumberColumn(format="%.2f", width=70, help="Earned per 1,000 views in the period"),
    "Goal": cc.NumberColumn(format="localized", width=80, help="BroadStreet's max_impression_count"),
    "Delivered": cc.NumberColumn(format="localized", help="Views from the flight's start through yesterday"),
    "Expected": cc.NumberColumn(format="localized", help="The goal times the share of the flight elapsed by "
                                "yesterday"),
    "Needed per day": cc.NumberColumn(format="localized", help="Views a day from today to the end date to meet "
                                      "the goal"),
    "Projected": cc.NumberColumn(format="localized", help="Delivered plus the last 7 complete days' daily rate "
                                 "until the end date"),
    "Lacking days": cc.NumberColumn(help="Flight days through yesterday the mirror holds no reporting for"),
    "Views in this zone": cc.NumberColumn(format="localized", help="This campaign's views in the zone over the "
                                          "period (BroadStreet's rows give a campaign per zone and per ad, not "
                                          "per placement)"),
    "Views of this ad": cc.NumberColumn(format="localized", help="This ad's views in this campaign over the period"),
    "Clicks in this zone": cc.NumberColumn(format="localized"),
    "CTR in this zone": cc.NumberColumn(format="percent", step=0.0001),
    "Running campaigns": cc.NumberColumn(format="localized", width=135),
    "Campaigns": cc.NumberColumn(format="localized", width=85),
    "In running campaigns": cc.NumberColumn(
        format="localized", help="Placements of this ad in campaigns running today"),
    "Active in BroadStreet": cc.CheckboxColumn(
        help="BroadStreet's active_placement flag: the ad is placed in an active campaign "
             "(active campaigns include paused and scheduled ones)"),
    "Advertiser match": cc.TextColumn(
        help="How the advertiser's name matched an advertiser of the network: unique, none or ambiguous"),
    "Updated (UTC)": cc.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    "Weight": cc.TextColumn(width=80),
    "ID": cc.NumberColumn(format="%d", width=80),
    "Zone ID": cc.NumberColumn(format="%d"),
    "Advertisement ID": cc.NumberColumn(format="%d"),
    "Website": cc.LinkColumn(width=150),
    "BroadStreet": cc.LinkColumn(display_text="open", width=95),
    "Preview": cc.LinkColumn(display_text="preview", width=80),
    "Image": cc.ImageColumn(width=70),
    "Forecast": cc.NumberColumn(format="localized", width=90, help="Views forecast for the period's days (made "
                                "by the last sync from the zone's delivered views)"),
    "Booked": cc.NumberColumn(format="localized", width=90, help="Views the running and scheduled campaigns with a "
                              "goal still need, spread over their remaining days and their zones"),
    "Available": cc.NumberColumn(format="localized", width=90, help="Forecast - booked, each day never below 0"),
    "Sell-through": cc.NumberColumn(format="percent", width=95, help="Booked / forecast over the period"),
    "Over-booked days": cc.NumberColumn(width=120, help="Days booked above the forecast"),
    "Booked here": cc.NumberColumn(format="localized", help="Views this campaign books in the selected zones over "
                                   "the period"),
    "Still to deliver": cc.NumberColumn(format="localized", help="Goal - views delivered through yesterday"),
    "Booked above forecast": cc.NumberColumn(format="localized", help="On the worst day"),
    "Last views on": cc.TextColumn(help="The last day with views (never: no views in the mirrored days)"),
}


def columns_for(df) -> dict:
    """The column configs of the headers ``df`` has."""
    return {name: config for name, config in COLUMNS.items() if name in df.columns}
