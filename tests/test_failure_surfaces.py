"""What a user sees when things go wrong: the database dying under a running app,
hostile and very long names, sync controls while a sync runs, a run's end, a failed
phase, and the HTTP API's answers to bad requests."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from bs_core import runtime as runtime_module
from bs_core.process.database import open_database
from bs_core.process.embedded import embedded_server
from bs_core.runtime import Runtime
from bs_core.sync import run_sync
from bs_core.ui import format as fmt
from tests.conftest import mirror_settings, settings_for
from tests.test_app import app, clean_streamlit_state, no_exceptions, sidebar_text, visit, wait_idle  # noqa: F401
from tests.test_live_app import ADMIN, call

HOSTILE = "Coastal **bold** [link](https://evil.example) :red[x] <b>tag</b>"


def all_sidebar_text(at) -> str:
    return sidebar_text(at) + "\n".join(str(s.value) for s in at.sidebar.success)


@pytest.fixture
def embedded(tmp_path, demo_server):
    """The app in embedded mode (no MONGODB_URI): its own SecantusDB in BS_DATA_DIR."""
    settings = settings_for(demo_server, data_dir=tmp_path, records_limit=50, records_window=1.0, stats_days=5)
    db = open_database(settings)
    assert run_sync(settings, db, "full")["status"] == "success"
    yield settings
    embedded_server(tmp_path).stop()


def test_the_database_dying_under_a_running_app_shows_one_line_and_recovers(embedded, monkeypatch):
    monkeypatch.setattr(runtime_module, "DB_RETRY_SECONDS", 600.0)  # stay down while we look around
    at = app(embedded).run()
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    state = embedded_server(embedded.data_dir).read_state()
    os.kill(state["pid"], signal.SIGKILL)
    for page in ("streamlit_app.py", "pages/1_Campaigns.py", "pages/6_Sync_history.py", "pages/4_Zones.py"):
        visit(at, page)
        no_exceptions(at)
        assert any("unreachable" in e.value for e in at.error), page
        assert at.sidebar.button(key="resync")  # the sidebar and its controls are still there
    assert len(at.dataframe[0].value) > 0  # Zones read BroadStreet live meanwhile
    monkeypatch.setattr(runtime_module, "DB_RETRY_SECONDS", 1.0)
    time.sleep(1.5)  # the app tries again by itself and finds (restarts) the embedded server
    visit(at, "streamlit_app.py")
    no_exceptions(at)
    assert not at.error and {m.label: m.value for m in at.metric} == metrics
    assert embedded_server(embedded.data_dir).read_state()["pid"] != state["pid"]


def test_the_status_endpoint_answers_503_json_when_the_database_is_gone(embedded):
    runtime = Runtime(embedded)
    assert call(runtime, "GET", "/api/sync/status")[0] == 200
    os.kill(embedded_server(embedded.data_dir).read_state()["pid"], signal.SIGKILL)
    code, body = call(runtime, "GET", "/api/sync/status")
    assert code == 503 and body["database"] == "unreachable"


def test_hostile_and_long_names_are_text_everywhere(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=5)
    adv = next(a for a in sorted(sim.dataset.advertisers) if sim.dataset.campaigns_by_advertiser[a])
    sim.mutate("update", "advertisers", adv, {"name": HOSTILE})
    running = next(c for c in sorted(sim.dataset.campaigns) if sim.dataset.campaigns[c]["active"]
                   and not sim.dataset.campaigns[c].get("end_date"))
    sim.mutate("update", "campaigns", running, {"name": "Very long " + "x" * 5000})
    assert run_sync(settings, db, "full")["status"] == "success"
    at = app(settings).run()
    no_exceptions(at)
    for chart in at.get("plotly_chart"):  # chart labels are shortened and carry no live HTML
        spec = json.dumps(json.loads(chart.proto.spec))
        assert "x" * 100 not in spec and "<b>tag" not in spec
    at.session_state["f_campaigns_advertiser"] = adv
    at.session_state["f_campaigns_network"] = sim.dataset.advertisers[adv]["_network_id"]
    visit(at, "pages/1_Campaigns.py")
    no_exceptions(at)
    options = at.sidebar.radio(key="sync_scope_choice").options
    label = next(o for o in options if "advertiser" in o)
    assert "**" not in label.replace("\\*", "") and "](" not in label.replace("\\]\\(", "")
    assert len(label) < 120  # shortened; the full name is in the tooltip

    # the detail panels: headings and links show the names as typed, shortened
    camp = next(c for c in sorted(sim.dataset.campaigns_by_advertiser[adv]))
    at.query_params["open"] = f"campaign:{camp}"
    visit(at, "pages/1_Campaigns.py")
    no_exceptions(at)
    link = next(el for el in at.main.get("page_link") if "advertiser" in el.proto.query_string)
    assert link.proto.label == fmt.plain(fmt.short(HOSTILE, 60))
    at.query_params.clear()
    at.query_params["open"] = f"advertiser:{adv}"
    visit(at, "pages/2_Advertisers.py")
    no_exceptions(at)
    assert at.subheader[0].value == fmt.plain(HOSTILE)
    at.query_params.clear()
    at.query_params["open"] = f"campaign:{running}"
    visit(at, "pages/1_Campaigns.py")
    assert at.subheader[0].value == fmt.plain(fmt.short("Very long " + "x" * 5000, 120))


def test_a_run_whose_whole_phase_failed_is_failed_and_named(db, demo_server):
    settings = mirror_settings(demo_server, db, max_attempts=1, stats_days=3)
    assert run_sync(settings, db, "full")["status"] == "success"
    demo_server.sim.faults.add(path="/campaigns", status=503, html=True)
    run = run_sync(settings, db, "full")
    assert run["status"] == "failed"
    assert all(e["cause"] == "HTTP 503" for e in run["errors"])
    at = app(settings).run()
    text = all_sidebar_text(at)
    assert fmt.plain("The last sync failed: BroadStreet had a server error (HTTP 503) for campaigns of "
                     "advertiser ") in text
    assert fmt.plain("The previous data is kept.") in text


def test_the_end_of_a_run_is_announced_with_its_changes(db, demo_server):
    sim = demo_server.sim
    settings = mirror_settings(demo_server, db, stats_days=3)
    assert run_sync(settings, db, "full")["status"] == "success"
    sim.mutate("update", "campaigns", sorted(sim.dataset.campaigns)[0], {"name": "changed for the summary"})
    at = app(settings).run()
    at.sidebar.button(key="resync").click().run()
    wait_idle(db)
    at.run()
    no_exceptions(at)
    assert "Done in" in all_sidebar_text(at) and "1 campaign updated" in all_sidebar_text(at)
    assert any("Done in" in t.value for t in at.toast)


def test_the_http_api_answers_json_for_unknown_paths_and_missing_targets(db, demo_server):
    settings = mirror_settings(demo_server, db, stats_days=3)
    demo_server.sim.faults.add(path="/placements", status=500, fraction=0.3)
    run_sync(settings.replace(max_attempts=1), db, "full")
    demo_server.sim.faults.clear()
    runtime = Runtime(settings.replace(admin_token=ADMIN))
    code, body = call(runtime, "GET", "/api/no/such/thing")
    assert code == 404 and "no such endpoint" in body["error"]
    code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": "campaign:99999999"})
    assert code == 404 and "not in the mirror" in body["error"]
    for absurd in ("campaign:99999999999999999999999", "campaign:\u00b2", ""):
        code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": absurd})
        assert code == 400 and "scope" in body["error"], absurd
    code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, raw=b"[" * 5_000 + b"]" * 5_000)
    assert code == 400 and "body must be JSON" in body["error"]  # nested past what the parser takes
    for huge in (b"[" * 100_000 + b"]" * 100_000, b" " * 20_000_000):
        code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, raw=huge)
        assert code == 413 and "too large" in body["error"]
    code, status = call(runtime, "GET", "/api/sync/status")
    run = status["recent"][0]
    assert run["error_count"] > 3 and len(run["errors"]) == 3
    assert run["started_at"].endswith("+00:00") and run["finished_at"].endswith("+00:00")
    assert len(json.dumps(status)) < 20_000


def test_a_part_that_rereads_on_a_timer_says_the_database_is_gone_in_one_line():
    """A timed fragment reruns alone, outside the page's guard (Sync history's run list
    showed a red StoreUnavailableError block for ~10 s when the database died)."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    def script():
        from bs_core.errors import StoreUnavailableError
        from bs_core.ui.layout import live_fragment

        class Runtime:
            def database_failed(self):
                pass

            def db_error(self):
                return "MongoDB stopped answering"

        class View:
            runtime = Runtime()

        @live_fragment(run_every=60)
        def part(mirror):
            raise StoreUnavailableError("MongoDB stopped answering")

        part(View())

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert len(at.error) == 1 and "unreachable" in at.error[0].value
    root = Path(__file__).resolve().parent.parent
    for page in [root / "streamlit_app.py", *sorted((root / "pages").glob("*.py"))]:
        assert "st.fragment(run_every" not in page.read_text(), page.name  # pages use live_fragment
