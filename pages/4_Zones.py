"""Zones: placements and views per zone."""

import streamlit as st

from bs_core.ui import reads
from bs_core.ui.frames import zones_frame
from bs_core.ui.layout import PageContext, network_select, render
from bs_core.ui.tables import csv_button, paged


def body(ctx: PageContext) -> None:
    m = ctx.mirror
    networks = reads.name_options(m, "networks")
    c1, c2 = st.columns(2)
    network = network_select(ctx, "f_zones_network", c1)
    search = c2.text_input("Name contains", key="f_zones_search", placeholder="e.g. leaderboard")
    result = paged("zones", lambda p, n: reads.zones(m, network_id=network, search=search, page=p, page_size=n),
                   "zones")

    def frame(rows):
        ids = [r["_id"] for r in rows]
        placements = reads.placement_counts(m, "zone_id", ids)
        views = {z["zone_id"]: z["views"] for z in reads.zone_views(m, ids)}
        return zones_frame(rows, networks, placements, views)

    if result.total:
        st.dataframe(frame(result.rows), hide_index=True, key="zones_table",
                     column_config={"id": st.column_config.NumberColumn("ID", format="%d")})
        csv_button("Export all filtered zones (CSV)",
                   lambda: frame(reads.zones(m, network_id=network, search=search, page_size=100_000).rows),
                   "zones.csv", key="zones_csv")


render("Zones", body, fresh="zones", live="zones", target_keys={"network": "f_zones_network"})
