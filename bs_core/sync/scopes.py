"""What a sync covers: ``full``, ``quick``, ``network:ID``, ``advertiser:ID``,
``campaign:ID``, ``entity:NAME`` or ``stats``."""

from __future__ import annotations

import dataclasses

from pymongo.database import Database

from ..entities import BY_SINGULAR, ENTITIES, ENTITY_NAMES, INSTANCE_KINDS, scope_help
from ..errors import ScopeError, ScopeTargetError

__all__ = ["INSTANCE_KINDS", "scope_help", "Scope", "parse_scope", "require_target"]


@dataclasses.dataclass(frozen=True)
class Scope:
    kind: str  # full, quick, network, advertiser, campaign, entity, stats
    target: int | str | None = None

    def __str__(self) -> str:
        return self.kind if self.target is None else f"{self.kind}:{self.target}"


MAX_ID = 2**63 - 1  # BroadStreet ids are stored as BSON int64


def parse_scope(text: str | None) -> Scope:
    """Parse a scope string (None means ``quick``); raise :class:`ScopeError` with the
    accepted forms.  An empty string is an error, not a quiet ``quick``."""
    raw = ("quick" if text is None else str(text)).strip().lower()
    if raw in ("full", "quick", "stats"):
        return Scope(raw)
    kind, sep, target = raw.partition(":")
    if sep and kind in INSTANCE_KINDS:
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
        if target.isascii() and target.isdigit() and 0 < int(target) <= MAX_ID:
            return Scope(kind, int(target))
        raise ScopeError(f"scope {str(text)[:60]!r}: {kind} id must be a positive integer up to {MAX_ID}")
    if sep and kind == "entity":
        if target in ENTITY_NAMES:
            return Scope("entity", target)
        raise ScopeError(f"scope {str(text)[:60]!r}: entity must be one of {', '.join(ENTITY_NAMES)}")
    raise ScopeError(f"unknown scope {str(text)[:60]!r}; expected {scope_help()}")


def require_target(db: Database, scope: Scope) -> None:
    """Raise :class:`ScopeTargetError` when a ``KIND:ID`` scope names something the mirror
    does not hold (checked before a run is recorded: a typo is not a failed sync)."""
    if scope.kind not in INSTANCE_KINDS:
        return
    entity = ENTITIES[BY_SINGULAR[scope.kind]]
    if db[entity.name].find_one({"_id": scope.target}, {"_id": 1}) is None:
        raise ScopeTargetError(f"{scope.kind} {scope.target} is not in the mirror; run a full sync first "
                               f"(or check the id)")
