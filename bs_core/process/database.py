"""Which database server holds the mirror, and a client that reaches it: the user's
``MONGODB_URI``, or else the embedded server in ``BS_DATA_DIR`` (started when needed,
restarted once when it answers but fails operations).  The runtime and the CLI open the
mirror here and hand the database to the store, the sync and the read side."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from ..errors import StoreUnavailableError
from ..settings import Settings
from .embedded import disk_trouble as embedded_disk_trouble
from .embedded import ensure_embedded_uri, restart_embedded


def mongo_uri(settings: Settings) -> str:
    """The user's ``MONGODB_URI``, or the embedded server's (started if needed)."""
    if settings.mongodb_uri:
        return settings.mongodb_uri
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
    return embedded_disk_trouble(settings.data_dir)


def failure_words(exc: PyMongoError) -> str:
    """A database error in a few words: its class and the server's message."""
    details = getattr(exc, "details", None) or {}
    return f"{type(exc).__name__}: {str(details.get('errmsg') or exc)[:120]}"


def open_database(settings: Settings, *, timeout_ms: int = 5000) -> Database:
    return connect(settings, timeout_ms=timeout_ms)[settings.mongodb_database]
