"""One sync run, start to end: take the lease, record the run, plan and run the fetches,
write the changes, store the summaries, record the outcome, release the lease.

The parts: ``plan.py`` decides which fetches a scope needs, ``pipeline.py`` runs them,
``mirroring.py`` writes what they return, ``stats.py`` handles reporting; ``lock.py``
and ``runs.py`` are the lease and the run record.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from ..client import BroadStreetClient
from ..dates import today_utc
from ..errors import MirrorError, SyncAbortedError
from ..settings import Settings
from ..store import MirrorWriter, ensure_indexes
from ..store.summaries import refresh_summaries
from .lock import Lease
from .mirroring import Mirroring
from .pipeline import run_tasks
from .plan import Planner
from .runs import RunRecorder, new_run_id, reap_dead_runs
from .scopes import Scope, parse_scope

log = logging.getLogger(__name__)


class SyncEngine:
    """One run.  ``prepare`` takes the lease and records the run (raises
    :class:`~bs_core.errors.SyncLockedError` when another sync holds it); ``execute``
    does the work and always releases the lease."""

    def __init__(self, settings: Settings, db: Database, *, client: BroadStreetClient | None = None,
                 today: dt.date | None = None, listener: Callable[[str, int, int], None] | None = None,
                 cancel: threading.Event | None = None):
        self.settings = settings
        self.db = db
        self.client = client or BroadStreetClient(settings)
        self._requests_before = self.client.request_stats()
        self.today = today or today_utc()
        self.listener = listener
        self.cancel = cancel or threading.Event()
        self.run_id: str | None = None
        self.scope: Scope | None = None
        self.lease: Lease | None = None
        self.recorder: RunRecorder | None = None
        self.writer: MirrorWriter | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def prepare(self, scope: str | Scope = "quick", trigger: str = "cli",
                only_if: Callable[[], bool] | None = None) -> str | None:
        """Take the lease and record the run; return its id.

        ``only_if`` is checked while holding the lease: if it says False, the lease is
        released and None returned (how initialisation runs exactly once).
        """
        self.scope = scope if isinstance(scope, Scope) else parse_scope(scope)
        ensure_indexes(self.db)
        run_id = new_run_id()
        lease = Lease(self.db, self.settings.lease_seconds)
        lease.acquire(run_id)
        try:
            if only_if is not None and not only_if():
                lease.release()
                self.client.close()
                return None
            reap_dead_runs(self.db, run_id, self.settings.lease_seconds)
            recorder = RunRecorder(self.db, run_id, trigger, str(self.scope), lease.owner, listener=self.listener)
            recorder.start()
        except BaseException:
            lease.release()
            raise
        lease.start_heartbeat()
        self.run_id, self.lease, self.recorder = run_id, lease, recorder
        self.writer = MirrorWriter(self.db, run_id)
        return run_id

    def execute(self) -> dict:
        """Do the run prepared by :meth:`prepare`; return its finished run document."""
        if self.recorder is None or self.lease is None or self.writer is None:
            raise MirrorError("SyncEngine.execute() needs a successful prepare() first")
        status = self._work()
        counts = {k: v.as_dict() for k, v in self.writer.counts.items()}
        if status in ("success", "partial"):
            try:
                refresh_summaries(self.db, self.run_id, counts)
            except Exception:  # noqa: BLE001 - a summary is derived data; the run stands
                log.warning("could not refresh summaries after run %s", self.run_id)
        try:
            return self.recorder.finish(status, counts=counts, requests=self._requests(),
                                        documents_written=self.writer.documents_written)
        finally:
            self.lease.release()
            self.client.close()

    def _work(self) -> str:
        """Plan, fetch and write; the run's status."""
        try:
            mirroring = Mirroring(self.db, self.writer, self.recorder)
            planner = Planner(self.settings, self.db, self.client, mirroring, self.writer, self.today)
            run_tasks(planner.plan(self.scope), concurrency=self.settings.sync_concurrency,
                      recorder=self.recorder, should_stop=self._check)
            self.writer.flush()
            return "partial" if self.recorder.errors else "success"
        except SyncAbortedError as exc:
            self.recorder.error(exc, "run")
            self._flush_quietly()
            return exc.status
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never swallowed
            log.exception("sync %s failed", self.run_id)
            self.recorder.error(exc, "run")
            self._flush_quietly()
            return "failed"
        finally:
            self.lease.stop_heartbeat()

    def _flush_quietly(self) -> None:
        try:
            self.writer.flush()
        except Exception:  # noqa: BLE001 - the original failure is what gets reported
            log.warning("could not flush staged writes of failed run %s", self.run_id)

    def _requests(self) -> dict[str, dict[str, Any]]:
        out = {}
        for endpoint, now in self.client.request_stats().items():
            before = self._requests_before.get(endpoint, {})
            out[endpoint] = {k: v - before.get(k, 0) for k, v in now.items()}
        return out

    def _check(self) -> None:
        if self.cancel.is_set():
            raise SyncAbortedError("cancelled", "the sync was cancelled")
        if self.lease.lost.is_set():
            raise SyncAbortedError("failed", "the sync lost its lease to another run")


def run_sync(settings: Settings, db: Database, scope: str | Scope = "quick", trigger: str = "cli",
             **engine_args: Any) -> dict:
    """Run one sync to completion and return its run document.

    Raises :class:`~bs_core.errors.SyncLockedError` if another sync is running and
    :class:`~bs_core.errors.ScopeError` for a bad scope (before anything is recorded).
    """
    engine = SyncEngine(settings, db, **engine_args)
    engine.prepare(scope, trigger)
    return engine.execute()
