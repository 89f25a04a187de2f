"""The detail panels a row click (or an ``open=KIND:ID`` link) opens: one campaign, one
advertiser, one zone.  Names are data: headings and links go through ``plain``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from ..entities import DETAIL_PAGES
from ..read import CampaignFilter
from ..read.reporting import StatsFilter
from . import charts, reads
from . import format as fmt
from .columns import MISSING, columns_for
from .frames import (
    ad_campaigns_frame,
    advertisements_frame,
    campaign_ads_frame,
    campaign_zones_frame,
    campaigns_frame,
    daily_stats_frame,
    day,
    placements_frame,
    zone_campaigns_frame,
)
from .layout import PageContext, open_detail
from .metrics import MetricRow, wrapping_row
from .tables import clickable, csv_button, paged
from .zone_outlook import outlook_panel

Period = tuple[dt.date, dt.date] | None


def _heading(kind: str, name: str, on_close: Callable[[], None]) -> None:
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.subheader(fmt.plain(name), anchor=False)
    right.button("Close", key=f"close_{kind}", on_click=on_close, icon=":material/close:")


def _facts(*labelled: tuple[str, int]) -> list:
    """The labelled facts of a detail's head, each (label, width px), in a row that wraps
    at 1,000 px instead of breaking words; returns the places for their values."""
    boxes = wrapping_row(*(width for _, width in labelled), gap="medium")
    for box, (label, _) in zip(boxes, labelled, strict=True):
        box.caption(label)
    return boxes


def _link(kind: str, ident: int | None, name: str, where=st) -> None:
    """A link that opens another detail (advertiser of a campaign, and so on)."""
    if ident is None:
        where.markdown("—")
        return
    where.page_link(DETAIL_PAGES[kind], label=fmt.plain(fmt.short(name or f"{kind} {ident}", 60)),
                    query_params={"open": f"{kind}:{ident}"}, icon=":material/open_in_new:")


def _figures(figures: dict, period: Period) -> None:
    """A row for every mirrored day, one for the period."""
    life, now = figures["lifetime"], figures["period"]
    row = MetricRow()
    row.add("Views, all mirrored days", f"{life['views']:,}")
    row.add("Clicks, all mirrored days", f"{life['clicks']:,}")
    row.add("CTR, all mirrored days", f"{life['ctr']:.2%}")
    if period is not None:
        what = f"{period[0]} to {period[1]}"
        row = MetricRow()
        row.add("Views in period", f"{now['views']:,}", help=what)
        row.add("Clicks in period", f"{now['clicks']:,}", help=what)
        row.add("CTR in period", f"{now['ctr']:.2%}", help=what)


def _trend(ctx: PageContext, flt: StatsFilter, period: Period, key: str, noun: str) -> None:
    if period is None:
        return
    series = reads.stats_daily_series(ctx.mirror, period[0], period[1], flt)
    if series:
        st.plotly_chart(charts.daily_trend(series, ctx.today), key=f"{key}_trend")
    else:
        st.info(f"No views for this {noun} in the period.")
    csv_button(f"Download this {noun}'s daily stats (CSV)",
               lambda: daily_stats_frame(reads.stats_daily_rows(ctx.mirror, period[0], period[1], flt)),
               f"{noun}-daily-stats-{period[0]}-{period[1]}.csv", key=f"{key}_daily_csv")


def campaign_panel(ctx: PageContext, campaign_id: int, period: Period, on_close: Callable[[], None]) -> None:
    m = ctx.mirror
    start, end = period or (None, None)
    camp = reads.campaign_detail(m, campaign_id, start, end)
    if camp is None:  # never mirrored, and no reporting of it either: not a deleted campaign
        st.warning(f"Campaign {campaign_id} is not in the mirror.", icon=":material/search_off:")
        return
    if camp["deleted"]:
        _heading("campaign", f"campaign {campaign_id} (deleted)", on_close)
        st.caption("This campaign is no longer in BroadStreet; its reporting stays in the mirror.")
    else:
        _heading("campaign", fmt.short(camp.get("name_clean") or str(campaign_id), 120), on_close)
        owner, network, dates, status, weight, ident = _facts(
            ("Advertiser", 210), ("Network", 150), ("Dates", 210), ("Status", 90), ("Weight", 100),
            (f"ID {campaign_id}", 110))
        _link("advertiser", camp.get("advertiser_id"), camp.get("advertiser_name", ""), owner)
        network.text(camp.get("network_name") or "—")
        dates.text(f"{day(camp.get('starts_on'), 'no start date')} → {day(camp.get('ends_on'), 'open-ended')}")
        status.text(camp.get("status") or "—")
        weight.text(str(camp.get("weight") or "—"))
        link = fmt.dashboard_link(camp.get("path"))
        if link:
            ident.link_button("Open", link, icon=":material/open_in_new:", help="Open in BroadStreet")
    _figures(camp, period)
    if not camp["deleted"]:
        _pacing(ctx, campaign_id)
        _money(ctx, campaign_id)
    _trend(ctx, StatsFilter(campaign_id=campaign_id), period, "campaign", "campaign")
    if camp["deleted"]:
        return
    when = f"{period[0]} to {period[1]}" if period else "all mirrored days"
    # side by side at 1,400 px, one above the other at 1,000
    left, right = wrapping_row(440, 440, gap="medium", inner_gap="small")
    _small_table(left, f"**Delivery per zone**, {when}", reads.campaign_zones(m, campaign_id, start, end),
                 campaign_zones_frame, "campaign_zones_table", "No views in any zone in this period.")
    _small_table(right, f"**Advertisements**, views {when}", reads.campaign_ads(m, campaign_id, start, end),
                 campaign_ads_frame, "campaign_ads_table", "This campaign places no advertisement.")
    st.markdown(f"**Placements**, views {when}")
    placed = paged("detail_placements", lambda p, n: reads.placements_named(m, campaign_id, p, n, start, end),
                   "placements")
    if placed.total:
        df = placements_frame(placed.rows)
        st.dataframe(df, hide_index=True, placeholder=MISSING, key="placements_table", column_config=columns_for(df))


def _small_table(where, title: str, rows: list[dict], frame: Callable, key: str, empty: str) -> None:
    """A titled table in one of the detail's columns (an info line when it has no rows)."""
    where.markdown(title)
    if rows:
        df = frame(rows)
        where.dataframe(df, hide_index=True, placeholder=MISSING, key=key, column_config=columns_for(df), height=250)
    else:
        where.info(empty)


def _pacing(ctx: PageContext, campaign_id: int) -> None:
    """The pacing card and the delivered-against-expected chart (campaigns with a goal)."""
    found = reads.pacing_of(ctx.mirror, ctx.days, campaign_id=campaign_id)
    if not found:
        st.caption("No impression goal (max_impression_count) is set: there is no pacing to show.")
        return
    p = found[0]
    coverage = reads.stats_coverage(ctx.mirror, p.network_id)  # its network: its clock, only its clock
    clock = coverage.clock
    if p.covers_from is None:
        st.info(f"Pacing: not started; the flight starts {day(p.starts_on)} (goal {p.goal:,} views).",
                icon=":material/schedule:")
        return
    st.markdown(f"**Pacing: {p.status}**, flight days {p.covers_from} to {p.covers_to} (through yesterday, "
                f"{clock}); goal {p.goal:,} views")
    row = MetricRow()
    row.add("Delivered of goal", f"{p.delivered:,}", help=f"Goal {p.goal:,} views",
            delta=f"{p.delivered / p.goal:.0%} of goal", delta_color="off", delta_arrow="off")
    row.add("Pacing", "—" if p.pacing is None else f"{p.pacing:.0%}",
            help=None if p.expected is None else f"Delivered / expected ({p.expected:,} by yesterday)")
    row.add("Needed per day", "—" if p.needed_per_day is None else f"{p.needed_per_day:,}",
            help="Views a day from today to the end date to meet the goal")
    row.add("Projected at end", "—" if p.projected is None else f"{p.projected:,}",
            help="At the last 7 complete days' daily rate")
    if p.lacking_days:
        st.warning(f"The mirror lacks {p.lacking_days:,} day(s) of this flight (its reporting starts "
                   f"{coverage.first}), so the figures above are not judged: the "
                   "pace is 'partial data'.", icon=":material/date_range:")
    rows = reads.pacing_cumulative(ctx.mirror, campaign_id, ctx.days)
    if rows:
        st.plotly_chart(charts.pacing_chart(rows, clock), key="pacing_chart")


def _money(ctx: PageContext, campaign_id: int) -> None:
    """The campaign's rate and what it earns (keyed on the rates too: they change without a sync)."""
    from ..read import money  # the detail's money card only

    currency = ctx.runtime.settings.currency
    found = reads.campaign_money(ctx.mirror, ctx.days, campaign_id=campaign_id)
    if not found or not found[0].priced:
        st.caption(f"No rate: this campaign is unpriced (set one on the Rates page, in {currency}).")
        return
    m = found[0]
    rate = "each zone's rate card" if m.rate is None else (
        f"{m.model} {m.rate:,.2f} {currency}" + (", capped at the goal" if m.capped else ""))
    st.markdown(f"**Money** ({fmt.plain(rate)}), flight to date through each network's yesterday")
    row = MetricRow()
    row.add("Earned to date", "—" if m.earned is None else f"{m.earned:,.2f} {currency}",
            help="What its delivery earns under its rate, through its network's last complete day")
    row.add("Booked", "—" if m.booked is None else f"{m.booked:,.2f} {currency}",
            help="What the flight is sold for (cpm: the goal's views; flat; monthly)")
    row.add("eCPM", "—" if m.ecpm is None else f"{m.ecpm:,.2f} {currency}", help="Earned per 1,000 views")
    risks = reads.money_risks(ctx.mirror, ctx.days)
    risk = risks.get(campaign_id, None if campaign_id in reads.behind_ids(ctx.mirror, ctx.days) else 0.0)
    row.add("Money at risk", "—" if risk is None else f"{risk:,.2f} {currency}",
            help="Behind pace: the goal's views it is projected to miss, at its CPM (0 when it is not behind "
                 "pace; — when its rate does not say, e.g. cpc)")
    changes = money.rate_changes(ctx.mirror.database(), "campaign", campaign_id)
    if changes:
        with st.expander(f"Rate history ({len(changes)})"):
            for h in changes:
                st.caption(fmt.plain(f"{fmt.timestamp(h['at'])} · {h.get('by') or 'someone'} · "
                                     f"{_rate_words(h.get('old'))} → {_rate_words(h.get('new'))} ({h.get('source')})"))


def _rate_words(rate: dict | None) -> str:
    if not rate:
        return "none"
    return f"{rate.get('model')} {rate.get('amount'):,.2f}" + (" capped" if rate.get("capped") else "")


def _head(ctx: PageContext, kind: str, ident: int, doc: dict | None, facts: Callable[[dict], str],
          flt: StatsFilter, period: Period, on_close: Callable[[], None]) -> bool:
    """An advertiser's, zone's or advertisement's heading, facts line, figures and daily chart; False
    (after saying so) when the mirror does not hold it."""
    if doc is None:
        st.warning(f"{kind.capitalize()} {ident} is not in the mirror.", icon=":material/search_off:")
        return False
    _heading(kind, fmt.short(doc.get("name_clean") or str(ident), 120), on_close)
    st.caption(fmt.plain(f"Network {doc.get('network_name') or '—'} · {facts(doc)} · ID {ident}"))
    _figures(doc, period)
    _trend(ctx, flt, period, kind, kind)
    return True


def advertiser_panel(ctx: PageContext, advertiser_id: int, period: Period, on_close: Callable[[], None]) -> None:
    m = ctx.mirror
    start, end = period or (None, None)
    adv = reads.advertiser_detail(m, advertiser_id, start, end)
    if not _head(ctx, "advertiser", advertiser_id, adv, lambda d: (
            f"{d['running_campaigns']:,} running of {d['campaign_count']:,} campaigns · "
            f"{d['ad_count']:,} advertisements"), StatsFilter(advertiser_id=advertiser_id), period, on_close):
        return
    st.markdown("**Campaigns** (click one to open it)")
    camps = paged("detail_campaigns", lambda p, n: reads.campaigns_enriched(
        m, CampaignFilter(advertiser_id=advertiser_id), ("ends_on", -1), p, n, start, end), "campaigns")
    if camps.total:
        df = campaigns_frame(camps.rows).drop(columns=["Advertiser", "Network"])
        clickable(df, "advertiser_campaigns", [r["_id"] for r in camps.rows],
                  lambda i: open_detail("campaign", i), column_config=columns_for(df))
    st.markdown("**Advertisements**")
    ads = paged("detail_ads", lambda p, n: reads.advertisements(m, advertiser_id=advertiser_id, page=p,
                                                                 page_size=n), "advertisements")
    if ads.total:
        df = advertisements_frame(ads.rows, reads.placement_tallies(m)).drop(columns=["Advertiser"])
        st.dataframe(df, hide_index=True, placeholder=MISSING, key="advertiser_ads_table", column_config=columns_for(df))


def zone_panel(ctx: PageContext, zone_id: int, period: Period, on_close: Callable[[], None]) -> None:
    m = ctx.mirror
    start, end = period or (None, None)
    zone = reads.zone_detail(m, zone_id, start, end)
    if not _head(ctx, "zone", zone_id, zone, lambda d: (
            f"{d['placement_count']:,} placements · {d['running_campaigns']:,} running campaigns"),
            StatsFilter(zone_id=zone_id), period, on_close):
        return
    _campaign_list("**Campaigns placed here** (click one to open it)", reads.zone_campaigns(m, zone_id, start, end),
                   zone_campaigns_frame, "zone_campaigns", "No campaign is placed in this zone.")
    outlook_panel(ctx, zone_id)


def _campaign_list(title: str, rows: list[dict], frame: Callable, key: str, empty: str) -> None:
    """A titled list of campaigns; a click opens one (an info line when there are none)."""
    st.markdown(title)
    if rows:
        df = frame(rows)
        clickable(df, key, [r["_id"] for r in rows], lambda i: open_detail("campaign", i),
                  column_config=columns_for(df))
    else:
        st.info(empty)


def advertisement_panel(ctx: PageContext, ad_id: int, period: Period, on_close: Callable[[], None]) -> None:
    m = ctx.mirror
    start, end = period or (None, None)
    ad = reads.advertisement_detail(m, ad_id, start, end)
    if not _head(ctx, "advertisement", ad_id, ad, lambda d: (
            f"{d.get('advertiser_name') or 'no advertiser'} · {d['placement_count']:,} placements"),
            StatsFilter(advertisement_id=ad_id), period, on_close):
        return
    when = f"{period[0]} to {period[1]}" if period else "all mirrored days"
    _campaign_list(f"**Campaigns that place it**, the ad's views {when} (click one to open it)",
                   reads.advertisement_campaigns(m, ad_id, start, end), ad_campaigns_frame, "ad_campaigns",
                   "No campaign places this advertisement.")
