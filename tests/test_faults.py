"""Fault injection: what empty answers, kills, pauses, skewed clocks, signals, a dead
database and 429 storms do to the mirror.  Each case is reproduced with the simulator's
fault and mutation API or with real signals to a real CLI process."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from bs_core.errors import SyncLockedError
from bs_core.normalize import labelled
from bs_core.process.embedded import embedded_server, uri_for
from bs_core.store.history import current_lease
from bs_core.store.lease import Lease
from bs_core.sync import run_sync
from tests.conftest import mirror_settings, throwaway
from tests.test_sync import KINDS, assert_mirror_matches, cli_env

ENTITY_KINDS = KINDS + ("placements",)


def counts(db) -> dict[str, int]:
    return {k: db[k].count_documents({}) for k in ENTITY_KINDS + ("stats_daily", "stats_zone_daily")}


def orphans(db) -> dict[str, int]:
    """Documents whose parent (or referenced zone / advertisement) is not in the mirror."""
    ids = {k: {d["_id"] for d in db[k].find({}, {"_id": 1})} for k in KINDS}
    found = {"placements": 0, "campaigns": 0, "under networks": 0}
    for p in db.placements.find({}, {"campaign_id": 1, "zone_id": 1, "advertisement_id": 1}):
        if (p["campaign_id"] not in ids["campaigns"] or p["zone_id"] not in ids["zones"]
                or p["advertisement_id"] not in ids["advertisements"]):
            found["placements"] += 1
    for c in db.campaigns.find({}, {"advertiser_id": 1}):
        found["campaigns"] += c["advertiser_id"] not in ids["advertisers"]
    for kind in ("advertisers", "zones", "advertisements", "campaigns"):
        for d in db[kind].find({}, {"network_id": 1}):
            found["under networks"] += d["network_id"] not in ids["networks"]
    return found


def start_cli(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bs_core", "sync", "--json", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_running(db, timeout: float = 60, placements_done: int = 0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = db.sync_runs.find_one({"status": "running"})
        if run and (run.get("progress", {}).get("placements", {}).get("done", 0) >= placements_done):
            return run
        time.sleep(0.05)
    pytest.fail("no sync started")


# -- (1) the deletion guard ------------------------------------------------------------------
def test_an_empty_network_list_deletes_nothing(db, demo_server):
    """Each missing network is asked about by its own route: alive, so kept (partial);
    when that route fails too, the deletion is held with the way to confirm it."""
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=5)
    assert run_sync(settings, db, "full")["status"] == "success"
    before = counts(db)
    sim.faults.add(path="/networks", status=200, body={"networks": []}, times=1)
    run = run_sync(settings, db, "full")
    assert run["status"] == "partial" and run["held_deletions"] == []
    assert any("omitted 2 networks" in e["message"] for e in run["errors"])
    assert counts(db) == before

    sim.faults.add(path="/networks", status=200, body={"networks": []}, times=1)
    for nid in sim.dataset.networks:
        sim.faults.add(path=f"/networks/{nid}", status=500, times=5)
    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    held = [e for e in run["errors"] if e["type"] == "DeletionsHeldError"]
    assert len(held) == 1 and "--allow-deletes" in held[0]["message"] and "sync --scope full" in held[0]["message"]
    assert run["held_deletions"][0]["collection"] == "networks" and run["held_deletions"][0]["count"] == 2
    assert counts(db) == before
    assert run_sync(settings, db, "full")["status"] == "success"  # upstream is whole again
    assert counts(db) == before


def test_an_empty_zone_list_deletes_nothing_and_a_real_deletion_is_confirmed(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=5)
    assert run_sync(settings, db, "full")["status"] == "success"
    nid = max(sim.dataset.networks, key=lambda n: len(sim.dataset.zones_by_network[n]))
    zones = db.zones.count_documents({"network_id": nid})
    placements = db.placements.count_documents({})
    sim.faults.add(path="/zones", query={"network_id": nid}, status=200, body={"zones": []}, times=1)
    run = run_sync(settings, db, "full")
    assert run["status"] == "partial" and db.zones.count_documents({"network_id": nid}) == zones
    assert db.placements.count_documents({}) == placements
    name = db.networks.find_one({"_id": nid})["name_clean"]
    assert f"zones of network {labelled(name, nid)}" in [e["scope"] for e in run["errors"]]


    for zone in list(sim.dataset.zones_by_network[nid]):  # really gone (a zone a placement names is not)
        sim.mutate("delete", "zones", zone)
    confirmed = run_sync(settings, db, "full", allow_deletes=True)
    # a network without zones reports no views: its empty report days are gaps (partial), nothing else
    assert {e["scope"].split()[0] for e in confirmed["errors"]} <= {"stats"}, confirmed["errors"]
    assert db.zones.count_documents({"network_id": nid}) == 0
    assert confirmed["deleted"]["zones"]["count"] == zones and len(confirmed["deleted"]["zones"]["ids"]) == 200
    # documents_written counts every insert, update and delete, cascades included
    total = sum(c["inserted"] + c["updated"] + c["deleted"] for c in confirmed["counts"].values())
    assert confirmed["documents_written"] == total and confirmed["counts"]["placements"]["deleted"] > 0


def test_ordinary_churn_is_not_held(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=5)
    assert run_sync(settings, db, "full")["status"] == "success"
    for zone in sorted(sim.dataset.zones)[:20]:
        sim.mutate("delete", "zones", zone)
    run = run_sync(settings, db, "full")
    assert run["status"] == "success" and run["counts"]["zones"]["deleted"] == 20
    assert_mirror_matches(db, sim)


# -- (2) reporting history ----------------------------------------------------------------------
def test_reporting_history_survives_deletions_and_lost_days_are_refetched(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=10)
    assert run_sync(settings, db, "full")["status"] == "success"
    rows = db.stats_daily.count_documents({})
    doomed = next(c for c in sorted(sim.dataset.campaigns) if db.stats_daily.count_documents({"campaign_id": c}))
    kept = db.stats_daily.count_documents({"campaign_id": doomed})
    sim.mutate("delete", "campaigns", doomed)
    assert run_sync(settings, db, "full")["status"] == "success"
    assert db.campaigns.find_one({"_id": doomed}) is None
    assert db.stats_daily.count_documents({"campaign_id": doomed}) == kept  # facts about past days stay

    lost_day = dt.datetime.combine(dt.date.today() - dt.timedelta(days=6), dt.time())
    lost = db.stats_daily.delete_many({"date": lost_day, "campaign_id": {"$ne": doomed}}).deleted_count
    assert lost > 0
    again = run_sync(settings, db, "stats")
    assert again["counts"]["stats_daily"]["inserted"] == lost
    assert db.stats_daily.count_documents({}) >= rows


# -- (3) fenced writes and the server's clock ---------------------------------------------------
def test_a_holder_paused_past_its_lease_writes_nothing_after_a_takeover(db, demo_server, tmp_path):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, lease_seconds=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    for zone in list(sim.dataset.zones)[:400]:
        sim.mutate("update", "zones", zone, {"name": f"zone {zone} paused"})
    sim.faults.set_latency(40)
    proc = start_cli(cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path), BS_LEASE_SECONDS="2"), "--scope", "full")
    paused_run = wait_running(db)["_id"]
    time.sleep(0.4)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        time.sleep(3)  # its lease expires
        sim.faults.set_latency(0)
        sim.mutate("update", "zones", sorted(sim.dataset.zones)[-1], {"name": "taken over"})
        taker = run_sync(settings, db, "full")
        assert taker["status"] == "success"
        written_by_paused = {d["_id"] for k in ENTITY_KINDS for d in db[k].find({"_sync.changed_run": paused_run})}
        before = counts(db)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    out, _ = proc.communicate(timeout=60)
    result = json.loads(out)
    assert result["status"] == "failed" and any(e["type"] == "LeaseLostError" for e in result["errors"])
    after = {d["_id"] for k in ENTITY_KINDS for d in db[k].find({"_sync.changed_run": paused_run})}
    assert after <= written_by_paused and counts(db) == before  # zero writes after the takeover
    assert_mirror_matches(db, sim)


def test_a_client_clock_running_ahead_cannot_take_a_live_lease(db, monkeypatch):
    holder = Lease(db, lease_seconds=30)
    holder.acquire("holder-run")
    import bs_core.dates as dates
    import bs_core.store.lease as lock

    real = dates.utcnow
    for module in (dates, lock):  # wherever the lease code could read this machine's clock
        monkeypatch.setattr(module, "utcnow", lambda: real() + dt.timedelta(seconds=45), raising=False)
    with pytest.raises(SyncLockedError):
        Lease(db, lease_seconds=30).acquire("skewed-run")
    assert current_lease(db)["run_id"] == "holder-run"
    holder.release()
    assert current_lease(db) is None
    taker = Lease(db, lease_seconds=30)
    taker.acquire("next-run")
    assert taker.fence == holder.fence + 1  # the fencing token grows with every acquisition


# -- (4) parents before children -----------------------------------------------------------------
def test_a_sigkill_at_ten_moments_leaves_no_orphans(db, demo_server, tmp_path):
    sim = demo_server.sim
    sim.faults.set_latency(15)
    for i, moment in enumerate((0.2, 0.5, 0.8, 1.1, 1.4, 1.8, 2.2, 2.7, 3.3, 4.0)):
        # each kill interrupts a first, full sync, in a database of its own: a write the
        # previous dead process had sent, still executing on a loaded server, cannot land in it
        mirror = db.client[f"{db.name}_{i}"]
        proc = start_cli(cli_env(demo_server, mirror, BS_DATA_DIR=str(tmp_path / str(i)), BS_LEASE_SECONDS="30"),
                         "--scope", "full")
        wait_running(mirror)
        time.sleep(moment)
        proc.kill()
        proc.wait()
        time.sleep(0.5)  # a request the dead process had already sent may still be executing
        assert orphans(mirror) == {"placements": 0, "campaigns": 0, "under networks": 0}, moment
        if not throwaway(db.client):
            db.client.drop_database(mirror.name)
    sim.faults.set_latency(0)
    assert run_sync(mirror_settings(demo_server, db), db, "full")["status"] == "success"
    assert_mirror_matches(db, sim)


# -- (5) clean interruption -------------------------------------------------------------------------
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_cancels_the_run_frees_the_lease_and_exits(db, demo_server, tmp_path, signum, code):
    demo_server.sim.faults.set_latency(60)
    proc = start_cli(cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path)), "--scope", "full")
    run_id = wait_running(db)["_id"]
    time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert proc.returncode == code
    assert json.loads(out)["status"] == "cancelled"
    assert len(err.strip().splitlines()) == 1 and "cancelled" in err and "Traceback" not in err
    assert db.sync_runs.find_one({"_id": run_id})["status"] == "cancelled"
    assert current_lease(db) is None


def test_the_cancel_command_stops_a_sync_in_another_process(db, demo_server, tmp_path):
    demo_server.sim.faults.set_latency(60)
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path))
    proc = start_cli(env, "--scope", "full")
    run_id = wait_running(db)["_id"]
    out = subprocess.run([sys.executable, "-m", "bs_core", "cancel"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and f"run {run_id}: cancelled" in out.stdout
    proc.communicate(timeout=30)
    assert proc.returncode == 1 and db.sync_runs.find_one({"_id": run_id})["status"] == "cancelled"
    nothing = subprocess.run([sys.executable, "-m", "bs_core", "cancel"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert nothing.returncode == 0 and "no sync is running" in nothing.stdout


# -- (6) losing the database ------------------------------------------------------------------------
def test_a_killed_database_gives_one_json_object_and_exit_1(demo_server, tmp_path):
    storage = tmp_path / "mongo-files"
    server = embedded_server(tmp_path / "state", storage=str(storage))
    port = server.ensure_running()
    client = MongoClient(uri_for(port), tz_aware=False)
    db = client["mirror"]
    data = tmp_path / "data"
    env = cli_env(demo_server, db, BS_DATA_DIR=str(data))
    demo_server.sim.faults.set_latency(40)
    try:
        proc = start_cli(env, "--scope", "full")
        run_id = wait_running(db)["_id"]
        time.sleep(0.5)
        os.kill(server.read_state()["pid"], signal.SIGKILL)
        killed = time.monotonic()
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - killed < 15
        result = json.loads(out)
        assert proc.returncode == 1 and result["status"] == "failed"
        assert "mirror database 'mirror'" in result["errors"][-1]["message"]
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert list((data / "pending-runs").glob("*.json"))

        server.stop()
        restarted = embedded_server(tmp_path / "state", storage=str(storage))
        restarted.ensure_running()
        status = subprocess.run([sys.executable, "-m", "bs_core", "status", "--json"],
                                env=env | {"MONGODB_URI": uri_for(restarted.read_state()["port"])},
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        db = MongoClient(uri_for(restarted.read_state()["port"]), tz_aware=False)["mirror"]
        recorded = db.sync_runs.find_one({"_id": run_id})
        assert recorded["status"] == "failed" and "mirror database" in recorded["errors"][-1]["message"]
        assert not list((data / "pending-runs").glob("*.json"))
    finally:
        demo_server.sim.faults.set_latency(0)
        embedded_server(tmp_path / "state", storage=str(storage)).stop()


# -- (8) patience with rate limits ------------------------------------------------------------------
def test_a_429_storm_with_retry_after_is_waited_out(db, demo_server):
    demo_server.sim.faults.add(path="/networks", status=429, retry_after="1", times=6)
    run = run_sync(mirror_settings(demo_server, db, max_attempts=3, stats_days=3), db, "full")
    assert run["status"] == "success" and run["requests"]["/networks"]["retries"] == 6

    demo_server.sim.faults.add(path="/networks", status=429, retry_after="1", times=6)
    impatient = run_sync(mirror_settings(demo_server, db, max_attempts=3, rate_limit_patience=2), db, "quick")
    assert impatient["status"] == "failed" and "Retry-After" in impatient["errors"][-1]["message"]


def test_pending_files_are_ignored_when_the_run_was_recorded(tmp_path, db):
    from bs_core.sync import pending

    db.sync_runs.insert_one({"_id": "done", "status": "success", "errors": []})
    pending.save(Path(tmp_path), {"_id": "done", "status": "failed", "errors": [{"type": "X"}]})
    assert pending.apply(db, tmp_path) == 1
    assert db.sync_runs.find_one({"_id": "done"})["status"] == "success"
    assert pending.apply(db, tmp_path) == 0
