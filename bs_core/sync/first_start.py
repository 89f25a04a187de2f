"""First-start initialisation: an empty mirror gets indexes and one full sync, once."""

from __future__ import annotations

from pymongo.database import Database

from ..errors import SyncLockedError
from ..settings import Settings
from ..store import ensure_indexes
from ..store.history import needs_initialisation
from ._engine import SyncEngine

__all__ = ["initialise_if_needed", "needs_initialisation", "prepare_initialisation"]


def prepare_initialisation(engine: SyncEngine) -> str | None:
    """Take the lease for the initial full sync if none has succeeded yet; its run id.

    Several processes may call this at once: the lease, and a re-check while holding it,
    let exactly one through; the others get None.  A failed initialisation is recorded
    like any run, and because no full sync succeeded, the next call tries again.
    """
    db = engine.db
    ensure_indexes(db)
    if not needs_initialisation(db):
        return None
    try:
        return engine.prepare("full", "init", only_if=lambda: needs_initialisation(db))
    except SyncLockedError:
        return None


def initialise_if_needed(settings: Settings, db: Database, **engine_args) -> dict | None:
    """Run the initial full sync to completion unless one already succeeded."""
    engine = SyncEngine(settings, db, **engine_args)
    if prepare_initialisation(engine) is None:
        engine.client.close()
        return None
    return engine.execute()
