"""Store benchmark: bulk vs per-document upserts, and read-model timings on `large`.

    python bench/store_bench.py [--sample 3000]

Prints docs/s for bulk writes of `large`-preset placements into the embedded server,
the ratio against per-document upserts measured in the same run, and the time of each
read model on a `large` mirror (loaded straight from the simulator's dataset).
"""

from __future__ import annotations

import argparse
import datetime as dt

from _common import throwaway_database, timed

from bs_core import normalize as norm
from bs_core import read as rm
from bs_core.entities import ENTITIES
from bs_core.simulator import Dataset
from bs_core.simulator.dataset import public
from bs_core.simulator.reports import Reports
from bs_core.store import MirrorWriter, ensure_indexes, summaries
from bs_core.sync._report_rows import grains


def placements_of(ds: Dataset, today: dt.date) -> list[dict]:
    docs = []
    for cid, rows in ds.placements.items():
        ctx = norm.Context(today, network_id=ds.campaigns[cid]["_network_id"], campaign_id=cid)
        docs += ENTITIES["placements"].normalize_many(rows, ctx)[0]
    return docs


def load_mirror(db, ds: Dataset, today: dt.date) -> None:
    """Everything but placements (those come from the write benchmark)."""
    writer = MirrorWriter(db, "bench-load")
    for kind in ("networks", "advertisers", "zones", "campaigns", "advertisements"):
        for rec in getattr(ds, kind).values():
            nid = rec.get("network_id") or rec.get("_network_id") or rec["id"]
            ctx = norm.Context(today, network_id=nid)
            docs = ENTITIES[kind].normalize_many([public(rec)], ctx)[0]
            writer.stage(kind, docs, {})
    reports = Reports(ds)
    start = today - dt.timedelta(days=29)
    for nid in ds.networks:
        writer.stage("stats_daily", grains(nid, reports.hourly_rows(nid, start, today)).documents["stats_daily"], {})
    writer.flush()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=3000, help="documents for the per-document upsert run")
    args = ap.parse_args()
    today = dt.date.today()
    ds = Dataset("large", seed=1)
    docs = placements_of(ds, today)
    print(f"large preset: {len(docs):,} placements")
    with throwaway_database() as db:
        ensure_indexes(db)
        writer = MirrorWriter(db, "bench-1")
        with timed() as t_bulk:
            writer.stage("placements", [dict(d) for d in docs], {})
            writer.flush()
        bulk_rate = len(docs) / t_bulk[0]
        print(f"bulk insert (new documents, batches of 1000): {bulk_rate:10,.0f} docs/s  ({t_bulk[0]:.1f} s)")

        changed = [dict(d, restrictions=["desktop"]) for d in docs]
        writer = MirrorWriter(db, "bench-2")
        existing = writer.existing("placements")
        with timed() as t_upd:
            writer.stage("placements", changed, existing)
            writer.flush()
        print(f"bulk replace (every document changed):        {len(docs) / t_upd[0]:10,.0f} docs/s  ({t_upd[0]:.1f} s)")

        writer = MirrorWriter(db, "bench-3")
        existing = writer.existing("placements")
        with timed() as t_same:
            writer.stage("placements", [dict(d, restrictions=["desktop"]) for d in docs], existing)
            writer.flush()
        print(f"no-change pass (hash compare, 0 writes):      {len(docs) / t_same[0]:10,.0f} docs/s  "
              f"({writer.documents_written} written)")

        sample = [dict(d, restrictions=["tablet"]) for d in docs[: args.sample]]
        with timed() as t_one:
            for d in sample:
                db.placements.replace_one({"_id": d["_id"]}, d, upsert=True)
        one_rate = len(sample) / t_one[0]
        print(f"per-document upsert ({len(sample):,} docs):              {one_rate:10,.0f} docs/s")
        print(f"ratio bulk insert / per-document: {bulk_rate / one_rate:.1f}x;  "
              f"bulk replace / per-document: {(len(docs) / t_upd[0]) / one_rate:.1f}x")

        load_mirror(db, ds, today)
        with timed() as t_sum:
            summaries.refresh_summaries(db, "bench-load", {"placements": {"inserted": 1}})
        print(f"overview summary computed in {t_sum[0]:.1f} s (once per sync that changed the mirror)")
        net = sorted(ds.networks)[0]
        start = today - dt.timedelta(days=29)
        big = max(ds.placements, key=lambda c: len(ds.placements[c]))
        models = {
            "entity_counts (summary)": lambda: rm.entity_counts(db),
            "entity_counts_live": lambda: summaries.entity_counts_live(db),
            "campaign_status_counts": lambda: rm.campaign_status_counts(db),
            "campaigns page (filters+search)": lambda: rm.campaigns(db, rm.CampaignFilter(
                network_id=net, statuses=("running", "scheduled"), search="sale")),
            "campaigns page 40 (name sort)": lambda: rm.campaigns(db, page=40),
            "enrich_campaigns (50 rows)": lambda: rm.enrich_campaigns(db, rm.campaigns(db).rows, start, today),
            "advertisers page": lambda: rm.advertisers(db, network_id=net),
            "advertisements page": lambda: rm.advertisements(db, ad_type="StaticAdvertisement"),
            "zones search": lambda: rm.zones(db, search="leader"),
            "placements of biggest campaign": lambda: rm.placements(db, campaign_id=big, page=3),
            "campaigns_ending_within 14d": lambda: rm.campaigns_ending_within(db, 14, today),
            "campaign_timeline": lambda: rm.campaign_timeline(db),
            "top_advertisers_by_running": lambda: rm.top_advertisers_by_running(db),
            "placements_per_zone (summary)": lambda: rm.placements_per_zone(db),
            "placements_per_zone_live": lambda: summaries.placements_per_zone_live(db),
            "stats_totals 30d": lambda: rm.stats_totals(db, start, today),
            "stats_daily_series 30d": lambda: rm.stats_daily_series(db, start, today),
            "top_campaigns by ctr": lambda: rm.top_campaigns(db, start, today, by="ctr"),
            "freshness": lambda: rm.freshness(db),
        }
        print("\nread models on the large mirror (best of 3):")
        for name, fn in models.items():
            best = float("inf")
            for _ in range(3):
                with timed() as t:
                    fn()
                best = min(best, t[0])
            print(f"  {name:<34} {best * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
