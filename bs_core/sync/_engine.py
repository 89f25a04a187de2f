"""One sync run, start to end: take the lease, record the run, plan and run the fetches,
write the changes, store the summaries, record the outcome, release the lease.

The parts: ``_plan`` decides which fetches a scope needs, ``_pipeline`` runs them,
``_mirroring`` writes what they return (``_guard`` holds back large deletions), ``_stats``
handles reporting, ``runs`` records the run, ``pending`` keeps the outcome of a run that
lost its database; the lease is ``store/lease.py``'s."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from pymongo.database import Database
from pymongo.errors import NetworkTimeout, PyMongoError

from ..client import BroadStreetClient
from ..entities import ENTITIES
from ..errors import LeaseLostError, MirrorError, StoreUnavailableError, SyncAbortedError, SyncLockedError
from ..process.database import disk_trouble
from ..settings import Settings
from ..store import MirrorWriter, ensure_indexes
from ..store.forecasts import refresh_forecasts
from ..store.forecasts import stale as forecasts_stale
from ..store.history import get_run, needs_initialisation, server_now, update_run
from ..store.lease import Lease, locked_message
from ..store.restore import drop_leftover_staging
from ..store.stats_days import ZONE_DAILY
from ..store.summaries import refresh_summaries
from . import _notify as notify
from . import pending
from ._guard import DeletionGuard
from ._mirroring import Mirroring
from ._pipeline import run_tasks
from ._plan import Planner
from ._stats import first_look_since
from .runs import RunRecorder, new_run_id, reap_dead_runs, reap_run_of_dead_holder
from .scopes import Scope, parse_scope, require_target

log = logging.getLogger(__name__)


class SyncEngine:
    """One run.  ``prepare`` takes the lease and records the run (raises
    :class:`~bs_core.errors.SyncLockedError` when another sync holds it); ``execute``
    does the work and always releases the lease.  ``cancel`` stops it (a signal, the UI,
    ``python -m bs_core cancel`` through the lease): the run is recorded ``cancelled``."""

    def __init__(self, settings: Settings, db: Database, *, client: BroadStreetClient | None = None,
                 today: dt.date | None = None, listener: Callable[[str, int, int], None] | None = None,
                 cancel: threading.Event | None = None, allow_deletes: bool = False,
                 started_by: str | None = None):
        self.settings = settings
        self.db = db
        self.client = client or BroadStreetClient(settings)
        self._requests_before = self.client.request_stats()
        #: the day statuses are derived for (running, ended): the database server's, set by prepare()
        self.today = today
        self.listener = listener
        self.cancel = cancel or threading.Event()
        self.allow_deletes = allow_deletes
        self.started_by = started_by  #: the signed-in user who started it (None: CLI, schedule, ...)
        self.run_id: str | None = None
        self.scope: Scope | None = None
        self.lease: Lease | None = None
        self.recorder: RunRecorder | None = None
        self.writer: MirrorWriter | None = None
        self.guard: DeletionGuard | None = None
        self.first_start = False  #: a full sync of a mirror no full sync has filled yet
        self._database_lost = False

    # -- lifecycle ---------------------------------------------------------------------
    def prepare(self, scope: str | Scope = "quick", trigger: str = "cli",
                only_if: Callable[[], bool] | None = None) -> str | None:
        """Take the lease and record the run; return its id.

        ``only_if`` is checked while holding the lease: if it says False, the lease is
        released and None returned (how initialisation runs exactly once).
        """
        self.scope = scope if isinstance(scope, Scope) else parse_scope(scope)
        ensure_indexes(self.db)
        require_target(self.db, self.scope)
        self.first_start = self.scope.kind == "full" and needs_initialisation(self.db)
        run_id = new_run_id(server_now(self.db))
        lease = Lease(self.db, self.settings.lease_seconds)
        try:
            lease.acquire(run_id)
        except SyncLockedError as exc:  # say what the holder is doing: its run's phase and progress
            holder = get_run(self.db, exc.run.get("_id")) or {}
            raise SyncLockedError(locked_message(exc.run.get("_id"), holder), run=holder or exc.run) from None
        try:
            if only_if is not None and not only_if():
                lease.release()
                self.client.close()
                return None
            pending.apply(self.db, self.settings.data_dir)
            drop_leftover_staging(self.db)  # a restore killed half way (it held this lease): its leftovers
            reap_run_of_dead_holder(self.db, lease.took_over_from)  # first: it knows why that run ended
            reap_dead_runs(self.db, run_id, self.settings.lease_seconds)
            recorder = RunRecorder(self.db, run_id, trigger, str(self.scope), lease.owner, listener=self.listener,
                                   started_by=self.started_by, clock=lease.server_clock)
            recorder.start()
        except BaseException:
            lease.release()
            raise
        lease.start_heartbeat()
        # a campaign that ended yesterday is "ended" by the server's date, whatever this machine's clock says
        self.today = self.today or lease.server_clock().date()
        self.client.on_retry = recorder.waiting_on
        self.run_id, self.lease, self.recorder = run_id, lease, recorder
        self.writer = MirrorWriter(self.db, run_id, now=lease.server_clock(), guard=lease.confirm)
        self.guard = DeletionGuard(self.settings, self.db, str(self.scope), allow=self.allow_deletes)
        return run_id

    def execute(self) -> dict:
        """Do the run prepared by :meth:`prepare`; return its finished run document."""
        if self.recorder is None or self.lease is None or self.writer is None:
            raise MirrorError("SyncEngine.execute() needs a successful prepare() first")
        status = self._work()
        counts = self.writer.counts_by_collection()
        # The tail is fenced like every write: the heartbeat still renews the lease, and a
        # run that lost it records neither summaries nor success.
        if status in ("success", "partial") and not self._database_lost:
            status = self._still_holding(status)
            if status != "failed":
                self._summaries(counts)
                self._forecast(counts)
                status = self._still_holding(status)
        outcome = self.recorder.outcome(
            status, counts=counts, requests=self._requests(), documents_written=self.writer.documents_written,
            deleted={k: {"count": counts.get(k, {}).get("deleted", 0), "ids": v}
                     for k, v in self.writer.deleted_ids.items()},
            held_deletions=[h.record() for h in self.guard.held])
        try:
            run = self._record(outcome)
        finally:
            self._release()
            self.client.close()
        return self._notify(run)

    def _first_look(self) -> None:
        """A first start has what the Overview and Campaigns need: once it is written (the
        writer runs ``record`` after it while fetching goes on), store the overview figures
        and record the point; pages read the mirror from then on."""
        counts = self.writer.counts_by_collection()
        coming = [e.name for e in ENTITIES.values() if not e.first_look]

        def record() -> None:
            self._summaries(counts)
            self.recorder.first_look(coming, first_look_since(self.today, self.settings))

        self.writer.then(record)

    def _summaries(self, counts: dict[str, dict]) -> None:
        try:
            refresh_summaries(self.db, self.run_id, counts)
        except Exception:  # noqa: BLE001 - a summary is derived data; the run stands
            log.warning("could not refresh summaries in run %s", self.run_id)

    def _forecast(self, counts: dict[str, dict]) -> None:
        """Every zone's forecast, again when this run brought new reporting or the kept one
        is from an earlier day: pages only read it."""
        grain = counts.get(ZONE_DAILY) or {}
        fresh = any(grain.get(change) for change in ("inserted", "updated", "deleted"))
        try:
            if fresh or forecasts_stale(self.db):
                refresh_forecasts(self.db, self.run_id)
        except Exception:  # noqa: BLE001 - derived data: the run stands, the old forecast stays
            log.warning("could not refresh the zone forecasts after run %s", self.run_id)

    def _still_holding(self, status: str) -> str:
        """``status``, or ``failed`` when the lease was lost (said in the run's errors)."""
        try:
            self.lease.confirm()
        except LeaseLostError as exc:
            self.recorder.error(exc, "run")
            return "failed"
        except PyMongoError as exc:
            self._database_lost = True
            self.recorder.error(exc, "run")
            return "failed"
        return status

    def abandon(self, why: str) -> dict:
        """The database stopped answering mid-run: the run's outcome, ``failed``, built
        without a word to the database and kept on disk (``pending``) until it is back.
        For a process about to leave (the CLI's watchdog); the run's threads are left."""
        self._database_lost = True
        self.recorder.error(NetworkTimeout(why), "run")
        counts = self.writer.counts_by_collection()
        run = self.recorder.document(self.recorder.outcome(
            "failed", counts=counts, requests=self._requests(), documents_written=self.writer.documents_written))
        pending.save(self.settings.data_dir, run)
        return run

    def _notify(self, run: dict) -> dict:
        """The webhook, once the run is recorded and the lease free; its outcome goes on the run."""
        if not notify.wanted(self.settings, run):
            return run
        run["webhook"] = notify.send(self.settings, run, stop=self.cancel)
        if not self._database_lost:
            try:
                update_run(self.db, run["_id"], {"webhook": run["webhook"]})
            except PyMongoError:
                log.warning("could not record the webhook outcome of run %s", run["_id"])
        return run

    @property
    def database_lost(self) -> bool:
        """True when the run ended because the mirror database stopped answering."""
        return self._database_lost

    def _work(self) -> str:
        """Plan, fetch and write; the run's status."""
        try:
            mirroring = Mirroring(self.db, self.writer, self.recorder, self.guard, client=self.client,
                                  today=self.today, concurrency=self.settings.sync_concurrency,
                                  should_stop=self._check)
            planner = Planner(self.settings, self.db, self.client, mirroring, self.writer, self.today)
            run_tasks(planner.plan(self.scope), concurrency=self.settings.sync_concurrency,
                      recorder=self.recorder, should_stop=self._check,
                      on_first_look=self._first_look if self.first_start else None)
            mirroring.finish()  # fetch, then decide, then delete
            if not self.recorder.errors:
                return "success"
            return "failed" if self.recorder.whole_phase_failed() else "partial"
        except SyncAbortedError as exc:
            self.recorder.error(exc, "run")
            self._flush_quietly()
            return exc.status
        except LeaseLostError as exc:
            self.recorder.error(exc, "run")  # and nothing more is written: the writer dropped the rest
            return "failed"
        except PyMongoError as exc:
            self._database_lost = True
            trouble = disk_trouble(self.settings)  # the embedded server names no cause; a full disk is one
            self.recorder.error(StoreUnavailableError(trouble) if trouble else exc, "run")
            return "failed"
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never swallowed
            log.exception("sync %s failed", self.run_id)
            self.recorder.error(exc, "run")
            self._flush_quietly()
            return "failed"
        finally:
            if self._database_lost:  # otherwise it beats until the outcome is recorded (_release)
                self.lease.stop_heartbeat(wait=0)

    def _record(self, outcome: dict[str, Any]) -> dict:
        """Store the outcome; with the database gone, keep it on disk and return it."""
        if not self._database_lost:
            try:
                return self.recorder.finish(outcome)
            except PyMongoError:
                self._database_lost = True
        run = self.recorder.document(outcome)
        pending.save(self.settings.data_dir, run)
        return run

    def _release(self) -> None:
        if self._database_lost:
            self.lease.stop_heartbeat(wait=0)
            return  # the lease expires by itself; the next run finds it free
        try:
            self.lease.release()
        except PyMongoError:
            log.warning("could not release the lease of run %s; it expires by itself", self.run_id)

    def _flush_quietly(self) -> None:
        try:
            self.writer.flush()
        except PyMongoError:
            self._database_lost = True
        except Exception:  # noqa: BLE001 - the original failure is what gets reported
            log.warning("could not flush staged writes of failed run %s", self.run_id)

    def _requests(self) -> dict[str, dict[str, Any]]:
        before = self._requests_before
        return {endpoint: {k: v - before.get(endpoint, {}).get(k, 0) for k, v in now.items()}
                for endpoint, now in self.client.request_stats().items()}

    def _check(self) -> None:
        if self.cancel.is_set() or self.lease.cancel_requested.is_set():
            raise SyncAbortedError("cancelled", "the sync was cancelled")
        if self.lease.lost.is_set():
            raise LeaseLostError("the sync lost its lease to another run; its remaining writes were dropped")


def run_sync(settings: Settings, db: Database, scope: str | Scope = "quick", trigger: str = "cli",
             **engine_args: Any) -> dict:
    """Run one sync to completion and return its run document.

    Raises :class:`~bs_core.errors.SyncLockedError` if another sync is running and
    :class:`~bs_core.errors.ScopeError` for a bad scope (before anything is recorded).
    """
    engine = SyncEngine(settings, db, **engine_args)
    engine.prepare(scope, trigger)
    return engine.execute()
