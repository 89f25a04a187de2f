"""The read side: every query a page, the CLI or the HTTP API makes, over a ``Database``.

Split by what it answers: ``paging`` (one page in any order), ``_listings`` (the entity
tables; ``_campaign_listing`` the Campaigns page's), ``_overview`` (the Overview's figures
and freshness), ``_counts`` (what runs store), ``reporting`` (coverage and figures over a period), ``details`` (one document's
panel), ``delivery`` (the Delivery health lists), ``verify`` (the mirror's health
checks); and, from the store, what pages show of the run history, digests and held
deletions.  It depends on the store and the registry, never on the sync.  Names only its
own modules use stay in them (``read.paging.field_match``, ...).
"""

from ..export.jsonout import jsonable
from ..export.runview import RunView
from ..store.digests import recent_digests
from ..store.held import held_summary
from ..store.history import (
    first_look,
    get_run,
    last_targeted,
    mirror_version,
    needs_initialisation,
    recent_runs,
    running_run,
)
from ._campaign_listing import campaigns_listing, campaigns_listing_export
from ._counts import entity_counts, placement_tallies
from ._listings import (
    CampaignFilter,
    advertisements,
    advertisements_listing,
    advertisers,
    advertisers_enriched,
    campaigns,
    campaigns_enriched,
    campaigns_for_export,
    enrich_campaigns,
    listing,
    name_of,
    name_options,
    network_summaries,
    networks,
    placements,
    placements_named,
    zones,
    zones_enriched,
)
from ._overview import (
    campaign_status_counts,
    campaign_timeline,
    campaigns_ending_within,
    freshness,
    placements_per_zone,
    scoped_counts,
    top_advertisers_by_running,
)
from .paging import (
    METRIC_SORTS,
    Page,
)

__all__ = [
    "CampaignFilter", "METRIC_SORTS", "Page", "RunView", "advertisements", "advertisements_listing",
    "advertisers", "advertisers_enriched", "campaign_status_counts", "campaign_timeline", "campaigns",
    "campaigns_ending_within", "campaigns_enriched", "campaigns_for_export", "campaigns_listing",
    "campaigns_listing_export", "enrich_campaigns", "entity_counts", "first_look", "freshness", "get_run",
    "held_summary", "jsonable", "last_targeted", "listing", "mirror_version", "name_of", "name_options",
    "needs_initialisation", "network_summaries", "networks", "placement_tallies", "placements",
    "placements_named", "placements_per_zone", "recent_digests", "recent_runs", "running_run", "scoped_counts",
    "top_advertisers_by_running", "zones", "zones_enriched",
]
