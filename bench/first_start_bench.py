"""A first start at a real API's latency (issue 32): how soon the Overview shows the
mirror's figures, and when the first sync ends.

    python bench/first_start_bench.py [--size large] [--latency-ms 250] [--concurrency 8]

The simulator runs in its own process with every request ``--latency-ms`` slow and
BroadStreet's real report throttle (2 /records requests per 5 s); ``streamlit run`` serves
the app over an empty database, as a new user's first start.  Chromium opens the Overview
at once (which starts the first sync) and waits until it shows the KPIs read from the
mirror (*Running campaigns*), then for the first sync's end.  Prints one
JSON line: the seconds from the server's start to the Overview's figures and to the end of
the sync, with the first look's point as the run records it, and the run's requests.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import requests
from _common import throwaway_database
from first_view_bench import app_env, chromium, served
from sync_bench import simulator_process


def sync_status(base: str) -> dict | None:
    try:
        return requests.get(base + "/api/sync/status", timeout=30).json()
    except (requests.RequestException, ValueError):
        return None


def bench(size: str, latency_ms: float, concurrency: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with simulator_process(size, latency_ms, records_limit=2, records_window=5.0) as root, \
            throwaway_database(f"first_start_{size}") as db, tempfile.TemporaryDirectory() as tmp, \
            sync_playwright() as pw:
        env = app_env(root, db, tmp, BS_SYNC_CONCURRENCY=str(concurrency))
        browser = chromium(pw)
        started = time.perf_counter()
        with served(env, Path(tmp) / "streamlit.log") as base:
            while sync_status(base) is None:
                time.sleep(0.2)
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            page.goto(base + "/")
            expect(page.get_by_text(re.compile(r"^Running campaigns$")).first).to_be_visible(timeout=1_800_000)
            overview_s = time.perf_counter() - started
            banner = page.get_by_text("still coming", exact=False).count() > 0
            while (run := db.sync_runs.find_one({"trigger": "init", "status": {"$ne": "running"}})) is None:
                time.sleep(0.5)
            ended_s = time.perf_counter() - started
            look = run.get("first_look") or {}
            print(json.dumps({
                "size": size, "latency_ms": latency_ms, "concurrency": concurrency, "status": run["status"],
                "overview_figures_s": round(overview_s, 1), "said_what_is_still_coming": banner,
                "first_look_after_run_start_s": round((look["at"] - run["started_at"]).total_seconds(), 1)
                if look else None,
                "sync_ended_s": round(ended_s, 1), "sync_duration_s": run["duration_s"],
                "requests": run["requests_total"]}), flush=True)
            page.close()
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large", choices=["tiny", "demo", "large"])
    ap.add_argument("--latency-ms", type=float, default=250)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    bench(args.size, args.latency_ms, args.concurrency)


if __name__ == "__main__":
    main()
