"""How long the database goes without answering the sync's heartbeat during a healthy full
sync: the margin under the CLI's frozen-database watchdog (8 s, cli/sync_commands.py).

    python bench/silence_bench.py [--size large] [--latency-ms 50]

A long silence on a healthy mirror would make the watchdog give up on a working sync;
SecantusDB answers one request at a time, so a slow bulk write delays the heartbeat.
"""

from __future__ import annotations

import argparse
import time

from _common import throwaway_database
from sync_bench import simulator_process

from bs_core.cli.sync_commands import DATABASE_SILENCE_SECONDS
from bs_core.settings import Settings
from bs_core.simulator import DEFAULT_TOKEN
from bs_core.sync import SyncEngine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large", choices=["tiny", "demo", "large"])
    ap.add_argument("--latency-ms", type=float, default=50)
    args = ap.parse_args()
    with simulator_process(args.size, args.latency_ms) as root, throwaway_database("silence") as db:
        settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                            records_limit=10_000, records_window=1.0, sync_concurrency=8, stats_days=30)
        for label in ("first full sync", "second full sync"):
            engine = SyncEngine(settings, db)
            engine.prepare("full", "cli")
            started = time.perf_counter()
            run = engine.execute()
            print(f"{args.size} {label}: {run['status']} in {time.perf_counter() - started:.0f} s; longest heartbeat "
                  f"silence {engine.lease.longest_silence:.2f} s (the watchdog leaves after "
                  f"{DATABASE_SILENCE_SECONDS:g} s)")


if __name__ == "__main__":
    main()
