"""Mirroring one fetched list: normalise, compare with what the mirror holds, stage the
changes, and propose deleting what a complete list proved gone; once every list is in,
delete what the guard permits, with everything under it.

Safety: a document is deleted only when the complete fetch of its parent scope
succeeded in this run and the document was absent from it; children go with their
parent (``entities.Cascade``).  A scope whose fetch failed is never compared, so it
keeps its documents.  A list is complete only when every record in it is well-formed:
one malformed record (a bad date, an id that is not a number) could be any document of
that parent, so a list with one deletes nothing, and the run ends ``partial``.

A missing record is not yet a deleted one.  Before the guard decides, a record that a
list lacks is kept when another list fetched in the same run still names it (a zone or
an ad that a campaign's placements name), and a record with its own route is asked
about by it (``proof.py``): a 200 keeps it, refreshed from that answer.  Either way the
run ends ``partial`` and names the list that omitted it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from .. import normalize as norm
from ..entities import ENTITIES, EntityType, derived
from ..errors import IncompleteListError, OmittedRecordsError
from ..store import MirrorWriter, held
from ..store.lookups import cascades
from . import _proof as proof
from ._guard import DeletionGuard, ProposedDeletion
from .runs import RunRecorder

#: per collection, the (kind, field) pairs its documents name other records by: a
#: placement names its zone and its ad (``zone_id``, ``advertisement_id``)
NAMED_BY: dict[str, list[tuple[str, str]]] = {}


@derived
def _named_by() -> None:
    NAMED_BY.clear()
    for kind in ENTITIES.values():
        for cascade in kind.cascade:
            if cascade.via is None:
                NAMED_BY.setdefault(cascade.collection, []).append((kind.name, cascade.field))


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
    def __init__(self, db: Database, writer: MirrorWriter, recorder: RunRecorder, guard: DeletionGuard, *,
                 client: Any = None, today: dt.date | None = None, concurrency: int = 4,
                 should_stop: Callable[[], None] = lambda: None):
        self.db = db
        self.writer = writer
        self.recorder = recorder
        self.guard = guard
        self.client = client  #: asks missing records by their own route (None: nothing is proven)
        self.today = today or writer.now.date()
        self.concurrency = concurrency
        self.should_stop = should_stop
        self.existing = ExistingCache(writer)
        self.named: dict[str, set] = {}  #: per collection, ids that this run's fetched documents name
        self._at_end: list = []  # judgements that need the whole run's writes in the mirror

    def at_end(self, job) -> None:
        """Run ``job`` once every fetch is handled and written, before deletions are decided."""
        self._at_end.append(job)

    def normalize(self, entity: EntityType, raw: Any, ctx: norm.Context, label: str) -> tuple[list[dict], bool]:
        """(the list's documents, whether it is complete: every record well-formed)."""
        docs, skipped = entity.normalize_many(raw, ctx)
        if skipped:
            self.writer.count(entity.name).skipped += len(skipped)
            self.recorder.skip(skipped)
        malformed = [s for s in skipped if not s.get("duplicate")]
        if malformed:
            first = malformed[0]
            self.recorder.error(IncompleteListError(
                f"{len(malformed):,} malformed {entity.name} record(s) in {label} (first: {entity.singular} "
                f"{first.get('id')!r}: {first['reason']}); the mirror keeps what it had, and nothing in that "
                f"list was deleted"), label)
        return docs, not malformed

    def mirror_list(self, entity: EntityType, parent: Any, raw: Any, ctx: norm.Context,
                    label: str) -> tuple[list[dict], set]:
        """Mirror one parent's complete list (``label`` names it): stage changes, propose
        deleting what vanished.

        Returns (documents, ids of the new or changed ones).
        """
        docs, complete = self.normalize(entity, raw, ctx, label)
        for kind, field in NAMED_BY.get(entity.name, ()):
            self.named.setdefault(kind, set()).update(d[field] for d in docs if d.get(field) is not None)
        before = self.existing.get(entity.name, parent)
        ids, changed = self.replace_rows(entity.name, docs, before, label, complete)
        if complete:
            self.writer.seen_scope(entity.name, parent)
        return docs, changed

    def mirror_networks(self, raw: list, ctx: norm.Context, only: int | None) -> dict[int, str]:
        """Mirror the network list (or one network); return the fetched ones' names by id."""
        entity = ENTITIES["networks"]
        docs, complete = self.normalize(entity, raw, ctx, "the account's networks")
        existing = self.writer.existing("networks", {} if only is None else {"_id": only})
        if only is None:
            self.replace_rows("networks", docs, existing, "the account", complete)
            if complete:
                self.writer.seen_scope("networks", "all")
        else:
            ids, _ = self.writer.stage("networks", docs, existing)
        self.writer.flush()  # parents are written before anything under them is fetched
        return {d["_id"]: d.get("name_clean", "") for d in sorted(docs, key=lambda d: d["_id"])}

    def replace_rows(self, collection: str, docs: list[dict], existing: dict, label: str,
                     complete: bool = True) -> tuple[set, set]:
        """Make the mirror's documents of one list (``existing``) equal ``docs``: stage the
        new and changed ones; when the list is complete, propose deleting the rest.

        Returns (ids of every document, ids of the new or changed ones).
        """
        ids, changed = self.writer.stage(collection, docs, existing)
        self.guard.propose(collection, label, ids, set(existing) - ids if complete else set(), len(existing))
        return ids, changed

    def finish(self) -> None:
        """Once every list is in: run the end-of-run judgements, delete what the guard
        permits, record what it holds, and release held ids that were confirmed, came back
        upstream, or left the mirror."""
        self.writer.flush()  # judgements and cascades read the mirror with this run's writes in
        for job in self._at_end:
            job()
        self._keep_what_other_lists_name()
        self._ask_their_own_routes()
        self.writer.flush()  # records kept and refreshed are in before anything is deleted
        permitted, held_back = self.guard.decide()
        for deletion, error in held_back:
            self.recorder.error(error, deletion.scope)
        for p in permitted:
            self.delete(p.collection, p.ids)
        self.writer.flush()
        if self.writer.guard is not None:
            self.writer.guard()  # fenced like every write: a run that lost its lease stops here
        db, run_id, now = self.db, self.writer.run_id, self.writer.now
        for deletion, _ in held_back:
            held.hold(db, deletion.collection, deletion.ids, scope=deletion.scope,
                      run_scope=self.guard.run_scope, run_id=run_id, now=now)
        for collection, ids in self.guard.returned.items():
            held.release(db, collection, ids)
        if self.guard.already_held or self.guard.allow:
            held.release_gone(db)

    def _keep_what_other_lists_name(self) -> None:
        """A zone or an ad that a list fetched in this run still names is not gone."""
        for p in self.guard.proposals:
            named = p.ids & self.named.get(p.collection, set())
            if named:
                p.ids -= named
                self._omitted(p, named, "that other lists fetched in this run still name (their placements)")

    def _ask_their_own_routes(self) -> None:
        """Ask BroadStreet about each missing record that has a route of its own."""
        asked = [p for p in self.guard.proposals if p.ids and ENTITIES[p.collection].fetch_one is not None]
        wanted = {id(p): p.ids - self.guard.already_held.get(p.collection, set()) for p in asked}
        missing = sum(len(ids) for ids in wanted.values())
        if self.client is None or missing > proof.MAX_ASKED:
            for p in asked:
                p.unproven = (f"{missing:,} records were missing from their lists, more than the {proof.MAX_ASKED} "
                              f"a run asks BroadStreet about one by one" if self.client else "nothing was asked")
            return
        for p in asked:
            entity = ENTITIES[p.collection]
            verdicts = proof.ask(entity.fetch_one, self.client, wanted[id(p)], self.concurrency, self.should_stop)
            p.proven = {i for i, v in verdicts.items() if v.answer is proof.Answer.GONE}
            alive = {i: v.record for i, v in verdicts.items() if v.answer is proof.Answer.ALIVE}
            unknown = [v.why for v in verdicts.values() if v.answer is proof.Answer.UNKNOWN]
            if unknown:
                p.unproven = (f"BroadStreet did not confirm {len(unknown):,} of them gone "
                              f"(first answer: {unknown[0]})")
            if alive:
                p.ids -= set(alive)
                self._refresh(entity, alive)
                self._omitted(p, set(alive), "that BroadStreet still has (their own records answered); "
                                             "refreshed from those records")

    def _refresh(self, entity: EntityType, records: dict[int, dict]) -> None:
        """Write records fetched one by one, as their list would have given them."""
        mirrored = {d["_id"]: d for d in self.db[entity.name].find({"_id": {"$in": sorted(records)}},
                                                                    {"network_id": 1})}
        existing = self.writer.existing(entity.name, {"_id": {"$in": sorted(records)}})
        for ident, raw in records.items():
            ctx = norm.Context(self.today, network_id=mirrored.get(ident, {}).get("network_id"))
            docs, _ = entity.normalize_many([raw], ctx)
            if docs and docs[0]["_id"] == ident:
                self.writer.stage(entity.name, docs, existing)

    def _omitted(self, p: ProposedDeletion, kept: set, why: str) -> None:
        first = sorted(kept, key=str)[0]
        self.recorder.error(OmittedRecordsError(
            f"{p.scope} omitted {len(kept):,} {p.collection} {why}; kept (first: {ENTITIES[p.collection].singular} "
            f"{first}). Nothing they hold was deleted"), p.scope)

    def delete(self, kind: str, ids: set) -> None:
        """Delete documents a complete fetch proved gone, and everything under them."""
        if not ids:
            return
        self.writer.stage_deletes(kind, ids)
        for cascade, parents in cascades(self.db, kind, ids):
            self.writer.delete_children(cascade.collection, cascade.field, parents)
