"""Zones: views, placements and running campaigns per zone; click a row to open one."""

from bs_core.ui import reads
from bs_core.ui.detail_panels import zone_panel
from bs_core.ui.frames import zones_frame
from bs_core.ui.layout import PageContext, render
from bs_core.ui.listing import Listing, listing_page

ZONES = Listing("zone", "zones", {"Name": "name_key", "Views": "views", "Earned": "earned", "eCPM": "ecpm",
                                 "Placements": "placements", "ID": "_id"},
                reads.zones_enriched, zones_frame, zone_panel, placeholder="e.g. leaderboard",
                money=lambda ctx, rows, period: reads.with_earnings(ctx.mirror, ctx.days, "zones",
                                                                       rows, *period))


def body(ctx: PageContext) -> None:
    listing_page(ctx, ZONES)


render("Zones", body, fresh="zones", live="zones", detail="zone", target_keys={"network": "f_zones_network"})
