"""Every exit releases what it holds: a signal to the CLI at any moment, or stopping the
app while its sync runs, ends the run ``cancelled`` with the lease free and no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bs_core.process import free_port
from bs_core.store.history import current_lease
from bs_core.sync import run_sync
from tests.conftest import _uri_of, mirror_settings
from tests.test_faults import start_cli
from tests.test_sync import cli_env

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "stop-test-admin-token"


def _wait_for(predicate, timeout: float, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def _lease_taken(db) -> dict | None:
    return db.sync_lock.find_one({"run_id": {"$exists": True}, "expires_at": {"$ne": None}})


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_a_signal_just_after_the_lease_is_taken_cancels_cleanly(db, demo_server, tmp_path, signum):
    demo_server.sim.faults.set_latency(40)
    proc = start_cli(cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path)), "--scope", "full")
    lease = _wait_for(lambda: _lease_taken(db), 30, step=0.002)  # the first moment the lease is held
    assert lease, "the sync never took the lease"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum], err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    run = db.sync_runs.find_one({"_id": lease["run_id"]})
    assert run is None or run["status"] == "cancelled"
    assert current_lease(db) is None


@pytest.fixture
def app_on(db, demo_server, tmp_path):
    """``streamlit run`` on the test database and simulator; yields (base URL, process, log path)."""
    assert run_sync(mirror_settings(demo_server, db, stats_days=2), db, "full")["status"] == "success"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    env.update(BS_DATA_DIR=str(tmp_path), BS_ADMIN_TOKEN=ADMIN, MONGODB_URI=_uri_of(db), MONGODB_DATABASE=db.name,
               BROADSTREET_API_TOKEN=demo_server.sim.token, BROADSTREET_API_BASE_URL=demo_server.api_url,
               BS_STATS_DAYS="2")
    log = tmp_path / "streamlit.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(base + "/api/sync/trigger", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    if not _wait_for(up, 90, step=0.3):
        proc.kill()
        pytest.fail("the app did not start: " + log.read_text()[-2000:])
    yield base, proc, log
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_stopping_the_app_cancels_its_sync_within_two_seconds(db, demo_server, app_on, signum):
    base, proc, log = app_on
    demo_server.sim.faults.set_latency(200)  # a full sync that would take a minute
    answer = requests.post(base + "/api/sync/trigger", json={"scope": "full"},
                           headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    assert _wait_for(lambda: (db.sync_runs.find_one({"_id": run_id}) or {}).get("progress"), 30)
    proc.send_signal(signum)
    ended = _wait_for(lambda: db.sync_runs.find_one({"_id": run_id, "status": {"$ne": "running"}}), 10)
    assert ended and ended["status"] == "cancelled", ended  # (seconds to stop: bench/chaos.py)
    assert _wait_for(lambda: current_lease(db) is None, 5)  # released right after the run is recorded
    proc.wait(30)
    assert "Traceback" not in log.read_text()
