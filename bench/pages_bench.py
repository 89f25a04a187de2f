"""Page benchmark: cold and warm AppTest renders per page on `demo` and `large` mirrors,
and the app's peak RSS after visiting every page on `large`.

    python bench/pages_bench.py [--sizes demo large]

Each mirror is filled by a real full sync (the CLI in a subprocess, so this process's
memory is the app's alone) from a simulator running in its own process.  Then, while a
second full sync of the same mirror runs in another process, every page is rendered
warm again: pages must stay usable while a sync works.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import streamlit as st
from _common import throwaway_database, timed, uri_of
from streamlit.testing.v1 import AppTest
from sync_bench import simulator_process

from bs_core.settings import Settings, as_environment
from bs_core.simulator import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["streamlit_app.py", "pages/1_Campaigns.py", "pages/2_Advertisers.py", "pages/3_Advertisements.py",
         "pages/4_Zones.py", "pages/5_Networks.py", "pages/6_Sync_history.py", "pages/7_Delivery_health.py",
         "campaign detail", "campaigns by views", "campaigns by pacing"]
#: pages drawn with query parameters (a detail opened, a sort by figures): name -> (file, params)
VIEWS = {"campaign detail": ("pages/1_Campaigns.py", {"open": None}),
         "campaigns by views": ("pages/1_Campaigns.py", {}),
         "campaigns by pacing": ("pages/1_Campaigns.py", {})}
SORTED = {"campaigns by views": "Views", "campaigns by pacing": "Pacing"}


def _sync_command(db, api_url: str) -> tuple[list[str], dict]:
    env = dict(os.environ, BROADSTREET_API_TOKEN=DEFAULT_TOKEN, BROADSTREET_API_BASE_URL=api_url,
               MONGODB_URI=uri_of(db), MONGODB_DATABASE=db.name,
               BS_SYNC_CONCURRENCY="8", BS_RECORDS_LIMIT="10000", BS_RECORDS_WINDOW_SECONDS="1")
    return [sys.executable, "-m", "bs_core", "sync", "--scope", "full", "--json"], env


def sync_into(db, api_url: str) -> None:
    command, env = _sync_command(db, api_url)
    out = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"sync failed: {out.stdout}{out.stderr}")


def warm_during_sync(db, api_url: str, secrets: dict) -> dict[str, float]:
    """Warm renders of every page while another full sync of this mirror runs."""
    command, env = _sync_command(db, api_url)
    sync = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while db.sync_runs.find_one({"status": "running"}) is None and sync.poll() is None:
            time.sleep(0.1)
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.secrets.update(secrets)
        for page in PAGES:  # the caches were warmed before the sync started
            render(at, page)
        return {page: max(render(at, page) for _ in range(3)) for page in PAGES}
    finally:
        sync.wait(600)


def render(at: AppTest, page: str) -> float:
    file, params = VIEWS.get(page, (page, {}))
    wanted = {k: v for k, v in params.items() if v is not None}
    if dict(at.query_params) != wanted:  # touching them outside a run makes Streamlit warn
        at.query_params.clear()
        at.query_params.update(wanted)
    sort = SORTED.get(page, "Name")
    current = at.session_state["f_campaigns_sort"] if "f_campaigns_sort" in at.session_state else "Name"
    if current != sort:
        at.session_state["f_campaigns_sort"] = sort
        at.session_state["f_campaigns_desc"] = sort == "Views"
    with timed() as t:
        at.switch_page(str(ROOT / file)).run()
    if at.exception:
        raise SystemExit(f"{page} raised: {at.exception[0].value}")
    return t[0]


def bench(size: str) -> dict[str, float]:
    print(f"\n=== {size} mirror ===")
    with simulator_process(size, 0) as root, throwaway_database(f"pages_{size}") as db:
        started = time.perf_counter()
        sync_into(db, root + "/api/1")
        print(f"(full sync into the mirror: {time.perf_counter() - started:.0f} s)")
        settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                           mongodb_uri=uri_of(db), mongodb_database=db.name)
        secrets = as_environment(settings)
        busiest = db.stats_daily.find_one(sort=[("views", -1)])["campaign_id"]  # a detail with a full chart
        VIEWS["campaign detail"] = ("pages/1_Campaigns.py", {"open": f"campaign:{busiest}"})
        days = db.stats_daily.distinct("date")
        print(f"(reporting: {len(days)} days, {db.stats_daily.count_documents({}):,} daily campaign rows)")
        cold: dict[str, float] = {}
        print(f"{'page':<28} {'cold (s)':>9} {'warm (s)':>9}")
        for page in PAGES:
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
            at.secrets.update(secrets)
            cold[page] = render(at, page)
            warm = min(render(at, page) for _ in range(3))
            print(f"{page:<28} {cold[page]:9.2f} {warm:9.2f}")
        during = warm_during_sync(db, root + "/api/1", secrets)
        print("warm renders while another full sync runs (slowest of 3):")
        for page, seconds in during.items():
            print(f"  {page:<28} {seconds:9.2f}")
        st.cache_resource.clear()
        return cold


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    args = ap.parse_args()
    results = {size: bench(size) for size in args.sizes}
    if "demo" in results and "large" in results:
        print("\ncold render ratio large / demo:")
        for page in PAGES:
            print(f"  {page:<28} {results['large'][page] / results['demo'][page]:5.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process (the app under AppTest, after every page): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
