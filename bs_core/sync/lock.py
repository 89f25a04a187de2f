"""One sync at a time across threads, processes and machines: a lease document.

``sync_lock`` holds one document ``{_id: "sync", owner, run_id, started_at, heartbeat_at,
expires_at}``.  Acquiring is one atomic upsert that matches only a free or expired lease;
a live lease makes the upsert collide on ``_id`` (DuplicateKeyError).  A heartbeat thread
renews the lease while the run lives; a holder that dies stops renewing and its lease
expires.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from ..dates import utcnow
from ..errors import SyncLockedError
from ..store.history import LOCK_ID, current_lease

__all__ = ["Lease", "current_lease", "new_owner"]


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(self, db: Database, lease_seconds: float = 30.0, owner: str | None = None):
        self.db = db
        self.lease_seconds = lease_seconds
        self.owner = owner or new_owner()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, run_id: str) -> dict | None:
        """Take the lease for ``run_id``; return the expired lease it replaced, if any.

        Raises :class:`SyncLockedError` (naming the running run) when it is held.
        """
        now = utcnow()
        previous = self.db.sync_lock.find_one({"_id": LOCK_ID})
        try:
            self.db.sync_lock.find_one_and_update(
                {"_id": LOCK_ID, "expires_at": {"$lt": now}},
                {"$set": {"owner": self.owner, "run_id": run_id, "started_at": now, "heartbeat_at": now,
                          "expires_at": now + dt.timedelta(seconds=self.lease_seconds)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            holder = self.db.sync_lock.find_one({"_id": LOCK_ID}) or {}
            run = self.db.sync_runs.find_one({"_id": holder.get("run_id")}, {"errors": 0, "requests": 0}) or {}
            raise SyncLockedError(_locked_message(holder, run), run=run) from None
        self.lost.clear()
        if previous and previous.get("run_id") != run_id:
            return previous
        return None

    def renew(self) -> bool:
        now = utcnow()
        result = self.db.sync_lock.update_one(
            {"_id": LOCK_ID, "owner": self.owner},
            {"$set": {"heartbeat_at": now, "expires_at": now + dt.timedelta(seconds=self.lease_seconds)}},
        )
        return result.matched_count == 1

    def release(self) -> None:
        self.stop_heartbeat()
        self.db.sync_lock.delete_one({"_id": LOCK_ID, "owner": self.owner})

    def start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="sync-lease-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        interval = max(self.lease_seconds / 3, 0.2)
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    self.lost.set()  # someone took over an expired lease: stop working
                    return
            except PyMongoError:
                continue  # transient; the lease still has time left


def _locked_message(holder: dict, run: dict) -> str:
    run_id = holder.get("run_id", "?")
    phase = run.get("phase") or "starting"
    prog = (run.get("progress") or {}).get(phase) or {}
    detail = f"{phase} {prog.get('done', 0):,}/{prog.get('total', 0):,}" if prog else phase
    scope = run.get("scope", "?")
    return f"A sync is already running (run {run_id}, scope {scope}, {detail})"
