"""The one place that says what each mirrored entity type is.

Per entity: its collection, the upstream list call, the parent it is listed under (and
the field that names that parent on a stored document), its normaliser, its indexes,
the fields pages may sort by, the children deleted with it, and its labels; for reading,
its figures, sorts, page, detail facts, live columns and Overview KPI; and the
simulator's recipe.  The store, normalisation, the sync planner, run phases, read models,
navigation, UI labels and the live fallback derive from :data:`ENTITIES`, which
:func:`register` extends at run time (the simulator generates the six kinds here itself,
a test holds them equal, and serves any other from its ``simulated`` recipe).

How BroadStreet lists these is described in ``docs/broadstreet-api.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

from pymongo import ASCENDING, IndexModel

from . import normalize as norm

# Pages sort by name with _id as tiebreak (stable pagination); SecantusDB uses an index
# for that sort only when it covers both keys (measured 817 -> 198 ms over 12k documents).
NAME_INDEX = IndexModel([("name_key", ASCENDING), ("_id", ASCENDING)], name="name_key_id")
NETWORK_NAME_INDEX = IndexModel([("network_id", ASCENDING), ("name_key", ASCENDING)], name="network_name")


def _index(*fields: str) -> IndexModel:
    return IndexModel([(f, ASCENDING) for f in fields], name="_".join(fields))


class Fact(NamedTuple):
    """A field a kind's detail states (and its generic table shows), as the page names it."""

    field: str
    label: str


class Cascade(NamedTuple):
    """Documents of ``collection`` whose ``field`` names a deleted document; with ``via``,
    ``field`` names documents of ``via`` that belong to it (placements of an advertiser's
    campaigns)."""

    collection: str
    field: str
    via: str | None = None


@dataclasses.dataclass(frozen=True)
class EntityType:
    name: str  #: collection name and phase name, e.g. "campaigns"
    singular: str  #: "campaign": also the scope kind ``campaign:ID`` for its children
    label: str  #: "Campaigns", as the UI names the phase and the page
    #: the upstream list call: ``fetch(client, parent_id)`` (parent_id None for networks)
    fetch: Callable[[Any, int | None], list]
    normalizer: Callable[[dict, norm.Context], dict]
    #: its single-record route, ``fetch_one(client, id)``: a 404 there is the only proof
    #: that a record missing from its list is gone (``sync/_proof.py``); None: no such route
    fetch_one: Callable[[Any, int], dict] | None = None
    parent: str | None = None  #: the entity it is listed under
    parent_field: str | None = None  #: the stored field naming that parent
    indexes: tuple[IndexModel, ...] = ()
    sortable: tuple[str, ...] = ("name_key", "_id")
    #: what goes with a deleted document (see :class:`Cascade`)
    cascade: tuple[Cascade, ...] = ()
    #: a quick sync refetches this list only under parents that are running or scheduled,
    #: changed in the run, or never fetched; a full sync catches the rest
    quick_only_active_parents: bool = False
    #: part of the first look: fetched before the other lists, so that a first start shows
    #: the Overview and Campaigns from the mirror while zones, ads and placements still come
    first_look: bool = False
    #: fetch after this sibling (same parent) is handled; advertisements need the
    #: network's advertiser names to resolve theirs
    after: str | None = None
    #: other entities its documents point to besides the parent (a placement names its
    #: zone and advertisement): written, like the parent, before any of its documents
    also_refers_to: tuple[str, ...] = ()
    #: its records do not name their parent (BroadStreet lists placements per campaign
    #: without campaign_id): the parent id comes from the request (:meth:`parent_context`)
    parent_from_request: bool = False
    # -- reading: what read models and pages derive ---------------------------------------
    #: the field naming it in reporting rows and placement tallies, e.g. "campaign_id"
    stats_field: str | None = None
    #: figures a listing can also be sorted by, besides the stored ``sortable`` fields
    metric_sorts: tuple[str, ...] = ()
    #: date fields where null means "open-ended": they sort after every date
    open_ended: tuple[str, ...] = ()
    #: its page (``pages/N_Name.py``; navigation follows N) and that page's icon
    page: str | None = None
    icon: str = ""
    #: its page opens one document's detail (``open=SINGULAR:ID`` links)
    has_detail: bool = False
    #: the columns of its live table (read from BroadStreet while the mirror is not
    #: usable), ID last: what its mirrored table leads with
    live_columns: tuple[str, ...] = ("name_clean", "network_id", "_id")
    #: what its detail states, and its generic table's columns between Name and ID
    facts: tuple[Fact, ...] = ()
    #: counted among the Overview's KPIs
    kpi: bool = False
    #: the simulator's recipe: ``simulated(parent_id, rng)`` -> the raw records BroadStreet
    #: lists under that parent (None: the simulator generates this kind itself)
    simulated: Callable[[int, Any], list[dict]] | None = None

    def parent_context(self, parent_id: Any) -> dict[str, Any]:
        """The :class:`~bs_core.normalize.Context` fields a record of this kind takes from
        the request it was listed by rather than from itself."""
        return {self.parent_field: parent_id} if self.parent_from_request and self.parent_field else {}

    def normalize_many(self, raws: Any, ctx: norm.Context) -> tuple[list[dict], list[dict]]:
        return norm.normalize_many(self.name, self.normalizer, raws, ctx)

    @property
    def refers_to(self) -> tuple[str, ...]:
        """Entities that must be in the mirror before one of this entity's documents is."""
        return ((self.parent,) if self.parent else ()) + self.also_refers_to

    @property
    def indexed_by_network(self) -> bool:
        """True when the mirror can find this entity's documents of a network by index."""
        return any(next(iter(model.document["key"])) == "network_id" for model in self.indexes)


def network_as_listed(one: dict) -> dict:
    """``/networks/{id}`` adds counts the list does not carry: without them, the same
    network hashes the same whichever route fetched it."""
    return {k: v for k, v in one.items() if k not in ("advertiser_count", "zone_count")}


_TYPES = (  # networks first: the root of the tree
    EntityType(
        "networks", "network", "Networks",
        fetch=lambda client, _parent: client.networks(),
        normalizer=norm.network,
        fetch_one=lambda client, ident: network_as_listed(client.network(ident)),
        indexes=(NAME_INDEX,), first_look=True,
        page="pages/5_Networks.py", icon=":material/hub:", live_columns=("name_clean", "web_home_url", "_id"), kpi=True,
        # cascade: everything stored under a network (filled in below)
    ),
    EntityType(
        "advertisers", "advertiser", "Advertisers",
        fetch=lambda client, network_id: client.advertisers(network_id),
        normalizer=norm.advertiser, fetch_one=lambda client, ident: client.advertiser(ident), parent="networks", parent_field="network_id",
        indexes=(NETWORK_NAME_INDEX, NAME_INDEX),
        sortable=("name_key", "_id", "network_id"),
        cascade=(Cascade("campaigns", "advertiser_id"), Cascade("placements", "campaign_id", via="campaigns")),
        first_look=True, stats_field="advertiser_id", metric_sorts=("running", "views", "earned", "ecpm"),
        page="pages/2_Advertisers.py", icon=":material/storefront:", has_detail=True, kpi=True,
        live_columns=("name_clean", "website", "network_id", "_id"),
    ),
    EntityType(
        "zones", "zone", "Zones",
        fetch=lambda client, network_id: client.zones(network_id),
        normalizer=norm.zone, fetch_one=lambda client, ident: client.zone(ident), parent="networks", parent_field="network_id",
        indexes=(NETWORK_NAME_INDEX, NAME_INDEX),
        sortable=("name_key", "_id", "network_id"),
        cascade=(Cascade("placements", "zone_id"),),
        stats_field="zone_id", metric_sorts=("views", "placements", "earned", "ecpm"),
        page="pages/4_Zones.py", icon=":material/grid_view:", has_detail=True, kpi=True,
        live_columns=("name_clean", "alias", "self_serve", "network_id", "_id"),
    ),
    EntityType(
        "advertisements", "advertisement", "Advertisements",
        fetch=lambda client, network_id: client.advertisements(network_id),
        normalizer=norm.advertisement, parent="networks", parent_field="network_id",
        indexes=(NETWORK_NAME_INDEX, _index("advertiser_id"), _index("type"), NAME_INDEX),
        sortable=("name_key", "updated_at_utc", "type", "_id", "advertiser_name"),
        cascade=(Cascade("placements", "advertisement_id"),),
        after="advertisers",
        stats_field="advertisement_id", metric_sorts=("views", "clicks", "ctr", "placements"),
        page="pages/3_Advertisements.py", icon=":material/image:", has_detail=True, kpi=True,
        live_columns=("name_clean", "type", "advertiser_name", "active_placement", "updated_at_utc", "_id"),
    ),
    EntityType(
        "campaigns", "campaign", "Campaigns",
        fetch=lambda client, advertiser_id: client.campaigns(advertiser_id=advertiser_id),
        normalizer=norm.campaign, fetch_one=lambda client, ident: client.campaign(ident), parent="advertisers", parent_field="advertiser_id",
        indexes=(_index("advertiser_id"),
                 IndexModel([("network_id", ASCENDING), ("status", ASCENDING)], name="network_status"),
                 IndexModel([("status", ASCENDING), ("ends_on", ASCENDING)], name="status_ends_on"),
                 _index("starts_on"), _index("ends_on"), NAME_INDEX),
        sortable=("name_key", "starts_on", "ends_on", "status", "weight_value", "_id", "advertiser_id"),
        cascade=(Cascade("placements", "campaign_id"),),
        first_look=True, stats_field="campaign_id", metric_sorts=("views", "clicks", "ctr", "placements", "pacing", "earned", "ecpm"),
        open_ended=("ends_on",),
        page="pages/1_Campaigns.py", icon=":material/campaign:", has_detail=True,
        live_columns=("name_clean", "advertiser_id", "status", "starts_on", "ends_on", "weight", "network_id", "_id"),
    ),
    EntityType(
        "placements", "placement", "Placements",
        fetch=lambda client, campaign_id: client.placements(campaign_id),
        normalizer=norm.placement, parent="campaigns", parent_field="campaign_id",
        # No network_id index: on SecantusDB every secondary index slows bulk inserts
        # (measured 29.8k docs/s with none, 9.8k with one, 4.0k with five).
        indexes=(_index("campaign_id"), _index("zone_id"), _index("advertisement_id")),
        sortable=("campaign_id", "zone_id", "advertisement_id", "_id"),
        quick_only_active_parents=True,
        also_refers_to=("zones", "advertisements"),
        parent_from_request=True,
    ),
)
# Reporting rows (stats_daily and the other stats_* grains) are facts about past days: they are never
# deleted with an entity, so a deleted campaign's history stays.
ENTITIES: dict[str, EntityType] = {e.name: e for e in _TYPES}
# What derives from the registry is kept in containers updated in place by register(), so
# that a name imported elsewhere stays true: lists, not tuples.
ENTITY_NAMES: list[str] = []
#: entity names by singular form ("campaign" -> "campaigns"): the kinds of ``KIND:ID`` scopes
BY_SINGULAR: dict[str, str] = {}
#: ``KIND:ID`` scopes: the lists under one network, advertiser or campaign
INSTANCE_KINDS: list[str] = []
#: entities with a page, in the navigation's order (the N of ``pages/N_Name.py``)
WITH_PAGES: list[EntityType] = []
#: the page that shows each kind's detail, by singular (``open=campaign:123``)
DETAIL_PAGES: dict[str, str] = {}
_DERIVED: list[Callable[[], None]] = []


def children(name: str) -> list[EntityType]:
    """Entity types listed under ``name``, in registry order."""
    return [e for e in ENTITIES.values() if e.parent == name]


def scope_help() -> str:
    """Every scope a sync accepts, as the CLI, the HTTP API and errors name them."""
    return " | ".join(("full", "quick", *(f"{k}:ID" for k in INSTANCE_KINDS), "entity:NAME", "stats"))


def simulated() -> dict[str, tuple[str, str, Callable]]:
    """The simulator's recipes (``Simulator(recipes=...)``) of the kinds it does not
    generate itself: name -> (parent, parent field, ``simulated``)."""
    return {e.name: (e.parent, e.parent_field, e.simulated) for e in ENTITIES.values() if e.simulated}


def derived(refresh: Callable[[], None]) -> Callable[[], None]:
    """Register ``refresh``, which recomputes a module's registry-derived containers in
    place, and run it: it runs again whenever an entity type is registered."""
    _DERIVED.append(refresh)
    refresh()
    return refresh


def register(entity: EntityType) -> None:
    """Declare one more entity type (after its parent): the store, the sync, the read side,
    the navigation and the UI's labels take it from here on.  Its documents go with their
    network, as every kind's do."""
    if entity.parent is not None and entity.parent not in ENTITIES:
        raise ValueError(f"{entity.name}: its parent {entity.parent!r} is not registered")
    ENTITIES[entity.name] = entity
    _rederive()


def unregister(name: str) -> None:
    """Forget an entity type registered by :func:`register` (tests that declare their own)."""
    if any(e.parent == name for e in ENTITIES.values()):
        raise ValueError(f"{name}: other entity types are listed under it")
    ENTITIES.pop(name)
    _rederive()


def _page_order(entity: EntityType) -> tuple[int, str]:
    """``pages/12_Name.py`` after ``pages/5_Networks.py``: by N, then by name."""
    name = str(entity.page).rsplit("/", 1)[-1]
    number = name.split("_", 1)[0]
    return (int(number) if number.isdigit() else 1_000_000, name)


def _rederive() -> None:
    root = next(e for e in ENTITIES.values() if e.parent is None)
    # everything stored under a network goes with it
    ENTITIES[root.name] = dataclasses.replace(root, cascade=tuple(
        Cascade(e.name, "network_id") for e in ENTITIES.values() if e.parent is not None))
    ENTITY_NAMES[:] = list(ENTITIES)
    BY_SINGULAR.clear()
    BY_SINGULAR.update({e.singular: e.name for e in ENTITIES.values()})
    INSTANCE_KINDS[:] = [e.singular for e in ENTITIES.values() if children(e.name)]
    WITH_PAGES[:] = sorted((e for e in ENTITIES.values() if e.page), key=_page_order)
    DETAIL_PAGES.clear()
    DETAIL_PAGES.update({e.singular: e.page for e in ENTITIES.values() if e.has_detail and e.page})
    for refresh in _DERIVED:
        refresh()


_rederive()
