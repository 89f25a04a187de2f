"""First views after a sync, in a real browser (issue 32): each page's default view opened
in Chromium right after the server saw a new mirror, with the pages warmed ahead
(``BS_WARM_PAGES=on``, the default) and without.

    python bench/first_view_bench.py [--sizes demo large]

The mirror is filled by a real full sync (the CLI in a subprocess) from a simulator in its
own process; then ``streamlit run`` serves it. For each setting the server starts afresh
(its caches empty), waits until it has warmed the pages (on) or answers (off), and each
page is opened once in a new tab of one browser (whose cache holds Streamlit's scripts, as
an analyst's does): the seconds from navigation until its content and every chart have drawn, and the cached reads the visit computed (``/api/sync/status``
``page_cache``). Prints one JSON line per size and setting.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from _common import throwaway_database, uri_of
from pages_bench import sync_into
from sync_bench import simulator_process

from bs_core.process import free_port
from bs_core.simulator import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: (path, what shows once the page drew its figures: a text, or a CSS selector in [])
PAGES = (("/", r"^Running campaigns$"), ("/Campaigns", r"^Campaigns 1–"), ("/Advertisers", r"^Advertisers 1–"),
         ("/Advertisements", r"^Advertisements 1–"), ("/Zones", r"^Zones 1–"),
         ("/Networks", "[data-testid=stDataFrame]"), ("/Delivery_health", r"^Ending soon:"),
         ("/Inventory", r"^Totals, "), ("/Rates", "[data-testid=stDataFrame]"),
         ("/Invoices", r"^(Invoice for|No campaign is priced yet)"), ("/Sync_history", r"^Run detail"))


def page_cache(base: str) -> dict:
    return requests.get(base + "/api/sync/status", timeout=30).json()["page_cache"]


def app_env(root: str, db, data_dir: str, **settings: str) -> dict:
    """The app's environment: this shell's, without its settings, aimed at the simulator at
    ``root`` and the database ``db``, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    return env | {"BROADSTREET_API_TOKEN": DEFAULT_TOKEN, "BROADSTREET_API_BASE_URL": root + "/api/1",
                  "MONGODB_URI": uri_of(db), "MONGODB_DATABASE": db.name, "BS_DATA_DIR": data_dir, **settings}


@contextlib.contextmanager
def served(env: dict, log: Path, script: str = "streamlit_app.py") -> Iterator[str]:
    """``streamlit run`` of ``script`` (the app unless told) on a free port, stopped on
    leaving; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless",
         "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


def chromium(pw):
    """Debian's Chromium, headless, as every browser bench drives it."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                              "--disable-dev-shm-usage"])


def ready(base: str, warm: bool, timeout: float = 300, health_only: bool = False) -> None:
    """Wait until the app answers (Streamlit's health check alone for a bare script), and
    with ``warm`` until it has warmed its pages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if health_only:
                requests.get(base + "/_stcore/health", timeout=5).raise_for_status()
                return
            cache = page_cache(base)
            if not warm or cache["last_warm"]:
                return
        except (requests.RequestException, KeyError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit("the app did not start (or warm) in time")


def visit(browser, base: str) -> dict[str, tuple[float, int]]:
    """Each page once, each in a new tab (a new session) of one browser whose cache already
    holds Streamlit's scripts (as an analyst's browser does): seconds and reads computed."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    first = context.new_page()
    first.goto(base + "/Sync_history")  # loads the scripts; its reads are never cached ones
    expect(first.get_by_text(re.compile(r"^Run detail")).first).to_be_visible(timeout=120_000)
    first.close()
    out = {}
    for path, drawn in PAGES:
        before = page_cache(base)["reads_computed"]
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base + path)
        shown = page.locator(drawn) if drawn.startswith("[") else page.get_by_text(re.compile(drawn))
        expect(shown.first).to_be_visible(timeout=120_000)
        charts = page.locator("[data-testid=stPlotlyChart]")
        for i in range(charts.count()):
            expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=120_000)
        seconds = time.perf_counter() - started
        page.wait_for_timeout(1000)  # the run has ended: every read it asked for is counted
        out[path] = (round(seconds, 2), page_cache(base)["reads_computed"] - before)
        page.close()
    context.close()
    return out


def bench(size: str) -> None:
    from playwright.sync_api import sync_playwright

    with simulator_process(size, 0) as root, throwaway_database(f"first_view_{size}") as db, \
            tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        sync_into(db, root + "/api/1")
        browser = chromium(pw)
        for warm in (True, False):
            env = app_env(root, db, tmp, BS_WARM_PAGES="on" if warm else "off")
            with served(env, Path(tmp) / f"streamlit-{warm}.log") as base:
                ready(base, warm)
                warmed = page_cache(base)["last_warm"]
                shown = visit(browser, base)
                print(json.dumps({"size": size, "warm_pages": warm,
                                  "warm_seconds": warmed["seconds"] if warmed else None,
                                  "first_view_s": {p: s for p, (s, _) in shown.items()},
                                  "reads_computed_by_visit": {p: n for p, (_, n) in shown.items()},
                                  "slowest_s": max(s for s, _ in shown.values())}), flush=True)
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    for size in ap.parse_args().sizes:
        bench(size)


if __name__ == "__main__":
    main()
