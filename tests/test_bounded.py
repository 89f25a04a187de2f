"""Bounded waits: no answer from BroadStreet, a webhook receiver or a finished holder keeps
a sync, the CLI or another process waiting past a stated bound."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from bs_core.client import BroadStreetClient
from bs_core.errors import RateLimitedError, SyncLockedError
from bs_core.store.history import current_lease
from bs_core.store.lease import Lease
from bs_core.sync import _notify as notify
from bs_core.sync import pending, run_sync
from tests.conftest import mirror_settings, settings_for


@pytest.mark.parametrize("retry_after", ["Wed, 21 Oct 2099 07:28:00 GMT", "3600"], ids=["http-date", "an-hour"])
def test_a_far_retry_after_is_capped_by_the_patience_setting(tiny_server, retry_after):
    tiny_server.sim.faults.add(path="/networks", status=429, retry_after=retry_after)
    client = BroadStreetClient(settings_for(tiny_server, rate_limit_patience=2, max_attempts=2))
    waits: list[float] = []
    client.on_retry = lambda what, cause, attempt, attempts, wait: waits.append(wait)
    started = time.monotonic()
    with pytest.raises(RateLimitedError):
        client.networks()
    assert waits and max(waits) <= 2  # never the hour, nor the years to 2099
    assert 2 <= sum(waits) <= 2 + 1  # the whole patience, then one backoff of the one ordinary attempt
    assert time.monotonic() - started >= 2  # and the patience was really waited, not skipped


class _Trickle(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that answers one byte every half second, for ever."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        try:
            while not self.server.stopping.is_set():
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickling_receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.stopping = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.stopping.set()
    server.shutdown()


def test_a_trickling_webhook_is_cut_at_the_deadline_and_recorded_failed(db, demo_server, trickling_receiver,
                                                                      monkeypatch):
    monkeypatch.setattr(notify, "DEADLINE", 1.5)
    settings = mirror_settings(demo_server, db, stats_days=2, webhook_url=trickling_receiver, webhook_on="all")
    run = run_sync(settings, db, "full")
    assert run["status"] == "success"
    assert run["webhook"]["sent"] is False and "within 1.5 s" in run["webhook"]["error"]
    assert db.sync_runs.find_one({"_id": run["_id"]})["webhook"]["sent"] is False


def test_a_stop_request_cuts_a_hanging_webhook_short(trickling_receiver, tiny_server):
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    outcome = notify.send(settings_for(tiny_server, webhook_url=trickling_receiver),
                          {"_id": "r1", "status": "failed", "scope": "full"}, stop=stop)
    assert outcome["sent"] is False and outcome["error"] == "stopped"


def test_a_pending_outcome_frees_the_lease_of_its_run(db, tmp_path):
    lease = Lease(db, lease_seconds=30)
    lease.acquire("run-lost-db")
    db.sync_runs.insert_one({"_id": "run-lost-db", "status": "running", "errors": []})
    pending.save(Path(tmp_path), {"_id": "run-lost-db", "status": "failed", "errors": [{"type": "AutoReconnect"}]})
    assert pending.apply(db, tmp_path) == 1
    assert db.sync_runs.find_one({"_id": "run-lost-db"})["status"] == "failed"
    assert current_lease(db) is None  # `sync` no longer answers "already running" for a failed run


def test_a_backup_holding_the_lease_is_named_as_such(db, demo_server):
    Lease(db, lease_seconds=30).acquire("backup-1764480000")
    with pytest.raises(SyncLockedError, match="a backup holds the sync lease"):
        run_sync(mirror_settings(demo_server, db), db, "quick")


def test_a_frozen_database_lets_the_cli_go_and_status_and_sync_agree_after(demo_server, tmp_path):
    """The database SIGSTOPped mid-sync: it answers nothing and fails nothing.  The CLI
    leaves on its own (the measured seconds are in bench/chaos.py), with one line and the
    run kept on disk; once the database is back, `status` shows the run failed and a new
    sync starts (no "already running" for a run that is over)."""
    import json
    import os
    import signal
    import subprocess
    import sys

    from pymongo import MongoClient

    from bs_core.process.embedded import embedded_server, uri_for
    from tests.test_faults import start_cli, wait_running
    from tests.test_sync import cli_env

    server = embedded_server(tmp_path / "state", storage=":memory:")
    port = server.ensure_running()
    db = MongoClient(uri_for(port), tz_aware=False)["mirror"]
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path / "data"), BS_STATS_DAYS="3")
    demo_server.sim.faults.set_latency(40)
    pid = server.read_state()["pid"]
    try:
        proc = start_cli(env, "--scope", "full")
        run_id = wait_running(db)["_id"]
        time.sleep(0.5)
        os.kill(pid, signal.SIGSTOP)
        out, err = proc.communicate(timeout=20)  # it waited 34 s before the watchdog
        assert proc.returncode == 1 and json.loads(out)["status"] == "failed"
        assert len(err.strip().splitlines()) == 1 and "stopped answering" in err and "Traceback" not in err
        os.kill(pid, signal.SIGCONT)
        demo_server.sim.faults.set_latency(0)
        status = subprocess.run([sys.executable, "-m", "bs_core", "status", "--json"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert json.loads(status.stdout)["running"] is None
        assert db.sync_runs.find_one({"_id": run_id})["status"] == "failed"
        again = subprocess.run([sys.executable, "-m", "bs_core", "sync", "--json", "--scope", "full"], env=env,
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    finally:
        os.kill(pid, signal.SIGCONT)
        server.stop()
