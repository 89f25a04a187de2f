"""Reporting backfill benchmark: the first sync's BS_STATS_DAYS days of reporting, against
the simulator with BroadStreet's real /records throttle (2 requests per 5 s).

    python bench/backfill_bench.py [--sizes demo large] [--days 90] [--latency-ms 50]

For each preset: a full first sync (entities and the backfill) through the CLI, then the
backfill alone (the stats rows and their fetched-day records wiped, then ``sync --scope
stats``).  It prints the report requests, the throttle bound (requests / 2 x 5 s, the
least time BroadStreet allows), the wall time and its ratio to that bound, and the peak
memory (max RSS) of each sync process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _common import throwaway_database, uri_of
from sync_bench import simulator_process

from bs_core.simulator import DEFAULT_TOKEN
from bs_core.store import ensure_indexes
from bs_core.store.stats_days import ROW_FIELDS

# Runs the CLI and prints the process's peak RSS (KiB on Linux) on stderr's last line.
WRAPPER = """
import resource, sys
from bs_core.cli import main
try:
    code = main(sys.argv[1:])
finally:
    print("maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def cli_sync(db, env: dict, scope: str) -> tuple[dict, float, float]:
    """(run document, wall seconds, peak RSS in MiB) of one CLI sync."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, "sync", "--scope", scope, "--json"], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    rss = next(int(line.split()[1]) for line in reversed(proc.stderr.splitlines()) if line.startswith("maxrss"))
    if proc.returncode != 0:
        raise SystemExit(f"sync --scope {scope} exited {proc.returncode}: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    json.loads(proc.stdout)  # the CLI's answer is JSON
    return db.sync_runs.find_one(sort=[("started_at", -1)]), wall, rss / 1024


def line(label: str, run: dict, wall: float, rss: float, window: float) -> None:
    records = run["requests"].get("/records", {})
    reports = records.get("requests", 0)  # attempts, 429s included
    bound = (reports - records.get("retries", 0)) / 2 * window  # the requests we make; 429 retries are extra
    ratio = f"{wall / bound:.2f}" if bound else "n/a"
    retried = records.get("retries", 0)  # a 429: BroadStreet still counted the previous process's calls
    print(f"{label}: {run['status']}, {reports} report requests ({retried} retried), throttle bound {bound:.1f} s, "
          f"wall {wall:.1f} s (wall / bound = {ratio}), {run['requests_total']:,} requests in all, "
          f"peak RSS {rss:.0f} MiB")
    phases = ", ".join(f"{name} {p.get('seconds') or 0:.0f} s" for name, p in (run.get("progress") or {}).items())
    print(f"  phases (until each finished): {phases}; recorded duration {run.get('duration_s') or 0:.1f} s")


def bench(size: str, days: int, latency_ms: float) -> None:
    print(f"\n=== {size} preset, {days} days, {latency_ms:g} ms latency, /records 2 per 5 s ===")
    with simulator_process(size, latency_ms, records_limit=2, records_window=5.0) as root, \
            throwaway_database(f"backfill_{size}") as db:
        ensure_indexes(db)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
        env.update(BROADSTREET_API_TOKEN=DEFAULT_TOKEN, BROADSTREET_API_BASE_URL=root + "/api/1",
                   MONGODB_URI=uri_of(db), MONGODB_DATABASE=db.name,
                   BS_STATS_DAYS=str(days))
        run, wall, rss = cli_sync(db, env, "full")
        line("first full sync (entities + backfill)", run, wall, rss, 5.0)
        rows = {c: db[c].count_documents({}) for c in ROW_FIELDS}
        print("  documents per reporting grain: " + ", ".join(f"{c} {n:,}" for c, n in rows.items()))
        for collection in ROW_FIELDS:
            db[collection].drop()
        db.sync_scopes.delete_many({"collection": "stats_daily"})
        ensure_indexes(db)
        run, wall, rss = cli_sync(db, env, "stats")
        line("backfill alone (sync --scope stats)", run, wall, rss, 5.0)
        run, wall, rss = cli_sync(db, env, "stats")
        line("next stats sync (the last 2 days)", run, wall, rss, 5.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--latency-ms", type=float, default=50)
    args = ap.parse_args()
    for size in args.sizes:
        bench(size, args.days, args.latency_ms)


if __name__ == "__main__":
    main()
