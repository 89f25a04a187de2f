"""The read side: every query a page, the CLI or the HTTP API makes, over a ``Database``.

Split by what it answers: ``paging`` (one page in any order), ``listings`` (the entity
tables), ``overview`` (the Overview's figures and freshness), ``counts`` (what runs
store), ``reporting`` (coverage and figures over a period), ``details`` (one document's
panel), ``delivery`` (the Delivery health lists), ``verify`` (the mirror's health
checks); and, from the store, the run history and held deletions.  It depends on the
store and the registry, never on the sync.
"""

from ..export.jsonout import dumps as json_dumps
from ..export.jsonout import jsonable
from ..export.runview import RunView
from ..store.digests import recent_digests
from ..store.held import held_summary
from ..store.history import (
    current_lease,
    first_look,
    get_run,
    last_finished,
    last_success,
    last_targeted,
    mirror_version,
    needs_initialisation,
    recent_runs,
    running_run,
)
from ._campaign_listing import campaigns_listing, campaigns_listing_export
from ._counts import entity_counts, placement_tallies
from ._listings import (
    EXPORT_LIMIT,
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
    DEFAULT_PAGE_SIZE,
    METRIC_SORTS,
    NULLS_MEAN_OPEN,
    Page,
    field_match,
    literal_search,
    sort_metric,
)

__all__ = [
    "DEFAULT_PAGE_SIZE", "EXPORT_LIMIT", "METRIC_SORTS", "NULLS_MEAN_OPEN", "CampaignFilter", "Page", "RunView",
    "advertisements", "advertisements_listing", "advertisers", "advertisers_enriched", "campaign_status_counts", "campaign_timeline",
    "campaigns", "campaigns_ending_within", "campaigns_enriched", "campaigns_for_export", "campaigns_listing", "campaigns_listing_export", "current_lease",
    "enrich_campaigns", "entity_counts", "json_dumps", "jsonable", "field_match", "freshness", "get_run", "held_summary", "last_finished",
    "first_look", "last_success", "last_targeted", "listing", "literal_search", "mirror_version", "name_of", "name_options",
    "needs_initialisation", "network_summaries", "networks", "placement_tallies", "placements",
    "placements_named", "placements_per_zone", "recent_digests", "recent_runs", "running_run", "scoped_counts", "sort_metric",
    "top_advertisers_by_running", "zones", "zones_enriched",
]
