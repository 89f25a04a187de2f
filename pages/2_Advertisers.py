"""Advertisers: filter by network and name, with their campaign counts and websites."""

import streamlit as st

from bs_core.ui import reads
from bs_core.ui.frames import advertisers_frame
from bs_core.ui.layout import PageContext, network_select, render
from bs_core.ui.tables import csv_button, paged


def body(ctx: PageContext) -> None:
    m = ctx.mirror
    networks = reads.name_options(m, "networks")
    c1, c2 = st.columns(2)
    network = network_select(ctx, "f_advertisers_network", c1)
    search = c2.text_input("Name contains", key="f_advertisers_search")
    result = paged("advertisers", lambda p, n: reads.advertisers(m, network_id=network, search=search, page=p,
                                                                  page_size=n), "advertisers")

    def frame(rows):
        ids = [r["_id"] for r in rows]
        running = reads.campaign_counts(m, ids, status="running")
        campaigns = reads.campaign_counts(m, ids)
        return advertisers_frame(rows, networks, running, campaigns)

    if result.total:
        st.dataframe(frame(result.rows), hide_index=True, key="advertisers_table", column_config={
            "id": st.column_config.NumberColumn("ID", format="%d"),
            "website": st.column_config.LinkColumn("Website"),
        })
        csv_button("Export all filtered advertisers (CSV)",
                   lambda: frame(reads.advertisers(m, network_id=network, search=search, page_size=100_000).rows),
                   "advertisers.csv", key="advertisers_csv")


render("Advertisers", body, fresh="advertisers", live="advertisers", target_keys={"network": "f_advertisers_network"})
