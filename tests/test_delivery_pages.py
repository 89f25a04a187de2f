"""The delivery figures on the pages (AppTest): the Pacing column and its sort, the
campaign's pacing card and per-zone table, the Advertisements figures and detail, a
zone's own delivery per campaign, the Delivery health lists and the Overview's
comparisons, each against the read models or the rows in the mirror."""

from __future__ import annotations

import datetime as dt

import pytest

from bs_core import read as rm
from bs_core.read import breakdowns, delivery, figures, pacing
from bs_core.read.days import network_days
from bs_core.read.figures import BEHIND_PACE
from tests.conftest import held_through, synced_demo
from tests.test_app import app, clean_streamlit_state, no_exceptions, visit  # noqa: F401 - the fixture resets caches

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def mirrored(mongo_uri):
    with synced_demo(mongo_uri, stats_days=30, stats_chunk_days=31) as mirror:
        yield mirror.settings, mirror.db


def test_campaigns_sorted_by_pacing_put_the_furthest_behind_first_and_unpaced_last(mirrored):
    settings, db = mirrored
    at = visit(app(settings).run(), "pages/1_Campaigns.py")
    at.selectbox(key="f_campaigns_sort").set_value("Pacing").run()
    no_exceptions(at)
    shown = at.dataframe[0].value
    paced = {p.campaign_id: p for p in pacing.pacing(db, network_days(db)) if p.pacing is not None}
    assert paced, "the demo account has campaigns with a goal that delivered"
    first = list(shown["ID"])[:len(paced)]
    assert first == sorted(paced, key=lambda c: (paced[c].pacing, db.campaigns.find_one({"_id": c})["name_key"], c))
    assert [round(v, 6) for v in shown["Pacing"][:len(paced)]] == [round(paced[c].pacing, 2) for c in first]
    assert list(shown["Pace"][:len(paced)]) == [paced[c].status for c in first]
    assert shown["Pacing"][len(paced):].isna().all()  # campaigns without a goal come after


def test_a_goal_campaigns_detail_has_its_pacing_its_zones_and_its_ads(mirrored):
    settings, db = mirrored
    p = next(p for p in pacing.pacing(db, TODAY) if p.delivered and p.covers_from)
    at = app(settings)
    at.query_params.update({"open": f"campaign:{p.campaign_id}"})
    at = visit(at.run(), "pages/1_Campaigns.py")
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Delivered of goal"] == f"{p.delivered:,}"
    assert any(f"Pacing: {p.status}**, flight days {p.covers_from} to {p.covers_to}" in m.value for m in at.markdown)
    start, end = at.date_input(key="f_campaigns_period").value
    zones = {r["zone_id"]: r["views"] for r in breakdowns.campaign_zones(db, p.campaign_id, start, end)}
    table = next(d.value for d in at.dataframe if "Zone ID" in d.value.columns and "Views" in d.value.columns)
    assert dict(zip(table["Zone ID"], table["Views"], strict=True)) == zones
    ads = next(d.value for d in at.dataframe if "Zones placed in" in d.value.columns)
    per_ad = breakdowns.campaign_ads(db, p.campaign_id, start, end)
    assert {i: v for i, v in zip(ads["ID"], ads["Views"], strict=True) if v} == {
        a: f["views"] for a, f in per_ad.items() if f["views"]}
    placed = next(d.value for d in at.dataframe if "Views in this zone" in d.value.columns and "Zone" in d.value.columns)
    for zone, ad, in_zone, of_ad in zip(placed["Zone ID"], placed["Advertisement ID"], placed["Views in this zone"],
                                        placed["Views of this ad"], strict=True):
        assert in_zone == zones.get(zone, 0) and of_ad == per_ad.get(ad, {}).get("views", 0)


def test_advertisements_sort_by_views_and_open_a_detail(mirrored):
    settings, db = mirrored
    at = visit(app(settings).run(), "pages/3_Advertisements.py")
    at.selectbox(key="f_advertisements_sort").set_value("Views").run()
    at.toggle(key="f_advertisements_desc").set_value(True).run()
    no_exceptions(at)
    shown = at.dataframe[0].value
    start, end = at.date_input(key="f_advertisements_period").value
    per_ad = rm.advertisements_listing(db, None, "", ("views", -1), 1, 50, start, end).rows
    assert list(shown["ID"]) == [a["_id"] for a in per_ad] and shown["Views"].iloc[0] > 0
    assert list(shown["Views"]) == sorted(shown["Views"], reverse=True)
    top = int(shown["ID"].iloc[0])
    at.query_params.update({"open": f"advertisement:{top}"})
    at = visit(at, "pages/3_Advertisements.py")
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Views in period"] == f"{int(shown['Views'].iloc[0]):,}"


def test_a_zone_lists_each_campaigns_delivery_in_that_zone_not_its_total(mirrored):
    settings, db = mirrored
    zone = db.stats_campaign_zone_daily.find_one(sort=[("views", -1)])["zone_id"]
    at = app(settings)
    at.query_params.update({"open": f"zone:{zone}"})
    at = visit(at.run(), "pages/4_Zones.py")
    no_exceptions(at)
    start, end = at.date_input(key="f_zones_period").value
    table = next(d.value for d in at.dataframe if "Views in this zone" in d.value.columns)
    expected = {c: f["views"] for c, f in breakdowns.zone_campaigns(db, zone, start, end).items()}
    assert {i: v for i, v in zip(table["ID"], table["Views in this zone"], strict=True) if v} == expected


def test_delivery_health_lists_behind_over_and_dark_zones(mirrored):
    settings, db = mirrored
    at = visit(app(settings).run(), "pages/7_Delivery_health.py")
    no_exceptions(at)
    heads = [s.value for s in at.subheader]
    for start, rows in (("Behind pace", figures.behind_pace(db, TODAY)),
                        ("Over-delivering", figures.over_delivering(db, TODAY)),
                        ("Quiet zones", delivery.dark_zones(db, TODAY))):
        assert any(h.startswith(start) and h.endswith(f"({len(rows):,})") for h in heads), (start, heads)


def test_overview_offers_a_year_back_only_when_held_and_rolls_up_by_week(mirrored):
    settings, db = mirrored
    at = app(settings).run()
    no_exceptions(at)
    assert at.selectbox(key="f_overview_compare").options == ["previous period"]  # 30 days held, not a year
    start, end = at.date_input(key="f_overview_period").value
    assert end == TODAY - dt.timedelta(days=1)  # complete days only
    at.toggle(key="f_overview_complete").set_value(False).run()
    held = held_through(db)  # today, once every network has begun it
    at.date_input(key="f_overview_period").set_value((start, held)).run()
    assert at.date_input(key="f_overview_period").value[1] == held
    at.selectbox(key="f_overview_grain").set_value("week").run()
    no_exceptions(at)
    behind = len(BEHIND_PACE.ids(db, network_days(db)))
    assert {m.label: m.value for m in at.metric}["Behind pace"] == f"{behind:,}"


def test_networks_show_their_figures_over_the_period(mirrored):
    settings, db = mirrored
    at = visit(app(settings).run(), "pages/5_Networks.py")
    no_exceptions(at)
    start, end = at.date_input(key="f_networks_period").value
    shown = at.dataframe[0].value
    column = f"Views {start} to {end}"
    assert list(shown.columns)[:2] == ["Name", column]
    expected = {n: f["views"] for n, f in breakdowns.networks(db, start, end).items()}
    assert dict(zip(shown["ID"], shown[column], strict=True)) == expected
