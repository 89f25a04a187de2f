"""Connecting to the mirror database, and the collections and indexes it holds."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from ..entities import ENTITIES, ENTITY_NAMES
from ..errors import StoreUnavailableError
from ..settings import Settings

ENTITY_COLLECTIONS = ENTITY_NAMES
COLLECTIONS = ENTITY_COLLECTIONS + ("stats_daily", "stats_zone_daily", "stats_campaign_zone_daily",
                                    "stats_hours", "sync_runs", "sync_lock", "sync_scopes",
                                    "mirror_summary", "held_deletions", "digest_runs",
                                    "rates", "rate_cards", "rate_history",  # rates: entered here only
                                    "zone_forecasts")  # derived: remade by every sync

# Only indexes the pages and the sync use: on SecantusDB every secondary index makes bulk
# inserts markedly slower (measured: 29.8k docs/s with none, 9.8k with one, 4.0k with five).
INDEXES: dict[str, list[IndexModel]] = {
    "rate_history": [IndexModel([("kind", ASCENDING), ("ref", ASCENDING), ("at", ASCENDING)], name="kind_ref_at")],
    **{name: list(entity.indexes) for name, entity in ENTITIES.items()},
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


def mongo_uri(settings: Settings) -> str:
    """The user's ``MONGODB_URI``, or the embedded server's (started if needed)."""
    if settings.mongodb_uri:
        return settings.mongodb_uri
    from ..process.embedded import ensure_embedded_uri  # only when no MONGODB_URI: starts a process

    return ensure_embedded_uri(settings.data_dir)


CONNECT_TIMEOUT_MS = 3000  # a frozen server (SIGSTOP, a hung host) is noticed by the monitor this soon


def connect(settings: Settings, *, timeout_ms: int = 5000, restart_wedged: bool = True) -> MongoClient:
    """A client whose server answers a ping and a query.  The embedded server, when it
    answers but fails operations (it wedges so once its disk filled), is restarted once."""
    client = MongoClient(mongo_uri(settings), serverSelectionTimeoutMS=timeout_ms, tz_aware=False,
                         connectTimeoutMS=CONNECT_TIMEOUT_MS, appname="broadstreet-mirror")
    try:
        client.admin.command("ping")
        client[settings.mongodb_database].sync_lock.find_one({}, {"_id": 1})  # a ping alone passes a wedged server
    except OperationFailure as exc:
        client.close()
        if settings.mongodb_uri:
            raise StoreUnavailableError(f"MongoDB answers but fails operations ({failure_words(exc)})") from None
        trouble = disk_trouble(settings)
        if trouble is None and restart_wedged:
            from ..process.embedded import restart_embedded

            restart_embedded(settings.data_dir)
            return connect(settings, timeout_ms=timeout_ms, restart_wedged=False)
        raise StoreUnavailableError(f"the embedded database fails: {trouble or failure_words(exc)}") from None
    except PyMongoError as exc:
        client.close()
        raise StoreUnavailableError(f"MongoDB is unreachable: {type(exc).__name__}") from None
    return client


def disk_trouble(settings: Settings) -> str | None:
    """Words naming a full disk under the embedded database (None: not embedded, or room)."""
    if settings.mongodb_uri:
        return None
    from ..process.embedded import disk_trouble as embedded_disk_trouble

    return embedded_disk_trouble(settings.data_dir)


def failure_words(exc: PyMongoError) -> str:
    """A database error in a few words: its class and the server's message."""
    details = getattr(exc, "details", None) or {}
    return f"{type(exc).__name__}: {str(details.get('errmsg') or exc)[:120]}"


def open_database(settings: Settings, *, timeout_ms: int = 5000) -> Database:
    return connect(settings, timeout_ms=timeout_ms)[settings.mongodb_database]


def ensure_indexes(db: Database) -> None:
    """Create every index (idempotent: an existing index with the same spec is a no-op)."""
    for name, models in INDEXES.items():
        db[name].create_indexes(models)
