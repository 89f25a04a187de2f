"""Money benchmark: every campaign of a mirror priced, then the month-end invoice, report
revenue, and the Rates and Invoices pages.

    python bench/money_bench.py [--sizes demo large]

The mirror is filled by a real full sync (the CLI in a subprocess) from a simulator in its
own process. Every campaign gets a rate through ``rates import`` (cpm, cpc, monthly, and
flat where the flight has an end), so the invoice prices every row. The CLI commands run as
subprocesses, timed from outside, with their own peak RSS (``os.wait4``). Pages render in
AppTest: cold (caches cleared) then warm (best of 3).

Targets (issue 30): the invoice of the last complete month on `large` under 5 s and under
300 MB; the Rates page with 10,000 campaigns warm under 1 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
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
MODELS = (("cpm", 6.0), ("cpc", 0.5), ("monthly", 400.0), ("flat", 2500.0))


def rates_file(db, target: Path) -> int:
    """A rate for every campaign (flat only for flights with an end); returns how many."""
    rows = 0
    with target.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["campaign_id", "model", "amount", "capped"])
        for i, camp in enumerate(db.campaigns.find({}, {"ends_on": 1}).sort("_id", 1)):
            model, amount = MODELS[i % len(MODELS)]
            if model == "flat" and camp.get("ends_on") is None:
                model, amount = "cpm", 4.0
            out.writerow([camp["_id"], model, amount, "yes" if i % 3 == 0 else "no"])
            rows += 1
    return rows


def run_cli(args: list[str], env: dict) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and standard error of ``python -m bs_core ARGS``."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bs_core", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {stderr}")
    proc.returncode = 0
    return seconds, usage.ru_maxrss / 1024, stderr.strip()


def render(at: AppTest, page: str) -> float:
    started = time.perf_counter()
    at.switch_page(str(ROOT / page)).run()
    if at.exception:
        raise SystemExit(f"{page} raised: {at.exception[0].value}")
    return time.perf_counter() - started


def bench(size: str) -> None:
    print(f"\n=== {size} mirror ===")
    with simulator_process(size, 0) as root, throwaway_database(f"money_{size}") as db, \
            tempfile.TemporaryDirectory() as tmp:
        sync_into(db, root + "/api/1")
        settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                            mongodb_uri=uri_of(db), mongodb_database=db.name)
        env = {**os.environ, **as_environment(settings)}
        priced = rates_file(db, Path(tmp) / "rates.csv")
        seconds, peak, said = run_cli(["rates", "import", str(Path(tmp) / "rates.csv"), "--by", "bench"], env)
        print(f"rates import of {priced:,} campaign rates: {seconds:.2f} s, peak RSS {peak:.0f} MB ({said})")
        newest = max(d for d in db.stats_daily.distinct("date"))
        month = f"{(newest.date().replace(day=1) - dt.timedelta(days=1)):%Y-%m}"  # the last complete month
        for fmt in ("json", "xlsx"):
            seconds, peak, _ = run_cli(["report", "invoice", "--month", month, "--format", fmt, "--output",
                                        str(Path(tmp) / f"invoice.{fmt}")], env)
            print(f"report invoice --month {month} --format {fmt}: {seconds:.2f} s, peak RSS {peak:.0f} MB")
        first = dt.date.fromisoformat(month + "-01")
        seconds, peak, _ = run_cli(["report", "revenue", "--from", str(first), "--to", str(newest.date()),
                                    "--output", str(Path(tmp) / "revenue.json")], env)
        print(f"report revenue {first} to {newest.date()}: {seconds:.2f} s, peak RSS {peak:.0f} MB")
        print(f"{'page':<28} {'cold (s)':>9} {'warm (s)':>9}")
        for page in ("pages/8_Rates.py", "pages/9_Invoices.py", "pages/4_Zones.py", "streamlit_app.py"):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
            at.secrets.update(as_environment(settings))
            cold = render(at, page)
            warm = min(render(at, page) for _ in range(3))
            print(f"{page:<28} {cold:9.2f} {warm:9.2f}")
        st.cache_resource.clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    for size in ap.parse_args().sizes:
        bench(size)


if __name__ == "__main__":
    main()
