"""Every page under AppTest: demo data, an empty mirror, the database down; filters,
CSV export, ReSync, failures shown with the data kept, and no API calls after init."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bs_core import read as rm
from bs_core.normalize import labelled
from bs_core.read import reporting
from bs_core.settings import Settings, as_environment
from bs_core.sync import run_sync
from bs_core.ui import format as fmt
from bs_core.ui.frames import campaigns_frame
from tests.conftest import complete_days_filter, mirror_settings, synced_demo

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/1_Campaigns.py", "pages/2_Advertisers.py", "pages/3_Advertisements.py", "pages/4_Zones.py",
         "pages/5_Networks.py", "pages/6_Sync_history.py", "pages/7_Delivery_health.py", "pages/8_Rates.py",
         "pages/9_Invoices.py", "pages/10_Inventory.py"]


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


@pytest.fixture(scope="module")
def mirror(mongo_uri):
    """One synced demo mirror for this module's tests that only read it."""
    with synced_demo(mongo_uri, max_attempts=2, stats_days=90) as shared:  # a period and the one before
        yield shared


@pytest.fixture
def synced(db, demo_server):
    """A synced demo mirror of the test's own, for tests that sync or write."""
    settings = mirror_settings(demo_server, db, max_attempts=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    return settings


def test_every_page_renders_demo_data_without_calling_broadstreet(mirror):
    synced, db, demo_server = mirror
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


def test_every_page_renders_when_the_client_refuses_its_address(mirror, monkeypatch):
    """A client of several mongoses (a sharded cluster) raises on ``.address``: no page may ask it."""
    import pymongo
    from pymongo.errors import InvalidOperation

    from bs_core.store import summaries

    def refuse(client):
        raise InvalidOperation("Cannot use \"address\" property when load balancing among mongoses")

    monkeypatch.setattr(pymongo.MongoClient, "address", property(refuse))
    summaries._DECODED.clear()
    assert summaries.stored_tallies(mirror.db) == summaries.placement_tallies_live(mirror.db)  # the stored ones, read
    st.cache_data.clear()
    at = app(mirror.settings).run()
    no_exceptions(at)
    for page in PAGES:
        visit(at, page)
        no_exceptions(at)
        assert at.title[0].value
        if page in PAGES[:4]:  # the listings
            assert len(at.dataframe[0].value), page


def test_campaign_filters_change_rows_and_survive_page_switches(mirror):
    synced, db = mirror.settings, mirror.db
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    assert len(at.dataframe[0].value) == 50
    at.number_input(key="f_campaigns_page").set_value(3).run()
    assert list(at.dataframe[0].value["ID"]) == [c["_id"] for c in rm.campaigns(db, page=3, page_size=50).rows]
    at.multiselect(key="f_campaigns_status").set_value(["running"]).run()
    df = at.dataframe[0].value  # page 3 no longer exists: back to page 1
    assert set(df["Status"]) == {"running"} and len(df) == db.campaigns.count_documents({"status": "running"})
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


def test_csv_export_matches_the_filtered_rows(mirror):
    synced, db = mirror.settings, mirror.db
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    at.multiselect(key="f_campaigns_status").set_value(["running", "scheduled"]).run()
    shown = at.dataframe[0].value
    assert at.get("download_button")
    start, end = at.date_input(key="f_campaigns_period").value
    # complete days by default: the period ends yesterday, not on today's partial day
    assert (end - start).days == 29 and end == min(reporting.stats_coverage(db).last, dt.date.today()
                                                   - dt.timedelta(days=1))
    flt = rm.CampaignFilter(statuses=("running", "scheduled"))
    export = campaigns_frame(rm.campaigns_for_export(db, flt, ("name_key", 1), start, end))
    assert len(export) == db.campaigns.count_documents({"status": {"$in": ["running", "scheduled"]}})
    assert list(export["ID"]) == list(shown["ID"])  # under one page: the same rows, same order
    assert list(export["Views"]) == list(shown["Views"])
    assert list(export.columns)[:3] == ["Name", "Status", "Views"]  # the table's headers


def test_campaigns_sort_by_views_and_open_ended_last(mirror):
    synced, db = mirror.settings, mirror.db
    at = visit(app(synced).run(), "pages/1_Campaigns.py")
    start, end = at.date_input(key="f_campaigns_period").value
    at.selectbox(key="f_campaigns_sort").set_value("Views").run()
    at.toggle(key="f_campaigns_desc").set_value(True).run()
    shown = at.dataframe[0].value
    expected = rm.campaigns_enriched(db, rm.CampaignFilter(), ("views", -1), 1, 50, start, end).rows
    assert list(shown["ID"]) == [c["_id"] for c in expected]
    assert list(shown["Views"]) == sorted(shown["Views"], reverse=True) and shown["Views"].iloc[0] > 0
    at.selectbox(key="f_campaigns_sort").set_value("End date").run()
    at.toggle(key="f_campaigns_desc").set_value(False).run()
    at.number_input(key="f_campaigns_page").set_value(-(-db.campaigns.count_documents({}) // 50)).run()
    ends = list(at.dataframe[0].value["End"])
    assert ends[-1] == "open-ended" and "None" not in ends


def test_a_link_opens_the_campaign_detail_with_its_heading(mirror):
    synced, db = mirror.settings, mirror.db
    camp = db.campaigns.find_one({"status": "running"}, sort=[("_id", 1)])
    adv = db.advertisers.find_one({"_id": camp["advertiser_id"]})
    at = app(synced)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params["open"] = f"campaign:{camp['_id']}"
    at.query_params["status"] = "running"
    at.run()
    no_exceptions(at)
    assert at.subheader[0].value == fmt.plain(fmt.short(camp["name_clean"], 120))
    assert at.multiselect(key="f_campaigns_status").value == ["running"]
    links = [el for el in at.main.get("page_link") if "advertiser" in str(el.proto.query_string)]
    assert links, [el.proto for el in at.main.get("page_link")]
    assert links and fmt.plain(fmt.short(adv["name_clean"], 60)) in links[0].proto.label
    metrics = {m.label: m.value for m in at.metric}
    lifetime = reporting.totals(db, None, None, reporting.StatsFilter(campaign_id=camp["_id"]))
    assert metrics["Views, all mirrored days"] == f"{lifetime['views']:,}"
    placements = at.dataframe[0].value  # the detail's placements table comes first
    assert len(placements) == min(50, db.placements.count_documents({"campaign_id": camp["_id"]}))
    assert placements["Zone"].str.len().gt(0).all()
    at.button(key="close_campaign").click().run()
    assert not at.subheader or at.subheader[0].value != fmt.plain(fmt.short(camp["name_clean"], 120))
    assert "open" not in at.query_params

    # an id the mirror never held (and has no reporting of) is not "deleted": it is unknown
    at = app(synced)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params["open"] = "campaign:999999999"
    at.run()
    no_exceptions(at)
    assert any("Campaign 999999999 is not in the mirror" in w.value for w in at.warning)
    assert not any("(deleted)" in h.value for h in at.subheader)


def test_bad_link_parameters_are_named_and_ignored(mirror):
    synced = mirror.settings
    at = app(synced)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params.update({"network": "abc", "status": "running,bogus", "open": "campaign:x1", "q": "spring"})
    at.run()
    no_exceptions(at)
    text = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "network=abc" in text and "status=running,bogus" in text and "open=campaign:x1" in text
    assert at.text_input(key="f_campaigns_search").value == "spring"  # the good one applies


def test_a_link_to_another_kind_of_detail_goes_to_its_page(mirror):
    synced, db = mirror.settings, mirror.db
    zone = db.zones.find_one(sort=[("_id", 1)])
    at = app(synced)
    at.query_params["open"] = f"zone:{zone['_id']}"
    at.run()  # the Overview shows no details: the zone opens on the Zones page
    no_exceptions(at)
    assert at.title[0].value == "Zones"
    assert at.subheader[0].value == fmt.plain(fmt.short(zone["name_clean"], 120))


def test_resync_button_runs_a_sync_and_says_when_one_is_running(synced, db, demo_server):
    at = app(synced).run()
    idle = len(at.sidebar.children)
    demo_server.sim.faults.set_latency(100)  # keeps the sync running past the second press
    at.sidebar.button(key="resync").click().run()
    no_exceptions(at)
    assert "Sync started" in sidebar_text(at)
    assert at.sidebar.button(key="resync").disabled and at.sidebar.button(key="resync_scope").disabled
    # the panel has the same places running as idle: a state change replaces each one at once,
    # instead of leaving the old state's lines beside the new until the page has rerun
    assert len(at.sidebar.children) == idle
    wait_idle(db)
    demo_server.sim.faults.set_latency(0)
    at.run()
    assert len(at.sidebar.children) == idle
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
    # slow reports hold the first look back (its two, one after the other: 16 s), so the
    # pages stay on the live API meanwhile (test_first_look.py: the pages after it)
    demo_server.sim.faults.add(kind="latency", path="/records", latency_ms=8000)
    at = app(mirror_settings(demo_server, db)).run()
    no_exceptions(at)
    assert any("first sync" in i.value for i in at.info)
    assert db.sync_runs.find_one({"trigger": "init"}) is not None
    visit(at, "pages/2_Advertisers.py")
    no_exceptions(at)
    assert "live BroadStreet data" in at.warning[0].value and "until the mirror is ready" in at.warning[0].value
    live = at.dataframe[0].value
    assert len(live) == 48
    assert list(live.columns)[0] == "Name" and list(live.columns)[-1] == "ID"  # headers as the mirror's tables
    assert not [c for c in live.columns if "_" in c or c != c[:1].upper() + c[1:]], list(live.columns)
    visit(at, "pages/1_Campaigns.py")
    campaigns = at.dataframe[0].value
    assert {"Start", "End"} <= set(campaigns.columns)
    assert campaigns["End"].str.fullmatch(r"\d{4}-\d{2}-\d{2}|open-ended").all()  # not "... 00:00:00" or None
    assert db.sync_runs.find_one({"first_look": {"$exists": True}}) is None  # all the above read live
    demo_server.sim.faults.clear()
    wait_idle(db, 120)
    visit(at, "streamlit_app.py")
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Advertisers"] == "48"


def test_pages_say_so_when_the_database_is_down(demo_server, tmp_path):
    from bs_core.process import free_port

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
    assert any("while the mirror database is unreachable" in w.value for w in at.warning)
    assert not any("until the mirror is ready" in w.value for w in at.warning)


class _Unreachable:
    """Stands in for a database object where only its name is read."""

    name = "unreachable"
    client = type("C", (), {"address": ("127.0.0.1", 1)})()


def test_overview_filters_apply_to_every_figure_and_deltas_compare_equal_periods(mirror):
    synced, db = mirror.settings, mirror.db
    network = sorted(rm.networks(db), key=lambda n: n["_id"])[0]["_id"]
    at = app(synced)
    at.query_params["network"] = str(network)
    at.run()
    no_exceptions(at)
    metrics = {m.label: m for m in at.metric}
    counts = rm.scoped_counts(db, network)
    assert metrics["Placements"].value == f"{counts['placements']:,}"
    assert metrics["Zones"].value == f"{counts['zones']:,}"
    statuses = rm.campaign_status_counts(db, network)
    assert metrics["Paused campaigns"].value == f"{statuses['paused']:,}"
    start, end = at.date_input(key="f_overview_period").value
    flt = reporting.StatsFilter(network_id=network)
    totals = reporting.totals(db, start, end, flt)
    assert metrics["Views"].value == f"{totals['views']:,}" and metrics["Hovers"].value == f"{totals['hovers']:,}"
    # 30 of the 90 mirrored days: the previous 30 are there too, so each figure has a change
    before = reporting.totals(db, *reporting.previous_period(start, end), flt)
    assert metrics["Views"].proto.delta == fmt.change(totals["views"], before["views"])
    assert at.query_params["network"] == str(network)


def test_overview_says_so_when_a_period_is_outside_the_mirrored_days(mirror):
    synced, db = mirror.settings, mirror.db
    at = app(synced)
    at.query_params.update({"from": "2020-01-01", "to": "2020-01-31"})
    at.run()
    no_exceptions(at)
    # complete days only (the default): the picker offers the covered days through yesterday
    cover = reporting.stats_coverage(db).through(dt.date.today() - dt.timedelta(days=1))
    shown = at.date_input(key="f_overview_period").value
    warning = " ".join(w.value for w in at.warning)
    assert "2020-01-01 to 2020-01-31" in warning and cover.describe() in warning
    assert f"the figures are for {shown[0]} to {shown[1]}" in warning  # says which period it shows instead
    assert cover.covers(*shown) and (at.query_params["from"], at.query_params["to"]) == tuple(map(str, shown))
    totals = reporting.totals(db, *shown, complete_days_filter(db))  # each network's own complete days
    assert {m.label: m.value for m in at.metric}["Views"] == f"{totals['views']:,}"  # the whole shown period
    at.date_input(key="f_overview_period").set_value((cover.last, cover.last)).run()
    assert not any("2020-01-01" in w.value for w in at.warning)  # said until another period is picked
    # a first period with no previous one of equal length in the mirror: no change shown
    at.date_input(key="f_overview_period").set_value((cover.first, cover.first + dt.timedelta(days=9))).run()
    assert not {m.label: m for m in at.metric}["Views"].proto.delta
    assert any("No change shown" in c.value for c in at.caption)


def test_clear_filters_resets_filters_and_the_url(mirror):
    synced = mirror.settings
    at = app(synced)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params.update({"status": "paused", "q": "a"})
    at.run()
    assert at.multiselect(key="f_campaigns_status").value == ["paused"]
    at.button(key="clear_campaigns").click().run()
    no_exceptions(at)
    assert at.multiselect(key="f_campaigns_status").value == [] and at.text_input(key="f_campaigns_search").value == ""
    assert "status" not in at.query_params and "q" not in at.query_params


def test_advertiser_and_zone_details_open_from_links(mirror):
    synced, db = mirror.settings, mirror.db
    adv = db.stats_daily.find_one()["advertiser_id"]
    at = app(synced)
    at.switch_page(str(ROOT / "pages/2_Advertisers.py"))
    at.query_params["open"] = f"advertiser:{adv}"
    at.run()
    no_exceptions(at)
    name = db.advertisers.find_one({"_id": adv})["name_clean"]
    assert at.subheader[0].value == fmt.plain(fmt.short(name, 120))
    campaigns = at.dataframe[0].value
    assert len(campaigns) == min(50, db.campaigns.count_documents({"advertiser_id": adv}))

    zone = db.stats_zone_daily.find_one(sort=[("views", -1)])["zone_id"]
    at.switch_page(str(ROOT / "pages/4_Zones.py"))
    at.query_params.clear()
    at.query_params["open"] = f"zone:{zone}"
    at.run()
    no_exceptions(at)
    lifetime = reporting.totals(db, None, None, reporting.StatsFilter(zone_id=zone))
    assert {m.label: m.value for m in at.metric}["Views, all mirrored days"] == f"{lifetime['views']:,}"
    placed = {p["campaign_id"] for p in db.placements.find({"zone_id": zone})}
    assert set(at.dataframe[0].value["ID"]) == placed


def test_delivery_health_lists_what_the_read_models_find(mirror):
    synced, db = mirror.settings, mirror.db
    from bs_core.read import delivery, figures, inventory
    from bs_core.read.days import network_days

    at = visit(app(synced).run(), "pages/7_Delivery_health.py")
    no_exceptions(at)
    today = network_days(db)  # each network's own day, as the page counts
    titles = [s.value for s in at.main.subheader]
    lists = [figures.behind_pace(db, today), figures.over_delivering(db, today), delivery.silent_campaigns(db, today),
             delivery.unplaced_active_ads(db), delivery.dark_zones(db, today), delivery.unsold_zones(db),
             inventory.over_booked_zones(db, today), delivery.ending_soon(db, today)]
    assert len(titles) == len(lists), titles[-3:]
    for title, rows in zip(titles, lists, strict=True):
        assert title.endswith(f"({len(rows):,})"), title
    # a CSV and an Excel download beside each list that has rows
    assert len(at.get("download_button")) == 2 * sum(not t.endswith("(0)") for t in titles), titles


def test_a_link_with_a_network_and_its_advertiser_applies_both(mirror):
    synced, db = mirror.settings, mirror.db
    networks = sorted(n["_id"] for n in rm.networks(db))
    adv = db.advertisers.find_one({"network_id": networks[1]})
    at = app(synced)
    at.session_state["f_overview_network"] = networks[0]  # the session had chosen another network
    at.query_params.update({"network": str(networks[1]), "advertiser": str(adv["_id"])})
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="f_overview_network").value == networks[1]
    assert at.selectbox(key="f_overview_advertiser").value == adv["_id"]
    assert not at.warning
    counts = rm.scoped_counts(db, networks[1], adv["_id"])
    assert {m.label: m.value for m in at.metric}["Advertisements"] == f"{counts['advertisements']:,}"

    # the advertiser is in the mirror, under the other network: the line says so
    at = app(synced)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params.update({"network": str(networks[0]), "advertiser": str(adv["_id"])})
    at.run()
    no_exceptions(at)
    said = " ".join(w.value for w in at.warning)
    assert f"advertiser={adv['_id']}" in said and "under another network" in said and "not in the mirror" not in said
    assert at.selectbox(key="f_campaigns_network").value == networks[0]


def test_sync_history_follows_the_newest_run_unless_another_was_picked(synced, db, demo_server):
    first = db.sync_runs.find_one(sort=[("started_at", -1)])["_id"]
    at = visit(app(synced).run(), "pages/6_Sync_history.py")
    no_exceptions(at)
    assert at.selectbox(key="history_run").value == first
    newer = run_sync(synced, db, "quick")["_id"]
    at.run()
    assert at.selectbox(key="history_run").value == newer  # a new run is shown as it comes
    at.selectbox(key="history_run").set_value(first).run()
    newest = run_sync(synced, db, "quick")["_id"]
    at.run()
    assert at.selectbox(key="history_run").value == first  # the user's pick stays
    assert newest in at.selectbox(key="history_run").options[0]


def test_bad_link_values_are_named_after_the_redirect_and_an_unknown_open_kind_too(mirror):
    synced = mirror.settings
    at = app(synced)
    at.query_params.update({"status": "bogus", "from": "2099-01-01", "open": "campaign:999999999",
                            "network": "abc"})
    at.run()
    no_exceptions(at)
    said = " ".join(w.value for w in at.warning)
    assert "Campaign 999999999 is not in the mirror" in said  # landed on Campaigns with the link's values
    for name in ("network=abc", "status=bogus", "from"):
        assert name in said, (name, said)

    at = app(synced)
    at.query_params["open"] = "bogus:1"
    at.run()
    no_exceptions(at)
    assert any(fmt.plain("open=bogus:1") in w.value and fmt.plain("campaign:ID") in w.value for w in at.warning)


def test_the_sort_order_is_in_the_link_and_a_link_sets_it(mirror):
    at = visit(app(mirror.settings).run(), "pages/1_Campaigns.py")
    assert "sort" not in at.query_params and "order" not in at.query_params  # the default stays out
    at.selectbox(key="f_campaigns_sort").set_value("End date").run()
    at.toggle(key="f_campaigns_desc").set_value(True).run()
    assert at.query_params["sort"] == "end date" and at.query_params["order"] == "desc"
    shown = list(at.dataframe[0].value["ID"])

    shared = app(mirror.settings)  # the copied link, in a new session
    shared.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    shared.query_params.update({"sort": "End Date", "order": "desc"})
    shared.run()
    no_exceptions(shared)
    assert shared.selectbox(key="f_campaigns_sort").value == "End date"
    assert shared.toggle(key="f_campaigns_desc").value is True
    assert list(shared.dataframe[0].value["ID"]) == shown

    bad = app(mirror.settings)
    bad.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    bad.query_params.update({"sort": "bogus", "order": "sideways"})
    bad.run()
    said = " ".join(w.value for w in bad.warning).replace("\\", "")
    assert "sort=bogus (expected one of name, views" in said and "order=sideways (expected asc or desc)" in said
    assert bad.selectbox(key="f_campaigns_sort").value == "Name"


def test_a_links_network_and_advertiser_are_offered_to_sync_on_its_first_run(mirror):
    db = mirror.db
    adv = db.advertisers.find_one(sort=[("_id", 1)])
    at = app(mirror.settings)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params.update({"network": str(adv["network_id"]), "advertiser": str(adv["_id"])})
    at.run()  # one run, no other widget touched
    no_exceptions(at)
    options = at.sidebar.radio(key="sync_scope_choice").options
    assert any(o.startswith("This network") for o in options), options
    assert any(o.startswith("This advertiser") for o in options), options


def test_a_link_period_partly_outside_the_mirror_is_clamped_and_said(mirror):
    db = mirror.db
    cover = reporting.stats_coverage(db).through(dt.date.today() - dt.timedelta(days=1))
    asked = (cover.first - dt.timedelta(days=200), cover.last)
    at = app(mirror.settings)
    at.switch_page(str(ROOT / "pages/1_Campaigns.py"))
    at.query_params.update({"from": str(asked[0]), "to": str(asked[1])})
    at.run()
    no_exceptions(at)
    assert at.date_input(key="f_campaigns_period").value == (cover.first, cover.last)  # clamped to the mirror
    said = [w for w in at.main.warning if f"{asked[0]} to {asked[1]}" in w.value]
    assert said and f"the figures are for {cover.first} to {cover.last}" in said[0].value
    assert "Views" in at.dataframe[0].value.columns  # figures for the clamped period, not hidden
    assert (at.query_params["from"], at.query_params["to"]) == (str(cover.first), str(cover.last))  # the URL agrees


def test_with_an_advertiser_chosen_placements_per_zone_takes_the_whole_row(mirror):
    adv = mirror.db.stats_daily.find_one(sort=[("views", -1)])["advertiser_id"]
    at = app(mirror.settings)
    at.query_params["advertiser"] = str(adv)
    at.run()
    no_exceptions(at)
    charts = at.get("plotly_chart")
    in_columns = [c for col in at.columns for c in col.get("plotly_chart")]
    assert "Top advertisers" not in " ".join(c.proto.spec for c in charts)  # no ranking of one advertiser
    per_zone = [c for c in charts if "Placements per zone" in c.proto.spec]
    assert per_zone and per_zone[0] not in in_columns  # not a half row beside an empty one
