"""Read models return exactly what brute force over the same documents returns."""

from __future__ import annotations

import datetime as dt

import pytest

from bs_core import read as rm
from bs_core.read import reporting
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, mirror_settings


@pytest.fixture(scope="module")
def mirror(mongo_uri):
    """A demo mirror, synced once for the module; tests only read it."""
    client, db = fresh_database(mongo_uri)
    sim = Simulator("demo", seed=4, records_limit=50, records_window=1.0)
    with SimulatorServer(sim) as server:
        run = run_sync(mirror_settings(server, db), db, "full")
        assert run["status"] == "success"
    yield db
    dispose(client, db.name)


def every(db, name):
    return list(db[name].find({}, {"_sync": 0}))


def _overlaps(c, start, end):
    s, e = c["starts_on"], c["ends_on"]
    return (s is None or s <= dt.datetime.combine(end, dt.time())) and (e is None or e >= dt.datetime.combine(start, dt.time()))


def _key(value):
    return (value is not None, value)  # Mongo sorts null first


@pytest.mark.parametrize("sort", [("name_key", 1), ("ends_on", -1), ("ends_on", 1), ("starts_on", 1),
                                  ("weight_value", -1)])
def test_campaign_filters_sorts_and_pages_match_brute_force(mirror, sort):
    campaigns = every(mirror, "campaigns")
    network = campaigns[0]["network_id"]
    start, end = dt.date.today() - dt.timedelta(days=30), dt.date.today()
    flt = rm.CampaignFilter(network_id=network, statuses=("running", "ended", "paused"),
                            overlaps_from=start, overlaps_to=end)
    expected = [c for c in campaigns if c["network_id"] == network and c["status"] in flt.statuses
                and _overlaps(c, start, end)]
    field, direction = sort
    expected.sort(key=lambda c: c["_id"])
    if field == "ends_on":  # open-ended = later than any date: last ascending, first descending
        dated = sorted((c for c in expected if c["ends_on"] is not None), key=lambda c: c["ends_on"],
                       reverse=direction < 0)
        open_ended = sorted((c for c in expected if c["ends_on"] is None), key=lambda c: (c["name_key"], c["_id"]))
        assert dated and open_ended
        expected = dated + open_ended if direction > 0 else open_ended + dated
    else:  # a stable sort keeps ties in ascending _id, like the query's secondary sort
        expected.sort(key=lambda c: _key(c[field]), reverse=direction < 0)
    size = 7
    pages = []
    first = rm.campaigns(mirror, flt, sort, page=1, page_size=size)
    assert first.total == len(expected) and first.total > size
    for page in range(1, first.pages + 1):
        pages += rm.campaigns(mirror, flt, sort, page=page, page_size=size).rows
    assert [c["_id"] for c in pages] == [c["_id"] for c in expected]


def test_other_listings_match_brute_force(mirror):
    advertisers = every(mirror, "advertisers")
    net = advertisers[0]["network_id"]
    got = rm.advertisers(mirror, network_id=net, page_size=1000)
    assert got.total == sum(a["network_id"] == net for a in advertisers)
    assert [a["_id"] for a in got.rows] == [a["_id"] for a in sorted(
        (a for a in advertisers if a["network_id"] == net), key=lambda a: (a["name_key"], a["_id"]))]

    ads = every(mirror, "advertisements")
    statics = rm.advertisements(mirror, ad_type="StaticAdvertisement", active_placement=True, page_size=1000)
    assert {a["_id"] for a in statics.rows} == {a["_id"] for a in ads if a["type"] == "StaticAdvertisement"
                                                 and a["active_placement"]}
    zones = every(mirror, "zones")
    found = rm.zones(mirror, search="leaderboard", page_size=1000)
    assert {z["_id"] for z in found.rows} == {z["_id"] for z in zones if "leaderboard" in z["name_clean"].lower()}

    placements = every(mirror, "placements")
    big = max({p["campaign_id"] for p in placements}, key=lambda c: sum(p["campaign_id"] == c for p in placements))
    page = rm.placements(mirror, campaign_id=big, page=2, page_size=100)
    assert page.total == sum(p["campaign_id"] == big for p in placements) and page.total > 1000
    assert [p["_id"] for p in page.rows] == sorted(p["_id"] for p in placements if p["campaign_id"] == big)[100:200]


def test_overview_aggregates_match_brute_force(mirror):
    campaigns = every(mirror, "campaigns")
    placements = every(mirror, "placements")
    counts = rm.entity_counts(mirror)
    assert counts["campaigns"] == len(campaigns) and counts["placements"] == len(placements)

    statuses = rm.campaign_status_counts(mirror)
    for status in ("running", "scheduled", "ended", "paused"):
        assert statuses[status] == sum(c["status"] == status for c in campaigns)

    today = dt.date.today()
    ending = rm.campaigns_ending_within(mirror, 60, today)
    limit = dt.datetime.combine(today + dt.timedelta(days=60), dt.time())
    assert [c["_id"] for c in ending] == [c["_id"] for c in sorted(
        (c for c in campaigns if c["status"] == "running" and c["ends_on"] is not None
         and dt.datetime.combine(today, dt.time()) <= c["ends_on"] <= limit),
        key=lambda c: (c["ends_on"], c["_id"]))]

    top = rm.top_advertisers_by_running(mirror, limit=5)
    running: dict[int, int] = {}
    for c in campaigns:
        if c["status"] == "running":
            running[c["advertiser_id"]] = running.get(c["advertiser_id"], 0) + 1
    expected = sorted(running.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(t["advertiser_id"], t["running"]) for t in top] == expected
    assert all(t["name"] for t in top)

    per_zone = rm.placements_per_zone(mirror, limit=10)
    zone_counts: dict[int, int] = {}
    for p in placements:
        zone_counts[p["zone_id"]] = zone_counts.get(p["zone_id"], 0) + 1
    assert [(z["zone_id"], z["placements"]) for z in per_zone] == sorted(
        zone_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def test_reporting_totals_series_and_rankings_match_brute_force(mirror):
    rows = every(mirror, "stats_daily")
    assert rows
    start, end = dt.date.today() - dt.timedelta(days=13), dt.date.today()
    lo, hi = (dt.datetime.combine(d, dt.time()) for d in (start, end))
    window = [r for r in rows if lo <= r["date"] <= hi]
    totals = reporting.totals(mirror, start, end)
    assert totals["views"] == sum(r["views"] for r in window)
    assert totals["clicks"] == sum(r["clicks"] for r in window)
    assert totals["ctr"] == pytest.approx(totals["clicks"] / totals["views"])

    series = reporting.daily_series(mirror, start, end)
    by_day: dict[dt.datetime, int] = {}
    for r in window:
        by_day[r["date"]] = by_day.get(r["date"], 0) + r["views"]
    assert [(s["date"], s["views"]) for s in series] == sorted(by_day.items())

    camp = window[0]["campaign_id"]
    assert reporting.totals(mirror, start, end, reporting.StatsFilter(campaign_id=camp))["views"] == sum(
        r["views"] for r in window if r["campaign_id"] == camp)

    per_campaign: dict[int, list[int]] = {}
    for r in window:
        acc = per_campaign.setdefault(r["campaign_id"], [0, 0])
        acc[0] += r["views"]
        acc[1] += r["clicks"]
    by_views = reporting.top_campaigns(mirror, start, end, by="views", limit=5)
    assert [t["campaign_id"] for t in by_views] == [c for c, _ in sorted(
        per_campaign.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]]
    by_ctr = reporting.top_campaigns(mirror, start, end, by="ctr", limit=5, min_views=1000)
    eligible = {c: v[1] / v[0] for c, v in per_campaign.items() if v[0] >= 1000}
    assert [t["campaign_id"] for t in by_ctr] == [c for c, _ in sorted(eligible.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]


def test_enrichment_and_freshness(mirror):
    page = rm.campaigns(mirror, rm.CampaignFilter(statuses=("running",)), page_size=20)
    rows = rm.enrich_campaigns(mirror, page.rows)
    for r in rows:
        assert r["placement_count"] == mirror.placements.count_documents({"campaign_id": r["_id"]})
        adv = mirror.advertisers.find_one({"_id": r["advertiser_id"]})
        assert r["advertiser_name"] == adv["name_clean"]
    fresh = rm.freshness(mirror)
    assert fresh["last_success"] is not None
    assert all(v["last_change"] is not None and v["last_seen"] is not None for v in fresh["collections"].values())


def test_search_treats_regex_metacharacters_literally(db):
    names = ["50% off .* deal", "$ne promo", "a.b", "axb", "Plain (Campaign)", "ca$h [sale]"]
    db.campaigns.insert_many([{"_id": i, "name_clean": n, "name_key": n.casefold(), "status": "running"}
                              for i, n in enumerate(names, 1)])

    def search(text):
        return [r["name_clean"] for r in rm.campaigns(db, rm.CampaignFilter(search=text)).rows]

    assert search(".*") == ["50% off .* deal"]
    assert search("$ne") == ["$ne promo"]
    assert search("A.B") == ["a.b"]
    assert search("(campaign)") == ["Plain (Campaign)"]
    assert search("[sale]") == ["ca$h [sale]"]
    assert search("^") == []
    with pytest.raises(ValueError):
        rm.campaigns(db, sort=("$where", 1))
