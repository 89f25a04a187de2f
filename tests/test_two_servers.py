"""Several app servers on one mirror: two real `streamlit run` processes sharing one
MONGODB_URI.  Both answer; a scheduled sync fires once, not once per server; triggers
on both at once start exactly one run (the other answers 409); a run started on one
shows as running on the other within 3 s."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from bs_core.process import free_port
from tests.test_sync import cli_env

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "two-servers-admin-token"


def start(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.kill()
    pytest.fail("an app server did not start: " + log.read_text()[-2000:])


@pytest.fixture
def two_servers(db, tiny_server, tmp_path):
    env = cli_env(tiny_server, db, BS_DATA_DIR=str(tmp_path), BS_ADMIN_TOKEN=ADMIN, BS_SYNC_INTERVAL_MINUTES="1",
                  BS_STATS_DAYS="3")
    env = {k: v for k, v in env.items() if k != "BS_RECORDS_WINDOW_SECONDS"} | {"BS_RECORDS_WINDOW_SECONDS": "0.2"}
    servers = [start(env, tmp_path / f"app{i}.log") for i in range(2)]
    try:
        for i, (proc, base) in enumerate(servers):
            wait_healthy(base, proc, tmp_path / f"app{i}.log")
        yield [base for _, base in servers]
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            proc.wait(20)
        for i in range(2):
            text = (tmp_path / f"app{i}.log").read_text()
            assert "Traceback" not in text, text[-2000:]


def test_two_app_servers_share_one_mirror(two_servers, db, tiny_server):
    a, b = two_servers
    # both schedulers start with their servers: the due quick sync runs once, not once per server
    deadline = time.monotonic() + 60
    while db.sync_runs.count_documents({"trigger": "schedule", "status": {"$ne": "running"}}) == 0:
        assert time.monotonic() < deadline, list(db.sync_runs.find({}, {"status": 1, "trigger": 1}))
        time.sleep(0.3)
    time.sleep(2)  # the other scheduler has looked by now (it checks as it starts)
    assert db.sync_runs.count_documents({"trigger": "schedule"}) == 1

    # triggers on both at once: exactly one run starts, the other server answers 409
    tiny_server.sim.faults.set_latency(150)  # the run outlasts both requests and the next checks
    answers: dict[str, requests.Response] = {}
    barrier = threading.Barrier(2)

    def trigger(base: str) -> None:
        barrier.wait()
        answers[base] = requests.post(base + "/api/sync/trigger", json={"scope": "full"},
                                      headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)

    threads = [threading.Thread(target=trigger, args=(base,)) for base in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [202, 409], {k: v.text for k, v in answers.items()}
    started = next(r.json()["run_id"] for r in answers.values() if r.status_code == 202)
    # the run shows as running on both servers within 3 s
    for base in (a, b):
        seen_by = time.monotonic() + 3
        while True:
            running = requests.get(base + "/api/sync/status", timeout=10).json()["running"]
            if running and running["run_id"] == started:
                break
            assert time.monotonic() < seen_by, (base, running)
            time.sleep(0.2)
    tiny_server.sim.faults.set_latency(0)
    assert db.sync_runs.count_documents({"status": "running"}) <= 1
    for base in (a, b):
        assert requests.get(base + "/api/health", timeout=10).json()["status"] == "ok"
    if os.environ.get("CI") or Path("/usr/bin/chromium").exists():
        page_on(b)


def page_on(base: str) -> None:
    """The second server serves pages too: its Campaigns page lists the shared mirror."""
    import re

    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"])
        try:
            page = browser.new_page()
            page.goto(base + "/Campaigns")
            expect(page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))).to_be_visible(timeout=60_000)
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            browser.close()


def test_a_data_directory_owned_by_another_hosts_embedded_server_is_refused_politely(tmp_path):
    """Two machines sharing BS_DATA_DIR (a network disk) must not both run a server on its files."""
    import json

    from bs_core.errors import ProcessStartError
    from bs_core.process.embedded import embedded_server
    from bs_core.runtime import Runtime
    from bs_core.settings import Settings

    (tmp_path / "mongo.json").write_text(json.dumps({"pid": 1, "port": free_port(), "host": "another-host"}))
    with pytest.raises(ProcessStartError, match="belongs to the mongo server of host another-host"):
        embedded_server(tmp_path).ensure_running()
    runtime = Runtime(Settings(data_dir=tmp_path))
    try:
        assert runtime.db() is None and "MONGODB_URI" in runtime.db_error()  # the pages say it in one line
    finally:
        runtime.close()
