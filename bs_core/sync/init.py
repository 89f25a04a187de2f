"""First-start initialisation: an empty mirror gets indexes and one full sync, once."""

from __future__ import annotations

from pymongo.database import Database

from ..errors import SyncLockedError
from ..settings import Settings
from ..store import ensure_indexes
from .engine import SyncEngine


def needs_initialisation(db: Database) -> bool:
    """True until a full sync (any trigger) has succeeded."""
    return db.sync_runs.find_one({"status": "success", "scope": "full"}, {"_id": 1}) is None


def initialise_if_needed(settings: Settings, db: Database, **engine_args) -> dict | None:
    """Run the initial full sync unless one already succeeded.

    Several processes may call this at once: the lease lets exactly one run, the others
    get None.  A failed initialisation is recorded like any run, and because no full sync
    succeeded, the next call tries again.
    """
    ensure_indexes(db)
    if not needs_initialisation(db):
        return None
    engine = SyncEngine(settings, db, **engine_args)
    try:
        run_id = engine.prepare("full", "init", only_if=lambda: needs_initialisation(db))
    except SyncLockedError:
        return None
    return engine.execute() if run_id else None
