"""Digest benchmark: building the digest (content, text, HTML and both attachments) on a
`large` mirror, its wall time and the process's peak memory.

    python bench/digest_bench.py [--mongodb-uri URI --database NAME]

Without a URI it fills a throwaway mirror with a real full sync of the `large` simulator
first (minutes); with one, it reads that existing mirror.  Each build runs in a fresh
subprocess, so the peak RSS is the digest's alone (the interpreter and imports included).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _common import throwaway_database, uri_of
from sync_bench import simulator_process

from bs_core.simulator import DEFAULT_TOKEN

BUILD = """
import datetime as dt, resource, sys, time
from pymongo import MongoClient
from bs_core.digest import _content as content, _render as render
db = MongoClient(sys.argv[1], tz_aware=False)[sys.argv[2]]
started = time.perf_counter()
digest = content.build(db, dt.date.today(), "https://ads.example.com")
msg = render.message(digest, "digest@example.com", ["team@example.com"])
size = len(msg.as_bytes())
print(f"{time.perf_counter() - started:.2f} {size} {sum(len(s.rows) for s in digest.lists)} "
      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""


def measure(uri: str, database: str, runs: int = 3) -> None:
    print(f"{'run':<5} {'wall (s)':>9} {'message (KB)':>13} {'rows listed':>12} {'peak RSS (MB)':>14}")
    for i in range(runs):
        out = subprocess.run([sys.executable, "-c", BUILD, uri, database], capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), check=True)
        wall, size, rows, rss = out.stdout.split()
        print(f"{i + 1:<5} {float(wall):9.2f} {int(size) / 1024:13.0f} {int(rows):12,} {float(rss):14.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mongodb-uri")
    ap.add_argument("--database", default="large")
    args = ap.parse_args()
    if args.mongodb_uri:
        measure(args.mongodb_uri, args.database)
        return
    with simulator_process("large", 0) as root, throwaway_database("digest_large") as db:
        env = dict(os.environ, BROADSTREET_API_TOKEN=DEFAULT_TOKEN, BROADSTREET_API_BASE_URL=root + "/api/1",
                   MONGODB_URI=uri_of(db), MONGODB_DATABASE=db.name, BS_SYNC_CONCURRENCY="8",
                   BS_RECORDS_LIMIT="10000", BS_RECORDS_WINDOW_SECONDS="1")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bs_core", "sync", "--scope", "full"], env=env, check=True,
                       capture_output=True)
        print(f"(full sync of large into the mirror: {time.perf_counter() - started:.0f} s)")
        measure(uri_of(db), db.name)


if __name__ == "__main__":
    main()
