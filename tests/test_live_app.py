"""The real app: `streamlit run` in demo mode (no token, no MONGODB_URI: the app starts the
simulator and the embedded database itself), driven by Chromium, and its HTTP sync API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from starlette.applications import Starlette

from bs_core.http import make_routes
from bs_core.process import free_port
from bs_core.process.demo import demo_simulator
from bs_core.process.embedded import embedded_server, uri_for
from bs_core.runtime import Runtime
from bs_core.settings import Settings
from bs_core.sync import run_sync
from tests.conftest import mirror_settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ADMIN = "test-admin-token-789"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: a sync's start or end reaches each idle tab within this: the pusher checks twice a second,
#: then the tab's own page reruns (two tabs, one with a campaign open, under the full suite's
#: load: one took over 3 s once)
PUSHED_MS = 6_000


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("app-data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    env.update(BS_DATA_DIR=str(data), BS_ADMIN_TOKEN=ADMIN)
    log = open(data / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/sync/trigger", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not start: " + (data / "streamlit.log").read_text()[-2000:])
    yield base, data
    proc.terminate()
    proc.wait(20)
    settings = Settings(data_dir=data)
    demo_simulator(settings).stop()
    embedded_server(data).stop()


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_a_new_user_sees_demo_data_resyncs_filters_and_reads_history(live_app):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a page rerun on a loaded 2-core machine can take seconds

    live_app, data = live_app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 1300})
        page.set_default_timeout(30_000)
        try:
            page.goto(live_app)
            expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
            expect(page.get_by_text("Demo mode", exact=False).first).to_be_visible()
            # initialisation runs in the background; the page switches to the mirror at its
            # first look, and says so until it ends
            expect(page.get_by_text("Running campaigns", exact=True).first).to_be_visible(timeout=120_000)
            expect(page.get_by_text("still coming", exact=False)).to_have_count(0, timeout=120_000)
            expect(page.get_by_text("Last full or quick sync: just now").first).to_be_visible()
            charts_drawn(page, 5)  # trend, top views, top CTR, timeline, per zone (+ top advertisers)
            tall_screenshot(page, "overview.png")
            for width in (1000, 1400):  # every key figure and heading whole at both widths
                page.set_viewport_size({"width": width, "height": 1300})
                charts_drawn(page, 5)
                assert cut_texts(page) == [], width
                tall_screenshot(page, f"overview-{width}.png")
            page.set_viewport_size({"width": 1280, "height": 1300})
            expect(page.get_by_text("Last full or quick sync: just now").first).to_be_visible()
            assert page.locator("[data-testid=stException]").count() == 0
            first = requests.get(live_app + "/api/sync/status", timeout=10).json()["last_success"]["run_id"]

            simulator_latency(data, 250)  # a quick sync long enough to watch it run
            page.get_by_role("button", name="ReSync").click()
            expect(page.get_by_text("Syncing (quick)", exact=True)).to_be_visible(timeout=15_000)
            # the phase's progress is said once (on the bar), so no second line can contradict it
            expect(page.get_by_text(re.compile(r"^[A-Z][a-z ]+ [\d,]+ / [\d,]+$"))).to_have_count(1)
            expect(page.get_by_role("button", name="ReSync")).to_be_disabled()  # while any sync runs
            page.screenshot(path=str(ARTIFACTS / "resync-running.png"))
            expect(page.get_by_text("Syncing (quick)")).to_have_count(0, timeout=90_000)
            simulator_latency(data, 0)
            expect(page.get_by_text(re.compile(r"Done in \d+ s")).first).to_be_visible(timeout=15_000)
            expect(page.get_by_role("button", name="ReSync")).to_be_enabled()
            expect(page.get_by_text("Last full or quick sync: just now").first).to_be_visible()
            status = requests.get(live_app + "/api/sync/status", timeout=10).json()
            assert status["last_success"]["run_id"] != first and status["last_success"]["trigger"] == "button"
            assert page.locator("[data-testid=stException]").count() == 0

            page.get_by_role("link", name="Campaigns", exact=True).click()
            expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
            search = page.get_by_label("Name contains")
            search.fill("spring")
            search.press("Enter")
            expect(page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))).to_be_visible()
            names: list[str] = []
            for _ in range(40):  # the grid redraws once the search's rerun has drawn (seconds, under load)
                page.wait_for_timeout(500)
                names = page.locator("td[role=gridcell]").all_inner_texts()  # at once: the grid may redraw
                if any("spring" in n.lower() for n in names):
                    break
            assert names and any("spring" in n.lower() for n in names)
            caption = page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+")).inner_text()
            total = int(caption.rsplit(" ", 1)[1].replace(",", ""))
            assert total == sum(1 for c in mirrored_campaign_names(data) if "spring" in c.lower())
            page.screenshot(path=str(ARTIFACTS / "campaigns.png"), full_page=True)
            assert page.locator("[data-testid=stException]").count() == 0

            for name in ("Campaigns", "Advertisers", "Advertisements", "Zones", "Networks", "Sync history"):
                page.get_by_role("link", name=name, exact=True).click()
                expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
                page.wait_for_timeout(800)
                assert page.locator("[data-testid=stException]").count() == 0, name
                for width in (1400, 1000):
                    page.set_viewport_size({"width": width, "height": 1300})
                    page.wait_for_timeout(600)
                    assert cut_texts(page) == [], (name, width)
                    page.screenshot(path=str(ARTIFACTS / f"{name.lower().replace(' ', '-')}-{width}.png"),
                                    full_page=True)
                page.set_viewport_size({"width": 1280, "height": 1300})
            expect(page.get_by_text("Run detail")).to_be_visible()

            page.get_by_role("link", name="Campaigns", exact=True).click()  # back: the filter is as it was
            expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
            expect(page.get_by_label("Name contains")).to_have_value("spring")
            expect(page).to_have_url(re.compile(r"q=spring"))
            assert page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+")).inner_text() == caption
        finally:
            browser.close()


def cut_texts(page) -> list[str]:
    """Key figures, their labels and changes, and headings whose text does not fit its box
    (the browser cuts it: "4,7…", "Running cam…")."""
    return page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid=stMetricValue], [data-testid=stMetricValue] *, [data-testid=stMetricLabel] *, ' +
        '[data-testid=stMetricDelta] *, h1, h2, h3')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")


def simulator_latency(data: Path, ms: float) -> None:
    """Slow down (or speed up) the app's demo simulator through its admin API."""
    port = demo_simulator(Settings(data_dir=data)).ensure_running()
    requests.post(f"http://127.0.0.1:{port}/_sim/latency", json={"latency_ms": ms}, timeout=10).raise_for_status()


def charts_drawn(page, at_least: int) -> None:
    """Wait until ``at_least`` plotly charts have drawn (screenshots of grey boxes
    otherwise): each is scrolled into view, as charts below the fold may wait for that."""
    from playwright.sync_api import Error, expect

    charts = page.locator("[data-testid=stPlotlyChart]")
    for attempt in range(3):  # a rerun pushed meanwhile (a sync ended) replaces the charts: again
        try:
            expect(charts.nth(at_least - 1)).to_be_attached(timeout=30_000)
            for i in range(charts.count()):
                charts.nth(i).scroll_into_view_if_needed()
                expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
            break
        except Error:
            if attempt == 2:
                raise
            page.wait_for_timeout(1000)
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)


def tall_screenshot(page, name: str) -> None:
    """The page from its title down, in a viewport tall enough for the README."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2400})
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)


def click_row(page, table, row: int, x: int = 14) -> None:
    """Click ``row`` (0 = first) of a Streamlit dataframe (a canvas) ``x`` px from its left
    edge: 14 is the row's checkbox, 120 its first cell (the name)."""
    box = table.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + 35 * (row + 1) + 17)


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_an_analyst_opens_a_campaign_by_clicking_its_row_and_shares_the_link(live_app):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    live_app, data = live_app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.set_default_timeout(30_000)
        try:
            page.goto(live_app + "/Campaigns?status=running")
            expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
            expect(page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))).to_be_visible(timeout=120_000)
            table = page.locator("[data-testid=stDataFrame]").first
            expect(table).to_be_visible()
            page.wait_for_timeout(1000)
            click_row(page, table, 0, x=120)  # the name cell, not only the small checkbox, opens the row
            expect(page.get_by_role("button", name="Close")).to_be_visible()
            expect(page).to_have_url(re.compile(r"open=campaign%3A\d+"))
            expect(page.get_by_text("Views, all mirrored days")).to_be_visible()
            heading = page.locator("h3").first.inner_text()
            charts_drawn(page, 1)
            tall_screenshot(page, "campaign-detail.png")
            assert page.locator("[data-testid=stException]").count() == 0

            shared = page.url  # a copied link opens the same view in a new session
            other = browser.new_page(viewport={"width": 1400, "height": 1300})
            other.goto(shared)
            expect(other.get_by_role("button", name="Close")).to_be_visible(timeout=60_000)
            assert other.locator("h3").first.inner_text() == heading
            expect(other.get_by_text("running").first).to_be_visible()
            other.get_by_role("button", name="Close").click()
            expect(other.get_by_role("button", name="Close")).to_have_count(0)
            assert "open=" not in other.url

            other.get_by_role("link", name="Delivery health", exact=True).click()
            expect(other.get_by_text(re.compile(r"Unsold zones: no running campaign \(unsold inventory\) \(\d+\)")))\
                .to_be_visible()
            other.wait_for_timeout(1000)
            tall_screenshot(other, "delivery-health.png")
            assert other.locator("[data-testid=stException]").count() == 0
        finally:
            browser.close()


@contextlib.contextmanager
def mirrored_browser(live_app: str):
    """Chromium on the app once its mirror is ready (a first visit starts the first sync)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"])
        try:
            first = browser.new_page()
            first.goto(live_app + "/Campaigns")
            expect(first.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))).to_be_visible(timeout=120_000)
            first.close()
            yield browser
        finally:
            browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_a_campaigns_pacing_chart_draws_at_both_widths(live_app):
    """The pacing card and the delivered-against-expected chart of the goal campaign that
    delivered most, at 1,400 and 1,000 px, after the charts drew."""
    from playwright.sync_api import expect

    live_app, data = live_app
    ARTIFACTS.mkdir(exist_ok=True)
    with mirrored_browser(live_app) as browser:
        campaign = goal_campaign_that_delivered(data)
        for width in (1400, 1000):
            page = browser.new_page(viewport={"width": width, "height": 1300})
            page.goto(f"{live_app}/Campaigns?open=campaign:{campaign}")
            expect(page.get_by_text(re.compile(r"flight days \d{4}-\d{2}-\d{2} to"))).to_be_visible(
                timeout=120_000)
            expect(page.get_by_text("Delivered of goal")).to_be_visible(timeout=30_000)
            charts_drawn(page, 2)
            assert cut_texts(page) == [], width
            tall_screenshot(page, f"campaign-pacing-{width}.png")
            assert page.locator("[data-testid=stException]").count() == 0
            page.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_a_seller_asks_the_inventory_page_whether_views_fit(live_app):
    """Inventory from a shared link: the answer, the totals naming their period and the
    chart, whole at 1,400 and 1,000 px after the chart drew."""
    from playwright.sync_api import expect

    live_app, data = live_app
    ARTIFACTS.mkdir(exist_ok=True)
    with mirrored_browser(live_app) as browser:
        for width in (1400, 1000):
            page = browser.new_page(viewport={"width": width, "height": 1300})
            page.goto(f"{live_app}/Inventory?views=100000")
            expect(page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()
            expect(page.get_by_text(re.compile(r"^Can I sell 100,000 views here, \w{3} \d+, \d{4} to"))).to_be_visible(
                timeout=60_000)
            expect(page.get_by_text(re.compile(r"^Totals, \w{3} \d+, \d{4} to"))).to_be_visible()
            charts_drawn(page, 1)
            assert cut_texts(page) == [], width
            tall_screenshot(page, f"inventory-{width}.png")
            assert page.locator("[data-testid=stException]").count() == 0
            page.close()


def page_cache(live_app: str) -> dict:
    return requests.get(live_app + "/api/sync/status", timeout=10).json()["page_cache"]


def warmed(live_app: str, timeout: float = 180) -> dict:
    """Wait until no run works and the server has warmed the pages for the mirror as it is
    now (its version, and no read computed for two seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(live_app + "/api/sync/status", timeout=10).json()
        cache, newest = status["page_cache"], (status["recent"] or [{}])[0].get("run_id")
        if status["running"] is None and (cache["last_warm"] or {}).get("version") == newest:
            time.sleep(2)
            if page_cache(live_app)["reads_computed"] == cache["reads_computed"]:
                return cache
        time.sleep(1)
    pytest.fail(f"the pages were not warmed within {timeout} s: {page_cache(live_app)}")


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_a_first_visit_after_a_sync_reads_figures_the_server_computed_ahead(live_app):
    """After a sync the server runs every page's default view in a session no browser
    watches; an analyst's first visit of each page then computes no read of its own."""
    from playwright.sync_api import expect

    live_app, data = live_app
    with mirrored_browser(live_app) as browser:
        cache = warmed(live_app)
        assert {"Overview", "Campaigns", "Delivery_health", "Inventory"} <= set(cache["last_warm"]["pages"])
        for path, heading, drawn in (("/", "Overview", r"^Running campaigns$"),
                                     ("/Delivery_health", "Delivery health", r"^Ending soon:"),
                                     ("/Inventory", "Inventory", r"^Totals, "), ("/Zones", "Zones", r"^Zones 1–")):
            before = page_cache(live_app)["reads_computed"]
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            page.goto(live_app + path)
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
            expect(page.get_by_text(re.compile(drawn)).first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)  # the page's run has ended: its reads are done
            assert page.locator("[data-testid=stException]").count() == 0
            assert page_cache(live_app)["reads_computed"] == before, heading
            page.close()
    assert "Traceback" not in (data / "streamlit.log").read_text()


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_idle_tabs_see_a_sync_started_elsewhere_and_stay_where_they_are(live_app):
    """No poll in the tab: the server's one pusher reruns it when a run starts or ends, on
    the page it shows: a campaign opened on a filtered Campaigns list and a Zones tab stay
    put, their links, filters and detail unchanged, through a CLI sync's start and end."""
    from playwright.sync_api import expect, sync_playwright

    live_app, data = live_app
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"])
        try:
            detail = browser.new_page(viewport={"width": 1400, "height": 1000})
            detail.goto(live_app + "/Campaigns?status=running")
            expect(detail.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))).to_be_visible(timeout=120_000)
            detail.wait_for_timeout(1000)
            click_row(detail, detail.locator("[data-testid=stDataFrame]").first, 0, x=120)
            expect(detail.get_by_role("button", name="Close")).to_be_visible(timeout=20_000)
            expect(detail).to_have_url(re.compile(r"open=campaign%3A\d+"))
            heading = detail.locator("h3").first.inner_text()
            opened = detail.url
            zones = browser.new_page(viewport={"width": 1000, "height": 1000})
            zones.goto(live_app + "/Zones?q=a")
            search = zones.get_by_label("Name contains")
            expect(search).to_have_value("a", timeout=60_000)
            wait_idle_app(live_app)
            simulator_latency(data, 120)  # the run lasts long enough to be seen in both tabs
            env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
            sync = subprocess.Popen([sys.executable, "-m", "bs_core", "sync", "--scope", "quick", "--demo"],
                                    cwd=ROOT, env=env | {"BS_DATA_DIR": str(data)}, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                while requests.get(live_app + "/api/sync/status", timeout=10).json()["running"] is None:
                    assert sync.poll() is None, "the sync ended before it was seen running"
                    time.sleep(0.1)
                for page in (detail, zones):
                    expect(page.get_by_text(re.compile(r"Syncing \(quick\)"))).to_be_visible(timeout=PUSHED_MS)
            finally:
                simulator_latency(data, 0)
                sync.wait(120)
            for page in (detail, zones):
                expect(page.get_by_text(re.compile(r"Syncing \(quick\)"))).to_have_count(0, timeout=PUSHED_MS)
            detail.wait_for_timeout(1500)  # a page sent elsewhere would have left by now
            assert detail.url == opened
            expect(detail.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Close")).to_be_visible()
            assert detail.locator("h3").first.inner_text() == heading
            assert "/Zones" in zones.url
            expect(zones.get_by_label("Name contains")).to_have_value("a")
            for page in (detail, zones):
                assert page.locator("[data-testid=stException]").count() == 0
        finally:
            browser.close()


def wait_idle_app(base: str) -> None:
    deadline = time.monotonic() + 120
    while requests.get(base + "/api/sync/status", timeout=10).json()["running"] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.3)


def goal_campaign_that_delivered(data: Path) -> int:
    from pymongo import MongoClient

    deadline = time.monotonic() + 120
    while not (data / "mongo.json").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    port = json.loads((data / "mongo.json").read_text())["port"]
    client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
    try:
        db = client.broadstreet_mirror
        while db.sync_runs.find_one({"status": "success"}) is None and time.monotonic() < deadline:
            time.sleep(0.5)  # the app's first sync builds the mirror
        first = db.stats_daily.find_one(sort=[("date", 1)])["date"]  # a whole flight in the mirror, with an end
        goals = [c["_id"] for c in db.campaigns.find({"max_impression_count": {"$gt": 0}, "status": "running",
                                                      "starts_on": {"$gte": first}, "ends_on": {"$ne": None}},
                                                     {"_id": 1})]
        views = {d["_id"]: d["v"] for d in db.stats_daily.aggregate([
            {"$match": {"campaign_id": {"$in": goals}}}, {"$group": {"_id": "$campaign_id", "v": {"$sum": "$views"}}}])}
        return max(views, key=views.get)
    finally:
        client.close()


def mirrored_campaign_names(data: Path) -> list[str]:
    """Campaign names straight from the app's mirror, through its embedded database."""
    from pymongo import MongoClient

    port = json.loads((data / "mongo.json").read_text())["port"]
    client = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true")
    try:
        return [d["name_clean"] for d in client.broadstreet_mirror.campaigns.find({}, {"name_clean": 1})]
    finally:
        client.close()


def test_the_served_http_api_answers_status_and_triggers(live_app):
    live_app, data = live_app
    missing = requests.get(live_app + "/api/no/such/thing", timeout=10)
    assert missing.status_code == 404 and "no such endpoint" in missing.json()["error"]
    status = requests.get(live_app + "/api/sync/status", timeout=10)
    assert status.status_code == 200
    body = status.json()
    assert {"running", "last_success", "counts", "recent"} <= set(body) and len(body["recent"]) <= 10
    assert ADMIN not in status.text and "demo-token" not in status.text
    listing = requests.get(live_app + "/api/sync/trigger", timeout=10).json()
    assert "quick" in listing["scopes"] and "status" in listing
    assert requests.post(live_app + "/api/sync/trigger", json={"scope": "quick"}, timeout=10).status_code == 401
    accepted = requests.post(live_app + "/api/sync/trigger", json={"scope": "quick"},
                             headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    assert accepted.status_code in (202, 409), accepted.text
    log = (data / "streamlit.log").read_text()
    assert "missing ScriptRunContext" not in log and "Traceback" not in log


# -- the same routes in-process, for every status code -------------------------------------
def call(runtime: Runtime, method: str, path: str, *, token: str | None = None,
         body: object = None, raw: bytes | None = None) -> tuple[int, dict]:
    """One request to the API routes in-process: ``body`` as JSON, or ``raw`` bytes."""
    headers = [(b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    payload = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
    headers.append((b"content-length", str(len(payload)).encode()))
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "headers": headers,
             "query_string": b"", "http_version": "1.1", "scheme": "http", "server": ("test", 80),
             "client": ("127.0.0.1", 1234), "root_path": ""}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(Starlette(routes=make_routes(lambda: runtime))(scope, receive, send))
    status = sent[0]["status"]
    raw = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(raw) if raw else {}


def test_trigger_codes_202_409_400_401_403(db, demo_server):
    settings = mirror_settings(demo_server, db)
    assert run_sync(settings, db, "full")["status"] == "success"
    runtime = Runtime(settings.replace(admin_token=ADMIN))
    try:
        assert call(runtime, "POST", "/api/sync/trigger", body={"scope": "quick"})[0] == 401
        assert call(runtime, "POST", "/api/sync/trigger", token="wrong", body={"scope": "quick"})[0] == 401
        code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": "campaign:x"})
        assert code == 400 and "positive integer" in body["error"]
        assert call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body=["quick"])[0] == 400

        demo_server.sim.faults.set_latency(60)  # the run outlasts the next request
        code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": "full"})
        assert code == 202 and body["run_id"]
        code, busy = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": "quick"})
        assert code == 409 and busy["running_run_id"] == body["run_id"]
        code, status = call(runtime, "GET", "/api/sync/status")
        assert code == 200 and status["running"]["run_id"] == body["run_id"]
        assert status["running"]["progress"] is not None
        runtime.wait(body["run_id"], 120)
        code, status = call(runtime, "GET", "/api/sync/status")
        assert status["running"] is None and status["last_success"]["run_id"] == body["run_id"]
        assert status["last_success"]["trigger"] == "api" and status["counts"]["campaigns"] == 122
        assert demo_server.sim.token not in json.dumps(status)

        runtime = Runtime(settings)  # no BS_ADMIN_TOKEN
        code, body = call(runtime, "POST", "/api/sync/trigger", token=ADMIN, body={"scope": "quick"})
        assert code == 403 and "BS_ADMIN_TOKEN" in body["error"]
    finally:
        demo_server.sim.faults.set_latency(0)


def test_health_is_200_with_a_database_and_503_with_json_without_one(db, demo_server):
    runtime = Runtime(mirror_settings(demo_server, db))
    try:
        # as in a running app, which connected (and made its indexes) at start: a check then
        # answers within HEALTH_SECONDS (a first connection under load can take longer)
        assert runtime.db() is not None
        code, body = call(runtime, "GET", "/api/health")
        assert (code, body) == (200, {"status": "ok", "app": "ok", "database": "ok"})
    finally:
        runtime.close()
    port = free_port()  # nothing listens there: the database is down
    dead = Runtime(Settings(mongodb_uri=f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=500"))
    try:
        code, body = call(dead, "GET", "/api/health")
        assert code == 503 and body["status"] == "unavailable" and body["app"] == "ok"
        assert body["database"] != "ok" and "Traceback" not in json.dumps(body)
    finally:
        dead.close()


def stopped_by(pid: int, within: float = 5.0) -> None:
    """Wait until the kernel shows ``pid`` stopped (state T): a signal is delivered, not
    acted on, when os.kill returns, and a loaded machine can answer one more request."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {within} s")


def test_health_answers_503_at_once_when_the_database_is_frozen(tmp_path):
    """A frozen database (SIGSTOP: a stalled disk, a paused VM) accepts connections and never
    answers; the check must not wait for pymongo's own timeouts (12 s were seen)."""
    import signal

    from bs_core.http import HEALTH_SECONDS

    server = embedded_server(tmp_path, storage=":memory:")
    port = server.ensure_running()
    pid = int(server.read_state()["pid"])
    runtime = Runtime(Settings(mongodb_uri=uri_for(port), data_dir=tmp_path))
    try:
        assert runtime.db() is not None  # connected, as a running app is
        assert call(runtime, "GET", "/api/health")[0] == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            stopped_by(pid)
            code, body = call(runtime, "GET", "/api/health")
        finally:
            os.kill(pid, signal.SIGCONT)
        assert code == 503 and body["app"] == "ok"
        assert body["database"] in (f"not answering within {HEALTH_SECONDS:g} s", "not answering (NetworkTimeout)",
                                    "not answering (ExecutionTimeout)")
    finally:
        runtime.close()
        server.stop()
