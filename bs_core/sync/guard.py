"""The deletion guard: BroadStreet has no tombstones, so a document is deleted when a
complete list no longer contains it; an empty or truncated answer would then wipe the
mirror.  Like rsync's ``--max-delete``, large deletions are held back unless confirmed.

A list's deletions are held when they would remove at least ``min_docs`` documents and
at least ``share`` of what the mirror holds under that parent, or when the run's
deletions (cascades included) would exceed ``run_share`` of the whole mirror.  Held
deletions delete nothing in that scope; the run ends ``partial`` with an error saying
what was held and how to confirm.
"""

from __future__ import annotations

import dataclasses
import threading

from pymongo.database import Database

from ..entities import ENTITY_NAMES
from ..errors import DeletionsHeldError
from ..settings import Settings
from ..store.lookups import cascades
from ..store.summaries import stored_summary


@dataclasses.dataclass
class HeldDeletion:
    collection: str
    scope: str  #: e.g. "zones of network 123"
    count: int
    holding: int
    ids: list


class DeletionGuard:
    def __init__(self, settings: Settings, db: Database, run_scope: str, allow: bool = False):
        self.share = settings.delete_guard_share
        self.min_docs = settings.delete_guard_min
        self.run_share = settings.delete_guard_run_share
        self.db = db
        self.run_scope = run_scope
        self.allow = allow
        self.held: list[HeldDeletion] = []
        self._deleted = 0  # this run's deletions so far, cascades estimated
        self._mirror_size: int | None = None
        self._lock = threading.Lock()

    def permits(self, collection: str, scope: str, gone: set, holding: int) -> DeletionsHeldError | None:
        """None when ``gone`` (of ``holding`` mirrored under ``scope``) may be deleted;
        else the error to record, and the deletion is remembered as held."""
        if not gone:
            return None
        impact = len(gone) + self._cascade_size(collection, gone)
        with self._lock:
            reason = None if self.allow else self._reason(len(gone), holding, impact)
            if reason is None:
                self._deleted += impact
                return None
            self.held.append(HeldDeletion(collection, scope, len(gone), holding, sorted(gone, key=str)[:50]))
        return DeletionsHeldError(
            f"held back deleting {len(gone):,} of the {holding:,} {collection} the mirror holds for {scope} "
            f"({reason}); nothing in that scope was deleted. If BroadStreet really removed them, confirm with "
            f"`python -m bs_core sync --scope {self.run_scope} --allow-deletes` (or 'Allow large deletions' "
            f"in the sidebar's sync options, or \"allow_deletes\": true in POST /api/sync/trigger)")

    def _reason(self, count: int, holding: int, impact: int) -> str | None:
        if count >= self.min_docs and holding and count / holding >= self.share:
            return f"{count / holding:.0%} of them; the guard holds {self.share:.0%} or more"
        size = self.mirror_size()
        if size and (self._deleted + impact) / size > self.run_share:
            return (f"with what goes with them, this run would delete {(self._deleted + impact) / size:.0%} of "
                    f"the mirror; the guard holds more than {self.run_share:.0%}")
        return None

    def mirror_size(self) -> int:
        if self._mirror_size is None:
            counts = stored_summary(self.db, "entity_counts")
            if counts is None:
                counts = {name: self.db[name].estimated_document_count() for name in ENTITY_NAMES}
            self._mirror_size = sum(counts.values())
        return self._mirror_size

    def _cascade_size(self, collection: str, ids: set) -> int:
        """How many documents go with ``ids`` (counted on indexed fields, but for networks)."""
        return sum(self.db[cascade.collection].count_documents({cascade.field: {"$in": parents}})
                   for cascade, parents in cascades(self.db, collection, ids))
