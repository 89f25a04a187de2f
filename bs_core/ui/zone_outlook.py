"""A zone's forecast in its detail: the forecast the sync made, against the delivery it
was made from, with what is booked on it and the next 30 days' totals."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from . import charts, reads
from .layout import PageContext
from .metrics import MetricRow


def outlook_panel(ctx: PageContext, zone_id: int) -> None:
    """The zone's forecast (made by the sync) against the history it came from."""
    outlook = reads.zone_outlook(ctx.mirror, zone_id, ctx.days)
    ahead = outlook["ahead"]
    st.markdown("**Forecast** (views per day; the Inventory page sells from it)")
    if ahead is None or not ahead.rows:
        st.caption("No forecast: the zone delivered no views in the mirror's history (BroadStreet reports no "
                   "unfilled requests, so there is no evidence of its traffic).")
        return
    history = outlook["history"]
    first, last = ahead.first_day, ahead.rows[-1]["date"]
    st.plotly_chart(charts.outlook_chart(history, ahead.by_day(), first), key="zone_outlook", width="stretch")
    within = [r for r in ahead.rows if r["date"] < first + dt.timedelta(days=30)]
    next30 = f"{first} to {within[-1]['date']}"
    row = MetricRow()
    row.add("Forecast, next 30 days", f"{sum(r['forecast'] for r in within):,}", help=f"Views forecast {next30}")
    row.add("Booked, next 30 days", f"{sum(r['booked'] for r in within):,}", help=f"Views booked {next30}")
    row.add("Available, next 30 days", f"{sum(r['available'] for r in within):,}", help=f"Forecast - booked {next30}")
    row.add(f"Delivered, last {len(history)} days", f"{sum(h['views'] for h in history):,}",
            help=f"{history[0]['date']} to {history[-1]['date']}")
    st.caption(f"Forecast through {last}; the dashed line is the forecast, the band its likely range.")
    st.page_link("pages/10_Inventory.py", label="Open in Inventory", icon=":material/inventory_2:",
                 query_params={"zones": str(zone_id)})

