"""Delivery health: what an ad-ops person checks every morning, each list exportable."""

import datetime as dt

import streamlit as st

from bs_core.read.delivery import DARK_DAYS, ENDING_WITHIN_DAYS, QUIET_DAYS
from bs_core.read.figures import (
    BEHIND_PACE,
    ENDING_SOON,
    NOT_DELIVERING,
    OVER_BOOKED_ZONES,
    OVER_DELIVERING,
    QUIET_ZONES,
    UNSOLD_ZONES,
)
from bs_core.read.inventory import OVER_BOOKED_AHEAD
from bs_core.ui import reads, urlstate
from bs_core.ui.columns import MISSING, columns_for
from bs_core.ui.frames import (
    advertisements_frame,
    campaigns_frame,
    dark_zones_frame,
    over_booked_frame,
    pacing_frame,
    silent_frame,
    unsold_zones_frame,
)
from bs_core.ui.layout import PageContext, network_select, open_detail, render
from bs_core.ui.period import coverage_line
from bs_core.ui.tables import clickable, csv_button

PAGE = "delivery"


def body(ctx: PageContext) -> None:
    m, today = ctx.mirror, ctx.today
    params = urlstate.owner_params(lambda *a: reads.name_options(m, *a), "f_delivery_network")
    urlstate.read_url(PAGE, params)
    c1, _ = st.columns([1, 2])
    network = network_select(ctx, "f_delivery_network", c1)
    urlstate.write_url(PAGE, params)
    st.caption("Click a campaign or zone to open it. Each list downloads as CSV.")

    days = ctx.days
    through = days.describe([network] if network is not None else [nid for nid, _ in days.clocks])
    behind = reads.behind_pace(m, days, network)
    # money at risk is keyed on the rates too: they change without a sync
    risk = reads.money_risks(m, days, network) if behind else {}
    money = f"Money at risk ({ctx.runtime.settings.currency})"
    if risk:  # the most money first; unpriced campaigns after, furthest behind first
        behind = sorted(behind, key=lambda p: -risk.get(p.campaign_id, -1.0))
    section(f"{BEHIND_PACE.name}: running campaigns short of even delivery or projected to miss their goal", behind,
            lambda rows: pacing_frame(rows).assign(**{money: [_cents(risk.get(p.campaign_id)) for p in rows]})
            if risk else pacing_frame(rows), "campaign", "behind-pace.csv",
            "No running campaign with a goal is behind pace.", ids=[p.campaign_id for p in behind],
            caption=f"Pacing {through} (each network's last complete day). {BEHIND_PACE.definition}"
                    + (" Sorted by money at risk: the goal's views each is projected to miss, at its CPM (see "
                       "Rates)." if risk else ""))
    over = reads.over_delivering(m, days, network)
    section(f"{OVER_DELIVERING.name}: past the goal by 10% or ahead of pace", over, pacing_frame, "campaign",
            "over-delivering.csv", "No campaign is past its goal or ahead of pace.",
            ids=[p.campaign_id for p in over], caption=f"Pacing {through}. {OVER_DELIVERING.definition}")

    silent = reads.silent_campaigns(m, days, network)
    section(f"{NOT_DELIVERING.name}: running campaigns with no views today or yesterday", silent, silent_frame,
            "campaign", "silent-campaigns.csv", "No running campaign went quiet.", caption=NOT_DELIVERING.definition)
    coverage = reads.stats_coverage(m, network)
    if not coverage.covers(today - dt.timedelta(days=QUIET_DAYS - 1), today):
        st.warning(f"The mirror does not hold reporting for all of the last {QUIET_DAYS} days, so this list "
                   f"may name campaigns that did deliver. {coverage_line(coverage, today)}",
                   icon=":material/date_range:")

    tallies = reads.placement_tallies(m)
    ads = reads.unplaced_active_ads(m, network)
    section("Active ads not placed in any running campaign", ads,
            lambda rows: advertisements_frame(rows, tallies)[["Name", "Type", "Advertiser", "Placements", "ID",
                                                               "Preview"]],
            None, "unplaced-active-ads.csv", "Every active ad is placed in a running campaign.")
    dark = reads.dark_zones(m, days, network)
    section(f"{QUIET_ZONES.name}: running campaigns placed, no views in the last {DARK_DAYS} complete days", dark,
            dark_zones_frame, "zone", "dark-zones.csv", "Every zone with a running campaign had views.",
            caption=f"The {DARK_DAYS} days {through} (each network's own days). {QUIET_ZONES.definition}")
    zones = reads.unsold_zones(m, network)
    section(f"{UNSOLD_ZONES.name}: no running campaign (unsold inventory)", zones, unsold_zones_frame, "zone",
            "unsold-zones.csv", "Every zone has a running campaign.", caption=UNSOLD_ZONES.definition)
    booked = reads.over_booked_zones(m, days, network)
    todays = {days.today(n) for n in ([network] if network is not None else [nid for nid, _ in days.clocks])}
    todays = todays or {days.utc_today}
    ahead = f"{min(todays)} to {max(todays) + dt.timedelta(days=OVER_BOOKED_AHEAD - 1)}"
    section(f"{OVER_BOOKED_ZONES.name}: booked above the forecast in the next {OVER_BOOKED_AHEAD} days", booked,
            over_booked_frame, "zone", "over-booked-zones.csv",
            f"No zone is booked above its forecast in the next {OVER_BOOKED_AHEAD} days.",
            caption=f"The days {ahead}. {OVER_BOOKED_ZONES.definition} The Inventory page shows each day.")
    ending = reads.ending_soon(m, days, network)
    section(f"{ENDING_SOON.name}: campaigns ending within {ENDING_WITHIN_DAYS} days (views: every mirrored day)",
            ending,
            lambda rows: campaigns_frame(rows)[["Name", "Advertiser", "End", "Views", "Placements", "Network", "ID",
                                                "BroadStreet"]],
            "campaign", "ending-soon.csv", f"No running campaign ends in the next {ENDING_WITHIN_DAYS} days.",
            caption=ENDING_SOON.definition)


def _cents(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 2)


def section(title: str, rows: list, frame, kind: str | None, file_name: str, empty: str,
            ids: list[int] | None = None, caption: str = "") -> None:
    st.subheader(f"{title} ({len(rows):,})", anchor=False)
    if caption:
        st.caption(caption)
    if not rows:
        st.success(empty, icon=":material/check_circle:")
        return
    df = frame(rows)
    key = file_name.removesuffix(".csv")
    if kind is None:
        st.dataframe(df, hide_index=True, placeholder=MISSING, key=key, column_config=columns_for(df))
    else:
        clickable(df, key, ids or [r["_id"] for r in rows], lambda i: open_detail(kind, i),
                  column_config=columns_for(df))
    csv_button(f"Download this list (CSV, {len(rows):,} rows)", lambda: df, file_name, key=f"{key}_csv")


render("Delivery health", body, fresh="campaigns", target_keys={"network": "f_delivery_network"})
