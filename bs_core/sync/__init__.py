"""Sync orchestration: scopes, planning, the fetch pipeline, mirroring, reporting stats,
the lease lock, run history, and the engine that runs one sync start to end."""

from ._engine import SyncEngine, run_sync
from .scopes import Scope, parse_scope

__all__ = ["Scope", "SyncEngine", "parse_scope", "run_sync"]
