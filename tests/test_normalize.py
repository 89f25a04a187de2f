"""Normalisation of upstream payloads, on simulator data and on the quirks in docs/broadstreet-api.md."""

from __future__ import annotations

import datetime as dt

from bs_core import normalize as norm
from bs_core.entities import ENTITIES
from bs_core.simulator import Dataset
from bs_core.simulator.dataset import public

TODAY = dt.date(2026, 6, 15)


def ctx(**kw) -> norm.Context:
    return norm.Context(TODAY, **kw)


def test_simulator_records_all_normalise_and_keep_every_upstream_field():
    ds = Dataset("demo", seed=1)
    for kind in ("networks", "advertisers", "zones", "campaigns", "advertisements"):
        raws = [public(r) for r in getattr(ds, kind).values()]
        docs, skipped = ENTITIES[kind].normalize_many(raws, ctx(network_id=1))
        assert skipped == [] and len(docs) == len(raws)
        for raw, doc in zip(raws, docs, strict=True):
            assert {k: doc[k] for k in raw} == raw | ({"network_id": doc["network_id"]} if kind == "zones" else {})
            assert doc["_id"] == raw["id"]
            assert doc["name_clean"] == " ".join(doc["name_clean"].split())
            assert "\u00a0" not in doc["name_clean"] and "\n" not in doc["name_clean"]


def test_clean_name_collapses_whitespace_newlines_and_nbsp():
    assert norm.clean_name("  Sports\u00a0Rail \n Leaderboard  ") == "Sports Rail Leaderboard"
    assert norm.clean_name(None) == ""


def test_campaign_weights_dates_and_status():
    base = {"id": 7, "name": "x", "advertiser_id": 3, "active": True, "weight": "high",
            "start_date": "2026-06-01", "end_date": None}
    doc = norm.campaign(base, ctx(network_id=9))
    assert doc["weight_value"] == 1.5 and not doc["weight_unknown"]
    assert doc["starts_on"] == dt.datetime(2026, 6, 1) and doc["ends_on"] is None
    assert doc["status"] == "running" and doc["network_id"] == 9
    for weight, value in (("remnant", 0.0), ("low", 0.5), ("default", 1.0), ("sponsorship", 127.0)):
        assert norm.campaign(base | {"weight": weight}, ctx())["weight_value"] == value
    odd = norm.campaign(base | {"weight": "turbo"}, ctx())
    assert odd["weight_value"] is None and odd["weight_unknown"] and odd["weight"] == "turbo"

    def status(active, start, end):
        return norm.campaign(base | {"active": active, "start_date": start, "end_date": end}, ctx())["status"]

    assert status(True, "2026-07-01", None) == "scheduled"
    assert status(True, "2026-01-01", "2026-06-14") == "ended"
    assert status(False, "2026-01-01", "2026-06-14") == "ended"
    assert status(False, "2026-06-01", "2026-06-30") == "paused"
    assert status(True, None, None) == "running"
    assert status(True, "2026-06-01", "2026-06-15") == "running"  # end date inclusive


def test_advertisement_time_and_advertiser_resolution():
    names = norm.advertiser_name_index([{"id": 1, "name": "Harbor  Dental "}, {"id": 2, "name": "Twin"},
                                        {"id": 3, "name": "twin"}])
    base = {"id": 10, "name": "ad", "updated_at": "2025-07-28T06:58:20.000-07:00", "advertiser": "Harbor Dental"}
    doc = norm.advertisement(base, ctx(network_id=4, advertiser_ids_by_name=names))
    assert doc["updated_at_utc"] == dt.datetime(2025, 7, 28, 13, 58, 20)
    assert doc["advertiser_id"] == 1 and doc["advertiser_match"] == "unique" and doc["network_id"] == 4
    winter = norm.advertisement(base | {"updated_at": "2025-01-05T23:30:00.000-08:00"}, ctx())
    assert winter["updated_at_utc"] == dt.datetime(2025, 1, 6, 7, 30)
    twin = norm.advertisement(base | {"advertiser": "TWIN"}, ctx(advertiser_ids_by_name=names))
    assert twin["advertiser_id"] is None and twin["advertiser_match"] == "ambiguous"
    none = norm.advertisement(base | {"advertiser": "Nobody"}, ctx(advertiser_ids_by_name=names))
    assert none["advertiser_id"] is None and none["advertiser_match"] == "none"


def test_placements_get_their_campaign_and_a_compound_key():
    docs, skipped = ENTITIES["placements"].normalize_many(
        [{"advertisement_id": 5, "zone_id": 6, "restrictions": ["phone"]}],
        ctx(network_id=1, campaign_id=77))
    assert skipped == [] and docs[0]["_id"] == "77:5:6" and docs[0]["campaign_id"] == 77


def test_bad_records_are_skipped_with_a_reason_and_the_rest_kept():
    raws = [
        {"id": 1, "name": "fine", "advertiser_id": 2, "active": True, "weight": "default"},
        {"name": "no id", "advertiser_id": 2},
        {"id": "abc", "name": "bad id"},
        {"id": 3, "name": 42, "advertiser_id": 2},
        {"id": 4, "name": "bad date", "advertiser_id": 2, "start_date": "next tuesday"},
        {"id": 5, "name": "bad active", "advertiser_id": 2, "active": "yes"},
        "not an object",
        {"id": 1, "name": "duplicate", "advertiser_id": 2},
    ]
    docs, skipped = ENTITIES["campaigns"].normalize_many(raws, ctx())
    assert [d["_id"] for d in docs] == [1]
    reasons = [s["reason"] for s in skipped]
    assert len(skipped) == 7
    assert any("id missing" in r for r in reasons) and any("not a date" in r for r in reasons)
    assert any("name has type int" in r for r in reasons) and "duplicate in response" in reasons
    bad_ad = ENTITIES["advertisements"].normalize_many([{"id": 9, "name": "x", "updated_at": "yesterday"}], ctx())
    assert bad_ad[0] == [] and "updated_at" in bad_ad[1][0]["reason"]


def test_content_hash_ignores_sync_metadata_only():
    doc = {"_id": 1, "name": "a"}
    assert norm.content_hash(doc) == norm.content_hash(doc | {"_sync": {"hash": "x"}})
    assert norm.content_hash(doc) != norm.content_hash(doc | {"name": "b"})
