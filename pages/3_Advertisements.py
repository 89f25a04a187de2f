"""Advertisements: type, advertiser, active placement, preview links."""

import streamlit as st

from bs_core.ui import reads
from bs_core.ui.frames import advertisements_frame
from bs_core.ui.layout import PageContext, advertiser_select, network_select, render
from bs_core.ui.tables import csv_button, paged

TYPES = {None: "All types", "StaticAdvertisement": "Static", "HtmlAdvertisement": "HTML",
         "StencilAdvertisement": "Stencil"}
def body(ctx: PageContext) -> None:
    m = ctx.mirror
    c1, c2, c3, c4 = st.columns(4)
    network = network_select(ctx, "f_ads_network", c1)
    advertiser = advertiser_select(ctx, "f_ads_advertiser", network, c2)
    ad_type = c3.selectbox("Type", list(TYPES), format_func=TYPES.get, key="f_ads_type", placeholder="All types")
    placed = c4.selectbox("Active placement", [None, True, False], key="f_ads_active",
                          format_func=lambda x: {None: "Any", True: "Yes", False: "No"}[x], placeholder="Any")
    search = st.text_input("Name contains", key="f_ads_search")
    args = dict(network_id=network, advertiser_id=advertiser, ad_type=ad_type, active_placement=placed, search=search)
    result = paged("ads", lambda p, n: reads.advertisements(m, **args, page=p, page_size=n), "advertisements")

    def frame(rows):
        placements = reads.placement_counts(m, "advertisement_id", [r["_id"] for r in rows])
        return advertisements_frame(rows, placements)

    if result.total:
        st.dataframe(frame(result.rows), hide_index=True, key="ads_table", column_config={
            "id": st.column_config.NumberColumn("ID", format="%d"),
            "updated (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "image": st.column_config.ImageColumn("Image"),
            "preview": st.column_config.LinkColumn("Preview", display_text="preview"),
            "advertiser match": st.column_config.TextColumn(
                help="How the advertiser's name matched an advertiser of the network: unique, none or ambiguous"),
        })
        csv_button("Export all filtered advertisements (CSV)",
                   lambda: frame(reads.advertisements(m, **args, page_size=100_000).rows),
                   "advertisements.csv", key="ads_csv")


render("Advertisements", body, fresh="advertisements", live="advertisements",
       target_keys={"network": "f_ads_network", "advertiser": "f_ads_advertiser"})
