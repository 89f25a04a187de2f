"""The sync engine against the simulator (real HTTP) and the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bs_core import read as rm
from bs_core.entities import ENTITIES
from bs_core.errors import ScopeError, SyncLockedError
from bs_core.normalize import content_hash, labelled
from bs_core.read import reporting
from bs_core.simulator.dataset import public
from bs_core.store import COLLECTIONS, summaries
from bs_core.store.lease import current_lease
from bs_core.sync import run_sync
from bs_core.sync.first_start import initialise_if_needed
from tests.conftest import _uri_of, mirror_settings

# every entity with records of its own (placements are checked by their keys below); a new
# entity type joins this mirror-equality check by being registered
KINDS = tuple(e.name for e in ENTITIES.values() if not e.parent_from_request)


def assert_mirror_matches(db, sim) -> None:
    """Every entity, every upstream field, and the derived parent ids."""
    ds = sim.dataset
    for kind in KINDS:
        upstream = {i: public(r) for i, r in getattr(ds, kind).items()}
        docs = {d["_id"]: d for d in db[kind].find()}
        assert set(docs) == set(upstream), kind
        for i, rec in upstream.items():
            assert {k: docs[i].get(k) for k in rec} == rec, (kind, i)
        for i, rec in getattr(ds, kind).items():
            if "_network_id" in rec:
                assert docs[i]["network_id"] == rec["_network_id"]
    expected = {f"{c}:{p['advertisement_id']}:{p['zone_id']}": p["restrictions"]
                for c, rows in ds.placements.items() for p in rows}
    got = {d["_id"]: d["restrictions"] for d in db.placements.find({}, {"restrictions": 1})}
    assert got == expected
    # the overview summary the run stored agrees with counting now
    assert rm.entity_counts(db) == summaries.entity_counts_live(db)
    assert rm.placements_per_zone(db, 20) == summaries.placements_per_zone_live(db, 20)
    assert rm.network_summaries(db) == summaries.network_summaries_live(db)


def changes(run: dict, kind: str) -> dict:
    c = dict(run["counts"].get(kind, {}))
    c.pop("unchanged", None)
    return c


def test_full_sync_mirrors_the_dataset_and_a_second_sync_writes_nothing(db, demo_server):
    # the simulator's hour held still: a second sync across an hour boundary would rightly
    # fetch the new hour's rows of today (a run at 17:59:59 and one at 18:00:01 did)
    demo_server.sim.reports._now = dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=30, second=0, microsecond=0)
    settings = mirror_settings(demo_server, db)
    first = run_sync(settings, db, "full", trigger="cli")
    assert first["status"] == "success", first["errors"]
    assert_mirror_matches(db, demo_server.sim)
    assert first["counts"]["placements"]["inserted"] == demo_server.sim.dataset.counts()["placements"]

    # the run's history: trigger, scope, phases complete, requests per endpoint
    assert first["trigger"] == "cli" and first["scope"] == "full" and first["duration_s"] > 0
    for phase in ("networks", "advertisers", "zones", "advertisements", "campaigns", "placements", "stats"):
        assert first["progress"][phase]["done"] == first["progress"][phase]["total"] > 0
    assert first["requests"]["/placements"]["requests"] == len(demo_server.sim.dataset.campaigns)
    assert first["requests_total"] == demo_server.sim.stats()["total"]

    second = run_sync(settings, db, "full")
    assert second["status"] == "success" and second["documents_written"] == 0
    for kind, counts in second["counts"].items():
        assert counts["inserted"] == counts["updated"] == counts["deleted"] == 0, kind


def test_mutations_at_every_level_are_applied_exactly(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = mirror_settings(demo_server, db)
    assert run_sync(settings, db, "full")["status"] == "success"

    nid = sorted(ds.networks)[0]
    doomed_zone = sorted(ds.zones_by_network[nid])[1]
    doomed_campaign = sorted(ds.campaigns)[10]
    doomed_adv = next(a for a in sorted(ds.advertisers) if ds.campaigns_by_advertiser[a]
                      and a != ds.campaigns[doomed_campaign]["advertiser_id"])
    new_adv = sim.mutate("add", "advertisers", fields={"network_id": nid, "name": "Fresh Start Co"})
    new_campaign = sim.mutate("add", "campaigns", fields={"advertiser_id": new_adv["id"], "name": "Launch"})
    some_campaign = next(c for c, rows in ds.placements.items() if rows and c != doomed_campaign
                         and ds.campaigns[c]["advertiser_id"] != doomed_adv and ds.campaigns[c]["_network_id"] == nid)
    ad, zone = ds.placements[some_campaign][0]["advertisement_id"], sorted(ds.zones_by_network[nid])[-1]
    sim.mutate("add", "placements", fields={"campaign_id": some_campaign, "advertisement_id": ad, "zone_id": zone})
    sim.mutate("update", "networks", nid, {"name": "Renamed Gazette"})
    renamed_zone = sorted(ds.zones_by_network[nid])[0]
    sim.mutate("update", "zones", renamed_zone, {"name": "  Renamed\u00a0Zone "})
    changed_campaign = next(c for c in sorted(ds.campaigns) if c != doomed_campaign
                            and ds.campaigns[c]["advertiser_id"] != doomed_adv)
    sim.mutate("update", "campaigns", changed_campaign, {"end_date": "2031-01-01", "weight": "high"})
    before = ds.counts()
    sim.mutate("delete", "zones", doomed_zone)
    sim.mutate("delete", "campaigns", doomed_campaign)
    sim.mutate("delete", "advertisers", doomed_adv)
    after = ds.counts()

    run = run_sync(settings, db, "full")
    assert run["status"] == "success", run["errors"]
    assert_mirror_matches(db, sim)
    assert changes(run, "networks") == {"inserted": 0, "updated": 1, "deleted": 0, "skipped": 0}
    assert changes(run, "advertisers") == {"inserted": 1, "updated": 0, "deleted": 1, "skipped": 0}
    assert changes(run, "zones") == {"inserted": 0, "updated": 1, "deleted": 1, "skipped": 0}
    assert run["counts"]["campaigns"]["inserted"] == 1 and run["counts"]["campaigns"]["updated"] == 1
    assert run["counts"]["campaigns"]["deleted"] == before["campaigns"] - after["campaigns"]
    assert run["counts"]["placements"]["inserted"] == 1
    assert run["counts"]["placements"]["deleted"] == before["placements"] - after["placements"]
    assert db.zones.find_one({"_id": renamed_zone})["name_clean"] == "Renamed Zone"
    assert db.campaigns.find_one({"_id": new_campaign["id"]})["network_id"] == nid


def test_a_failing_scope_ends_partial_and_keeps_that_scopes_documents(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = mirror_settings(demo_server, db, max_attempts=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    broken, healthy = [a for a in sorted(ds.advertisers) if len(ds.campaigns_by_advertiser[a]) >= 2][:2]
    kept = {d["_id"]: d for d in db.campaigns.find({"advertiser_id": broken})}
    kept_placements = db.placements.count_documents({"campaign_id": {"$in": list(kept)}})
    first, second = ds.campaigns_by_advertiser[broken][:2]
    sim.mutate("update", "campaigns", first, {"name": "changed upstream"})
    sim.mutate("delete", "campaigns", second)
    sim.mutate("update", "campaigns", ds.campaigns_by_advertiser[healthy][0], {"name": "healthy change"})
    sim.faults.add(path="/campaigns", query={"advertiser_id": broken}, status=503, html=True)

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    name = db.advertisers.find_one({"_id": broken})["name_clean"]
    assert [e["scope"] for e in run["errors"]] == [f"campaigns of advertiser {labelled(name, broken)}"]
    assert run["errors"][0]["cause"] == "HTTP 503"
    assert "HTTP 503" in run["errors"][0]["message"]
    assert {d["_id"]: d for d in db.campaigns.find({"advertiser_id": broken})} == kept  # untouched
    assert db.placements.count_documents({"campaign_id": {"$in": list(kept)}}) == kept_placements
    assert db.campaigns.find_one({"_id": ds.campaigns_by_advertiser[healthy][0]})["name"] == "healthy change"

    sim.faults.clear()
    assert run_sync(settings, db, "full")["status"] == "success"  # the next run completes the job
    assert_mirror_matches(db, sim)


def test_429_storms_are_ridden_out_within_the_retry_budget(db, demo_server):
    demo_server.sim.faults.add(path="/placements", status=429, retry_after="0", fraction=0.4)
    run = run_sync(mirror_settings(demo_server, db, max_attempts=10), db, "full")
    assert run["status"] == "success", run["errors"]
    assert run["requests"]["/placements"]["retries"] > 10
    assert_mirror_matches(db, demo_server.sim)


def test_an_auth_failure_fails_the_run_and_keeps_the_mirror(db, demo_server):
    settings = mirror_settings(demo_server, db)
    assert run_sync(settings, db, "full")["status"] == "success"
    before = {k: db[k].count_documents({}) for k in KINDS}
    run = run_sync(settings.replace(broadstreet_api_token="a-wrong-token"), db, "quick")
    assert run["status"] == "failed"
    assert run["errors"][-1]["plain"] == "BroadStreet rejected the token"
    assert {k: db[k].count_documents({}) for k in KINDS} == before
    assert current_lease(db) is None  # released


def test_quick_sync_makes_fewer_requests_and_reflects_running_campaigns(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db)
    full = run_sync(settings, db, "full")
    quick = run_sync(settings, db, "quick")
    assert quick["status"] == "success"
    ratio = quick["requests_total"] / full["requests_total"]
    assert ratio <= 0.60, ratio

    running = next(d["_id"] for d in db.campaigns.find({"status": "running"}).sort("_id", 1))
    nid = sim.dataset.campaigns[running]["_network_id"]
    ad = sim.dataset.placements[running][0]["advertisement_id"]
    zone = next(z for z in sorted(sim.dataset.zones_by_network[nid])
                if (ad, z) not in {(p["advertisement_id"], p["zone_id"]) for p in sim.dataset.placements[running]})
    sim.mutate("add", "placements", fields={"campaign_id": running, "advertisement_id": ad, "zone_id": zone})
    sim.mutate("update", "campaigns", running, {"name": "Running, renamed"})
    run = run_sync(settings, db, "quick")
    assert db.placements.find_one({"_id": f"{running}:{ad}:{zone}"}) is not None
    assert db.campaigns.find_one({"_id": running})["name"] == "Running, renamed"
    assert run["counts"]["placements"]["inserted"] == 1


def test_targeted_scopes_touch_only_their_scope(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = mirror_settings(demo_server, db)
    assert run_sync(settings, db, "full")["status"] == "success"
    n1, n2 = sorted(ds.networks)
    a1 = next(a for a in ds.adv_by_network[n1] if ds.campaigns_by_advertiser[a])
    a2 = next(a for a in ds.adv_by_network[n2] if ds.campaigns_by_advertiser[a])
    c1, c2 = ds.campaigns_by_advertiser[a1][0], ds.campaigns_by_advertiser[a2][0]
    sim.mutate("update", "campaigns", c1, {"name": "in scope"})
    sim.mutate("update", "campaigns", c2, {"name": "out of scope"})
    z1, z2 = ds.zones_by_network[n1][0], ds.zones_by_network[n2][0]
    sim.mutate("update", "zones", z1, {"name": "zone one"})
    sim.mutate("update", "zones", z2, {"name": "zone two"})

    run = run_sync(settings, db, f"advertiser:{a1}")
    assert run["scope"] == f"advertiser:{a1}" and run["status"] == "success"
    assert db.campaigns.find_one({"_id": c1})["name"] == "in scope"
    assert db.campaigns.find_one({"_id": c2})["name"] != "out of scope"
    assert set(run["counts"]) <= {"campaigns", "placements"}

    run = run_sync(settings, db, "entity:zones")
    assert set(run["counts"]) == {"zones"} and run["counts"]["zones"]["updated"] == 2

    before_requests = demo_server.sim.stats()["by_endpoint"].get("/placements", 0)
    run = run_sync(settings, db, f"campaign:{c2}")
    assert demo_server.sim.stats()["by_endpoint"]["/placements"] == before_requests + 1
    assert db.campaigns.find_one({"_id": c2})["name"] != "out of scope"  # placements only

    run = run_sync(settings, db, f"network:{n2}")
    assert run["status"] == "success" and db.campaigns.find_one({"_id": c2})["name"] == "out of scope"
    assert run["requests"]["/advertisers"]["requests"] == 1

    runs_before = db.sync_runs.count_documents({})
    with pytest.raises(ScopeError, match="not in the mirror"):  # a typo is not a failed sync
        run_sync(settings, db, "advertiser:99999999")
    assert db.sync_runs.count_documents({}) == runs_before and current_lease(db) is None


def test_stats_totals_equal_the_simulators_and_later_runs_refetch_two_days(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=10, stats_chunk_days=4)
    run = run_sync(settings, db, "full")
    assert run["status"] == "success"
    today = dt.date.today()
    start = today - dt.timedelta(days=9)
    for nid in sim.dataset.networks:
        upstream = sim.reports.report("network", nid, start, today)["totals"]
        mirrored = reporting.totals(db, start, today, reporting.StatsFilter(network_id=nid))
        assert {k: mirrored[k] for k in upstream} == upstream
        # per-zone daily rows come from the same answer and add up to BroadStreet's zone report
        zones = sim.reports.custom(nid, ["count(view)", "count(click)"], ["zone"], start, today)
        mirrored_zones = reporting.stats_by(db, "zone_id", [z["zone_id"] for z in zones], start, today)
        assert {z["zone_id"]: (z["count(view)"], z["count(click)"]) for z in zones} == {
            zid: (s["views"], s["clicks"]) for zid, s in mirrored_zones.items()}
    networks = len(sim.dataset.networks)
    assert run["requests"]["/records"]["requests"] == networks * 3  # 10 days in chunks of 4

    again = run_sync(settings, db, "stats")
    assert again["requests"]["/records"]["requests"] == networks  # the last 2 days, one request
    assert set(again["counts"]) == {"stats_daily", "stats_zone_daily", "stats_campaign_zone_daily", "stats_hours"}
    assert again["counts"]["stats_daily"]["deleted"] == 0


def test_reporting_history_grows_past_the_window_and_outlives_deleted_campaigns(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=6, stats_chunk_days=31)
    assert run_sync(settings, db, "full")["status"] == "success"
    first = db.stats_daily.find_one(sort=[("date", 1)])["date"].date()
    assert first == dt.date.today() - dt.timedelta(days=5)

    # a narrower window later (or time passing) does not drop the days already fetched
    narrower = mirror_settings(demo_server, db, stats_days=3)
    rows = db.stats_daily.count_documents({})
    assert run_sync(narrower, db, "stats")["status"] == "success"
    assert db.stats_daily.count_documents({}) >= rows
    assert db.stats_daily.find_one(sort=[("date", 1)])["date"].date() == first
    assert reporting.stats_coverage(db).first == first

    # a deleted campaign keeps its figures, labelled as deleted
    doomed = next(c for c in sorted(sim.dataset.campaigns) if db.stats_daily.count_documents({"campaign_id": c}))
    views = reporting.stats_by(db, "campaign_id", [doomed])[doomed]["views"]
    sim.mutate("delete", "campaigns", doomed)
    run = run_sync(settings, db, "full", allow_deletes=True)
    assert run["status"] == "success" and db.campaigns.find_one({"_id": doomed}) is None
    assert reporting.stats_by(db, "campaign_id", [doomed])[doomed]["views"] == views
    top = reporting.top_campaigns(db, None, None, by="views", limit=1000, min_views=0)
    assert next(r for r in top if r["campaign_id"] == doomed)["name"] == f"campaign {doomed} (deleted)"


def test_two_syncs_started_at_once_in_threads_yield_one_run(db, demo_server):
    demo_server.sim.faults.set_latency(20)
    settings = mirror_settings(demo_server, db)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def go():
        barrier.wait()
        try:
            outcomes.append(run_sync(settings, db, "full"))
        except SyncLockedError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs = [o for o in outcomes if isinstance(o, dict)]
    locked = [o for o in outcomes if isinstance(o, SyncLockedError)]
    assert len(runs) == 1 and len(locked) == 1
    assert "already running" in str(locked[0]) and runs[0]["_id"] in str(locked[0])
    assert db.sync_runs.count_documents({}) == 1


def cli_env(server, db, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    env.update(BROADSTREET_API_TOKEN=server.sim.token, BROADSTREET_API_BASE_URL=server.api_url,
               MONGODB_URI=_uri_of(db), MONGODB_DATABASE=db.name, BS_RECORDS_LIMIT="50",
               BS_RECORDS_WINDOW_SECONDS="1")
    env.update(extra)
    return env


def test_two_sync_processes_started_at_once_yield_one_run(db, demo_server, tmp_path):
    demo_server.sim.faults.set_latency(80)  # each sync outlasts the other's start-up
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-m", "bs_core", "sync", "--scope", "full", "--json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(120), p.stdout.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 3]
    outputs = {code: json.loads(out) for code, out in results}
    assert outputs[0]["status"] == "success" and outputs[3]["status"] == "locked"
    assert db.sync_runs.count_documents({}) == 1


def test_a_sync_killed_mid_run_leaves_the_mirror_intact(db, demo_server, tmp_path):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, lease_seconds=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    before = {k: db[k].count_documents({}) for k in KINDS + ("placements",)}
    for zone in list(sim.dataset.zones)[:300]:  # upstream changes the killed run will half-apply
        sim.mutate("update", "zones", zone, {"name": f"zone {zone} v2"})
    sim.faults.set_latency(30)
    env = cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path), BS_LEASE_SECONDS="4")
    proc = subprocess.Popen([sys.executable, "-m", "bs_core", "sync", "--scope", "full", "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = db.sync_runs.find_one({"status": "running"})
        if run and run.get("phase") == "placements" and run["progress"]["placements"]["done"] > 10:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the sync never reached the placements phase")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # every previously mirrored document is still there, whole and self-consistent
    assert {k: db[k].count_documents({}) for k in before} == before
    for kind in KINDS + ("placements",):
        for doc in db[kind].find():
            assert doc["_sync"]["hash"] == content_hash(doc)
    assert db.sync_runs.find_one({"_id": run["_id"]})["status"] == "running"
    assert current_lease(db) is not None  # its lease would live on until it expired...

    sim.faults.set_latency(0)
    after = run_sync(settings, db, "full")  # ...but its holder died on this host: taken at once
    assert after["status"] == "success"
    assert_mirror_matches(db, sim)
    dead = db.sync_runs.find_one({"_id": run["_id"]})
    assert dead["status"] == "failed" and dead["errors"][-1]["type"] == "ProcessExited"


def test_initialisation_runs_exactly_once_and_retries_after_failure(db, demo_server):
    settings = mirror_settings(demo_server, db)
    bad = initialise_if_needed(settings.replace(broadstreet_api_token="wrong-token-here"), db)
    assert bad["status"] == "failed" and bad["trigger"] == "init"

    demo_server.sim.faults.set_latency(10)
    results: list = []
    barrier = threading.Barrier(3)

    def start():
        barrier.wait()
        results.append(initialise_if_needed(settings, db))

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if r]
    assert len(done) == 1 and done[0]["status"] == "success" and done[0]["trigger"] == "init"
    assert initialise_if_needed(settings, db) is None
    assert db.sync_runs.count_documents({"trigger": "init"}) == 2  # the failure, then one success


def test_the_token_is_absent_from_every_document(db, demo_server):
    token = demo_server.sim.token
    settings = mirror_settings(demo_server, db, max_attempts=1)
    demo_server.sim.faults.add(path="/placements", status=500, fraction=0.2)
    demo_server.sim.faults.add(path="/zones", kind="malformed", times=1)
    run_sync(settings, db, "full")
    run_sync(settings.replace(broadstreet_api_token=token + "-wrong"), db, "quick")
    assert db.sync_runs.count_documents({"status": "partial"}) == 1
    for name in COLLECTIONS:
        for doc in db[name].find():
            assert token not in json.dumps(doc, default=str), name


def test_reaping_spares_a_run_that_just_took_the_lease(db):
    import datetime as dt

    from bs_core.store import utcnow
    from bs_core.sync.runs import reap_if_idle

    now = utcnow()
    db.sync_runs.insert_many([
        {"_id": "dead", "status": "running", "started_at": now - dt.timedelta(minutes=5), "errors": []},
        {"_id": "just-started", "status": "running", "started_at": now, "errors": []},
    ])
    reap_if_idle(db, lease_seconds=30)  # no live lease: the reader may have looked a moment early
    assert db.sync_runs.find_one({"_id": "dead"})["status"] == "failed"
    assert db.sync_runs.find_one({"_id": "just-started"})["status"] == "running"
