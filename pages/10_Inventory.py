"""Inventory: what can still be sold.  Choose zones (a network's, those an advertiser's
campaigns are placed in, by name, or a list) and a period; see each day's forecast,
booked and available views, the totals with their likely range, and a plain answer to
"can I sell N views here in this period?".  Every choice is in the URL.

The forecasts are made by the sync (``store/forecasts.py``), never on a page view; booked
delivery and availability are ``read/inventory.py``'s, the same rows as
``report availability``."""

import datetime as dt

import pandas as pd
import streamlit as st

from bs_core.read.bookings import SHARE_DAYS, booked_here
from bs_core.read.inventory import Availability
from bs_core.ui import format as fmt
from bs_core.ui import reads, urlstate
from bs_core.ui.charts import availability_chart
from bs_core.ui.columns import MISSING, columns_for
from bs_core.ui.frames import availability_zones_frame, bookings_frame, not_booking_frame
from bs_core.ui.layout import PageContext, advertiser_select, filter_row, network_select, open_detail, render
from bs_core.ui.metrics import MetricRow
from bs_core.ui.tables import clickable, csv_button

PAGE = "inventory"
DEFAULT_DAYS = 30
ANSWER_ICONS = {"yes": ":material/check_circle:", "likely": ":material/thumb_up:",
                "unlikely": ":material/warning:", "no": ":material/block:"}


def _ids(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and 0 < int(p) < 10**12 for p in parts):
        raise ValueError("expected zone ids like 123,456")
    return list(dict.fromkeys(int(p) for p in parts))


def _views(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) < 10**12:
        raise ValueError("expected a number of views")
    return int(text)


def span(first: dt.date, last: dt.date) -> str:
    """ "Dec 7, 2026 to Jan 5, 2027": the period every figure names."""
    return f"{first:%b} {first.day}, {first.year} to {last:%b} {last.day}, {last.year}"


def body(ctx: PageContext) -> None:
    m = ctx.mirror
    status = reads.forecast_status(m)
    horizon = reads.forecast_horizon(m)
    if horizon is None:
        st.info("No forecasts yet: the sync makes one for every zone that delivered views, from the reporting it "
                "mirrors. Run a sync (the sidebar's ReSync) and this page fills in.", icon=":material/hourglass_top:")
        return
    all_zones = {z["_id"]: z for z in reads.zone_choices(m)}
    params = [*urlstate.owner_params(lambda *a: reads.name_options(m, *a), "f_inventory_network",
                                     "f_inventory_advertiser"),
              urlstate.Param("q", "f_inventory_name", lambda t: t[:200]),
              urlstate.Param("zones", "f_inventory_zones", _ids, lambda v: ",".join(map(str, v)) if v else None,
                             valid=lambda ids: all(i in all_zones for i in ids)),
              *urlstate.period_params("f_inventory_period"),
              urlstate.Param("views", "f_inventory_views", _views)]
    urlstate.read_url(PAGE, params)

    candidates, zones = _choose_zones(ctx, all_zones)
    days = ctx.days
    nets = {z["network_id"] for z in candidates if z["_id"] in set(zones)} or {None}
    today = min(days.today(n) for n in nets)  # the first day still to come for one of the zones
    if today > horizon[1]:
        st.warning(f"The forecasts end on {horizon[1]}, before today: a sync makes new ones.",
                   icon=":material/update:")
        return
    chosen, wanted = _choose_period(today, max(days.today(n) for n in nets), horizon[1])
    urlstate.write_url(PAGE, params)
    if not (isinstance(chosen, tuple) and len(chosen) == 2):
        st.caption("Pick the last day of the period.")
        return
    first, last = chosen
    if not zones:
        st.info("No zone matches these filters.", icon=":material/search_off:")
        return

    found: Availability = reads.availability(m, zones, first, last, days)
    when = span(first, last)
    st.caption(f"{len(zones):,} zone(s), {when} (each network's own days). Forecasts made "
               f"{fmt.relative_time(status.get('made_at'))} by the sync, from the mirror's delivered views.")
    if not found.rows:
        st.warning("None of these zones has a forecast: they delivered no views in the mirror's history, and "
                   "BroadStreet reports no unfilled requests, so there is no evidence of their traffic.",
                   icon=":material/help:")
        _unforecast(found, all_zones)
        return
    _figures(found, when, wanted)
    st.plotly_chart(availability_chart(found.by_day(), when), key="availability_chart", width="stretch")
    _zone_table(found, all_zones, when)
    _unforecast(found, all_zones)
    _campaigns(ctx, zones, first, last, when)
    _quality(status)


def _choose_zones(ctx: PageContext, all_zones: dict) -> tuple[list[dict], list[int]]:
    """The zone filters: (the zones they match, the zones chosen: a list, else all of them)."""
    state = st.session_state
    c1, c2, c3 = filter_row(220, 240, 240)
    network = network_select(ctx, "f_inventory_network", c1)
    advertiser = advertiser_select(ctx, "f_inventory_advertiser", network, c2)
    name = c3.text_input("Zone name contains", key="f_inventory_name", placeholder="e.g. leaderboard", max_chars=200)
    candidates = reads.zone_choices(ctx.mirror, network, advertiser, name)
    offered = [z["_id"] for z in candidates]
    if state.get("f_inventory_zones"):  # a zone the filters above no longer offer leaves the list
        state["f_inventory_zones"] = [z for z in state["f_inventory_zones"] if z in set(offered)]
    picked = st.multiselect("Zones (none chosen: every zone above)", offered, key="f_inventory_zones",
                            format_func=lambda z: f"{all_zones[z]['name']} · {z}",
                            placeholder=f"All {len(offered):,} zone(s) these filters match")
    return candidates, list(picked) or offered


def _choose_period(today: dt.date, opens: dt.date, last_day: dt.date) -> tuple:
    """The period (within today..the forecasts' last day; by default the next 30 days from
    the day every chosen zone's network is on) and the views to sell."""
    state = st.session_state
    period = state.get("f_inventory_period")
    asked = state.pop("f_inventory_period_asked", None)
    if not (isinstance(period, tuple) and len(period) == 2 and today <= period[0] <= period[1] <= last_day):
        if isinstance(asked, tuple):
            st.warning(f"The period asked for, {asked[0]} to {asked[1]}, is not within the forecasts' days "
                       f"({today} to {last_day}): showing the next {DEFAULT_DAYS} days instead.",
                       icon=":material/date_range:")
        opens = min(opens, last_day)
        state["f_inventory_period"] = (opens, min(opens + dt.timedelta(days=DEFAULT_DAYS - 1), last_day))
    c4, c5 = filter_row(260, 220)
    chosen = c4.date_input("Period", min_value=today, max_value=last_day, key="f_inventory_period",
                           format="YYYY-MM-DD", help=f"The forecasts cover today through {last_day} "
                                                     f"(90 days from the sync that made them).")
    wanted = c5.number_input("Views to sell", min_value=0, max_value=10**12 - 1, step=10_000, value=None,
                             key="f_inventory_views", placeholder="e.g. 100000",
                             help="How many views you would like to sell on these zones in this period")
    return chosen, wanted


def _figures(found: Availability, when: str, wanted: int | None) -> None:
    st.markdown(f"**Totals, {when}** (each network's own days)")
    row = MetricRow()
    low, high = found.forecast_range
    row.add("Forecast views", f"{found.forecast:,}", help=f"Views forecast for {when}; likely {low:,} to {high:,}")
    row.add("Booked views", f"{found.booked:,}", help=f"Views the running and scheduled campaigns with a goal "
            f"still need here, {when}")
    row.add("Available views", f"{found.available:,}", help=f"Forecast - booked, each zone and day never below 0, "
            f"{when}")
    through = found.sell_through
    row.add("Sell-through", MISSING if through is None else f"{through:.0%}", help=f"Booked / forecast, {when}")
    row.add("Over-booked days", f"{len(found.over_booked):,}", help=f"Zone-days booked above the forecast, {when}")
    a_low, a_high = found.available_range
    st.caption(f"Likely available {when}: {a_low:,} to {a_high:,} views (the forecast's range: in the backtest, 8 "
               f"periods in 10 delivered between {found.period_range[0]:.0%} and {found.period_range[1]:.0%} of the "
               f"forecast).")
    if wanted:
        verdict, sentence = found.answer(int(wanted))
        show = {"yes": st.success, "likely": st.info, "unlikely": st.warning, "no": st.error}[verdict]
        show(f"Can I sell {int(wanted):,} views here, {when}? {sentence}", icon=ANSWER_ICONS[verdict])
    else:
        st.caption("Enter the views you would like to sell above for a yes or no.")


def _zone_table(found: Availability, all_zones: dict, when: str) -> None:
    rows = found.by_zone()
    st.subheader(f"Zones, {when} ({len(rows):,})", anchor=False)
    st.caption("The most available first. Click a zone to open it (its forecast against its history).")
    df = availability_zones_frame(rows, all_zones)
    clickable(df, "inventory_zones", [r["zone_id"] for r in rows], lambda i: open_detail("zone", i),
              column_config=columns_for(df))
    csv_button(f"Download per zone and day (CSV, {len(found.rows):,} rows)", lambda: pd.DataFrame(found.table()),
               "availability.csv", key="inventory_csv")


def _unforecast(found: Availability, all_zones: dict) -> None:
    if not found.unforecast:
        return
    with st.expander(f"{len(found.unforecast):,} zone(s) without a forecast (no views in the mirror's history)"):
        st.caption("BroadStreet reports delivered views only, never unfilled requests: a zone that delivered nothing "
                   "has no evidence of its traffic, so nothing is said about what it could sell.")
        listed = ", ".join(f"{all_zones[z]['name'] if z in all_zones else z} ({z})" for z in found.unforecast[:200])
        st.text(listed + (" …" if len(found.unforecast) > 200 else ""))


def _campaigns(ctx: PageContext, zones: list[int], first: dt.date, last: dt.date, when: str) -> None:
    m, days = ctx.mirror, ctx.days
    here = booked_here(reads.bookings(m, days), set(zones), first, last)
    st.subheader(f"Campaigns booking these zones, {when} ({len(here):,})", anchor=False)
    st.caption(f"Each running or scheduled campaign with a goal books what it still needs (goal - delivered through "
               f"its network's yesterday), evenly over its remaining days, and over its zones by its share of views "
               f"in each over the last {SHARE_DAYS} complete days (no views yet: evenly over its placements).")
    if here:
        df = bookings_frame(here)
        clickable(df, "inventory_bookings", [r["campaign_id"] for r in here], lambda i: open_detail("campaign", i),
                  column_config=columns_for(df))
    else:
        st.success("No campaign books views in these zones in this period.", icon=":material/check_circle:")
    idle = reads.not_booking(m, days, zones)
    if idle:
        with st.expander(f"Campaigns placed here that book nothing ({len(idle):,})"):
            df = not_booking_frame(idle)
            st.dataframe(df, hide_index=True, placeholder=MISSING, key="inventory_not_booking",
                         column_config=columns_for(df))


def _quality(status: dict) -> None:
    check = status.get("backtest") or {}
    if check.get("wape_method") is None:
        return
    with st.expander("How good is the forecast?"):
        st.caption(f"Backtest at the last forecast ({check['zones']:,} zones): the last 28 days held out and forecast "
                   f"from the days before. Error (WAPE: absolute errors / actual views): this method "
                   f"{check['wape_method']:.1%}, the seasonal-naive baseline (the mean of the same weekday over 4 "
                   f"weeks) {check['wape_baseline']:.1%}; on the 10% smallest zones {check['wape_method_small']:.1%} "
                   f"against {check['wape_baseline_small']:.1%}.")


render("Inventory", body, fresh="zones", target_keys={"network": "f_inventory_network",
                                                       "advertiser": "f_inventory_advertiser"})
