"""Advertisements: views, clicks and CTR over a period (sortable), type, advertiser,
where they are placed, preview links; click a row to open one."""


from bs_core.ui import reads, urlstate
from bs_core.ui.detail_panels import advertisement_panel
from bs_core.ui.frames import AD_TYPES, advertisements_frame
from bs_core.ui.layout import PageContext, advertiser_select, filter_row, render
from bs_core.ui.listing import Listing, listing_page

TYPES = {None: "All types", **AD_TYPES}  # the table shows the same words
SORTS = {"Name": "name_key", "Views": "views", "Clicks": "clicks", "CTR": "ctr", "Placements": "placements",
         "ID": "_id"}


def extra_params(ctx: PageContext) -> list[urlstate.Param]:
    return urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_advertisements_network",
                                 "f_advertisements_advertiser")[1:]


def extra_filters(ctx: PageContext, network: int | None) -> dict:
    """Advertiser, type and BroadStreet's active flag, in a row of their own."""
    c1, c2, c3 = filter_row(200, 180, 200)
    advertiser = advertiser_select(ctx, "f_advertisements_advertiser", network, c1)
    ad_type = c2.selectbox("Type", list(TYPES), format_func=TYPES.get, key="f_advertisements_type",
                           placeholder="All types")
    active = c3.selectbox("Active in BroadStreet", [None, True, False], key="f_advertisements_active",
                          format_func=lambda x: {None: "Any", True: "Yes", False: "No"}[x], placeholder="Any",
                          help="BroadStreet's active_placement flag: placed in an active campaign. Active "
                               "campaigns include paused and scheduled ones, so an ad marked No can still have "
                               "placements (in ended or inactive campaigns); see the two placement columns.")
    return {"advertiser": advertiser, "ad_type": ad_type, "active": active}


ADS = Listing("advertisement", "advertisements", SORTS, reads.advertisements_listing, advertisements_frame,
              advertisement_panel, placeholder="e.g. banner", extra_params=extra_params,
              extra_filters=extra_filters, extra_keys=("f_advertisements_type", "f_advertisements_active"))


def body(ctx: PageContext) -> None:
    listing_page(ctx, ADS)


render("Advertisements", body, fresh="advertisements", live="advertisements", detail="advertisement",
       target_keys={"network": "f_advertisements_network", "advertiser": "f_advertisements_advertiser"})
