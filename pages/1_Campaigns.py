"""Campaigns: filter, sort (by figures too), page through and export; click a row to open one.

The listing of Advertisers and Zones, with four more filters: advertiser, status, a named
figure's campaigns (``figure=behind-pace``: the catalogue's, the ones the Overview counts)
and "live in a date range"."""

import datetime as dt

from bs_core.normalize import CAMPAIGN_STATUSES
from bs_core.read.figures import CAMPAIGN_FIGURES
from bs_core.ui import reads, urlstate
from bs_core.ui.detail_panels import campaign_panel
from bs_core.ui.frames import campaigns_frame
from bs_core.ui.layout import PageContext, advertiser_select, filter_row, remember, render
from bs_core.ui.listing import Listing, listing_page

SORTS = {"Name": "name_key", "Views": "views", "Clicks": "clicks", "CTR": "ctr", "Pacing": "pacing",
         "Earned": "earned", "eCPM": "ecpm", "Placements": "placements",
         "Start date": "starts_on", "End date": "ends_on", "Status": "status", "Weight": "weight_value", "ID": "_id"}


FIGURES = {f.key: f.name for f in CAMPAIGN_FIGURES}


def _figure(text: str) -> str:
    if text.strip().lower() not in FIGURES:
        raise ValueError(f"expected one of {', '.join(FIGURES)}")
    return text.strip().lower()


def extra_params(ctx: PageContext) -> list[urlstate.Param]:
    """``advertiser`` (checked against the network read just before it), ``status`` and ``figure``."""
    advertiser = urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_campaigns_network",
                                       "f_campaigns_advertiser")[1:]
    return [*advertiser,
            urlstate.Param("status", "f_campaigns_status", urlstate.choices(CAMPAIGN_STATUSES), urlstate.listed),
            urlstate.Param("figure", "f_campaigns_figure", _figure)]


def extra_filters(ctx: PageContext, network: int | None) -> dict:
    """Advertiser, status, a named figure and "live in a date range", in a row of their own."""
    c1, c2, c3, c4 = filter_row(200, 240, 200, 300)
    advertiser = advertiser_select(ctx, "f_campaigns_advertiser", network, c1)
    statuses = c2.multiselect("Status", list(CAMPAIGN_STATUSES), key="f_campaigns_status", placeholder="All statuses")
    figure = c3.selectbox("Only", ["", *FIGURES], key="f_campaigns_figure",
                          format_func=lambda k: FIGURES.get(k, "All campaigns"),
                          help="The campaigns a named figure counts: the Overview's and Delivery health's, "
                               "defined once (see the README's definitions).")
    live = (None, None)
    if c4.toggle("Only campaigns live in a date range", key="f_campaigns_use_dates"):
        picked = c4.date_input("Live between", format="YYYY-MM-DD",
                               key=remember("f_campaigns_dates", (ctx.today, ctx.today + dt.timedelta(days=30))))
        if isinstance(picked, tuple) and len(picked) == 2:
            live = picked
    return {"advertiser": advertiser, "statuses": tuple(statuses), "live": live, "today": ctx.days,
            "figure": figure or ""}  # pacing: each network's own yesterday


CAMPAIGNS = Listing(
    "campaign", "campaigns", SORTS, reads.campaigns_listing, campaigns_frame, campaign_panel,
    placeholder="e.g. spring", extra_params=extra_params, extra_filters=extra_filters,
    extra_keys=("f_campaigns_use_dates", "f_campaigns_dates"), export=reads.campaigns_listing_export,
    money=lambda ctx, rows, period: reads.with_money(ctx.mirror, ctx.days, rows, *period))


def body(ctx: PageContext) -> None:
    listing_page(ctx, CAMPAIGNS)


render("Campaigns", body, fresh="campaigns", live="campaigns", detail="campaign",
       target_keys={"network": "f_campaigns_network", "advertiser": "f_campaigns_advertiser"})
