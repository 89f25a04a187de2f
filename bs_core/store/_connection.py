"""The collections and indexes the mirror database holds.  (Which server it is, and
connecting to it, is ``process/database.py``: the store starts no process.)"""

from __future__ import annotations

import datetime as dt

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

from ..entities import ENTITIES, ENTITY_NAMES, derived

ENTITY_COLLECTIONS = ENTITY_NAMES  # the registry's own list: it grows with a registered kind
_OWN_COLLECTIONS = ("stats_daily", "stats_zone_daily", "stats_campaign_zone_daily", "stats_hours", "sync_runs",
                    "sync_lock", "sync_scopes", "mirror_summary", "held_deletions", "digest_runs",
                    "rates", "rate_cards", "rate_history",  # rates: entered here only
                    "zone_forecasts")  # derived: remade by every sync
COLLECTIONS: list[str] = []

# Only indexes the pages and the sync use: on SecantusDB every secondary index makes bulk
# inserts markedly slower (measured: 29.8k docs/s with none, 9.8k with one, 4.0k with five).
_OWN_INDEXES: dict[str, list[IndexModel]] = {
    "rate_history": [IndexModel([("kind", ASCENDING), ("ref", ASCENDING), ("at", ASCENDING)], name="kind_ref_at")],
    "stats_daily": [
        IndexModel([("network_id", ASCENDING), ("date", ASCENDING)], name="network_date"),
        IndexModel([("campaign_id", ASCENDING), ("date", ASCENDING)], name="campaign_date"),
        IndexModel([("date", ASCENDING)], name="date"),
    ],
    "stats_zone_daily": [
        IndexModel([("network_id", ASCENDING), ("date", ASCENDING)], name="network_date"),
        IndexModel([("zone_id", ASCENDING), ("date", ASCENDING)], name="zone_date"),
    ],
    "stats_campaign_zone_daily": [
        IndexModel([("network_id", ASCENDING), ("date", ASCENDING)], name="network_date"),
        IndexModel([("campaign_id", ASCENDING), ("date", ASCENDING)], name="campaign_date"),
        IndexModel([("zone_id", ASCENDING), ("date", ASCENDING)], name="zone_date"),
    ],
    "stats_hours": [
        IndexModel([("network_id", ASCENDING), ("date", ASCENDING)], name="network_date"),
        IndexModel([("campaign_id", ASCENDING), ("date", ASCENDING)], name="campaign_date"),
    ],
    "sync_runs": [
        IndexModel([("started_at", DESCENDING)], name="started_at"),
        IndexModel([("status", ASCENDING), ("finished_at", DESCENDING)], name="status_finished"),
    ],
    "sync_scopes": [IndexModel([("collection", ASCENDING)], name="collection")],
    "held_deletions": [IndexModel([("collection", ASCENDING)], name="collection")],
    "digest_runs": [IndexModel([("finished_at", DESCENDING)], name="finished_at")],
}
INDEXES: dict[str, list[IndexModel]] = {}


@derived
def _from_the_registry() -> None:
    COLLECTIONS[:] = [*ENTITY_NAMES, *_OWN_COLLECTIONS]
    INDEXES.clear()
    INDEXES.update({**{name: list(entity.indexes) for name, entity in ENTITIES.items()}, **_OWN_INDEXES})


def ensure_indexes(db: Database) -> None:
    """Create every index (idempotent: an existing index with the same spec is a no-op)."""
    for name, models in INDEXES.items():
        db[name].create_indexes(models)


def server_now(db: Database) -> dt.datetime:
    """The database server's clock (naive UTC): leases are judged by it, never by this
    machine's, so a client whose clock is off can neither take a live lease nor keep an
    expired one."""
    return db.client.admin.command("hello")["localTime"].replace(tzinfo=None)
