"""A missing record is not a deleted record: each case of the probe (issue 26, items 1 and
2) replayed against the simulator.  A record a list omits is asked about by its own route
(404 proves it gone, 200 keeps it), kept when another fresh list still names it, and
weighed with what it takes along when nothing can prove it gone."""

from __future__ import annotations

import pytest

from bs_core.client import BroadStreetClient
from bs_core.errors import NotFoundError
from bs_core.store.held import held_summary
from bs_core.sync import run_sync
from bs_core.sync._proof import MAX_ASKED
from tests.conftest import mirror_settings, settings_for
from tests.test_faults import counts, orphans
from tests.test_sync import assert_mirror_matches

SINGLE = ("/networks/{id}", "/advertisers/{id}", "/campaigns/{id}", "/zones/{id}")


def synced(demo_server, db):
    settings = mirror_settings(demo_server, db, stats_days=2)
    assert run_sync(settings, db, "full")["status"] == "success"
    return settings


def omitted(run) -> list[dict]:
    return [e for e in run["errors"] if e["type"] == "OmittedRecordsError"]


def single_requests(run) -> int:
    return sum(run["requests"].get(endpoint, {}).get("requests", 0) for endpoint in SINGLE)


def test_a_network_left_out_of_the_list_once_is_kept_with_its_subtree(db, demo_server):
    sim = demo_server.sim
    settings = synced(demo_server, db)
    before = counts(db)
    first, second = sorted(sim.dataset.networks)
    listed = [n for n in sim.route("/networks", {})[1]["networks"] if n["id"] == first]
    sim.faults.add(path="/networks", status=200, body={"networks": listed}, times=1)
    sim.mutate("update", "networks", second, {"name": "Renamed While Hidden"})

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    assert counts(db) == before and orphans(db) == {"placements": 0, "campaigns": 0, "under networks": 0}
    [said] = omitted(run)
    assert said["scope"] == "the account" and "still has" in said["message"] and str(second) in said["message"]
    assert db.networks.find_one({"_id": second})["name_clean"] == "Renamed While Hidden"  # refreshed from its record
    assert run["held_deletions"] == [] and held_summary(db) == []
    whole = run_sync(settings, db, "full")
    assert whole["status"] == "success"
    assert single_requests(whole) == 0  # nothing missing: no record is asked about one by one
    assert_mirror_matches(db, sim)


def test_an_advertiser_left_out_once_is_kept_and_a_deleted_one_goes_in_the_same_run(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = synced(demo_server, db)
    nid = sorted(ds.networks)[0]

    def subtree(aid):
        campaigns = list(ds.campaigns_by_advertiser[aid])
        return 1 + len(campaigns) + db.placements.count_documents({"campaign_id": {"$in": campaigns}})

    biggest, gone = sorted(ds.adv_by_network[nid], key=subtree)[-2:]
    assert subtree(gone) >= settings.delete_guard_min  # the old guard would have held it, or deleted both
    kept_campaigns = db.campaigns.count_documents({"advertiser_id": biggest})
    kept_placements = db.placements.count_documents({"campaign_id": {"$in": list(ds.campaigns_by_advertiser[biggest])}})
    sim.mutate("delete", "advertisers", gone)  # really gone: its own route answers 404
    listed = [a for a in sim.route("/advertisers", {"network_id": str(nid)})[1]["advertisers"] if a["id"] != biggest]
    sim.faults.add(path="/advertisers", query={"network_id": nid}, status=200, body={"advertisers": listed},
                   times=1)

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    assert db.advertisers.find_one({"_id": biggest}) is not None
    assert db.campaigns.count_documents({"advertiser_id": biggest}) == kept_campaigns
    assert db.placements.count_documents({"campaign_id": {"$in": list(ds.campaigns_by_advertiser[biggest])}}) \
        == kept_placements
    assert db.advertisers.find_one({"_id": gone}) is None and run["counts"]["advertisers"]["deleted"] == 1
    assert db.campaigns.count_documents({"advertiser_id": gone}) == 0
    assert [e["scope"] for e in omitted(run)] == [next(e["scope"] for e in omitted(run))]
    assert "advertisers of network" in omitted(run)[0]["scope"] and str(biggest) in omitted(run)[0]["message"]
    assert single_requests(run) == 2  # the two missing advertisers, nothing else
    assert orphans(db) == {"placements": 0, "campaigns": 0, "under networks": 0}
    again = run_sync(settings, db, "full")
    assert again["status"] == "success", again["errors"]
    assert_mirror_matches(db, sim)


def test_ads_and_zones_missing_once_keep_every_placement_that_names_them(db, demo_server):
    sim = demo_server.sim
    settings = synced(demo_server, db)
    before = counts(db)
    for kind, field in (("advertisements", "advertisement_id"), ("zones", "zone_id")):
        uses = {r["_id"]: r["n"] for r in db.placements.aggregate([{"$group": {"_id": f"${field}", "n": {"$sum": 1}}}])}
        top = max(uses, key=uses.get)
        nid = db[kind].find_one({"_id": top})["network_id"]
        mine = {d["_id"] for d in db[kind].find({"network_id": nid}, {"_id": 1})}
        top3 = sorted(mine, key=lambda i: -uses.get(i, 0))[:3]  # the three that take most placements along
        assert sum(uses[i] for i in top3) >= 15
        body = sim.route(f"/{kind}", {"network_id": str(nid)})[1]
        sim.faults.add(path=f"/{kind}", query={"network_id": nid}, status=200, times=1,
                       body={kind: [r for r in body[kind] if r["id"] not in top3]})

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    assert counts(db) == before and run["counts"].get("placements", {}).get("deleted", 0) == 0
    said = omitted(run)
    assert sorted(e["message"].split(" of network")[0] for e in said) == ["advertisements", "zones"]
    assert all("still name" in e["message"] for e in said)
    assert single_requests(run) == 0  # the placements were proof enough
    assert run_sync(settings, db, "quick")["status"] == "success"
    assert_mirror_matches(db, sim)


def test_an_ad_nothing_fresh_names_is_weighed_with_its_placements(db, demo_server):
    """No route can prove an ad gone: when the placement lists that name it fail too, an ad
    with 5 or more placements is held; the guard counts what it takes along."""
    sim = demo_server.sim
    settings = synced(demo_server, db)
    uses = {r["_id"]: r["n"] for r in db.placements.aggregate(
        [{"$group": {"_id": "$advertisement_id", "n": {"$sum": 1}}}])}
    ad = max(uses, key=uses.get)
    doc = db.advertisements.find_one({"_id": ad})
    campaigns = db.placements.distinct("campaign_id", {"advertisement_id": ad})
    assert uses[ad] >= settings.delete_guard_min
    before = counts(db)
    body = sim.route("/advertisements", {"network_id": str(doc["network_id"])})[1]
    body = {"advertisements": [a for a in body["advertisements"] if a["id"] != ad]}
    sim.faults.add(path="/advertisements", query={"network_id": doc["network_id"]}, status=200, body=body, times=1)
    for cid in campaigns:
        sim.faults.add(path="/placements", query={"campaign_id": cid}, status=500, times=3)

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial"
    assert counts(db) == before
    [held] = [h for h in run["held_deletions"] if h["collection"] == "advertisements"]
    assert held["ids"] == [ad] and "documents along" in held["reason"]


def test_a_missing_record_whose_route_fails_is_held_not_deleted(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = synced(demo_server, db)
    nid = sorted(ds.networks)[0]
    zone = sorted(ds.zones_by_network[nid])[0]
    before = counts(db)
    body = sim.route("/zones", {"network_id": str(nid)})[1]
    sim.faults.add(path="/zones", query={"network_id": nid}, status=200,
                   body={"zones": [z for z in body["zones"] if z["id"] != zone]}, times=1)
    sim.faults.add(path=f"/zones/{zone}", status=503, times=10)

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial" and counts(db) == before
    if db.placements.count_documents({"zone_id": zone}):  # named by a fresh placement: kept without asking
        assert omitted(run)
    else:
        [held] = run["held_deletions"]
        assert held["ids"] == [zone] and "did not confirm" in held["reason"]


def test_past_the_bound_nothing_is_asked_and_everything_is_held(db, demo_server):
    sim = demo_server.sim
    ds = sim.dataset
    settings = synced(demo_server, db)
    nid = max(ds.networks, key=lambda n: len(ds.adv_by_network[n]))
    advertisers = [a for a in ds.adv_by_network[nid] if ds.campaigns_by_advertiser[a]]
    in_lists = sum(len(ds.campaigns_by_advertiser[a]) for a in advertisers)
    assert in_lists > MAX_ASKED
    before = counts(db)
    for aid in advertisers:
        sim.faults.add(path="/campaigns", query={"advertiser_id": aid}, status=200, body={"campaigns": []}, times=1)

    run = run_sync(settings, db, "full")
    assert run["status"] == "partial" and counts(db) == before
    assert single_requests(run) == 0
    held = [h for h in run["held_deletions"] if h["collection"] == "campaigns"]
    assert sum(h["count"] for h in held) == in_lists and f"more than the {MAX_ASKED}" in held[0]["reason"]


def test_single_records_are_read_wrapped_or_not_and_404_is_not_found(demo_server):
    """The spec shows single campaigns and zones unwrapped, an older client reads them
    under a key: the simulator serves both (every second network wraps), the client reads both."""
    ds = demo_server.sim.dataset
    client = BroadStreetClient(settings_for(demo_server))
    shapes = set()
    for nid in sorted(ds.networks):
        zone = sorted(ds.zones_by_network[nid])[0]
        status, body = demo_server.sim.route(f"/zones/{zone}", {})
        shapes.add("zone" in body)
        assert client.zone(zone)["id"] == zone
        campaign = next(c for c, rec in ds.campaigns.items() if rec["_network_id"] == nid)
        assert client.campaign(campaign)["id"] == campaign
        advertiser = ds.adv_by_network[nid][0]
        assert client.advertiser(advertiser)["id"] == advertiser
    assert shapes == {True, False}
    with pytest.raises(NotFoundError):
        client.campaign(999_999_999)
    client.close()
