"""Run history: one ``sync_runs`` document per run, with live progress."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from ..dates import utcnow
from ..entities import ENTITY_NAMES
from ..errors import AuthError, RequestTimeoutError, SyncAbortedError, TransportError
from ..redact import redact
from ..store import history
from ..store.history import current_lease, server_now

TRIGGERS = ("init", "button", "cli", "api", "schedule")
STATS_PHASE = "stats"


def phases() -> tuple[str, ...]:
    """Every phase, in dependency order: the current one is the earliest with work left."""
    return (*ENTITY_NAMES, STATS_PHASE)


STATUSES = ("running", "success", "partial", "failed", "cancelled")
MAX_ERRORS = 200
MAX_SKIPPED = 100


def new_run_id(now: dt.datetime) -> str:
    """Sortable by start time (``now``: the database server's), unique across processes."""
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class RunRecorder:
    """Writes a run's document: created running, progress while it works, outcome at the end."""

    def __init__(self, db: Database, run_id: str, trigger: str, scope: str, owner: str,
                 min_interval: float = 0.5, listener=None, started_by: str | None = None,
                 clock: Callable[[], dt.datetime] = utcnow):
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {TRIGGERS}")
        self.db = db
        self.run_id = run_id
        self.trigger = trigger
        self.scope = scope
        self.owner = owner
        self.started_by = started_by
        self.min_interval = min_interval
        #: the database server's clock (the lease's): a client whose clock is off cannot
        #: make its run look newer or older than it is
        self.clock = clock
        self.started_at = clock()
        self.progress: dict[str, dict[str, int]] = {}
        self.phase: str | None = None
        self.errors: list[dict] = []
        self.phase_errors: dict[str, int] = {}  # failed fetches per phase
        self.waiting: dict | None = None  # the latest retry: what it waits on, and until when
        self.skipped: list[dict] = []
        self._last_write = 0.0
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self.listener = listener  # called with (phase, done, total), e.g. a terminal progress bar

    def start(self) -> None:
        history.insert_run(self.db, {
            "_id": self.run_id, "trigger": self.trigger, "scope": self.scope, "status": "running",
            "started_by": self.started_by,
            "owner": self.owner, "started_at": self.started_at, "finished_at": None, "duration_s": None,
            "phase": None, "progress": {}, "counts": {}, "requests": {}, "requests_total": 0,
            "errors": [], "skipped": [],
        })

    def grow(self, phase: str, n: int = 1) -> None:
        with self._lock:
            entry = self.progress.setdefault(phase, {"done": 0, "total": 0})
            entry["total"] += n
            entry.pop("seconds", None)
            self._started.setdefault(phase, time.monotonic())
            self._update_phase()
        self._notify(phase)

    def advance(self, phase: str, n: int = 1) -> None:
        with self._lock:
            entry = self.progress.setdefault(phase, {"done": 0, "total": 0})
            entry["done"] += n
            if entry["done"] >= entry["total"]:
                entry["seconds"] = round(time.monotonic() - self._started.get(phase, time.monotonic()), 3)
            self._update_phase()
        self._notify(phase)
        self._flush()

    def _update_phase(self) -> None:
        """The current phase: the earliest (in dependency order) with work left."""
        left = [p for p in phases() if p in self.progress and self.progress[p]["done"] < self.progress[p]["total"]]
        if left:
            self.phase = left[0]

    def _notify(self, phase: str) -> None:
        if self.listener is not None:
            entry = self.progress[phase]
            self.listener(phase, entry["done"], entry["total"])

    def error(self, exc: BaseException, scope: str, phase: str | None = None) -> None:
        """Record a failure of ``scope`` (words naming what failed), in ``phase`` if a fetch."""
        message = str(exc)
        if isinstance(exc, PyMongoError):  # pymongo's own text is a topology dump: name the database
            message = f"the mirror database '{self.db.name}' failed: {type(exc).__name__}: {message[:200]}"
        entry = {"type": type(exc).__name__, "scope": scope, "message": redact(message)[:800],
                 "plain": getattr(exc, "plain", None) or _plain(exc), "cause": _cause(exc)}
        with self._lock:
            if phase is not None:
                self.phase_errors[phase] = self.phase_errors.get(phase, 0) + 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(entry)

    def whole_phase_failed(self) -> bool:
        """True when every fetch of some phase failed (the run is then ``failed``, not ``partial``)."""
        with self._lock:
            return any(n >= self.progress.get(phase, {}).get("total", 0) > 0
                       for phase, n in self.phase_errors.items())

    def waiting_on(self, what: str, cause: str, attempt: int, attempts: int, wait: float) -> None:
        """A request is being retried: say what the run waits on (shown while it runs)."""
        with self._lock:
            self.waiting = {"what": what, "cause": cause, "attempt": attempt, "attempts": attempts,
                            "until": self.clock() + dt.timedelta(seconds=wait)}
        self._flush(force=True)

    def skip(self, records: list[dict]) -> None:
        with self._lock:
            room = MAX_SKIPPED - len(self.skipped)
            self.skipped.extend(redact_record(r) for r in records[:max(room, 0)])

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_write < self.min_interval:
            return
        self._last_write = now
        with self._lock:
            update = {"phase": self.phase, "progress": {k: dict(v) for k, v in self.progress.items()},
                      "errors": list(self.errors), "waiting": self.waiting, "heartbeat_at": self.clock()}
        history.update_run(self.db, self.run_id, update)

    def first_look(self, still_coming: list[str], reporting_from: dt.date) -> None:
        """Record that a first start's first look is in the mirror: the pages read it from
        now on, saying what is ``still_coming`` and that reporting before ``reporting_from``
        is too."""
        point = {"at": self.clock(), "still_coming": still_coming, "reporting_from": reporting_from.isoformat()}
        history.update_run(self.db, self.run_id, {"first_look": point})

    def outcome(self, status: str, *, counts: dict, requests: dict, documents_written: int,
                **extra: Any) -> dict[str, Any]:
        """The fields a finished run's document gets."""
        if status not in STATUSES:
            raise ValueError(status)
        finished = self.clock()
        return {
            "status": status,
            "finished_at": finished,
            "duration_s": round((finished - self.started_at).total_seconds(), 3),
            "phase": None if status == "success" else self.phase,
            "progress": self.progress,
            "counts": counts,
            "requests": {k.replace(".", "_"): v for k, v in requests.items()},
            "requests_total": sum(v.get("requests", 0) for v in requests.values()),
            "documents_written": documents_written,
            "errors": self.errors,
            "skipped": self.skipped,
            **extra,
        }

    def finish(self, outcome: dict[str, Any]) -> dict:
        """Record the outcome; the finished run document.  A run already ended by another
        process (reaped as failed once its lease expired) never becomes a success: history
        never flips.  A failure may replace the reaper's guess ("the process stopped") with
        what really happened (it lost its lease)."""
        ended_ok = outcome["status"] in ("success", "partial")
        still = "running" if ended_ok else {"$in": ["running", "failed"]}
        history.update_run(self.db, self.run_id, outcome, status=still)
        return history.get_run(self.db, self.run_id)

    def document(self, outcome: dict[str, Any]) -> dict:
        """The finished run document as it would be stored (when the database is gone)."""
        return {"_id": self.run_id, "trigger": self.trigger, "scope": self.scope, "owner": self.owner,
                "started_by": self.started_by,
                "started_at": self.started_at, **outcome}


def redact_record(record: dict) -> dict:
    return {k: redact(v) if isinstance(v, str) else v for k, v in record.items()}


def _cause(exc: BaseException) -> str:
    """The cause in a few words: "HTTP 503", "timeout", "bad token", "database"."""
    if isinstance(exc, SyncAbortedError):
        return _cause(exc.cause) if exc.cause is not None else ""
    if isinstance(exc, AuthError):
        return "bad token"
    if isinstance(exc, RequestTimeoutError):
        return "timeout"
    if isinstance(exc, TransportError):
        return "connection failed"
    if isinstance(getattr(exc, "status", None), int):
        return f"HTTP {exc.status}"
    if isinstance(exc, PyMongoError):
        return "database"
    return ""


def _plain(exc: BaseException) -> str:
    if isinstance(exc, PyMongoError):
        return "The mirror database failed"
    return "The sync failed"


def reap_dead_runs(db: Database, live_run_id: str | None, lease_seconds: float) -> int:
    """Mark runs left ``running`` by a process whose lease expired as failed.

    A dead holder's lease expired, so its run started at least one lease period ago;
    requiring that age keeps a run that has just taken the lease safe from a caller that
    read the lock a moment before.
    """
    now = server_now(db)
    cutoff = now - dt.timedelta(seconds=lease_seconds)
    return history.fail_runs(db, {"_id": {"$ne": live_run_id}, "started_at": {"$lt": cutoff}}, now, {
        "type": "LeaseExpired", "scope": "run", "message": "the process running this sync stopped (its lease expired)",
        "plain": "The sync stopped unexpectedly"})


def reap_run_of_dead_holder(db: Database, run_id: str | None) -> None:
    """A run whose process exited on this host before recording its end (its lease was
    taken at once): failed, saying so, instead of "running" until its lease would expire."""
    if not run_id:
        return
    history.fail_runs(db, {"_id": run_id}, server_now(db), {
        "type": "ProcessExited", "scope": "run", "plain": "The sync stopped unexpectedly",
        "message": "the process running this sync exited before recording its end (did the mirror database fail "
                   "under it?)"})


def reap_if_idle(db: Database, lease_seconds: float) -> None:
    """Reap dead runs from a reader's side (status pages), sparing the live lease's run."""
    lease = current_lease(db)
    reap_dead_runs(db, lease.get("run_id") if lease else None, lease_seconds)
