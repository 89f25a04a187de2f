"""Campaigns: filter, sort (by figures too), page through and export; click a row to open one."""

import dataclasses
import datetime as dt

import streamlit as st

from bs_core import read as rm
from bs_core.normalize import CAMPAIGN_STATUSES
from bs_core.ui import reads, urlstate
from bs_core.ui.columns import columns_for
from bs_core.ui.detail_panels import campaign_panel
from bs_core.ui.frames import campaigns_frame
from bs_core.ui.layout import PageContext, advertiser_select, network_select, remember, render
from bs_core.ui.period import coverage_line, period_picker
from bs_core.ui.tables import clickable, csv_button, forget_click, paged

PAGE = "campaigns"
OPEN = "f_campaigns_open"
PERIOD = "f_campaigns_period"
SORTS = {"Name": "name_key", "Views": "views", "Clicks": "clicks", "CTR": "ctr", "Placements": "placements",
         "Start date": "starts_on", "End date": "ends_on", "Status": "status", "Weight": "weight_value", "ID": "_id"}
FIGURE_SORTS = ("views", "clicks", "ctr")
state = st.session_state


@dataclasses.dataclass(frozen=True)
class Query:
    flt: rm.CampaignFilter
    sort: tuple[str, int]
    period: tuple[dt.date, dt.date] | None


def url_params(ctx: PageContext) -> list[urlstate.Param]:
    return [*urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_campaigns_network",
                                   "f_campaigns_advertiser"),
            urlstate.Param("status", "f_campaigns_status", urlstate.choices(CAMPAIGN_STATUSES), urlstate.listed),
            urlstate.Param("q", "f_campaigns_search", lambda t: t[:200]),
            *urlstate.period_params(PERIOD),
            urlstate.Param("open", OPEN, urlstate.opened("campaign"), lambda i: f"campaign:{i}")]


def body(ctx: PageContext) -> None:
    params = url_params(ctx)
    urlstate.read_url(PAGE, params)
    query = filters(ctx, params)
    urlstate.write_url(PAGE, params)
    if state.get(OPEN) is not None:
        campaign_panel(ctx, state[OPEN], query.period, close)
        st.divider()
    table(ctx.mirror, query)


def close() -> None:
    state[OPEN] = None
    forget_click("campaigns_table")


def filters(ctx: PageContext, params: list[urlstate.Param]) -> Query:
    c1, c2, c3, c4 = st.columns([1, 1, 1, 0.6], vertical_alignment="bottom")
    network = network_select(ctx, "f_campaigns_network", c1)
    advertiser = advertiser_select(ctx, "f_campaigns_advertiser", network, c2)
    statuses = c3.multiselect("Status", list(CAMPAIGN_STATUSES), key="f_campaigns_status", placeholder="All statuses")
    urlstate.clear_button(PAGE, params, c4, extra_keys=("f_campaigns_use_dates", "f_campaigns_dates",
                                                        "f_campaigns_sort", "f_campaigns_desc"))
    c1, c2, c3 = st.columns([1, 1, 1])
    search = c1.text_input("Name contains", key="f_campaigns_search", placeholder="e.g. spring")
    coverage = reads.stats_coverage(ctx.mirror, network)
    with c2:
        period = period_picker(coverage, PERIOD, label="Views and clicks over")
    use_dates = c3.toggle("Only campaigns live in a date range", key="f_campaigns_use_dates")
    overlap = (None, None)
    if use_dates:
        picked = c3.date_input("Live between", format="YYYY-MM-DD",
                               key=remember("f_campaigns_dates", (ctx.today, ctx.today + dt.timedelta(days=30))))
        if isinstance(picked, tuple) and len(picked) == 2:
            overlap = picked
    c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    sort_label = c1.selectbox("Sort by", list(SORTS), key=remember("f_campaigns_sort", "Name"))
    descending = c2.toggle("Descending", key="f_campaigns_desc")
    c3.caption(coverage_line(coverage, ctx.today))
    sort = (SORTS[sort_label], -1 if descending else 1)
    if period is None and sort[0] in FIGURE_SORTS:
        sort = ("name_key", 1)  # no figures without a covered period
    return Query(rm.CampaignFilter(network, advertiser, tuple(statuses), overlap[0], overlap[1], search), sort,
                 period)


def table(m, q: Query) -> None:
    start, end = q.period or (None, None)
    result = paged("campaigns", lambda p, n: reads.campaigns_enriched(m, q.flt, q.sort, p, n, start, end),
                   "campaigns")
    if not result.total:
        return
    df = campaigns_frame(result.rows)
    if q.period is None:
        df = df.drop(columns=["Views", "Clicks", "CTR"])
    st.caption("Click a row to open the campaign.")
    clickable(df, "campaigns_table", [r["_id"] for r in result.rows], pick, column_config=columns_for(df))
    csv_button("Export all filtered campaigns (CSV)",
               lambda: campaigns_frame(reads.campaigns_for_export(m, q.flt, q.sort, start, end)),
               "campaigns.csv", key="campaigns_csv")


def pick(campaign_id: int) -> None:
    state[OPEN] = campaign_id


render("Campaigns", body, fresh="campaigns", live="campaigns", detail="campaign",
       live_columns=["_id", "name_clean", "advertiser_id", "status", "starts_on", "ends_on", "weight"],
       target_keys={"network": "f_campaigns_network", "advertiser": "f_campaigns_advertiser"})
