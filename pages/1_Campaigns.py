"""Campaigns: filter, sort, page through and export the mirrored campaigns; open one."""

import dataclasses
import datetime as dt

import streamlit as st

from bs_core import readmodels as rm
from bs_core.normalize import CAMPAIGN_STATUSES, labelled
from bs_core.ui import charts, reads
from bs_core.ui import format as fmt
from bs_core.ui.frames import campaigns_frame, placements_frame
from bs_core.ui.layout import (
    PageContext,
    advertiser_select,
    network_select,
    remember,
    render,
)
from bs_core.ui.tables import csv_button, paged

SORTS = {"Name": "name_key", "Start date": "starts_on", "End date": "ends_on", "Status": "status",
         "Weight": "weight_value", "ID": "_id"}
COLUMNS = {
    "id": st.column_config.NumberColumn("ID", format="%d"),
    "name": st.column_config.TextColumn("Name"),
    "advertiser": st.column_config.TextColumn("Advertiser"),
    "network": st.column_config.TextColumn("Network"),
    "status": st.column_config.TextColumn("Status"),
    "weight": st.column_config.TextColumn("Weight"),
    "start": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
    "end": st.column_config.DateColumn("End", format="YYYY-MM-DD", help="Empty: open-ended"),
    "weight_value": st.column_config.NumberColumn("Weight value", format="%.1f"),
    "placements": st.column_config.NumberColumn("Placements", format="%d"),
    "views": st.column_config.NumberColumn("Views", format="localized"),
    "clicks": st.column_config.NumberColumn("Clicks", format="localized"),
    "ctr": st.column_config.NumberColumn("CTR", format="percent"),
    "broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open"),
}
state = st.session_state


@dataclasses.dataclass(frozen=True)
class Query:
    flt: rm.CampaignFilter
    sort: tuple[str, int]
    stats_from: dt.date
    stats_to: dt.date


def body(ctx: PageContext) -> None:
    query = filters(ctx)
    result = table(ctx.mirror, query)
    detail(ctx.mirror, result, query)


def filters(ctx: PageContext) -> Query:
    c1, c2, c3 = st.columns([1, 1, 1])
    network = network_select(ctx, "f_campaigns_network", c1)
    advertiser = advertiser_select(ctx, "f_campaigns_advertiser", network, c2)
    statuses = c3.multiselect("Status", list(CAMPAIGN_STATUSES), key="f_campaigns_status", placeholder="All statuses")
    c1, c2, c3 = st.columns([1, 1, 1])
    search = c1.text_input("Name contains", key="f_campaigns_search", placeholder="e.g. spring")
    use_dates = c2.toggle("Only campaigns live in a date range", key="f_campaigns_use_dates")
    overlap = (None, None)
    if use_dates:
        picked = c2.date_input("Live between",
                               key=remember("f_campaigns_dates", (ctx.today, ctx.today + dt.timedelta(days=30))))
        if isinstance(picked, tuple) and len(picked) == 2:
            overlap = picked
    stats_days = c3.selectbox("Views and clicks over", [7, 30, 90], key=remember("f_campaigns_stats_days", 30),
                              format_func=lambda d: f"the last {d} days")
    c1, c2 = st.columns([1, 1])
    sort_label = c1.selectbox("Sort by", list(SORTS), key="f_campaigns_sort")
    descending = c2.toggle("Descending", key="f_campaigns_desc")

    return Query(rm.CampaignFilter(network, advertiser, tuple(statuses), overlap[0], overlap[1], search),
                 (SORTS[sort_label], -1 if descending else 1), ctx.today - dt.timedelta(days=stats_days - 1),
                 ctx.today)


def table(m, q: Query) -> rm.Page:
    result = paged("campaigns", lambda p, n: reads.campaigns_enriched(m, q.flt, q.sort, p, n, q.stats_from,
                                                                      q.stats_to), "campaigns")
    if result.total:
        st.dataframe(campaigns_frame(result.rows), hide_index=True, key="campaigns_table", column_config=COLUMNS)
        csv_button("Export all filtered campaigns (CSV)",
                   lambda: campaigns_frame(reads.campaigns_for_export(m, q.flt, q.sort, q.stats_from, q.stats_to)),
                   "campaigns.csv", key="campaigns_csv")
    return result


def detail(m, result: rm.Page, q: Query) -> None:
    st.subheader("Campaign detail")
    options = {r["_id"]: fmt.short(labelled(r.get("name_clean"), r["_id"]), 80) for r in result.rows}
    if state.get("f_campaigns_detail") not in (None, *options):
        state["f_campaigns_detail"] = None  # it was on another page of results
    chosen = st.selectbox("Campaign", [None, *options], key="f_campaigns_detail",
                          format_func=lambda i: "Pick a campaign from this page" if i is None else options.get(i, str(i)),
                          placeholder="Pick a campaign from this page")
    if chosen is not None:
        camp = next(r for r in result.rows if r["_id"] == chosen)
        cols = st.columns(4)
        cols[0].metric("Status", camp.get("status", "?"))
        cols[1].metric("Placements", f"{camp.get('placement_count', 0):,}")
        cols[2].metric("Views", f"{camp.get('views', 0):,}")
        cols[3].metric("CTR", f"{camp.get('ctr', 0.0):.2%}")
        series = reads.stats_daily_series(m, start=q.stats_from, end=q.stats_to, campaign_id=chosen)
        if series:
            st.plotly_chart(charts.daily_trend(series), key="campaign_trend")
        else:
            st.info("No reporting data for this campaign in the chosen period.")
        placed = paged("placements", lambda p, n: reads.placements_named(m, chosen, p, n), "placements")
        if placed.total:
            st.dataframe(placements_frame(placed.rows), hide_index=True, key="placements_table")


render("Campaigns", body, fresh="campaigns", live="campaigns",
       live_columns=["_id", "name_clean", "advertiser_id", "status", "starts_on", "ends_on", "weight"],
       target_keys={"network": "f_campaigns_network", "advertiser": "f_campaigns_advertiser"})
