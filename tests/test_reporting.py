"""Reporting, sorting by figures, the Overview's filters, details and delivery health:
each read model against brute force over the same documents."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from bs_core import read as rm
from bs_core.dates import midnight
from bs_core.read import delivery, details, reporting
from bs_core.read.reporting import Coverage, StatsFilter
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.store import summaries
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, held_through, mirror_settings

DAYS = 20


@pytest.fixture(scope="module")
def mirror(mongo_uri):
    """A demo mirror with DAYS days of reporting, synced once for the module."""
    client, db = fresh_database(mongo_uri)
    sim = Simulator("demo", seed=7, records_limit=50, records_window=1.0)
    with SimulatorServer(sim) as server:
        run = run_sync(mirror_settings(server, db, stats_days=DAYS, stats_chunk_days=8), db, "full")
        assert run["status"] == "success"
    yield db
    dispose(client, db.name)


def every(db, name, **query):
    return list(db[name].find(query, {"_sync": 0}))


def window(days: int, end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = end or dt.date.today()
    return end - dt.timedelta(days=days - 1), end


def summed(rows, key=None):
    out: dict = {}
    for r in rows:
        acc = out.setdefault(key(r) if key else None, Counter())
        for f in reporting.FIGURES:
            acc[f] += r[f]
    return out


def in_range(rows, start, end):
    return [r for r in rows if midnight(start) <= r["date"] <= midnight(end)]


# -- coverage -----------------------------------------------------------------------------
def test_coverage_is_the_fetched_days_and_says_so(mirror):
    start, end = window(DAYS)[0], held_through(mirror)  # the days every network has begun
    cov = reporting.stats_coverage(mirror)
    assert (cov.first, cov.last, cov.missing, cov.days) == (start, end, (), (end - start).days + 1)
    assert cov.covers(start, end) and not cov.covers(start - dt.timedelta(days=1), end)
    # days are the account's: each network's UTC offset, as its report rows carried it
    assert cov.describe() == f"{start} to {end} ({cov.days} days, account time, UTC-05:00, UTC-08:00)"
    assert cov.clip(dt.date(2020, 1, 1), end) == (start, end)
    # a day whose rows went missing is no longer covered (and the next sync refetches it)
    gap = start + dt.timedelta(days=3)
    network = mirror.networks.find_one()["_id"]
    mirror.sync_scopes.update_one({"_id": f"stats_daily|{network}:{gap}"}, {"$unset": {"zone_rows": 1}})
    try:
        cov = reporting.stats_coverage(mirror)
        assert cov.missing == (gap,) and not cov.covers(start, end) and cov.covers(gap + dt.timedelta(days=1), end)
        assert "1 missing inside" in cov.describe()
        other = next(n["_id"] for n in every(mirror, "networks") if n["_id"] != network)
        assert reporting.stats_coverage(mirror, other).covers(start, end)
    finally:
        mirror.sync_scopes.update_one({"_id": f"stats_daily|{network}:{gap}"}, {"$set": {"zone_rows": 0}})
    assert Coverage().describe() == "no reporting days yet" and not Coverage().covers(start, end)


def test_previous_period_has_equal_length():
    assert reporting.previous_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == (
        dt.date(2026, 10, 2), dt.date(2026, 10, 31))
    assert reporting.previous_period(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == (
        dt.date(2026, 2, 28), dt.date(2026, 2, 28))


# -- figures ------------------------------------------------------------------------------
def test_totals_and_series_per_network_advertiser_campaign_and_zone(mirror):
    rows, zone_rows = every(mirror, "stats_daily"), every(mirror, "stats_zone_daily")
    start, end = window(9)
    sample = rows[len(rows) // 2]
    cases = [(StatsFilter(), rows), (StatsFilter(network_id=sample["network_id"]), None),
             (StatsFilter(advertiser_id=sample["advertiser_id"]), None),
             (StatsFilter(campaign_id=sample["campaign_id"]), None),
             (StatsFilter(zone_id=zone_rows[0]["zone_id"]), zone_rows)]
    for flt, source in cases:
        fields = {k: v for k, v in vars(flt).items() if v is not None}
        chosen = [r for r in (source if flt.zone_id is not None else rows)
                  if all(r.get(k) == v for k, v in fields.items())]
        expected = summed(in_range(chosen, start, end)).get(None, Counter())
        got = reporting.totals(mirror, start, end, flt)
        assert {f: got[f] for f in reporting.FIGURES} == {f: expected[f] for f in reporting.FIGURES}, flt
        assert got["ctr"] == (pytest.approx(got["clicks"] / got["views"]) if got["views"] else 0.0)
        per_day = summed(in_range(chosen, start, end), key=lambda r: r["date"])
        series = reporting.daily_series(mirror, start, end, flt)
        assert [(s["date"], s["views"], s["hovers"]) for s in series] == [
            (d, c["views"], c["hovers"]) for d, c in sorted(per_day.items())]
    # a campaign within a zone reads the per (campaign, zone) rows
    assert StatsFilter(zone_id=1, campaign_id=2).collection == "stats_campaign_zone_daily"
    with pytest.raises(ValueError):
        reporting.stats_by(mirror, "advertisement_id", None, start, end, StatsFilter(zone_id=1))


def test_zone_rows_and_campaign_rows_add_up_to_the_same_views(mirror):
    for network in every(mirror, "networks"):
        flt = StatsFilter(network_id=network["_id"])
        by_zone = sum(s["views"] for s in reporting.stats_by(mirror, "zone_id", None, None, None, flt).values())
        assert by_zone == reporting.totals(mirror, None, None, flt)["views"] > 0


def test_export_rows_are_the_selections_daily_rows_with_names(mirror):
    start, end = window(5)
    advertiser = every(mirror, "stats_daily")[0]["advertiser_id"]
    got = reporting.daily_rows(mirror, start, end, StatsFilter(advertiser_id=advertiser))
    expected = sorted(in_range(every(mirror, "stats_daily", advertiser_id=advertiser), start, end),
                      key=lambda r: (r["date"], r["campaign_id"], r["advertisement_id"]))
    assert [(r["date"], r["campaign_id"], r["advertisement_id"], r["views"]) for r in got] == [
        (r["date"].date(), r["campaign_id"], r["advertisement_id"], r["views"]) for r in expected]
    names = {c["_id"]: c["name_clean"] for c in every(mirror, "campaigns")}
    assert all(r["campaign"] == names[r["campaign_id"]] for r in got)
    assert set(got[0]) == set(reporting.EXPORT_COLUMNS)


# -- sorting by figures ---------------------------------------------------------------------
def _metric_order(docs, metric, direction):
    return [d["_id"] for d in sorted(docs, key=lambda d: (-metric.get(d["_id"], 0) if direction < 0
                                                          else metric.get(d["_id"], 0), d["name_key"], d["_id"]))]


@pytest.mark.parametrize("field", ["views", "clicks", "ctr", "placements"])
@pytest.mark.parametrize("direction", [-1, 1])
def test_campaigns_sort_by_figures_across_pages(mirror, field, direction):
    start, end = window(7)
    campaigns = every(mirror, "campaigns")
    per = summed(in_range(every(mirror, "stats_daily"), start, end), key=lambda r: r["campaign_id"])
    if field == "placements":
        metric = Counter(p["campaign_id"] for p in every(mirror, "placements"))
    elif field == "ctr":
        metric = {c: v["clicks"] / v["views"] for c, v in per.items() if v["views"]}
    else:
        metric = {c: v[field] for c, v in per.items()}
    expected = _metric_order(campaigns, metric, direction)
    got: list = []
    first = rm.campaigns_enriched(mirror, rm.CampaignFilter(), (field, direction), 1, 25, start, end)
    assert first.total == len(campaigns)
    for page in range(1, first.pages + 1):
        result = rm.campaigns_enriched(mirror, rm.CampaignFilter(), (field, direction), page, 25, start, end)
        got += result.rows
    assert [r["_id"] for r in got] == expected
    for r in got[:10]:
        key = "placement_count" if field == "placements" else field
        assert r[key] == pytest.approx(metric.get(r["_id"], 0))


def test_zones_and_advertisers_sort_by_their_figures(mirror):
    start, end = window(7)
    zones, advertisers, campaigns = every(mirror, "zones"), every(mirror, "advertisers"), every(mirror, "campaigns")
    zone_views = {z: c["views"] for z, c in summed(in_range(every(mirror, "stats_zone_daily"), start, end),
                                                   key=lambda r: r["zone_id"]).items()}
    zone_placements = Counter(p["zone_id"] for p in every(mirror, "placements"))
    for field, metric in (("views", zone_views), ("placements", zone_placements)):
        got = rm.zones_enriched(mirror, None, "", (field, -1), 1, 1000, start, end)
        assert [z["_id"] for z in got.rows] == _metric_order(zones, metric, -1)
    top = rm.zones_enriched(mirror, None, "", ("views", -1), 1, 5, start, end).rows
    assert [z["views"] for z in top] == [zone_views.get(z["_id"], 0) for z in top]

    running = Counter(c["advertiser_id"] for c in campaigns if c["status"] == "running")
    adv_views = {a: c["views"] for a, c in summed(in_range(every(mirror, "stats_daily"), start, end),
                                                  key=lambda r: r["advertiser_id"]).items()}
    network = advertisers[0]["network_id"]
    mine = [a for a in advertisers if a["network_id"] == network]
    for field, metric in (("running", running), ("views", adv_views)):
        got = rm.advertisers_enriched(mirror, network, "", (field, -1), 1, 1000, start, end)
        assert [a["_id"] for a in got.rows] == _metric_order(mine, metric, -1)
        assert all(a["running_campaigns"] == running.get(a["_id"], 0) for a in got.rows)
    with pytest.raises(ValueError):
        rm.zones(mirror, sort=("clicks", -1))


def test_tallies_match_brute_force_and_are_stored_by_the_run(mirror):
    placements, campaigns = every(mirror, "placements"), every(mirror, "campaigns")
    running = {c["_id"]: c["advertiser_id"] for c in campaigns if c["status"] == "running"}
    tallies = rm.placement_tallies(mirror)
    assert tallies == summaries.stored_tallies(mirror) == summaries.placement_tallies_live(mirror)
    for field in ("campaign_id", "zone_id", "advertisement_id"):
        assert tallies[field] == Counter(p[field] for p in placements)
    assert tallies["ad_in_running"] == Counter(p["advertisement_id"] for p in placements
                                               if p["campaign_id"] in running)
    assert tallies["zone_running_campaigns"] == Counter(
        z for z, _ in {(p["zone_id"], p["campaign_id"]) for p in placements if p["campaign_id"] in running})
    assert tallies["advertiser_running"] == Counter(running.values())


# -- the Overview's filters -----------------------------------------------------------------
def test_overview_figures_follow_the_network_and_advertiser_filters(mirror):
    campaigns, placements = every(mirror, "campaigns"), every(mirror, "placements")
    network = campaigns[0]["network_id"]
    advertiser = Counter(c["advertiser_id"] for c in campaigns).most_common(1)[0][0]
    for flt in ({"network_id": network}, {"advertiser_id": advertiser}):
        mine = [c for c in campaigns if all(c[k] == v for k, v in flt.items())]
        ids = {c["_id"] for c in mine}
        counts = rm.scoped_counts(mirror, **flt)
        assert counts["campaigns"] == len(mine)
        assert counts["placements"] == sum(p["campaign_id"] in ids for p in placements)
        assert counts["advertisements"] == len(every(mirror, "advertisements", **flt))
        statuses = rm.campaign_status_counts(mirror, **flt)
        assert statuses == {s: sum(c["status"] == s for c in mine) for s in statuses}
        assert sum(statuses.values()) == len(mine)
        per_zone = Counter(p["zone_id"] for p in placements if p["campaign_id"] in ids)
        got = rm.placements_per_zone(mirror, limit=5, **flt)
        assert [(z["zone_id"], z["placements"]) for z in got] == sorted(
            per_zone.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        timeline = rm.campaign_timeline(mirror, 500, **flt).rows
        live = {c["_id"] for c in mine if c["status"] in ("running", "scheduled")}
        assert {c["_id"] for c in timeline} == live
        assert rm.campaign_timeline(mirror, 2, **flt).total == len(live)  # the chart says what it leaves out
        dated = [c["ends_on"] for c in timeline if c["ends_on"] is not None]
        assert dated == sorted(dated) and all(c["ends_on"] is None for c in timeline[len(dated):])
    zones_of_adv = {p["zone_id"] for p in placements if p["campaign_id"] in
                    {c["_id"] for c in campaigns if c["advertiser_id"] == advertiser}}
    assert rm.scoped_counts(mirror, advertiser_id=advertiser)["zones"] == len(zones_of_adv)
    assert rm.scoped_counts(mirror, network_id=network)["zones"] == len(every(mirror, "zones", network_id=network))


# -- details --------------------------------------------------------------------------------
def test_campaign_advertiser_and_zone_details(mirror):
    start, end = window(7)
    rows = every(mirror, "stats_daily")
    camp_id = rows[0]["campaign_id"]
    camp = details.campaign(mirror, camp_id, start, end)
    mine = [r for r in rows if r["campaign_id"] == camp_id]
    assert not camp["deleted"] and camp["advertiser_name"] and camp["network_name"]
    assert camp["lifetime"]["views"] == sum(r["views"] for r in mine)
    assert camp["period"]["views"] == sum(r["views"] for r in in_range(mine, start, end))
    placed = Counter(p["advertisement_id"] for p in every(mirror, "placements", campaign_id=camp_id))
    ad_views = summed(mine, key=lambda r: r["advertisement_id"])  # its ads' views in this campaign, most first
    assert [(a["_id"], a["zones_placed"], a["views"]) for a in details.campaign_ads(mirror, camp_id)] == sorted(
        ((ad, placed.get(ad, 0), ad_views.get(ad, Counter())["views"]) for ad in set(placed) | set(ad_views)),
        key=lambda t: (-t[2], -t[1], t[0]))
    assert details.campaign(mirror, 999_999_999, start, end) is None  # never mirrored, no history

    adv = details.advertiser(mirror, rows[0]["advertiser_id"], start, end)
    assert adv["campaign_count"] == len(every(mirror, "campaigns", advertiser_id=adv["_id"]))
    assert adv["period"]["views"] == sum(r["views"] for r in in_range(rows, start, end)
                                         if r["advertiser_id"] == adv["_id"])
    assert details.advertiser(mirror, 999_999_999, start, end) is None

    zone_rows = every(mirror, "stats_zone_daily")
    zone = details.zone(mirror, zone_rows[0]["zone_id"], start, end)
    assert zone["lifetime"]["views"] == sum(r["views"] for r in zone_rows if r["zone_id"] == zone["_id"])
    placed_here = Counter(p["campaign_id"] for p in every(mirror, "placements", zone_id=zone["_id"]))
    listed = details.zone_campaigns(mirror, zone["_id"], start, end)
    assert {c["_id"]: c["ads_in_zone"] for c in listed} == placed_here
    assert zone["running_campaigns"] == sum(c["status"] == "running" for c in listed)


# -- delivery health --------------------------------------------------------------------------
def test_delivery_health_lists_match_brute_force(mirror):
    today = dt.date.today()
    campaigns, placements = every(mirror, "campaigns"), every(mirror, "placements")
    running = {c["_id"] for c in campaigns if c["status"] == "running"}
    recent = {r["campaign_id"] for r in every(mirror, "stats_daily")
              if r["views"] > 0 and r["date"] >= midnight(today - dt.timedelta(days=1))}
    assert {c["_id"] for c in delivery.silent_campaigns(mirror, today)} == running - recent
    # a running campaign whose last two days lost their views is listed, with its last day of views
    quiet = min(running & recent)
    since = {"campaign_id": quiet, "date": {"$gte": midnight(today - dt.timedelta(days=1))}}
    saved = every(mirror, "stats_daily", **since)
    mirror.stats_daily.update_many(since, {"$set": {"views": 0}})
    try:
        silent = {c["_id"]: c for c in delivery.silent_campaigns(mirror, today)}
        assert set(silent) == (running - recent) | {quiet}
        assert silent[quiet]["last_views_on"] == max(
            r["date"] for r in every(mirror, "stats_daily", campaign_id=quiet) if r["views"] > 0)
    finally:
        for row in saved:
            mirror.stats_daily.update_one({"_id": row["_id"]}, {"$set": {"views": row["views"]}})

    used = {p["advertisement_id"] for p in placements if p["campaign_id"] in running}
    ads = delivery.unplaced_active_ads(mirror)
    assert {a["_id"] for a in ads} == {a["_id"] for a in every(mirror, "advertisements")
                                        if a["active_placement"] and a["_id"] not in used}
    sold = {p["zone_id"] for p in placements if p["campaign_id"] in running}
    unsold = delivery.unsold_zones(mirror)
    assert {z["_id"] for z in unsold} == {z["_id"] for z in every(mirror, "zones") if z["_id"] not in sold}
    network = campaigns[0]["network_id"]
    assert all(z["network_id"] == network for z in delivery.unsold_zones(mirror, network))

    ending = delivery.ending_soon(mirror, today)
    horizon = midnight(today + dt.timedelta(days=14))
    assert [c["_id"] for c in ending] == [c["_id"] for c in sorted(
        (c for c in campaigns if c["_id"] in running and c["ends_on"] is not None
         and midnight(today) <= c["ends_on"] <= horizon), key=lambda c: (c["ends_on"], c["_id"]))]


def test_long_id_lists_take_the_scan_path_with_the_same_answers(mirror):
    from bs_core.store.lookups import IN_LIMIT, names

    zones = every(mirror, "zones")
    assert len(zones) > IN_LIMIT
    assert names(mirror, "zones", [z["_id"] for z in zones] + [None]) == {z["_id"]: z["name_clean"] for z in zones}
    assert names(mirror, "zones", [zones[0]["_id"]]) == {zones[0]["_id"]: zones[0]["name_clean"]}
    ids = [z["_id"] for z in zones][:-5]  # more than IN_LIMIT, not all of them
    assert len(ids) > reporting.IN_LIMIT
    start, end = window(7)
    per = summed(in_range(every(mirror, "stats_zone_daily"), start, end), key=lambda r: r["zone_id"])
    got = reporting.stats_by(mirror, "zone_id", ids, start, end)
    assert {z: v["views"] for z, v in got.items()} == {z: per[z]["views"] for z in ids if z in per}


def test_stored_tallies_are_read_again_when_a_run_stores_new_ones(db):
    def store(run_id, pairs):
        db.mirror_summary.replace_one({"_id": "overview"}, {"run_id": run_id, "tallies": {"campaign_id": pairs}},
                                      upsert=True)

    assert summaries.stored_tallies(db) is None
    store("run-a", [[1, 3]])
    assert summaries.stored_tallies(db) == {"campaign_id": {1: 3}}
    assert summaries.stored_tallies(db) == {"campaign_id": {1: 3}}  # the decoded copy
    store("run-b", [[1, 4], [2, 1]])
    assert summaries.stored_tallies(db) == {"campaign_id": {1: 4, 2: 1}}
    db.mirror_summary.delete_many({})
    assert summaries.stored_tallies(db) is None
