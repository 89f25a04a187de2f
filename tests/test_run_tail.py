"""A run holds its lease until its last write (issue 26, item 3): the summaries and the
outcome are written under the fence, so with a 2 s lease and a slow summary step no other
run starts, and a run that lost its lease never records success afterwards."""

from __future__ import annotations

import threading
import time

import pytest

from bs_core.errors import SyncLockedError
from bs_core.store.history import LOCK_ID
from bs_core.sync import _engine as engine
from bs_core.sync import run_sync
from tests.conftest import mirror_settings


def slow_summaries(monkeypatch, during) -> threading.Event:
    """Make the summary step take a while; ``during()`` runs inside it."""
    entered = threading.Event()
    real = engine.refresh_summaries

    def slowed(db, run_id, counts):
        entered.set()
        during(db)
        return real(db, run_id, counts)

    monkeypatch.setattr(engine, "refresh_summaries", slowed)
    return entered


def test_a_slow_summary_step_keeps_the_lease_and_no_second_run_starts(db, fast_tiny_server, monkeypatch):
    settings = mirror_settings(fast_tiny_server, db, lease_seconds=2)
    entered = slow_summaries(monkeypatch, lambda db: time.sleep(5))  # past two lease periods
    outcome: dict = {}
    first = threading.Thread(target=lambda: outcome.update(run_sync(settings, db, "full")))
    first.start()
    assert entered.wait(120)
    time.sleep(3)  # the lease would have expired by now without its heartbeat
    with pytest.raises(SyncLockedError):
        run_sync(settings, db, "quick")
    first.join(120)
    assert outcome["status"] == "success"
    assert [r["status"] for r in db.sync_runs.find({}, {"status": 1})] == ["success"]


def test_a_run_that_lost_its_lease_in_its_tail_never_records_success(db, fast_tiny_server, monkeypatch):
    settings = mirror_settings(fast_tiny_server, db, lease_seconds=2)

    def taken_over(db):  # another holder takes the lease (a new fence) while summaries run
        db.sync_lock.update_one({"_id": LOCK_ID}, {"$set": {"owner": "elsewhere"}, "$inc": {"fence": 1}})
        time.sleep(1)

    slow_summaries(monkeypatch, taken_over)
    run = run_sync(settings, db, "full")
    assert run["status"] == "failed"
    assert any(e["type"] == "LeaseLostError" for e in run["errors"])
    assert db.sync_runs.find_one({"_id": run["_id"]})["status"] == "failed"


def test_an_outcome_never_rewrites_a_run_already_ended(db, fast_tiny_server, monkeypatch):
    """Reaped as failed while its summaries ran (its lease had expired): it stays failed."""
    settings = mirror_settings(fast_tiny_server, db)

    def reaped(db):
        db.sync_runs.update_one({"status": "running"}, {"$set": {"status": "failed"}})

    slow_summaries(monkeypatch, reaped)
    run = run_sync(settings, db, "full")
    assert run["status"] == "failed"


def test_a_backup_that_loses_its_lease_stops_and_leaves_no_mixed_snapshot(db, fast_tiny_server, tmp_path):
    """Paused past its lease while a sync took over (the sync's new fence): the next
    collection's check stops it, and the partial folder is removed."""
    from bs_core.errors import LeaseLostError
    from bs_core.store.backup import backup

    settings = mirror_settings(fast_tiny_server, db)
    assert run_sync(settings, db, "full")["status"] == "success"

    def taken_over(collection, done, total):
        db.sync_lock.update_one({"_id": LOCK_ID}, {"$set": {"owner": "a-sync-elsewhere"}, "$inc": {"fence": 1}})

    with pytest.raises(LeaseLostError):
        backup(db, tmp_path / "snapshot", lease_seconds=2, progress=taken_over)
    assert not (tmp_path / "snapshot").exists()


def test_a_refused_backup_leaves_nothing_and_still_prints_its_json(db, fast_tiny_server, tmp_path):
    import json
    import subprocess
    import sys

    from bs_core.store.lease import Lease
    from tests.test_sync import cli_env

    holder = Lease(db, 60)
    holder.acquire("a-running-sync")
    try:
        out = subprocess.run([sys.executable, "-m", "bs_core", "backup", "--json", "--out", str(tmp_path / "b")],
                             env=cli_env(fast_tiny_server, db, BS_DATA_DIR=str(tmp_path / "data")),
                             capture_output=True, text=True, timeout=120)
    finally:
        holder.release()
    assert out.returncode != 0 and ("already running" in out.stderr or "busy" in out.stderr)
    assert json.loads(out.stdout)["directory"] is None
    assert not (tmp_path / "b").exists()


def test_only_a_dead_process_of_this_host_and_pid_namespace_frees_a_lease_at_once():
    import os
    import subprocess
    import sys

    from bs_core.store import lease

    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(exited.stdout)
    here = lease.new_owner().rpartition(":")[0].rpartition(":")[0]  # "host#pidns"
    assert lease._died_on_this_host(f"{here}:{dead_pid}:abc")
    assert not lease._died_on_this_host(f"{here}:{os.getpid()}:abc")  # alive
    host = here.partition("#")[0]
    assert not lease._died_on_this_host(f"{host}#1:{dead_pid}:abc")  # another PID namespace, same hostname
    assert not lease._died_on_this_host(f"{host}:{dead_pid}:abc")  # an owner that names no namespace
    assert not lease._died_on_this_host(f"elsewhere#{here.partition('#')[2]}:{dead_pid}:abc")
