"""Mirroring one fetched list: normalise, compare with what the mirror holds, stage the
changes, and delete what a complete list proved gone, with everything under it.

Safety: a document is deleted only when the complete fetch of its parent scope
succeeded in this run and the document was absent from it; children go with their
parent (``entities.Cascade``).  A scope whose fetch failed is never compared, so it
keeps its documents.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from .. import normalize as norm
from ..entities import ENTITIES, EntityType
from ..store import MirrorWriter
from ..store.lookups import cascades
from .guard import DeletionGuard
from .runs import RunRecorder


class ExistingCache:
    """What the mirror holds, per collection and parent, loaded on first use.

    Loading happens in the sync's own thread while the first fetches are in flight.
    Only collections the plan :meth:`expect`-ed are compared; others load nothing.
    """

    def __init__(self, writer: MirrorWriter):
        self.writer = writer
        self.queries: dict[str, dict] = {}
        self.loaded: dict[str, dict] = {}

    def expect(self, kind: str, query: dict) -> None:
        self.queries[kind] = query

    def get(self, kind: str, parent: Any) -> dict:
        field = ENTITIES[kind].parent_field
        if kind not in self.loaded:
            query = self.queries.get(kind, {field: {"$in": []}})
            self.loaded[kind] = self.writer.existing(kind, query, field)
        return self.loaded[kind].pop(parent, {})


class Mirroring:
    def __init__(self, db: Database, writer: MirrorWriter, recorder: RunRecorder, guard: DeletionGuard):
        self.db = db
        self.writer = writer
        self.recorder = recorder
        self.guard = guard
        self.existing = ExistingCache(writer)

    def normalize(self, entity: EntityType, raw: Any, ctx: norm.Context) -> list[dict]:
        docs, skipped = entity.normalize_many(raw, ctx)
        if skipped:
            self.writer.count(entity.name).skipped += len(skipped)
            self.recorder.skip(skipped)
        return docs

    def mirror_list(self, entity: EntityType, parent: Any, raw: Any, ctx: norm.Context,
                    label: str) -> tuple[list[dict], set]:
        """Mirror one parent's complete list (``label`` names it): stage changes, delete
        what vanished unless the guard holds that back.

        Returns (documents, ids of the new or changed ones).
        """
        docs = self.normalize(entity, raw, ctx)
        before = self.existing.get(entity.name, parent)
        ids, changed = self.replace_rows(entity.name, docs, before, label)
        self.writer.seen_scope(entity.name, parent)
        return docs, changed

    def mirror_networks(self, raw: list, ctx: norm.Context, only: int | None) -> dict[int, str]:
        """Mirror the network list (or one network); return the fetched ones' names by id."""
        entity = ENTITIES["networks"]
        docs = self.normalize(entity, raw, ctx)
        existing = self.writer.existing("networks", {} if only is None else {"_id": only})
        if only is None:
            ids, _ = self.replace_rows("networks", docs, existing, "the account")
            self.writer.seen_scope("networks", "all")
        else:
            ids, _ = self.writer.stage("networks", docs, existing)
        self.writer.flush()  # parents are written before anything under them is fetched
        return {d["_id"]: d.get("name_clean", "") for d in sorted(docs, key=lambda d: d["_id"])}

    def replace_rows(self, collection: str, docs: list[dict], existing: dict, label: str) -> tuple[set, set]:
        """Make the mirror's documents of one complete list (``existing``) equal ``docs``:
        stage the new and changed ones, delete the rest when the guard permits.

        Returns (ids of every document, ids of the new or changed ones).
        """
        ids, changed = self.writer.stage(collection, docs, existing)
        held = self.guard.permits(collection, label, set(existing) - ids, len(existing))
        if held is not None:
            self.recorder.error(held, label)
        else:
            self.delete(collection, set(existing) - ids)
        return ids, changed

    def delete(self, kind: str, ids: set) -> None:
        """Delete documents a complete fetch proved gone, and everything under them."""
        if not ids:
            return
        self.writer.stage_deletes(kind, ids)
        for cascade, parents in cascades(self.db, kind, ids):
            self.writer.delete_children(cascade.collection, cascade.field, parents)
