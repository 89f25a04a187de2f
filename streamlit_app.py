"""Overview: KPIs, campaigns ending soon, the campaign timeline, top advertisers,
placements per zone, and reporting for a chosen date range."""

import datetime as dt

import streamlit as st

from bs_core.http_api import make_routes
from bs_core.normalize import labelled
from bs_core.ui import charts, reads
from bs_core.ui import format as fmt
from bs_core.ui.app_runtime import app_runtime
from bs_core.ui.frames import campaigns_frame
from bs_core.ui.layout import PageContext, remember, render

# The same server answers the HTTP sync API (/api/sync/status, /api/sync/trigger).
app = st.App(__file__, routes=make_routes(app_runtime))


def body(ctx: PageContext) -> None:
    if ctx.source != "mirror":
        if ctx.source == "live":
            st.info("The first sync is building the local mirror; its progress is in the sidebar. "
                    "The Campaigns, Advertisers, Advertisements, Zones and Networks pages already show "
                    "live BroadStreet data meanwhile.", icon=":material/hourglass_top:")
        st.stop()

    kpis(ctx.mirror)
    reporting(ctx)
    campaign_lists(ctx)
    distribution(ctx.mirror)


def kpis(m) -> None:
    counts = reads.entity_counts(m)
    status = reads.campaign_status_counts(m)
    cols = st.columns(4)
    cols[0].metric("Networks", f"{counts['networks']:,}")
    cols[1].metric("Advertisers", f"{counts['advertisers']:,}")
    cols[2].metric("Advertisements", f"{counts['advertisements']:,}")
    cols[3].metric("Zones", f"{counts['zones']:,}")
    cols = st.columns(5)  # every status: the four add up to all campaigns
    cols[0].metric("Running campaigns", f"{status['running']:,}")
    cols[1].metric("Scheduled campaigns", f"{status['scheduled']:,}")
    cols[2].metric("Paused campaigns", f"{status['paused']:,}")
    cols[3].metric("Ended campaigns", f"{status['ended']:,}")
    cols[4].metric("Placements", f"{counts['placements']:,}")


def reporting(ctx: PageContext) -> None:
    m, today = ctx.mirror, ctx.today
    st.subheader("Reporting")
    period = st.date_input("Date range", max_value=today,
                           key=remember("f_overview_period", (today - dt.timedelta(days=29), today)))
    start, end = (period if isinstance(period, tuple) and len(period) == 2 else (today - dt.timedelta(days=29), today))
    totals = reads.stats_totals(m, start=start, end=end)
    cols = st.columns(3)
    cols[0].metric("Views", f"{totals['views']:,}")
    cols[1].metric("Clicks", f"{totals['clicks']:,}")
    cols[2].metric("CTR", f"{totals['ctr']:.2%}")
    series = reads.stats_daily_series(m, start=start, end=end)
    if series:
        st.plotly_chart(charts.daily_trend(series), key="trend")
    else:
        st.info("No reporting data in this date range.")
    left, right = st.columns(2)
    by_views = reads.top_campaigns(m, start=start, end=end, by="views", limit=10)
    by_ctr = reads.top_campaigns(m, start=start, end=end, by="ctr", limit=10, min_views=1000)
    for row in by_views + by_ctr:  # campaign names repeat (docs/broadstreet-api.md): label bars by name and id
        row["label"] = fmt.chart_text(labelled(row["name"], row["campaign_id"]), 50)
    with left:
        if by_views:
            st.plotly_chart(charts.bar(by_views, "views", "label", "Top campaigns by views"), key="top_views")
    with right:
        if by_ctr:
            for row in by_ctr:
                row["ctr_pct"] = round(row["ctr"] * 100, 3)
            st.plotly_chart(charts.bar(by_ctr, "ctr_pct", "label", "Top campaigns by CTR % (≥ 1,000 views)"),
                            key="top_ctr")


def campaign_lists(ctx: PageContext) -> None:
    m, today = ctx.mirror, ctx.today
    st.subheader("Campaigns ending in the next 14 days")
    ending = reads.campaigns_ending_within(m, days=14, today=today)
    if ending:
        st.dataframe(campaigns_frame(ending)[["id", "name", "advertiser", "network", "end", "placements", "broadstreet"]],
                     hide_index=True, column_config={
                         "end": st.column_config.DateColumn("Ends", format="YYYY-MM-DD"),
                         "broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open")})
    else:
        st.info("No running campaign ends in the next 14 days.")

    st.subheader("Running and scheduled campaigns")
    timeline = reads.campaign_timeline(m, limit=60)
    if timeline:
        st.plotly_chart(charts.campaign_timeline(timeline, today), key="timeline")
    else:
        st.info("No running or scheduled campaigns.")


def distribution(m) -> None:
    left, right = st.columns(2)
    with left:
        top = reads.top_advertisers_by_running(m, limit=10)
        if top:
            for row in top:
                row["label"] = fmt.chart_text(labelled(row["name"], row["advertiser_id"]), 50)
            st.plotly_chart(charts.bar(top, "running", "label", "Top advertisers by running campaigns"), key="top_adv")
        else:
            st.info("No advertiser has a running campaign.")
    with right:
        zones = reads.placements_per_zone(m, limit=15)
        if zones:
            for row in zones:  # zone names repeat too
                row["label"] = fmt.chart_text(labelled(row["name"], row["zone_id"]), 50)
            st.plotly_chart(charts.bar(zones, "placements", "label", "Placements per zone (top 15)"), key="per_zone")
        else:
            st.info("No placements yet.")


if __name__ == "__main__":  # a page run; the server also imports this file, for `app` alone
    render("Overview", body, fresh="stats_daily")
