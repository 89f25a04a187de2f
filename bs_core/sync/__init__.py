"""Sync orchestration: scopes, the lease lock, run history, the engine and its runners."""

from .engine import SyncEngine, run_sync
from .scopes import Scope, parse_scope

__all__ = ["Scope", "SyncEngine", "parse_scope", "run_sync"]
