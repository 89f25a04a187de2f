"""Sync benchmark against the simulator with injected latency.

    python bench/sync_bench.py [--sizes demo large] [--latency-ms 50] [--concurrency 8] [--full-only]

For each preset it prints: requests, wall time, the network bound (requests x latency /
concurrency), the write bound (documents written / bulk write rate measured in the same
run), the ratio of wall time to the larger bound; a no-change resync (documents written
should be 0); a quick resync's share of a full one's requests; and the prior
implementation's strategy (one request at a time, one upsert per document) on the same
data, for comparison (on `large` a sample of campaigns, extrapolated per request).

The simulator's /records throttle is relaxed here so the figures measure our fan-out and
writes, not BroadStreet's fixed reporting limit (2 requests per 5 s, which a real sync
pays in the stats phase: 2.5 s per report request beyond the first two).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator

from _common import throwaway_database, timed

from bs_core import normalize as norm
from bs_core.client import BroadStreetClient
from bs_core.entities import ENTITIES
from bs_core.process import free_port
from bs_core.settings import Settings
from bs_core.simulator import DEFAULT_TOKEN, Dataset
from bs_core.store import INDEXES, ensure_indexes
from bs_core.sync import run_sync


def bulk_write_rate(db, n: int = 20_000) -> float:
    """Bulk insert rate of placement-shaped documents into a collection indexed like placements."""
    scratch = db["bench_scratch"]
    scratch.create_indexes(INDEXES["placements"])
    now = dt.datetime(2026, 1, 1)
    docs = [{"_id": f"{i // 15}:{i % 40}:{i % 250}", "campaign_id": i // 15, "zone_id": i % 250,
             "advertisement_id": i % 40, "network_id": 1, "restrictions": [],
             "_sync": {"hash": "0" * 32, "changed_at": now, "changed_run": "r", "first_seen_at": now,
                       "first_seen_run": "r"}} for i in range(n)]
    with timed() as t:
        for i in range(0, n, 1000):
            scratch.insert_many(docs[i:i + 1000], ordered=False)
    scratch.drop()
    return n / t[0]


def sequential_prior_strategy(settings: Settings, db, campaign_limit: int | None) -> tuple[int, int, float]:
    """The prior implementation: every call in turn, one upsert per document.

    Returns (requests, documents, seconds) over at most ``campaign_limit`` campaigns'
    placements (all other entities in full).
    """
    client = BroadStreetClient(settings.replace(sync_concurrency=1))
    today = dt.date.today()
    docs_written = 0
    coll = db["prior_strategy"]

    def write(kind, raws, ctx):
        nonlocal docs_written
        for doc in ENTITIES[kind].normalize_many(raws, ctx)[0]:
            coll.replace_one({"_id": f"{kind}:{doc['_id']}"}, dict(doc, _id=f"{kind}:{doc['_id']}"), upsert=True)
            docs_written += 1

    start = time.perf_counter()
    networks = client.networks()
    write("networks", networks, norm.Context(today))
    campaigns = []
    for net in networks:
        nid = net["id"]
        ctx = norm.Context(today, network_id=nid)
        advertisers = client.advertisers(nid)
        write("advertisers", advertisers, ctx)
        write("zones", client.zones(nid), ctx)
        write("advertisements", client.advertisements(nid), ctx)
        for adv in advertisers:
            found = client.campaigns(advertiser_id=adv["id"])
            write("campaigns", found, ctx)
            campaigns += [(c["id"], nid) for c in found]
    for cid, nid in campaigns[:campaign_limit]:
        write("placements", client.placements(cid), norm.Context(today, network_id=nid, campaign_id=cid))
    seconds = time.perf_counter() - start
    coll.drop()
    return client.total_requests(), docs_written, seconds


@contextlib.contextmanager
def simulator_process(size: str, latency_ms: float, records_limit: int = 10_000,
                      records_window: float = 1.0) -> Iterator[str]:
    """The simulator in its own process, as BroadStreet would be: it must not share our GIL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bs_core.simulator", "--port", str(port), "--size", size,
                             "--latency-ms", str(latency_ms), "--records-limit", str(records_limit),
                             "--records-window", str(records_window)], stdout=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()  # "BroadStreet simulator ... on URL" once it listens
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def bench(size: str, latency_ms: float, concurrency: int, sample: int | None, full_only: bool = False) -> None:
    print(f"\n=== {size} preset, {latency_ms:g} ms latency, concurrency {concurrency} ===")
    campaigns = Dataset(size, seed=1).counts()["campaigns"]
    with simulator_process(size, latency_ms) as root, throwaway_database(f"bench_{size}") as db:
        ensure_indexes(db)
        settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                            sync_concurrency=concurrency, records_limit=10_000, records_window=1.0)
        rate = bulk_write_rate(db)
        with timed() as t_full:
            full = run_sync(settings, db, "full")
        requests, written = full["requests_total"], full["documents_written"]
        net_bound = requests * latency_ms / 1000 / concurrency
        write_bound = written / rate
        print(f"full sync: {full['status']}, {requests:,} requests, {written:,} documents written, "
              f"wall {t_full[0]:.1f} s")
        print(f"  network bound {net_bound:.1f} s, write bound {write_bound:.1f} s "
              f"(bulk rate {rate:,.0f} docs/s measured now); wall / larger bound = "
              f"{t_full[0] / max(net_bound, write_bound):.2f}")
        if full_only:
            return

        with timed() as t_same:
            same = run_sync(settings, db, "full")
        print(f"no-change full resync: {same['documents_written']} documents written, wall {t_same[0]:.1f} s")
        with timed() as t_quick:
            quick = run_sync(settings, db, "quick")
        print(f"quick resync: {quick['requests_total']:,} requests = "
              f"{quick['requests_total'] / same['requests_total']:.0%} of a full one's, wall {t_quick[0]:.1f} s")

        limit = sample if sample else None
        seq_requests, seq_docs, seq_s = sequential_prior_strategy(settings, db, limit)
        note = ""
        if limit and limit < campaigns:
            per_request = seq_s / seq_requests
            seq_s = seq_s + per_request * (campaigns - limit)
            note = f" (measured {seq_requests:,} requests, extrapolated to all {campaigns:,} campaigns)"
        print(f"prior strategy (sequential, per-document upserts): {seq_s:.1f} s{note}")
        print(f"  our full sync is {seq_s / t_full[0]:.1f}x faster")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["demo", "large"], choices=["tiny", "demo", "large"])
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--large-sample", type=int, default=800,
                    help="campaigns the sequential strategy fetches on `large` before extrapolating")
    ap.add_argument("--full-only", action="store_true", help="only the first full sync (comparing two versions)")
    args = ap.parse_args()
    for size in args.sizes:
        bench(size, args.latency_ms, args.concurrency, args.large_sample if size == "large" else None,
              args.full_only)


if __name__ == "__main__":
    main()
