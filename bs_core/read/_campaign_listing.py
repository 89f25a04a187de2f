"""The Campaigns page's listing: its filters, a catalogue figure among them
(``/Campaigns?figure=behind-pace`` lists the very campaigns the Overview counts)."""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from ._listings import CampaignFilter, campaigns_enriched, campaigns_for_export
from .figures import by_key
from .paging import Page


def _listed(db: Database, network_id: int | None, search: str, advertiser: int | None, statuses: tuple[str, ...],
            live: tuple[dt.date | None, dt.date | None], figure: str, today) -> CampaignFilter:
    ids = None
    if figure:  # the catalogue's rows, the same the Overview counts and Delivery health lists
        ids = tuple(by_key(figure).ids(db, today, network_id))
    return CampaignFilter(network_id, advertiser, tuple(statuses), live[0], live[1], search, ids)


def campaigns_listing(db: Database, network_id: int | None, search: str, sort: tuple[str, int], page: int,
                      page_size: int, start: dt.date | None, end: dt.date | None, advertiser: int | None = None,
                      statuses: tuple[str, ...] = (), live: tuple = (None, None),
                      today: dt.date | None = None, figure: str = "") -> Page:
    """:func:`campaigns_enriched` with the arguments of the listing page (``ui/listing.py``);
    ``figure``: a campaign figure's key ("behind-pace"), its campaigns only."""
    flt = _listed(db, network_id, search, advertiser, statuses, live, figure, today)
    return campaigns_enriched(db, flt, sort, page, page_size, start, end, today)


def campaigns_listing_export(db: Database, network_id: int | None, search: str, sort: tuple[str, int],
                             start: dt.date | None, end: dt.date | None, advertiser: int | None = None,
                             statuses: tuple[str, ...] = (), live: tuple = (None, None),
                             today: dt.date | None = None, figure: str = "") -> list[dict]:
    """:func:`campaigns_for_export` with the arguments of the listing page."""
    flt = _listed(db, network_id, search, advertiser, statuses, live, figure, today)
    return campaigns_for_export(db, flt, sort, start, end, today)
