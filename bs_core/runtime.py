"""What one app process shares between sessions, pages and HTTP routes.

The database handle (retried when unreachable), the BroadStreet settings (the demo
simulator is started here in demo mode), syncs running in background threads (they
outlive reruns, page switches and closed tabs), first-start initialisation and the
optional scheduler.  The app holds one per settings through ``st.cache_resource``
(``ui/app_runtime.py``) and passes it to what needs it.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import time
import weakref

from pymongo.database import Database
from pymongo.errors import PyMongoError

from .errors import ProcessStartError, StoreUnavailableError, SyncLockedError
from .process.database import open_database
from .process.demo import api_settings
from .settings import Settings
from .store import ensure_indexes
from .store.history import last_finished, last_success, mirror_version, needs_initialisation, running_run
from .store.lease import request_cancel
from .sync import SyncEngine, pending
from .sync.first_start import prepare_initialisation
from .sync.runs import reap_if_idle
from .sync.scopes import parse_scope

log = logging.getLogger(__name__)
DB_RETRY_SECONDS = 10.0  # while the database is down, how often a page tries it again
SCHEDULER_CHECK_SECONDS = 60.0
SHUTDOWN_SECONDS = 5.0  # how long the app's exit waits for its syncs to record "cancelled"
REAP_SECONDS = 10.0  # how often one process marks runs whose holder died as failed
STAMP_SECONDS = 1.0  # how long one read of "what runs, which mirror version" serves every tab


@dataclasses.dataclass(frozen=True)
class SyncStatus:
    """What runs now and what finished last, as every status view shows it."""

    running: dict | None  #: the run holding the live lease, if it still runs
    last_finished: dict | None  #: the newest run that no longer runs
    last_success: dict | None  #: the last successful full or quick sync


_RUNTIMES: weakref.WeakSet = weakref.WeakSet()  # every Runtime of this process


def stop_all_syncs() -> None:
    """The app is stopping (its server's shutdown): cancel every sync this process runs
    and wait, a few seconds at most, until each is recorded ``cancelled`` and its lease
    is free."""
    for runtime in list(_RUNTIMES):
        runtime.shutdown()


def on_interpreter_exit(hook) -> None:
    """Call ``hook`` when the process stops (``streamlit run`` ends on SIGTERM or SIGINT by
    returning from its main thread).

    Registered where ``concurrent.futures`` registers its own exit hook, and so run
    before it (those hooks run last-registered first): once that one has run, a sync can
    no longer schedule fetches ("cannot schedule new futures after interpreter
    shutdown") and would end ``failed`` instead of ``cancelled``.  ``atexit`` would run
    too late, after the worker threads were joined.
    """
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(hook)
            return
    except RuntimeError:  # the interpreter is already shutting down
        pass
    atexit.register(hook)


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._db_error: str | None = None
        self._db_checked = 0.0
        self._api: Settings | None = None
        self._syncs: dict[str, tuple[SyncEngine, threading.Thread]] = {}  # syncs this process runs
        self._exit_hook = False
        self._scheduler: threading.Thread | None = None
        self._stopping = threading.Event()
        self._reaped = float("-inf")  # when this process last reaped dead runs
        self._stamp: tuple[float, tuple] = (float("-inf"), ())
        self._stamp_lock = threading.Lock()
        _RUNTIMES.add(self)

    # -- database --------------------------------------------------------------------------
    def db(self) -> Database | None:
        """The mirror database, or None while it is unreachable (see :meth:`db_error`)."""
        with self._lock:
            if self._db is not None:
                return self._db
            if self._db_error and time.monotonic() - self._db_checked < DB_RETRY_SECONDS:
                return None
            self._db_checked = time.monotonic()
            try:
                db = open_database(self.settings, timeout_ms=3000)
                ensure_indexes(db)
            except (StoreUnavailableError, ProcessStartError, OSError, RuntimeError) as exc:
                self._db_error = str(exc) or type(exc).__name__
                log.warning("mirror database unavailable: %s", self._db_error)
                return None
            except Exception as exc:  # noqa: BLE001 - e.g. pymongo errors during index creation
                self._db_error = f"MongoDB is unreachable: {type(exc).__name__}"
                return None
            self._db, self._db_error = db, None
        pending.apply(db, self.settings.data_dir)  # runs that ended while it was gone
        return db

    def db_error(self) -> str | None:
        return self._db_error

    def sync_status(self) -> SyncStatus:
        """What is running and what finished last.  While nothing runs, a run whose holder
        died is marked failed first: here, at most every :data:`REAP_SECONDS` per process,
        not by every open tab.  Raises :class:`StoreUnavailableError` without a database
        (and pymongo's errors when it stops answering)."""
        db = self.db()
        if db is None:
            raise StoreUnavailableError(self._db_error or "the mirror database is unreachable")
        running = running_run(db)
        if running is None and time.monotonic() - self._reaped >= REAP_SECONDS:
            self._reaped = time.monotonic()
            reap_if_idle(db, self.settings.lease_seconds)
        return SyncStatus(running, last_finished(db), last_success(db))

    @property
    def stopping(self) -> threading.Event:
        """Set when this runtime closes: its background threads end."""
        return self._stopping

    def status_stamp(self, max_age: float = STAMP_SECONDS) -> tuple:
        """``(running run id or None, mirror version)``: what an idle tab compares with what
        it drew.  Read from the database at most once per ``max_age`` seconds in this
        process, however many tabs poll; ``("down",)`` without a database."""
        with self._stamp_lock:
            at, stamp = self._stamp
            if time.monotonic() - at < max_age:
                return stamp
            db = self.db()
            try:
                stamp = ("down",) if db is None else (
                    (running_run(db) or {}).get("_id"), mirror_version(db))
            except PyMongoError:
                self.database_failed()
                stamp = ("down",)
            self._stamp = (time.monotonic(), stamp)
            return stamp

    def database_failed(self, reason: str = "MongoDB stopped answering") -> None:
        """A query failed: forget the connection, so the next :meth:`db` after the retry
        interval reconnects (in embedded mode that finds or restarts the server, which may
        come back on another port)."""
        with self._lock:  # (the old client is left to running syncs, which fail on their own)
            self._db, self._db_error, self._db_checked = None, reason, time.monotonic()

    # -- BroadStreet -------------------------------------------------------------------------
    def api(self) -> Settings:
        """Settings to reach BroadStreet (the demo simulator, started once, in demo mode)."""
        with self._lock:
            if self._api is None:
                self._api = api_settings(self.settings)
            return self._api

    # -- syncs -------------------------------------------------------------------------------
    def start_sync(self, scope: str = "quick", trigger: str = "button", *, allow_deletes: bool = False,
                   started_by: str | None = None) -> str:
        """Start a sync in a background thread and return its run id.

        Raises :class:`SyncLockedError` when one is running (in any process) and
        :class:`ScopeError` for a bad scope; both before anything starts.
        """
        parsed = parse_scope(scope)
        db = self.db()
        if db is None:
            raise StoreUnavailableError(self._db_error or "MongoDB is unreachable")
        if parsed.kind == "quick" and needs_initialisation(db):
            parsed = parse_scope("full")  # nothing mirrored yet: a quick sync would be a full one
        engine = SyncEngine(self.api(), db, allow_deletes=allow_deletes, started_by=started_by)
        return self._launch(engine, engine.prepare(parsed, trigger))

    def _launch(self, engine: SyncEngine, run_id: str) -> str:
        """Run a prepared engine (lease taken, run recorded) in a background thread."""
        thread = threading.Thread(target=engine.execute, name=f"sync-{run_id}", daemon=True)
        with self._lock:
            self._syncs = {k: (e, t) for k, (e, t) in self._syncs.items() if t.is_alive()}
            self._syncs[run_id] = (engine, thread)
            if not self._exit_hook:
                on_interpreter_exit(self.shutdown)
                self._exit_hook = True
        thread.start()
        return run_id

    def wait(self, run_id: str, timeout: float | None = None) -> None:
        """Wait for a sync this process started (tests and the CLI-less API use it)."""
        sync = self._syncs.get(run_id)
        if sync:
            sync[1].join(timeout)

    def cancel_sync(self) -> str | None:
        """Ask the running sync, in this or any process, to stop; its run id or None."""
        db = self.db()
        return request_cancel(db) if db is not None else None

    def shutdown(self) -> None:
        """The app is stopping: cancel this process's syncs and give them a few seconds to
        record ``cancelled`` and release the lease."""
        self.close()
        running = [(e, t) for e, t in self._syncs.values() if t.is_alive()]
        for engine, _ in running:
            engine.cancel.set()
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for _, thread in running:
            thread.join(max(deadline - time.monotonic(), 0))

    def ensure_initialised(self) -> str | None:
        """On an empty mirror, start the initial full sync in the background (once).

        Returns the running initialisation's run id, if any.
        """
        db = self.db()
        if db is None:
            return None
        running = running_run(db)
        if running is not None:
            return running["_id"]
        if not needs_initialisation(db):
            return None
        engine = SyncEngine(self.api(), db)
        run_id = prepare_initialisation(engine)
        if run_id is None:
            engine.client.close()
            return None
        return self._launch(engine, run_id)

    # -- the scheduler -----------------------------------------------------------------------
    def ensure_scheduler(self) -> None:
        """With BS_SYNC_INTERVAL_MINUTES or BS_DIGEST_SCHEDULE set, check every minute
        whether a quick sync or a digest is due."""
        if self.settings.sync_interval_minutes <= 0 and not self.settings.digest_schedule:
            return
        with self._lock:
            if self._scheduler is not None:
                return
            self._scheduler = threading.Thread(target=self._schedule_loop, name="sync-scheduler", daemon=True)
            self._scheduler.start()

    def _schedule_loop(self) -> None:
        from .sync.scheduler import due_for_sync, seconds_until_due

        while not self._stopping.is_set():
            db = self.db()
            pause = SCHEDULER_CHECK_SECONDS
            try:
                if db is not None and due_for_sync(db, self.settings.sync_interval_minutes):
                    self.start_sync("quick", "schedule")
                if db is not None:  # wake when the next sync falls due, not up to a minute after
                    left = seconds_until_due(db, self.settings.sync_interval_minutes)
                    if left is not None:  # (0: due but a sync runs: look again soon after it ends)
                        pause = min(pause, max(left + 0.5, 5.0 if left == 0 else 1.0))
            except SyncLockedError:
                pass
            except Exception:  # noqa: BLE001 - the scheduler must keep running
                log.exception("scheduled sync could not start")
            if db is not None and self.settings.digest_schedule:
                self.send_due_digest(db)
            self._stopping.wait(pause)

    def send_due_digest(self, db: Database) -> threading.Thread | None:
        from .digest import send_due

        return send_due(self.settings, db)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the scheduler (running syncs finish on their own)."""
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout)
            self._scheduler = None

