"""Advertisements: type, advertiser, where they are placed, preview links."""

import streamlit as st

from bs_core.ui import reads, urlstate
from bs_core.ui.columns import columns_for
from bs_core.ui.frames import AD_TYPES, advertisements_frame
from bs_core.ui.layout import PageContext, advertiser_select, network_select, render
from bs_core.ui.tables import csv_button, paged

PAGE = "advertisements"
TYPES = {None: "All types", **AD_TYPES}  # the table shows the same words


def url_params(ctx: PageContext) -> list[urlstate.Param]:
    return [*urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_ads_network", "f_ads_advertiser"),
            urlstate.Param("q", "f_ads_search", lambda t: t[:200])]


def body(ctx: PageContext) -> None:
    m = ctx.mirror
    params = url_params(ctx)
    urlstate.read_url(PAGE, params)
    c1, c2, c3, c4 = st.columns(4)
    network = network_select(ctx, "f_ads_network", c1)
    advertiser = advertiser_select(ctx, "f_ads_advertiser", network, c2)
    ad_type = c3.selectbox("Type", list(TYPES), format_func=TYPES.get, key="f_ads_type", placeholder="All types")
    placed = c4.selectbox("Active in BroadStreet", [None, True, False], key="f_ads_active",
                          format_func=lambda x: {None: "Any", True: "Yes", False: "No"}[x], placeholder="Any",
                          help="BroadStreet's active_placement flag: placed in an active campaign. Active "
                               "campaigns include paused and scheduled ones, so an ad marked No can still have "
                               "placements (in ended or inactive campaigns); see the two placement columns.")
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    search = c1.text_input("Name contains", key="f_ads_search")
    urlstate.clear_button(PAGE, params, c2, extra_keys=("f_ads_type", "f_ads_active"))
    urlstate.write_url(PAGE, params)
    args = dict(network_id=network, advertiser_id=advertiser, ad_type=ad_type, active_placement=placed, search=search)
    result = paged("ads", lambda p, n: reads.advertisements(m, **args, page=p, page_size=n), "advertisements")
    if result.total:
        tallies = reads.placement_tallies(m)
        df = advertisements_frame(result.rows, tallies)
        st.dataframe(df, hide_index=True, key="ads_table", column_config=columns_for(df))
        csv_button("Export all filtered advertisements (CSV)",
                   lambda: advertisements_frame(reads.advertisements(m, **args, page_size=100_000).rows, tallies),
                   "advertisements.csv", key="ads_csv")


render("Advertisements", body, fresh="advertisements", live="advertisements",
       target_keys={"network": "f_ads_network", "advertiser": "f_ads_advertiser"})
