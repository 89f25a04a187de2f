"""What one app process shares between sessions, pages and HTTP routes.

The database handle (retried when unreachable), the BroadStreet settings (the demo
simulator is started here in demo mode), syncs running in background threads (they
outlive reruns, page switches and closed tabs), first-start initialisation and the
optional scheduler.  The app holds one per settings through ``st.cache_resource``
(``ui/app_runtime.py``) and passes it to what needs it.
"""

from __future__ import annotations

import logging
import threading
import time

from pymongo.database import Database

from .demo import api_settings
from .errors import StoreUnavailableError, SyncLockedError
from .settings import Settings
from .store import ensure_indexes, open_database
from .store.history import needs_initialisation, running_run
from .sync import SyncEngine
from .sync.init import prepare_initialisation
from .sync.scopes import parse_scope

log = logging.getLogger(__name__)
DB_RETRY_SECONDS = 15.0
SCHEDULER_CHECK_SECONDS = 60.0


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._db_error: str | None = None
        self._db_checked = 0.0
        self._api: Settings | None = None
        self._threads: dict[str, threading.Thread] = {}  # syncs this process runs
        self._scheduler: threading.Thread | None = None
        self._stopping = threading.Event()

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
            except (StoreUnavailableError, OSError, RuntimeError) as exc:
                self._db_error = str(exc) or type(exc).__name__
                log.warning("mirror database unavailable: %s", self._db_error)
                return None
            except Exception as exc:  # noqa: BLE001 - e.g. pymongo errors during index creation
                self._db_error = f"MongoDB is unreachable: {type(exc).__name__}"
                return None
            self._db, self._db_error = db, None
            return db

    def db_error(self) -> str | None:
        return self._db_error

    # -- BroadStreet -------------------------------------------------------------------------
    def api(self) -> Settings:
        """Settings to reach BroadStreet (the demo simulator, started once, in demo mode)."""
        with self._lock:
            if self._api is None:
                self._api = api_settings(self.settings)
            return self._api

    # -- syncs -------------------------------------------------------------------------------
    def start_sync(self, scope: str = "quick", trigger: str = "button") -> str:
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
        engine = SyncEngine(self.api(), db)
        return self._launch(engine, engine.prepare(parsed, trigger))

    def _launch(self, engine: SyncEngine, run_id: str) -> str:
        """Run a prepared engine (lease taken, run recorded) in a background thread."""
        thread = threading.Thread(target=engine.execute, name=f"sync-{run_id}", daemon=True)
        with self._lock:
            self._threads = {k: t for k, t in self._threads.items() if t.is_alive()}
            self._threads[run_id] = thread
        thread.start()
        return run_id

    def wait(self, run_id: str, timeout: float | None = None) -> None:
        """Wait for a sync this process started (tests and the CLI-less API use it)."""
        thread = self._threads.get(run_id)
        if thread:
            thread.join(timeout)

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
        """With BS_SYNC_INTERVAL_MINUTES set, check every minute whether a quick sync is due."""
        if self.settings.sync_interval_minutes <= 0:
            return
        with self._lock:
            if self._scheduler is not None:
                return
            self._scheduler = threading.Thread(target=self._schedule_loop, name="sync-scheduler", daemon=True)
            self._scheduler.start()

    def _schedule_loop(self) -> None:
        from .scheduler import due_for_sync

        while not self._stopping.is_set():
            db = self.db()
            try:
                if db is not None and due_for_sync(db, self.settings.sync_interval_minutes):
                    self.start_sync("quick", "schedule")
            except SyncLockedError:
                pass
            except Exception:  # noqa: BLE001 - the scheduler must keep running
                log.exception("scheduled sync could not start")
            self._stopping.wait(SCHEDULER_CHECK_SECONDS)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the scheduler (running syncs finish on their own)."""
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout)
            self._scheduler = None

