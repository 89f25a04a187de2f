"""Overview: KPIs, campaigns ending soon, the campaign timeline, top advertisers,
placements per zone, and reporting for a chosen date range."""

import datetime as dt

import streamlit as st

from bs_core.entities import ENTITIES
from bs_core.http import make_routes
from bs_core.read.breakdowns import ROLLUPS, rollup
from bs_core.read.figures import BEHIND_PACE
from bs_core.read.reporting import Coverage, StatsFilter, previous_period, year_before
from bs_core.ui import charts, prewarm, reads, urlstate
from bs_core.ui import format as fmt
from bs_core.ui.app_runtime import app_lifespan, app_runtime
from bs_core.ui.columns import columns_for
from bs_core.ui.frames import campaigns_frame, daily_stats_frame
from bs_core.ui.layout import (
    PageContext,
    advertiser_select,
    filter_row,
    network_select,
    open_detail,
    remember,
    render,
)
from bs_core.ui.metrics import MetricRow
from bs_core.ui.period import coverage_line, period_picker
from bs_core.ui.tables import clickable, csv_button

# The same server answers the HTTP sync API (/api/sync/status, /api/sync/trigger); its
# lifespan cancels the app's syncs when the server stops.
app = st.App(__file__, routes=make_routes(app_runtime, page_cache=prewarm.report), lifespan=app_lifespan)


PAGE = "overview"
COMPARISONS = {"previous period": previous_period, "same period last year": year_before}
PERIOD = "f_overview_period"
TIMELINE_LIMIT = 60  # bars a timeline stays readable with
KPI_HELP = {"zones": {"advertiser": "Zones its campaigns are placed in"}}


def url_params(ctx: PageContext) -> list[urlstate.Param]:
    return [*urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_overview_network",
                                   "f_overview_advertiser"),
            *urlstate.period_params(PERIOD)]


def body(ctx: PageContext) -> None:
    if ctx.source != "mirror":
        if ctx.source == "live":
            st.info("The first sync is building the local mirror; its progress is in the sidebar. "
                    "The Campaigns, Advertisers, Advertisements, Zones and Networks pages already show "
                    "live BroadStreet data meanwhile.", icon=":material/hourglass_top:")
        st.stop()

    m = ctx.mirror
    params = url_params(ctx)
    urlstate.read_url(PAGE, params)
    c1, c2, c3, c4 = filter_row(200, 200, 240, "content")
    network = network_select(ctx, "f_overview_network", c1)
    advertiser = advertiser_select(ctx, "f_overview_advertiser", network, c2)
    coverage = reads.stats_coverage(m, network)
    period_slot = c3.container()
    urlstate.clear_button(PAGE, params, c4, extra_keys=("f_overview_complete", "f_overview_compare",
                                                        "f_overview_grain"))
    o1, o2, o3 = filter_row(200, 240, 160)
    complete = o1.toggle("Complete days only", key=remember("f_overview_complete", True),
                         help="Periods end yesterday: today's partial day is not compared with whole days.")
    # complete days are each network's own: a UTC-08:00 network's today may still be UTC's yesterday
    days = ctx.days
    selected = [network] if network is not None else reads.name_options(m, "networks")
    lasts = days.last_complete(selected)
    shown = coverage.through(max(lasts.values(), default=ctx.today - dt.timedelta(days=1))) if complete else coverage
    period = period_picker(shown, PERIOD, period_slot, label="Reporting period")
    cut = tuple(sorted(lasts.items())) if complete and len(set(lasts.values())) > 1 else None
    # a year back is offered only when the mirror holds those days
    offered = [name for name, shift in COMPARISONS.items()
               if name == "previous period" or (period is not None and coverage.covers(*shift(*period)))]
    compare = o2.selectbox("Compare with", offered, key="f_overview_compare",
                           help="The same period a year earlier is offered when the mirror holds it.")
    grain = o3.selectbox("Trend by", list(ROLLUPS), key="f_overview_grain", format_func=lambda g: f"{g}s")
    urlstate.write_url(PAGE, params)
    st.caption(coverage_line(coverage, ctx.today, shown))
    if cut:  # said once: what "complete days" means for this selection
        st.caption(f"Complete days: {days.describe(selected)}; each network's figures stop at its own.")

    kpis(ctx, network, advertiser)
    reporting(ctx, StatsFilter(network, advertiser, through=cut), period, coverage, COMPARISONS[compare], grain)
    campaign_lists(ctx, network, advertiser)
    distribution(m, network, advertiser)


def kpis(ctx: PageContext, network: int | None, advertiser: int | None) -> None:
    m = ctx.mirror
    counts = reads.scoped_counts(m, network, advertiser)
    status = reads.campaign_status_counts(m, network, advertiser)
    behind = [p for p in reads.behind_pace(m, ctx.days, network) if advertiser in (None, p.advertiser_id)]
    row = MetricRow()
    for entity in ENTITIES.values():  # the registry's counted kinds (``kpi``), in its order
        if entity.kpi:
            row.add(entity.label, f"{counts.get(entity.name, 0):,}", help=KPI_HELP.get(entity.name, {}).get(
                "advertiser" if advertiser is not None else "all"))
    row.add(BEHIND_PACE.name, f"{len(behind):,}", help=f"{BEHIND_PACE.definition} Delivery health lists them.")
    earned_this_month(ctx, network, advertiser, row)
    row = MetricRow()  # every status: the four add up to all campaigns
    row.add("Running campaigns", f"{status['running']:,}")
    row.add("Scheduled campaigns", f"{status['scheduled']:,}")
    row.add("Paused campaigns", f"{status['paused']:,}")
    row.add("Ended campaigns", f"{status['ended']:,}")
    row.add("Placements", f"{counts['placements']:,}")


def earned_this_month(ctx: PageContext, network: int | None, advertiser: int | None, row: MetricRow) -> None:
    """Earned this month (priced campaigns, each network through its own yesterday) against
    the same days of last month; read now, not cached: rates change without a sync."""
    found = reads.month_to_date(ctx.mirror, ctx.days, network, advertiser)
    if found is None:
        return
    currency = ctx.runtime.settings.currency
    diff = round(found["earned"] - found["before"], 2)
    share = f" ({diff / found['before']:+.1%})" if found["before"] else ""
    row.add("Earned this month", f"{found['earned']:,.2f} {currency}",
            **fmt.metric_delta("no change" if diff == 0 else f"{diff:+,.2f}{share}"),
            help=f"What {found['priced']:,} priced campaign(s) earned from {found['first']} through "
                 f"{found['last']} (each network through its own yesterday), against the same days of last "
                 "month. Rates are set on the Rates page.")


def reporting(ctx: PageContext, flt: StatsFilter, period, coverage: Coverage, compare, grain: str) -> None:
    m = ctx.mirror
    st.subheader("Reporting")
    if period is None:
        return
    start, end = period
    totals = reads.stats_totals(m, start, end, flt)
    before = compare(start, end)
    previous = reads.stats_totals(m, *before, flt) if coverage.covers(*before) else None
    st.caption(f"{start} to {end} ({coverage.clock}), compared with {before[0]} to {before[1]}.")
    row = MetricRow()
    for name in ("views", "clicks", "hovers", "conversions"):
        row.add(name.capitalize(), f"{totals[name]:,}", **fmt.metric_delta(
                fmt.change(totals[name], previous and previous[name])),
                help=f"{start} to {end}; the change is against {before[0]} to {before[1]}")
    points = None if previous is None else round((totals["ctr"] - previous["ctr"]) * 100, 2)
    row.add("CTR", f"{totals['ctr']:.2%}",
            **fmt.metric_delta(None if points is None else f"{points:+.2f} pp" if points else "no change"),
            help="Clicks / views; the change is in percentage points")
    if previous is None:
        st.caption(f"No change shown: {before[0]} to {before[1]} is not all in the mirror.")
    series = reads.stats_daily_series(m, start, end, flt)
    if series:
        st.plotly_chart(charts.daily_trend(rollup(series, grain, period), ctx.today, grain), key="trend")
        st.plotly_chart(charts.hours_chart(reads.hours(m, start, end, flt), f"{start} to {end}", coverage.clock),
                        key="hours")
    else:
        st.info("No views in this period for this selection.")
    csv_button("Download the daily stats of this selection (CSV)",
               lambda: daily_stats_frame(reads.stats_daily_rows(m, start, end, flt)),
               f"daily-stats-{start}-{end}.csv", key="overview_daily_csv")
    left, right = st.columns(2)
    by_views = reads.top_campaigns(m, start, end, by="views", limit=10, flt=flt)
    by_ctr = reads.top_campaigns(m, start, end, by="ctr", limit=10, min_views=1000, flt=flt)
    for row in by_views + by_ctr:  # campaign names repeat (docs/broadstreet-api.md): label bars by name and id
        row["label"] = fmt.chart_label(row["name"], row["campaign_id"], 50)
        row["ctr_pct"] = round(row["ctr"] * 100, 2)
    if by_views:
        left.plotly_chart(charts.bar(by_views, "views", "label", "Top campaigns by views", "Views", value_format=",d",
                                     subtitle=f"{start} to {end}"), key="top_views")
    if by_ctr:
        right.plotly_chart(charts.bar(by_ctr, "ctr_pct", "label", "Top campaigns by CTR (at least 1,000 views)",
                                      "CTR %", value_format=".2f", subtitle=f"{start} to {end}"), key="top_ctr")


def campaign_lists(ctx: PageContext, network: int | None, advertiser: int | None) -> None:
    m, today = ctx.mirror, ctx.today
    st.subheader("Campaigns ending in the next 14 days")
    st.caption("Views: every mirrored day.")
    ending = reads.campaigns_ending_within(m, 14, today, 100, network, advertiser)
    if ending:
        st.caption("Click a row to open the campaign.")
        df = campaigns_frame(ending)[["Name", "Advertiser", "End", "Views", "Placements", "Network", "ID",
                                      "BroadStreet"]]
        clickable(df, "ending_table", [r["_id"] for r in ending], lambda i: open_detail("campaign", i),
                  column_config=columns_for(df))
    else:
        st.info("No running campaign ends in the next 14 days.")

    st.subheader("Running and scheduled campaigns")
    timeline = reads.campaign_timeline(m, TIMELINE_LIMIT, network, advertiser)
    if timeline.rows:
        if timeline.total > len(timeline.rows):
            st.caption(f"The {len(timeline.rows)} that end soonest of {timeline.total:,} running and scheduled "
                       "campaigns (open-ended ones last); the Campaigns page lists them all.")
        st.plotly_chart(charts.campaign_timeline(timeline.rows, today), key="timeline")
    else:
        st.info("No running or scheduled campaigns.")


def distribution(m, network: int | None, advertiser: int | None) -> None:
    # with an advertiser chosen there is no advertiser ranking: the zones take the whole row
    left, right = st.columns(2) if advertiser is None else (None, st.container())
    if advertiser is None:
        top = reads.top_advertisers_by_running(m, 10, network)
        for row in top:
            row["label"] = fmt.chart_label(row["name"], row["advertiser_id"], 50)
        if top:
            left.plotly_chart(charts.bar(top, "running", "label", "Top advertisers by running campaigns",
                                         "Campaigns running"), key="top_adv")
        else:
            left.info("No advertiser has a running campaign.")
    zones = reads.placements_per_zone(m, 15, network, advertiser)
    for row in zones:  # zone names repeat too
        row["label"] = fmt.chart_label(row["name"], row["zone_id"], 50)
    if zones:
        right.plotly_chart(charts.bar(zones, "placements", "label", "Placements per zone (top 15)", "Placements"),
                           key="per_zone")
    else:
        right.info("No placements yet.")


if __name__ == "__main__":  # a page run; the server also imports this file, for `app` alone
    render("Overview", body, fresh="stats_daily",
           target_keys={"network": "f_overview_network", "advertiser": "f_overview_advertiser"})
