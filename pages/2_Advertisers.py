"""Advertisers: filter, sort by running campaigns or views; click a row to open one."""

import streamlit as st

from bs_core.ui import reads, urlstate
from bs_core.ui.columns import columns_for
from bs_core.ui.details import advertiser_panel
from bs_core.ui.frames import advertisers_frame
from bs_core.ui.layout import PageContext, network_select, remember, render
from bs_core.ui.period import coverage_line, period_picker
from bs_core.ui.tables import clickable, csv_button, forget_click, paged

PAGE = "advertisers"
OPEN = "f_advertisers_open"
PERIOD = "f_advertisers_period"
SORTS = {"Name": "name_key", "Running campaigns": "running", "Views": "views", "ID": "_id"}
state = st.session_state


def url_params(ctx: PageContext) -> list[urlstate.Param]:
    return [urlstate.network_param("f_advertisers_network", lambda: reads.name_options(ctx.mirror, "networks")),
            urlstate.Param("q", "f_advertisers_search", lambda t: t[:200]),
            *urlstate.period_params(PERIOD),
            urlstate.Param("open", OPEN, urlstate.opened("advertiser"), lambda i: f"advertiser:{i}")]


def close() -> None:
    state[OPEN] = None
    forget_click("advertisers_table")


def body(ctx: PageContext) -> None:
    m = ctx.mirror
    params = url_params(ctx)
    urlstate.read_url(PAGE, params)
    c1, c2, c3, c4 = st.columns([1, 1, 1, 0.5], vertical_alignment="bottom")
    network = network_select(ctx, "f_advertisers_network", c1)
    search = c2.text_input("Name contains", key="f_advertisers_search")
    coverage = reads.stats_coverage(m, network)
    with c3:
        period = period_picker(coverage, PERIOD, label="Views and clicks over")
    urlstate.clear_button(PAGE, params, c4, extra_keys=("f_advertisers_sort", "f_advertisers_desc"))
    c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    sort_label = c1.selectbox("Sort by", list(SORTS), key=remember("f_advertisers_sort", "Name"))
    descending = c2.toggle("Descending", key="f_advertisers_desc")
    c3.caption(coverage_line(coverage, ctx.today))
    urlstate.write_url(PAGE, params)
    sort = (SORTS[sort_label], -1 if descending else 1)
    if period is None and sort[0] == "views":
        sort = ("name_key", 1)
    start, end = period or (None, None)

    if state.get(OPEN) is not None:
        advertiser_panel(ctx, state[OPEN], period, close)
        st.divider()
    result = paged("advertisers", lambda p, n: reads.advertisers_enriched(m, network, search, sort, p, n, start, end),
                   "advertisers")
    if result.total:
        df = advertisers_frame(result.rows)
        if period is None:
            df = df.drop(columns=["Views", "Clicks", "CTR"])
        st.caption("Click a row to open the advertiser.")
        clickable(df, "advertisers_table", [r["_id"] for r in result.rows], lambda i: state.update({OPEN: i}),
                  column_config=columns_for(df))
        csv_button("Export all filtered advertisers (CSV)",
                   lambda: advertisers_frame(reads.advertisers_enriched(m, network, search, sort, 1, 100_000,
                                                                        start, end).rows),
                   "advertisers.csv", key="advertisers_csv")


render("Advertisers", body, fresh="advertisers", live="advertisers", target_keys={"network": "f_advertisers_network"})
