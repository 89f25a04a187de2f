"""Every page under AppTest: demo data, an empty mirror, the database down; filters,
CSV export, ReSync, failures shown with the data kept, and no API calls after init."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bs_core import readmodels as rm
from bs_core.normalize import labelled
from bs_core.settings import Settings, as_environment
from bs_core.sync import run_sync
from bs_core.ui import format as fmt
from bs_core.ui.frames import campaigns_frame
from tests.conftest import mirror_settings

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/1_Campaigns.py", "pages/2_Advertisers.py", "pages/3_Advertisements.py", "pages/4_Zones.py",
         "pages/5_Networks.py", "pages/6_Sync_history.py"]


@pytest.fixture(autouse=True)
def clean_streamlit_state(monkeypatch):
    for name in [n for n in os.environ if n.startswith(("BS_", "BROADSTREET_", "MONGODB_"))]:
        monkeypatch.delenv(name)  # the app reads its settings from at.secrets here
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def app(settings: Settings) -> AppTest:
    """The app under AppTest, configured through ``st.secrets`` as a user would."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.secrets.update(as_environment(settings))
    return at


def visit(at: AppTest, page: str) -> AppTest:
    return at.switch_page(str(ROOT / page)).run()


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def wait_idle(db, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while db.sync_runs.find_one({"status": "running"}) and time.monotonic() < deadline:
        time.sleep(0.2)


def sidebar_text(at: AppTest) -> str:
    parts = [m.value for m in at.sidebar.markdown] + [e.value for e in at.sidebar.error]
    parts += [w.value for w in at.sidebar.warning] + [i.value for i in at.sidebar.info]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def synced(db, demo_server):
    settings = mirror_settings(demo_server, db, max_attempts=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    return settings


def test_every_page_renders_demo_data_without_calling_broadstreet(synced, db, demo_server):
    demo_server.sim.reset_stats()
    at = app(synced).run()
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    counts = rm.entity_counts(db)
    assert metrics["Networks"] == "2" and metrics["Placements"] == f"{counts['placements']:,}"
    assert metrics["Running campaigns"] == str(rm.campaign_status_counts(db)["running"])
    statuses = ("Running", "Scheduled", "Paused", "Ended")  # every campaign is in one of them
    assert sum(int(metrics[f"{s} campaigns"].replace(",", "")) for s in statuses) == counts["campaigns"]
    assert len(at.get("plotly_chart")) >= 4
    for page in PAGES:
        visit(at, page)
        no_exceptions(at)
        assert at.title[0].value
    assert demo_server.sim.stats()["total"] == 0  # a full tour reads only the mirror


def test_campaign_filters_change_rows_and_survive_page_switches(synced, db):
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    assert len(at.dataframe[0].value) == 50
    at.number_input(key="f_campaigns_page").set_value(3).run()
    assert list(at.dataframe[0].value["id"]) == [c["_id"] for c in rm.campaigns(db, page=3, page_size=50).rows]
    at.multiselect(key="f_campaigns_status").set_value(["running"]).run()
    df = at.dataframe[0].value  # page 3 no longer exists: back to page 1
    assert set(df["status"]) == {"running"} and len(df) == db.campaigns.count_documents({"status": "running"})
    assert at.number_input(key="f_campaigns_page").value == 1
    network = sorted(rm.networks(db), key=lambda n: n["_id"])[0]["_id"]
    at.selectbox(key="f_campaigns_network").set_value(network).run()
    df = at.dataframe[0].value
    assert len(df) == db.campaigns.count_documents({"status": "running", "network_id": network})
    at.text_input(key="f_campaigns_search").input("zzz-no-such-campaign").run()
    assert not at.dataframe and "No campaigns match" in at.info[-1].value

    visit(at, "pages/2_Advertisers.py")
    visit(at, "pages/1_Campaigns.py")
    no_exceptions(at)
    assert at.text_input(key="f_campaigns_search").value == "zzz-no-such-campaign"
    assert at.multiselect(key="f_campaigns_status").value == ["running"]


def test_csv_export_matches_the_filtered_rows(synced, db):
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    at.multiselect(key="f_campaigns_status").set_value(["running", "scheduled"]).run()
    shown = at.dataframe[0].value
    assert at.get("download_button")
    flt = rm.CampaignFilter(statuses=("running", "scheduled"))
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    export = campaigns_frame(rm.campaigns_for_export(db, flt, ("name_key", 1), today - dt.timedelta(days=29), today))
    assert len(export) == db.campaigns.count_documents({"status": {"$in": ["running", "scheduled"]}})
    assert list(export["id"]) == list(shown["id"])  # under one page: the same rows, same order
    assert list(export["views"]) == list(shown["views"])


def test_campaign_detail_shows_placements_and_stats(synced, db):
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    at.multiselect(key="f_campaigns_status").set_value(["running"]).run()
    first = int(at.dataframe[0].value["id"].iloc[0])
    at.selectbox(key="f_campaigns_detail").set_value(first).run()
    no_exceptions(at)
    placements = at.dataframe[-1].value  # the detail's placements table comes last
    assert len(placements) == min(50, db.placements.count_documents({"campaign_id": first}))
    assert placements["zone"].str.len().gt(0).all()


def test_resync_button_runs_a_sync_and_says_when_one_is_running(synced, db, demo_server):
    at = app(synced).run()
    demo_server.sim.faults.set_latency(100)  # keeps the sync running past the second press
    at.sidebar.button(key="resync").click().run()
    no_exceptions(at)
    assert "Sync started" in sidebar_text(at)
    assert at.sidebar.button(key="resync").disabled and at.sidebar.button(key="resync_scope").disabled
    wait_idle(db)
    demo_server.sim.faults.set_latency(0)
    at.run()
    latest = db.sync_runs.find_one(sort=[("started_at", -1)])
    assert latest["trigger"] == "button" and latest["status"] == "success" and latest["scope"] == "quick"
    assert "Last full or quick sync: **just now**" in sidebar_text(at)
    assert not at.sidebar.button(key="resync").disabled


def test_an_upstream_failure_shows_the_error_and_keeps_the_data(synced, db, demo_server):
    at = app(synced).run()
    before = {m.label: m.value for m in at.metric}
    demo_server.sim.faults.add(path="/networks", status=503, html=True)
    at.sidebar.button(key="resync").click().run()
    wait_idle(db)
    at.run()
    no_exceptions(at)
    text = sidebar_text(at)
    assert fmt.plain("The last sync failed: BroadStreet had a server error (HTTP 503)") in text
    assert at.sidebar.button(key="retry_sync")
    assert {m.label: m.value for m in at.metric} == before

    demo_server.sim.faults.clear()
    bad_adv = next(iter(demo_server.sim.dataset.campaigns_by_advertiser))
    demo_server.sim.faults.add(path="/campaigns", query={"advertiser_id": bad_adv}, status=500)
    at.sidebar.button(key="retry_sync").click().run()
    wait_idle(db)
    at.run()
    name = db.advertisers.find_one({"_id": bad_adv})["name_clean"]
    assert fmt.plain(f"campaigns of advertiser {labelled(name, bad_adv)}") in sidebar_text(at)


def test_an_empty_mirror_initialises_in_the_background_and_pages_read_live(db, demo_server):
    demo_server.sim.faults.set_latency(25)
    at = app(mirror_settings(demo_server, db)).run()
    no_exceptions(at)
    assert any("first sync" in i.value for i in at.info)
    assert db.sync_runs.find_one({"trigger": "init"}) is not None
    visit(at, "pages/2_Advertisers.py")
    no_exceptions(at)
    assert "live BroadStreet data" in at.warning[0].value
    assert len(at.dataframe[0].value) == 48
    wait_idle(db, 120)
    visit(at, "streamlit_app.py")
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Advertisers"] == "48"


def test_pages_say_so_when_the_database_is_down(demo_server, tmp_path):
    from bs_core.managed_process import free_port

    settings = mirror_settings(demo_server, _Unreachable())
    settings = settings.replace(mongodb_uri=f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300")
    at = app(settings).run()
    no_exceptions(at)
    assert "unreachable" in at.error[0].value
    for page in PAGES:
        visit(at, page)
        no_exceptions(at)
    visit(at, "pages/4_Zones.py")
    assert len(at.dataframe[0].value) == len(demo_server.sim.dataset.zones)  # read live


class _Unreachable:
    """Stands in for a database object where only its name is read."""

    name = "unreachable"
    client = type("C", (), {"address": ("127.0.0.1", 1)})()
