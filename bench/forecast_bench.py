"""Forecast benchmark (issue 31): the backtest's error on each preset, the time and memory of
forecasting every zone, and the availability query over every zone for 90 days.

    python bench/forecast_bench.py [--sizes demo large]

Each mirror is filled by a real full sync (the CLI in a subprocess) from a simulator in its
own process, with the product's 90 days of reporting; the sync makes the forecasts, and
the seconds it spent on them are read from what it kept.  Then ``refresh_forecasts`` runs
again in a subprocess of its own, which reports its time and its peak RSS.
The availability of every zone (those without a forecast listed as such) over the
forecasts' 90 days is read cold (first call in a
fresh process) and warm (best of 3); the Inventory page renders in AppTest, cold (caches
cleared) and warm (best of 3).

Prints one JSON line per size: size, zones (backtested), forecast_zones, all_zones, wape_baseline, wape_method (all zones),
wape_baseline_small, wape_method_small (the 10% smallest zones), forecast_seconds_in_sync,
forecast_seconds, forecast_peak_mb (the forecasting process's peak RSS; forecast_before_mb
what it held before forecasting), availability_cold_s, availability_warm_s,
inventory_page_cold_s, inventory_page_warm_s.

Targets: on `large`, forecasting under 30 s of the sync's time and under 300 MB; the
availability of every zone over 90 days under 1 s warm and 3 s cold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import streamlit as st
from _common import throwaway_database, uri_of
from pages_bench import sync_into
from streamlit.testing.v1 import AppTest
from sync_bench import simulator_process

from bs_core.settings import Settings, as_environment
from bs_core.simulator import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parent.parent

#: run in a child process: forecast again, or read every zone's availability (cold, then warm)
CHILD = """
import json, sys, time
from pymongo import MongoClient
from bs_core.read.days import network_days
from bs_core.read import inventory
from bs_core.store.forecasts import refresh_forecasts
db = MongoClient(sys.argv[2], tz_aware=False)[sys.argv[3]]
def peak_mb():  # VmHWM: ru_maxrss would carry the parent's peak across fork and exec
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
if sys.argv[1] == "forecast":
    db.command("ping")
    before = peak_mb()
    started = time.perf_counter()
    refresh_forecasts(db, "bench")
    print(json.dumps({"seconds": time.perf_counter() - started, "before_mb": before, "peak_mb": peak_mb()}))
else:
    days = network_days(db)
    zones = sorted(db.zones.distinct("_id"))  # every zone asked about; those without a forecast are listed
    first, last = inventory.forecast_horizon(db)
    times = []
    for _ in range(4):
        started = time.perf_counter()
        found = inventory.availability(db, zones, first, last, days)
        times.append(time.perf_counter() - started)
    print(json.dumps({"cold": times[0], "warm": min(times[1:]), "rows": len(found.rows), "zones": len(zones),
                      "unforecast": len(found.unforecast)}))
"""


def child(what: str, db) -> dict:
    """What a child process doing ``what`` printed (its own times and memory)."""
    out = subprocess.run([sys.executable, "-c", CHILD, what, uri_of(db), db.name], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{what} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(at: AppTest) -> float:
    started = time.perf_counter()
    at.switch_page(str(ROOT / "pages/10_Inventory.py")).run()
    if at.exception:
        raise SystemExit(f"Inventory raised: {at.exception[0].value}")
    return time.perf_counter() - started


def bench(size: str) -> dict:
    with simulator_process(size, 0) as root, throwaway_database(f"forecast_{size}") as db:
        sync_into(db, root + "/api/1")
        meta = db.mirror_summary.find_one({"_id": "forecast"})
        check = meta["backtest"]
        made = child("forecast", db)
        read = child("availability", db)
        settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                            mongodb_uri=uri_of(db), mongodb_database=db.name)
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
        at.secrets.update(as_environment(settings))
        at.run()
        cold = render(at)
        warm = min(render(at) for _ in range(3))
        st.cache_resource.clear()
        return {"size": size, "zones": check["zones"], "forecast_zones": meta["zones"],
                "wape_baseline": round(check["wape_baseline"], 4), "wape_method": round(check["wape_method"], 4),
                "wape_baseline_small": round(check["wape_baseline_small"], 4),
                "wape_method_small": round(check["wape_method_small"], 4),
                "forecast_seconds_in_sync": meta["seconds"], "forecast_seconds": round(made["seconds"], 2),
                # the forecasting process's peak, and what it held before forecasting (Python, pymongo)
                "forecast_peak_mb": round(made["peak_mb"]), "forecast_before_mb": round(made["before_mb"]),
                "all_zones": read["zones"], "availability_rows": read["rows"],
                "availability_cold_s": round(read["cold"], 3), "availability_warm_s": round(read["warm"], 3),
                "inventory_page_cold_s": round(cold, 2), "inventory_page_warm_s": round(warm, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    for size in ap.parse_args().sizes:
        print(json.dumps(bench(size)), flush=True)


if __name__ == "__main__":
    main()
