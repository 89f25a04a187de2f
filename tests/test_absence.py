"""Absence is not evidence: what did not come back from BroadStreet never deletes live data
by itself.  Each case is a finding of the fault probe, reproduced against the simulator."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from bs_core.read import reporting
from bs_core.read.verify import verify
from bs_core.store.held import held_summary
from bs_core.store.stats_days import GAP_TRIES
from bs_core.sync import run_sync
from tests.conftest import held_through, mirror_settings
from tests.test_faults import counts, orphans
from tests.test_sync import assert_mirror_matches


def _biggest_campaign(sim) -> int:
    return max(sim.dataset.placements, key=lambda c: len(sim.dataset.placements[c]))


@pytest.mark.parametrize("bad", [{"start_date": "2026-02-30"}, {"id": "BAD"}], ids=["bad-date", "bad-id"])
def test_one_malformed_record_deletes_nothing_under_its_parent(db, demo_server, bad):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    cid = _biggest_campaign(sim)
    adv = sim.dataset.campaigns[cid]["advertiser_id"]
    sibling = next(c for c in sim.dataset.campaigns_by_advertiser[adv] if c != cid)
    placements = db.placements.count_documents({"campaign_id": cid})
    assert placements >= 1000
    before = counts(db)
    if bad.get("id") == "BAD":
        bad = {"id": f"{cid}x"}
    sim.mutate("update", "campaigns", cid, fields=bad)
    sim.mutate("delete", "campaigns", sibling)  # really gone, but the list that says so is not whole

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    incomplete = [e for e in run["errors"] if e["type"] == "IncompleteListError"]
    assert len(incomplete) == 1 and "malformed" in incomplete[0]["message"]
    assert any(s.get("kind") == "campaigns" for s in run["skipped"])
    assert db.campaigns.find_one({"_id": cid}) is not None  # the malformed one keeps its document
    assert db.placements.count_documents({"campaign_id": cid}) == placements  # and its children
    assert db.campaigns.find_one({"_id": sibling}) is not None  # no deletion under that advertiser
    assert counts(db)["campaigns"] == before["campaigns"]

    sim.mutate("update", "campaigns", cid, fields={"start_date": "2026-01-01", "id": cid})
    healed = run_sync(settings, db, "full")
    assert healed["status"] == "success" and healed["counts"]["campaigns"]["deleted"] == 1
    assert_mirror_matches(db, sim)


def test_empty_campaign_lists_split_per_advertiser_are_held_as_one_kind(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    nid = sorted(sim.dataset.networks)[0]
    # the lists a per-list guard lets through: under BS_DELETE_GUARD_MIN (5) campaigns each
    advertisers = [a for a in sim.dataset.adv_by_network[nid] if 0 < len(sim.dataset.campaigns_by_advertiser[a]) < 5]
    in_lists = sum(len(sim.dataset.campaigns_by_advertiser[a]) for a in advertisers)
    assert in_lists >= 20
    before = counts(db)
    for aid in advertisers:  # every list is small; together they are a large share of the campaigns
        sim.faults.add(path="/campaigns", query={"advertiser_id": aid}, status=200, body={"campaigns": []},
                       times=1)
    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    assert counts(db) == before and orphans(db) == {"placements": 0, "campaigns": 0, "under networks": 0}
    held = [h for h in run["held_deletions"] if h["collection"] == "campaigns"]
    assert sum(h["count"] for h in held) == in_lists
    assert "more than the 50" in held[0]["reason"]  # too many to ask about one by one
    assert run["counts"]["campaigns"]["deleted"] == 0 and run["counts"].get("placements", {}).get("deleted", 0) == 0


def test_held_deletions_stay_held_until_confirmed(db, demo_server):
    """The two-step account swap: BroadStreet answers with another account.  The first run
    holds the old account's deletions (and inserts the new one); the second, where the old
    half is now a smaller share, must not delete it either."""
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    old_networks = set(sim.dataset.networks)
    old = counts(db)
    sim.reset(seed=2)
    assert not old_networks & set(sim.dataset.networks)

    first = run_sync(settings, db, "full")
    assert first["status"] == "partial" and first["counts"]["networks"]["deleted"] == 0
    second = run_sync(settings, db, "full")
    assert second["status"] == "partial" and second["counts"]["networks"]["deleted"] == 0
    assert any("earlier run" in h["reason"] for h in second["held_deletions"])
    assert {d["_id"] for d in db.networks.find()} >= old_networks
    for kind in ("advertisers", "zones", "campaigns", "placements"):
        assert db[kind].count_documents({}) >= old[kind], kind
    summary = held_summary(db)
    assert summary and summary[0]["collection"] == "networks" and summary[0]["count"] == len(old_networks)

    confirmed = run_sync(settings, db, "full", allow_deletes=True)
    assert confirmed["status"] == "success"
    assert confirmed["counts"]["networks"]["deleted"] == len(old_networks)
    assert held_summary(db) == []
    assert_mirror_matches(db, sim)


def test_a_held_id_that_comes_back_upstream_is_released(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    sim.faults.add(path="/networks", status=200, body={"networks": []}, times=1)
    for nid in sim.dataset.networks:  # and their own routes prove nothing
        sim.faults.add(path=f"/networks/{nid}", status=503, times=5)
    assert run_sync(settings, db, "full")["status"] == "partial"
    assert held_summary(db)[0]["count"] == len(sim.dataset.networks)
    assert run_sync(settings, db, "full")["status"] == "success"  # they are back: nothing is held
    assert held_summary(db) == []
    assert_mirror_matches(db, sim)


def _upstream_views(sim, nid: int, start, end) -> int:
    return sum(r["view_count"] for r in sim.reports.report("network", nid, start, end)["records"])


def _mirrored_views(db, nid: int) -> int:
    return sum(d["views"] for d in db.stats_daily.find({"network_id": nid}, {"views": 1}))


def test_empty_report_answers_are_gaps_fetched_again_not_zeros(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=10)
    sim.faults.add(path="/records", status=200, body={"records": []})  # every report of the first sync
    first = run_sync(settings, db, "full")
    assert first["status"] == "partial"
    assert any("answered no reporting rows" in e["message"] for e in first["errors"])
    coverage = reporting.stats_coverage(db)
    assert coverage.days < 10  # the empty days are missing, not quiet days
    report = verify(db)
    assert any("answered empty while campaigns were delivering" in f.text for f in report.problems)

    sim.faults.clear()
    assert run_sync(settings, db, "full")["status"] == "success"  # fetched again: the rows are in
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=9)
    assert reporting.stats_coverage(db).covers(start, held_through(db))
    for nid in sim.dataset.networks:
        assert _mirrored_views(db, nid) == _upstream_views(sim, nid, start, today)
    assert not any(f.check == "coverage" for f in verify(db).problems)


def test_an_empty_day_is_fetched_again_a_bounded_number_of_times(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=5)
    assert run_sync(settings, db, "full")["status"] == "success"
    old_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=4)  # not among the days always refreshed
    db.sync_scopes.delete_many({"_id": {"$regex": f":{old_day}$"}})  # as if that day had never been fetched
    sim.faults.add(path="/records", status=200, body={"records": []})  # BroadStreet answers empty, always
    sim.reset_stats()
    for _ in range(GAP_TRIES):
        assert run_sync(settings, db, "stats")["status"] == "partial"
    asked = sim.stats()["by_endpoint"].get("/records", 0)
    last = run_sync(settings, db, "stats")  # the day is no longer asked for (yesterday still is, and is a gap)
    assert sim.stats()["by_endpoint"]["/records"] - asked == len(sim.dataset.networks)  # (only the last 2 days)
    assert not any(str(old_day) in e["message"] for e in last["errors"])
    assert not reporting.stats_coverage(db).covers(old_day, old_day)  # ... and still counts as missing
    assert any("answered empty" in f.text for f in verify(db).problems)


def test_a_malformed_report_row_records_nothing_for_those_days(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=3)
    sim.faults.add(path="/records", status=200, body={"records": [{"dated": "not a date", "view_count": 5}]},
                   times=2)
    run = run_sync(settings, db, "full")
    assert run["status"] in ("partial", "failed")
    assert any("malformed row" in e["message"] for e in run["errors"])
    assert db.stats_daily.count_documents({}) == 0 and reporting.stats_coverage(db).days == 0
    assert run_sync(settings, db, "full")["status"] == "success"
    today = dt.datetime.now(dt.UTC).date()  # the 3 days fetched, those every network has begun
    assert reporting.stats_coverage(db).days == (held_through(db) - (today - dt.timedelta(days=2))).days + 1


def test_a_client_clock_an_hour_ahead_cannot_make_its_run_the_latest(db, demo_server, monkeypatch):
    import bs_core
    import bs_core.dates as dates
    from bs_core.store.history import last_success, mirror_version, server_now
    from bs_core.sync.scheduler import due_for_sync

    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    real = dates.utcnow
    ahead = {name: module for name, module in sys.modules.items()
             if name.startswith(bs_core.__name__) and getattr(module, "utcnow", None) is real}
    for module in ahead.values():  # everywhere the sync could read this machine's clock
        monkeypatch.setattr(module, "utcnow", lambda: real() + dt.timedelta(hours=1))
    skewed = run_sync(settings, db, "full")
    monkeypatch.undo()
    assert abs((skewed["started_at"] - server_now(db)).total_seconds()) < 60  # stamped by the server's clock

    cid = next(iter(sim.dataset.campaigns))
    sim.mutate("update", "campaigns", cid, {"name": "renamed after the skewed run"})
    later = run_sync(settings, db, "full")
    assert later["counts"]["campaigns"]["updated"] == 1
    assert mirror_version(db) == later["_id"]  # the app's caches follow the newest run
    assert last_success(db)["_id"] == later["_id"]
    assert due_for_sync(db, 1, now=server_now(db) + dt.timedelta(minutes=2))
    from bs_core.sync.scheduler import seconds_until_due  # the scheduler wakes when it falls due
    finished = last_success(db)["finished_at"]
    assert seconds_until_due(db, 1, now=finished + dt.timedelta(seconds=45)) == 15
    assert seconds_until_due(db, 1, now=finished + dt.timedelta(seconds=61)) == 0
    assert seconds_until_due(db, 0) is None


def test_held_deletions_are_shown_in_the_sidebar_status_and_history(db, demo_server, tmp_path):
    import json
    import subprocess

    import streamlit as st

    from tests.test_app import app, no_exceptions, sidebar_text, visit, wait_idle
    from tests.test_sync import cli_env

    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    sim.faults.add(path="/networks", status=200, body={"networks": []}, times=1)
    for nid in sim.dataset.networks:  # and their own routes prove nothing
        sim.faults.add(path=f"/networks/{nid}", status=503, times=5)
    assert run_sync(settings, db, "full")["status"] == "partial"

    st.cache_data.clear()
    st.cache_resource.clear()
    at = app(settings).run()
    no_exceptions(at)
    assert "Deletions held back" in sidebar_text(at) and "2 networks" in sidebar_text(at)
    assert "Confirm deletions" in sidebar_text(at)
    at = visit(at, "pages/6_Sync_history.py")
    no_exceptions(at)
    table = next(d.value for d in at.dataframe if "Held" in d.value.columns)
    assert table.iloc[0]["Collection"] == "networks" and table.iloc[0]["Held"] == 2

    out = subprocess.run([sys.executable, "-m", "bs_core", "status", "--json"], capture_output=True, text=True,
                         env=cli_env(demo_server, db, BS_DATA_DIR=str(tmp_path)), timeout=60)
    held = json.loads(out.stdout)["held_deletions"]
    assert held[0]["collection"] == "networks" and held[0]["count"] == 2 and held[0]["run_scope"] == "full"

    # confirming is for one run: "Allow large deletions" is unticked once that run starts
    at.sidebar.checkbox(key="sync_allow_deletes").check().run()
    at.sidebar.button(key="resync_scope").click().run()
    assert "with large deletions allowed" in sidebar_text(at)
    assert at.sidebar.checkbox(key="sync_allow_deletes").value is False
    wait_idle(db)
    assert held_summary(db) == []  # the ids were back upstream: released, nothing deleted
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_client_clock_a_day_behind_derives_statuses_from_the_servers_date(db, demo_server, monkeypatch):
    """A campaign that ended yesterday (by the database server's date) is ``ended``, not
    ``running``, when this machine's clock is a day behind."""
    import bs_core.dates as dates
    from bs_core.store.history import server_now

    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=2)
    yesterday = server_now(db).date() - dt.timedelta(days=1)
    cid = next(c for c, rec in sim.dataset.campaigns.items() if rec["active"])
    sim.mutate("update", "campaigns", cid, {"start_date": (yesterday - dt.timedelta(days=20)).isoformat(),
                                            "end_date": yesterday.isoformat()})
    real = dates.today_utc
    for name, module in list(sys.modules.items()):
        if name.startswith("bs_core") and getattr(module, "today_utc", None) is real:
            monkeypatch.setattr(module, "today_utc", lambda: real() - dt.timedelta(days=1))
    run_sync(settings, db, "full")
    assert db.campaigns.find_one({"_id": cid})["status"] == "ended"
