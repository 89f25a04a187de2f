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
    def __init__(self, db: Database, writer: MirrorWriter, recorder: RunRecorder):
        self.db = db
        self.writer = writer
        self.recorder = recorder
        self.existing = ExistingCache(writer)

    def normalize(self, entity: EntityType, raw: Any, ctx: norm.Context) -> list[dict]:
        docs, skipped = entity.normalize_many(raw, ctx)
        if skipped:
            self.writer.count(entity.name).skipped += len(skipped)
            self.recorder.skip(skipped)
        return docs

    def mirror_list(self, entity: EntityType, parent: Any, raw: Any, ctx: norm.Context) -> tuple[list[dict], set]:
        """Mirror one parent's complete list: stage changes, delete what vanished.

        Returns (documents, ids of the new or changed ones).
        """
        docs = self.normalize(entity, raw, ctx)
        before = self.existing.get(entity.name, parent)
        ids, changed = self.writer.stage(entity.name, docs, before)
        self.delete(entity.name, set(before) - ids)
        self.writer.seen_scope(entity.name, parent)
        return docs, changed

    def mirror_networks(self, raw: list, ctx: norm.Context, only: int | None) -> list[int]:
        """Mirror the network list (or one network); return the ids fetched."""
        entity = ENTITIES["networks"]
        docs = self.normalize(entity, raw, ctx)
        existing = self.writer.existing("networks", {} if only is None else {"_id": only})
        ids, _ = self.writer.stage("networks", docs, existing)
        if only is None:
            self.delete("networks", set(existing) - ids)
            self.writer.seen_scope("networks", "all")
        self.writer.flush()  # parents are written before anything under them is fetched
        return sorted(ids)

    def delete(self, kind: str, ids: set) -> None:
        """Delete documents a complete fetch proved gone, and everything under them."""
        if not ids:
            return
        self.writer.stage_deletes(kind, ids)
        for cascade in ENTITIES[kind].cascade:
            parents = list(ids)
            if cascade.via is not None:  # e.g. placements of the deleted advertisers' campaigns
                via = ENTITIES[cascade.via]
                parents = [d["_id"] for d in self.db[via.name].find({via.parent_field: {"$in": parents}}, {"_id": 1})]
            self.writer.delete_children(cascade.collection, cascade.field, parents)
