"""The change-detecting writer: a run's writes, sent in bulk from a background thread."""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterable

from pymongo import ReplaceOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from ..dates import utcnow
from ..entities import ENTITIES, ENTITY_NAMES
from ..normalize import content_hash
from . import scopes

BATCH = 1000
DELETE_BATCH = 500
DELETED_IDS_KEPT = 200  # per collection, in the run record


@dataclasses.dataclass
class Counts:
    """Per-entity outcome of a run."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Existing:
    """What the mirror holds for one document: enough to detect change and keep history."""

    hash: str
    first_seen_at: dt.datetime | None
    first_seen_run: str | None


class MirrorWriter:
    """Buffers a run's writes and sends them in bulk from a background thread.

    A document is written only when it is new or its content hash changed; deletions are
    staged by the caller only for scopes whose complete fetch succeeded.  Bulk writes go
    through a short queue to one writer thread, so the database works while the caller
    keeps comparing and fetching; ``flush()`` waits for everything and re-raises the
    first write error.

    Order: a batch of one entity is sent only after everything buffered for the
    entities it refers to (``EntityType.refers_to``), through the one FIFO queue, so a
    kill at any moment leaves no document without its parent.  Fencing: ``guard`` is
    called before every batch (the lease's ``confirm``); once it raises, that batch and
    every later one are dropped, not written.
    """

    def __init__(self, db: Database, run_id: str, now: dt.datetime | None = None,
                 guard: Callable[[], None] | None = None):
        self.db = db
        self.run_id = run_id
        self.now = now or utcnow()
        self.guard = guard
        #: per collection, the ids this run deleted (at most DELETED_IDS_KEPT kept)
        self.deleted_ids: dict[str, list] = {}
        self.counts: dict[str, Counts] = {}
        self._inserts: dict[str, list[dict]] = {}
        self._replaces: dict[str, list[ReplaceOne]] = {}
        self._deletes: dict[str, list] = {}
        self._scopes: list[UpdateOne] = []
        self.documents_written = 0
        # back-pressure: a few batches at most.  4 held the sync's loop 7.7 s in a first full
        # sync of `large` (it waits here while the database catches up, and hands out no
        # fetch meanwhile); 16 held it 0.8 s, for at most 16,000 documents queued
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._count_lock = threading.Lock()

    def counts_by_collection(self) -> dict[str, dict[str, int]]:
        """Each collection's counts so far, as the run record keeps them."""
        return {name: counts.as_dict() for name, counts in self.counts.items()}

    def count(self, collection: str) -> Counts:
        return self.counts.setdefault(collection, Counts())

    def existing(self, collection: str, query: dict | None = None,
                 parent_field: str | None = None) -> dict:
        """``{_id: Existing}``, or ``{parent: {_id: Existing}}`` when ``parent_field`` is given."""
        fields = {"_sync.hash": 1, "_sync.first_seen_at": 1, "_sync.first_seen_run": 1}
        if parent_field:
            fields[parent_field] = 1
        out: dict = {}
        for doc in self.db[collection].find(query or {}, fields):
            meta = doc.get("_sync") or {}
            entry = Existing(meta.get("hash", ""), meta.get("first_seen_at"), meta.get("first_seen_run"))
            if parent_field:
                out.setdefault(doc.get(parent_field), {})[doc["_id"]] = entry
            else:
                out[doc["_id"]] = entry
        return out

    def stage(self, collection: str, docs: Iterable[dict], existing: dict) -> tuple[set, set]:
        """Queue the new and changed documents of one fetched scope.

        Returns (ids of every document, ids of the new or changed ones).
        """
        counts = self.count(collection)
        ids, changed = set(), set()
        for doc in docs:
            ids.add(doc["_id"])
            digest = content_hash(doc)
            before = existing.get(doc["_id"])
            if before is not None and before.hash == digest:
                counts.unchanged += 1
                continue
            changed.add(doc["_id"])
            doc["_sync"] = {
                "hash": digest,
                "changed_at": self.now,
                "changed_run": self.run_id,
                "first_seen_at": before.first_seen_at if before else self.now,
                "first_seen_run": before.first_seen_run if before else self.run_id,
            }
            if before is None:
                counts.inserted += 1
                self._inserts.setdefault(collection, []).append(doc)
            else:
                counts.updated += 1
                self._replaces.setdefault(collection, []).append(ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))
            if len(self._inserts.get(collection, ())) + len(self._replaces.get(collection, ())) >= BATCH:
                self._send(collection)
        return ids, changed

    def stage_deletes(self, collection: str, ids: Iterable) -> None:
        """Queue deleting ``ids``; counted as they are deleted, since a parent's cascade may
        already have taken some of them."""
        ids = list(ids)
        if ids:
            self._deletes.setdefault(collection, []).extend(ids)
            with self._count_lock:
                self.count(collection)
                self._note_deleted(collection, ids)

    def _note_deleted(self, collection: str, ids: list) -> None:
        kept = self.deleted_ids.setdefault(collection, [])
        kept.extend(ids[:max(DELETED_IDS_KEPT - len(kept), 0)])

    def seen_scope(self, collection: str, scope_key: object, **extra: object) -> None:
        """Record that a scope's complete fetch succeeded: the "last seen" of its documents.

        Unchanged documents are not rewritten, so when a document was last confirmed
        upstream is kept per (collection, parent scope) in ``sync_scopes``.
        """
        self._scopes.append(scopes.seen(collection, scope_key, self.now, self.run_id, **extra))
        if len(self._scopes) >= BATCH:
            self._send_scopes()

    def delete_children(self, collection: str, field: str, parent_ids: Iterable) -> None:
        """Delete documents whose ``field`` names a deleted parent (cascade)."""
        parent_ids = list(parent_ids)

        def run() -> None:
            for i in range(0, len(parent_ids), DELETE_BATCH):
                query = {field: {"$in": parent_ids[i:i + DELETE_BATCH]}}
                ids = [d["_id"] for d in self.db[collection].find(query, {"_id": 1})]  # for the record
                removed = self.db[collection].delete_many(query).deleted_count
                with self._count_lock:  # the sync thread counts deletions too
                    self.count(collection).deleted += removed
                    self.documents_written += removed
                    self._note_deleted(collection, ids)

        if parent_ids:
            self._submit(run)

    def flush(self) -> None:
        """Send everything buffered and wait until it is written."""
        self._send_buffered()
        self._submit(None)  # a marker: the writer thread finishes and exits
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def then(self, job: Callable[[], None]) -> None:
        """Send everything buffered, and run ``job`` in the writer's thread once all of it is
        written, without waiting here (a first look is recorded so while fetching goes on).
        A failing ``job`` fails the run as a failed write does."""
        self._send_buffered()
        self._submit(job)

    def _send_buffered(self) -> None:
        self._send_scopes()
        pending = set(self._inserts) | set(self._replaces) | set(self._deletes)
        for name in sorted(pending, key=lambda n: ENTITY_NAMES.index(n) if n in ENTITIES else len(ENTITY_NAMES)):
            self._send(name)

    # -- the writer thread -------------------------------------------------------------------
    def _pending(self, name: str) -> bool:
        return bool(self._inserts.get(name) or self._replaces.get(name) or self._deletes.get(name))

    def _send(self, name: str) -> None:
        for parent in ENTITIES[name].refers_to if name in ENTITIES else ():
            if self._pending(parent):  # parents first: no child is ever written before them
                self._send(parent)
        inserts = self._inserts.pop(name, [])
        replaces = self._replaces.pop(name, [])
        deletes = self._deletes.pop(name, [])
        if inserts:
            self._submit(lambda: self._insert(name, inserts))
        if replaces:
            self._submit(lambda: self._bulk(name, replaces))
        for i in range(0, len(deletes), DELETE_BATCH):
            chunk = deletes[i:i + DELETE_BATCH]
            self._submit(lambda chunk=chunk: self._delete(name, chunk))

    def _send_scopes(self) -> None:
        seen, self._scopes = self._scopes, []
        if seen:
            self._submit(lambda: scopes.write(self.db, seen))

    def _insert(self, name: str, docs: list[dict]) -> None:
        try:
            self.db[name].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            # A document another writer inserted meanwhile: replace it instead.
            errors = exc.details.get("writeErrors", [])
            dup = {e["op"]["_id"] for e in errors if e.get("code") == 11000}
            if len(dup) != len(errors):
                raise
            self.db[name].bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                                      for d in docs if d["_id"] in dup], ordered=False)
        self.documents_written += len(docs)

    def _bulk(self, name: str, ops: list) -> None:
        self.db[name].bulk_write(ops, ordered=False)
        self.documents_written += len(ops)

    def _delete(self, name: str, ids: list) -> None:
        removed = self.db[name].delete_many({"_id": {"$in": ids}}).deleted_count
        with self._count_lock:
            self.count(name).deleted += removed
            self.documents_written += removed

    def _submit(self, job) -> None:
        if self._error is not None:  # fail fast: the run reports the first write error
            error, self._error = self._error, None
            raise error
        if job is None and self._thread is None:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="mirror-writer", daemon=True)
            self._thread.start()
        self._queue.put(job)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._error is None:  # after a failure, later jobs are dropped
                try:
                    if self.guard is not None:
                        self.guard()
                    job()
                except BaseException as exc:  # noqa: BLE001 - handed to the caller by flush()
                    self._error = exc
