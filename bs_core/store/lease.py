"""One sync at a time across threads, processes and machines: a fenced lease document.

``sync_lock`` holds one document ``{_id: "sync", owner, run_id, fence, started_at,
heartbeat_at, expires_at, cancel}``.  Acquiring is one atomic update that matches only
an expired (or released) lease; a live lease makes the upsert collide on ``_id``
(DuplicateKeyError).  Every acquisition increments ``fence``, the fencing token: a
holder's writes first confirm that the lease still carries its token (``confirm``), so a
holder that was paused past its lease and taken over writes nothing more.

Times are the database server's (``hello``'s ``localTime``), never this machine's: a
client whose clock runs ahead cannot take a live lease, and one that runs behind cannot
keep an expired one.
A heartbeat thread renews the lease while the run lives and notices a takeover or a
cancel request (``python -m bs_core cancel``, the UI's Cancel) within a second.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from ..errors import LeaseLostError, SyncLockedError
from ._connection import server_now

__all__ = ["LOCK_ID", "Lease", "current_lease", "locked_message", "new_owner", "release_for_run", "request_cancel"]
LOCK_ID = "sync"
POLL_SECONDS = 0.5  # how often a holder looks for a takeover or a cancel request


def new_owner() -> str:
    """ "host#pidns:pid:tag": the PID namespace too, since containers sharing the host's
    network also share its hostname but not its process ids."""
    return f"{_this_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _this_host() -> str:
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}#{namespace}"


class Lease:
    def __init__(self, db: Database, lease_seconds: float = 30.0, owner: str | None = None):
        self.db = db
        self.lease_seconds = lease_seconds
        self.owner = owner or new_owner()
        self.fence: int | None = None  #: this holder's fencing token, once acquired
        self.took_over_from: str | None = None
        self.lost = threading.Event()
        self.cancel_requested = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clock_base: tuple[dt.datetime, float] | None = None  # (server time, monotonic) when read
        self._answered = time.monotonic()  # when the database last answered the heartbeat
        self.longest_silence = 0.0  #: the longest the database went without answering it

    def _now(self) -> dt.datetime:
        """The server's time, read from the server, remembered with this machine's
        monotonic clock (immune to wall-clock changes) to save a round trip per check."""
        now = server_now(self.db)
        self._clock_base = (now, time.monotonic())
        return now

    def server_clock(self) -> dt.datetime:
        """The server's time now (run records are stamped with it too)."""
        if self._clock_base is None:
            return self._now()
        server, mono = self._clock_base
        return server + dt.timedelta(seconds=time.monotonic() - mono)

    def acquire(self, run_id: str) -> None:
        """Take the lease for ``run_id``.

        Raises :class:`SyncLockedError` (naming the running run) when it is held.
        """
        now = self._now()
        free = {"_id": LOCK_ID, "$or": [{"expires_at": {"$lt": now}}, {"expires_at": None}]}
        holder = self.db.sync_lock.find_one({"_id": LOCK_ID}, {"owner": 1, "fence": 1, "run_id": 1}) or {}
        dead = _died_on_this_host(holder.get("owner"))
        if dead:  # no need to wait out its lease
            free["$or"].append({"owner": holder["owner"], "fence": holder.get("fence")})
        update = {"$set": {"owner": self.owner, "run_id": run_id, "started_at": now, "heartbeat_at": now,
                           "expires_at": self._expiry(now), "cancel": False},
                  "$inc": {"fence": 1}}
        try:
            doc = self.db.sync_lock.find_one_and_update(free, update, upsert=True,
                                                        return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            holder = self.db.sync_lock.find_one({"_id": LOCK_ID}) or {}
            # the run's own progress is added by who records runs (the engine: locked_message)
            raise SyncLockedError(locked_message(holder.get("run_id"), {}), run={"_id": holder.get("run_id")}) from None
        self.fence = doc["fence"]
        self.lost.clear()
        #: the run of a holder that died on this host, whose lease this one took before it expired
        self.took_over_from = holder.get("run_id") if dead and doc.get("fence") != holder.get("fence") else None

    def _expiry(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.lease_seconds)

    def _mine(self) -> dict:
        return {"_id": LOCK_ID, "owner": self.owner, "fence": self.fence}

    def renew(self) -> bool:
        now = self._now()
        result = self.db.sync_lock.update_one(self._mine(), {"$set": {"heartbeat_at": now,
                                                                      "expires_at": self._expiry(now)}})
        return result.matched_count == 1

    def confirm(self) -> None:
        """Raise :class:`LeaseLostError` unless this holder's lease is current and live
        (every write batch calls it first)."""
        live = {**self._mine(), "expires_at": {"$gte": self.server_clock()}}
        if self.lost.is_set() or self.db.sync_lock.find_one(live, {"_id": 1}) is None:
            self.lost.set()
            raise LeaseLostError("the sync lost its lease to another run; its remaining writes were dropped")

    def release(self) -> None:
        """Free the lease (kept as a document, so the fencing token keeps growing)."""
        self.stop_heartbeat()
        if self.fence is not None:
            self.db.sync_lock.update_one(self._mine(), {"$set": {"expires_at": None,
                                                                 "released_at": self._now()}})

    def start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="sync-lease-heartbeat", daemon=True)
        self._thread.start()

    def stop_heartbeat(self, wait: float = 5.0) -> None:
        """Stop renewing; wait up to ``wait`` s for the heartbeat thread (a daemon: with the
        database gone, nothing is gained by waiting for its stuck call)."""
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=wait)

    def silent_for(self) -> float:
        """Seconds since the database last answered the heartbeat, which asks twice a
        second (0 when it does not beat).  A process that was itself stopped (SIGSTOP) has
        heard nothing meanwhile either: a caller tells the two apart by its own clock."""
        beating = self._thread is not None and self._thread.is_alive() and not self._stop.is_set()
        return time.monotonic() - self._answered if beating else 0.0

    def _beat(self) -> None:
        polls_per_renewal = max(int(self.lease_seconds / 3 / POLL_SECONDS), 1)
        tick = 0
        while not self._stop.wait(POLL_SECONDS):
            tick += 1
            try:
                if tick % polls_per_renewal == 0 and not self.renew():
                    self.lost.set()  # someone took over an expired lease: stop working
                    return
                doc = self.db.sync_lock.find_one({"_id": LOCK_ID}, {"fence": 1, "owner": 1, "cancel": 1}) or {}
            except PyMongoError:
                continue  # transient; the lease still has time left
            self.longest_silence = max(self.longest_silence, self.silent_for())
            self._answered = time.monotonic()
            if doc.get("fence") != self.fence or doc.get("owner") != self.owner:
                self.lost.set()
                return
            if doc.get("cancel"):
                self.cancel_requested.set()


def _died_on_this_host(owner: str | None) -> bool:
    """True when ``owner`` ("host#pidns:pid:tag") is a process of this host and PID
    namespace that is gone (a CLI sync that exited when its database failed): its lease can
    be taken at once.  Another container's process, even under the same hostname, is not."""
    host, _, rest = str(owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != _this_host() or "#" not in host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by another user
        return False
    status = Path(f"/proc/{pid}/status")  # a zombie is gone too
    try:
        return "State:\tZ" in status.read_text()
    except OSError:
        return False


def current_lease(db: Database) -> dict | None:
    """The live lease, or None when no sync holds it."""
    return db.sync_lock.find_one({"_id": LOCK_ID, "expires_at": {"$gte": server_now(db)}})


def release_for_run(db: Database, run_id: str, now: dt.datetime) -> None:
    """Free the lease if ``run_id`` still holds it (its outcome was recorded late: the run
    is over, so ``status`` and ``sync`` agree that nothing runs)."""
    db.sync_lock.update_one({"_id": LOCK_ID, "run_id": run_id, "expires_at": {"$ne": None}},
                            {"$set": {"expires_at": None, "released_at": now}})


def request_cancel(db: Database) -> str | None:
    """Ask the running sync (in any process) to stop; its run id, or None when none runs."""
    doc = db.sync_lock.find_one_and_update({"_id": LOCK_ID, "expires_at": {"$gte": server_now(db)}},
                                           {"$set": {"cancel": True}}, return_document=ReturnDocument.AFTER)
    return doc.get("run_id") if doc else None


def locked_message(run_id: str | None, run: dict) -> str:
    """"A sync is already running (run ..., scope ..., Placements 58/122)": the lease's holder
    in words, with its run's progress when the caller has read the run."""
    run_id = run_id or "?"
    kind = str(run_id).partition("-")[0]
    if not run and kind in ("backup", "restore"):  # they hold the lease but record no run
        return f"The mirror is busy: a {kind} holds the sync lease ({run_id}); try again when it is done"
    phase = run.get("phase") or "starting"
    prog = (run.get("progress") or {}).get(phase) or {}
    detail = f"{phase} {prog.get('done', 0):,}/{prog.get('total', 0):,}" if prog else phase
    scope = run.get("scope", "?")
    return f"A sync is already running (run {run_id}, scope {scope}, {detail})"
