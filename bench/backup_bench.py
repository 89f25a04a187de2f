"""Backup and restore against the embedded server's own bulk rates, and their peak memory.

    python bench/backup_bench.py [--sizes demo large]

For each preset: a mirror filled by a real full sync; the server's bulk read rate (every
document of every collection as raw BSON) and bulk write rate (insert_many of raw
documents into an indexed scratch collection), both measured in the same run; then
`backup` and `restore` (into a fresh database) each in a child process, whose rate is
compared with those, and whose peak RSS shows whether memory stays flat as the mirror
grows (the tools stream; they never hold a collection).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import throwaway_database, timed, uri_of
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pages_bench import sync_into
from sync_bench import simulator_process

from bs_core.store import INDEXES
from bs_core.store.backup import BACKED_UP

ROOT = Path(__file__).resolve().parent.parent
RAW = CodecOptions(document_class=RawBSONDocument)
CHILD = """
import json, resource, sys, time
from pathlib import Path
from pymongo import MongoClient
from bs_core.store.backup import backup
from bs_core.store.restore import restore
uri, name, action, path = sys.argv[1:5]
db = MongoClient(uri, tz_aware=False)[name]
started = time.perf_counter()
report = (backup if action == "backup" else restore)(db, Path(path))
print(json.dumps({"documents": report.total, "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def read_rate(db) -> tuple[int, float]:
    with timed() as t:
        n = sum(1 for name in BACKED_UP for _ in db.get_collection(name, codec_options=RAW).find({}, batch_size=1000))
    return n, n / t[0]


def write_rate(db, sample: int = 20_000) -> float:
    docs = list(db.get_collection("placements", codec_options=RAW).find({}, batch_size=1000).limit(sample))
    scratch = db["bench_scratch"]
    scratch.create_indexes(INDEXES["placements"])
    with timed() as t:
        for i in range(0, len(docs), 1000):
            scratch.insert_many(docs[i:i + 1000], ordered=False)
    scratch.drop()
    return len(docs) / t[0]


def child(uri: str, name: str, action: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, uri, name, action, str(path)], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def bench(size: str) -> dict:
    print(f"\n=== {size} mirror ===")
    with simulator_process(size, 0) as root, throwaway_database(f"backup_{size}") as db:
        started = time.perf_counter()
        sync_into(db, root + "/api/1")
        print(f"(full sync into the mirror: {time.perf_counter() - started:.0f} s)")
        uri = uri_of(db)
        documents, reads = read_rate(db)
        writes = write_rate(db)
        with tempfile.TemporaryDirectory() as tmp:
            made = child(uri, db.name, "backup", Path(tmp) / "b")
            fresh = f"{db.name}_restored"
            db.client.drop_database(fresh)
            loaded = child(uri, fresh, "restore", Path(tmp) / "b")
            db.client.drop_database(fresh)
        backup_rate = made["documents"] / made["seconds"]
        restore_rate = loaded["documents"] / loaded["seconds"]
        print(f"documents: {documents:,}; server bulk read {reads:,.0f} docs/s, bulk write {writes:,.0f} docs/s")
        print(f"backup : {made['seconds']:.1f} s = {backup_rate:,.0f} docs/s = {backup_rate / reads:.2f} x bulk read; "
              f"peak RSS {made['peak_mb']:.0f} MB")
        print(f"restore: {loaded['seconds']:.1f} s = {restore_rate:,.0f} docs/s = {restore_rate / writes:.2f} x "
              f"bulk write (restore also builds the indexes); peak RSS {loaded['peak_mb']:.0f} MB")
        return {"documents": documents, "backup_peak": made["peak_mb"], "restore_peak": loaded["peak_mb"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    args = ap.parse_args()
    results = {size: bench(size) for size in args.sizes}
    if len(results) > 1:
        small, big = (results[s] for s in args.sizes[:2])
        print(f"\nmirror {big['documents'] / small['documents']:.0f}x larger: backup peak RSS "
              f"{small['backup_peak']:.0f} -> {big['backup_peak']:.0f} MB, restore peak RSS "
              f"{small['restore_peak']:.0f} -> {big['restore_peak']:.0f} MB")


if __name__ == "__main__":
    main()
