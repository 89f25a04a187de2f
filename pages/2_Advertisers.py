"""Advertisers: filter, sort by running campaigns or views; click a row to open one."""

from bs_core.ui import reads
from bs_core.ui.detail_panels import advertiser_panel
from bs_core.ui.frames import advertisers_frame
from bs_core.ui.layout import PageContext, render
from bs_core.ui.listing import Listing, listing_page

ADVERTISERS = Listing("advertiser", "advertisers",
                      {"Name": "name_key", "Running campaigns": "running", "Views": "views", "Earned": "earned",
                       "eCPM": "ecpm", "ID": "_id"},
                      reads.advertisers_enriched, advertisers_frame, advertiser_panel,
                      money=lambda ctx, rows, period: reads.with_earnings(ctx.mirror, ctx.days,
                                                                             "advertisers", rows, *period))


def body(ctx: PageContext) -> None:
    listing_page(ctx, ADVERTISERS)


render("Advertisers", body, fresh="advertisers", live="advertisers", detail="advertiser",
       target_keys={"network": "f_advertisers_network"})
