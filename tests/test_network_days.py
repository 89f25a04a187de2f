"""The morning answer is right for every network (issue 27, items 1 and 2): each network's
"yesterday" is its own, with the clock frozen at the hours where UTC-08:00, UTC-05:00 and
UTC+12:00 disagree; and "Behind pace" is one figure, equal on every surface."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
import streamlit as st

from bs_core.dates import freeze
from bs_core.digest import _content as content
from bs_core.read import figures, pacing
from bs_core.read.days import network_days, parse_offset
from bs_core.read.figures import BEHIND_PACE, definitions_table
from bs_core.read.reports import ReportQuery, period, report
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, mirror_settings
from tests.test_app import app, no_exceptions, visit

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.datetime.now(dt.UTC).date()


def synced_at(mongo_uri, size: str, moment: dt.datetime):
    """A mirror of ``size`` synced with the simulator's clock at ``moment`` (UTC)."""
    client, db = fresh_database(mongo_uri)
    sim = Simulator(size, seed=2, records_limit=50, records_window=1.0)
    sim.reports._now = moment  # its report rows stop where the frozen hour is
    for nid in sorted(sim.dataset.networks):  # on each clock, a running campaign with a goal in a young flight
        cid = max((c for c, rows in sim.dataset.placements.items()
                   if rows and sim.dataset.campaigns[c]["_network_id"] == nid), key=lambda c: len(sim.dataset.placements[c]))
        sim.mutate("update", "campaigns", cid, {
            "active": True, "max_impression_count": 10_000_000,
            "start_date": (moment.date() - dt.timedelta(days=10)).isoformat(),
            "end_date": (moment.date() + dt.timedelta(days=20)).isoformat()})
    server = SimulatorServer(sim).__enter__()
    settings = mirror_settings(server, db, stats_days=12)
    assert run_sync(settings, db, "full")["status"] in ("success", "partial")
    return client, db, sim, server, settings


def local_views_through(sim, campaign_id: int, last: dt.date) -> int:
    """The simulator's own rows of a campaign, summed by their local date through ``last``."""
    rec = sim.dataset.campaigns[campaign_id]
    nid = rec["_network_id"]
    start = dt.date.fromisoformat(rec["start_date"][:10])
    rows = sim.reports.hourly_rows(nid, max(start, TODAY - dt.timedelta(days=11)), last)
    return sum(r["view_count"] for r in rows if r["campaign_id"] == campaign_id
               and dt.date.fromisoformat(r["dated"][:10]) <= last)


@pytest.fixture(scope="module")
def early_morning(mongo_uri):
    """05:41 UTC: Dec 1 (UTC's yesterday) is complete for UTC-05:00, not for UTC-08:00."""
    moment = dt.datetime.combine(TODAY, dt.time(5, 41))
    client, db, sim, server, settings = synced_at(mongo_uri, "world", moment)
    yield db, sim, settings, moment
    server.__exit__(None, None, None)
    dispose(client, db.name)


def goal_campaign_of(db, sim, offset_minutes: int) -> int:
    nid = next(n for n, r in sim.dataset.networks.items() if r["_utc_offset"] == offset_minutes)
    found = [p for p in pacing.pacing(db, network_days(db), nid) if p.delivered and p.covers_to]
    assert found, f"no goal campaign with delivery on the UTC{offset_minutes / 60:+} network"
    return max(found, key=lambda p: p.delivered).campaign_id


def test_at_0541_utc_a_utc_minus_8_network_is_cut_at_its_own_yesterday(early_morning):
    db, sim, _, moment = early_morning
    with freeze(moment):
        days = network_days(db)
        for offset, through in ((-480, TODAY - dt.timedelta(days=2)), (-300, TODAY - dt.timedelta(days=1))):
            cid = goal_campaign_of(db, sim, offset)
            [p] = pacing.pacing(db, days, campaign_id=cid)
            assert p.covers_to == through, offset
            assert p.delivered == local_views_through(sim, cid, through), offset  # equal to the rows themselves
        assert days.describe(sorted(sim.dataset.networks)) == (  # three clocks, two days: said once each
            f"through {TODAY - dt.timedelta(days=1)} for UTC+12:00, UTC-05:00, "
            f"through {TODAY - dt.timedelta(days=2)} for UTC-08:00")


def test_at_2000_utc_a_utc_plus_12_networks_today_is_complete(mongo_uri):
    moment = dt.datetime.combine(TODAY, dt.time(20, 0))
    client, db, sim, server, _ = synced_at(mongo_uri, "world", moment)
    try:
        with freeze(moment):
            days = network_days(db)
            plus12 = next(n for n, r in sim.dataset.networks.items() if r["_utc_offset"] == 720)
            assert days.yesterday(plus12) == TODAY  # 08:00 tomorrow there: UTC's today is complete
            cid = goal_campaign_of(db, sim, 720)
            [p] = pacing.pacing(db, days, campaign_id=cid)
            assert p.covers_to == TODAY and p.delivered == local_views_through(sim, cid, TODAY)
    finally:
        server.__exit__(None, None, None)
        dispose(client, db.name)


def test_the_overviews_complete_days_sum_each_networks_own(early_morning):
    db, sim, settings, moment = early_morning
    with freeze(moment):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = app(settings).run()
        no_exceptions(at)
        start, end = at.date_input(key="f_overview_period").value
        assert end == TODAY - dt.timedelta(days=1)
        said = " ".join(c.value for c in at.caption)
        assert (f"Complete days: through {TODAY - dt.timedelta(days=1)} for UTC+12:00, UTC-05:00, "
                f"through {TODAY - dt.timedelta(days=2)} for UTC-08:00") in said
        views = {m.label: m.value for m in at.metric}["Views"]
    expected = 0
    offsets = {n: r["_utc_offset"] for n, r in sim.dataset.networks.items()}
    for nid, minutes in offsets.items():
        own_last = (moment + parse_offset(f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:00")).date() \
            - dt.timedelta(days=1)
        rows = sim.reports.hourly_rows(nid, start, min(end, own_last))
        expected += sum(r["view_count"] for r in rows)
    assert views == f"{expected:,}"


def test_behind_pace_is_one_figure_on_every_surface(early_morning):
    """The Overview's KPI, Delivery health's list and the digest give the same count and
    the same campaigns, and a paused campaign behind its goal is on none of them."""
    db, sim, settings, moment = early_morning
    with freeze(moment):
        days = network_days(db)
        every = pacing.pacing(db, days)
        by_hand = sorted(p.campaign_id for p in every if p.status in pacing.BEHIND and p.campaign_status == "running")
        paused_behind = [p.campaign_id for p in every if p.status in pacing.BEHIND and p.campaign_status != "running"]
        assert sorted(p.campaign_id for p in BEHIND_PACE.of(db, days, None)) == by_hand
        assert sorted(p.campaign_id for p in figures.behind_pace(db, days)) == by_hand
        digest = content.build(db, TODAY)
        behind = next(s for s in digest.lists if s.key == "behind-pace")
        assert sorted(r["ID"] for r in behind.rows) == by_hand
        st.cache_data.clear()
        st.cache_resource.clear()
        at = app(settings).run()
        no_exceptions(at)
        assert {m.label: m.value for m in at.metric}["Behind pace"] == f"{len(by_hand):,}"
        health = visit(at, "pages/7_Delivery_health.py")
        heads = [s.value for s in health.subheader]
        assert any(h.startswith("Behind pace") and h.endswith(f"({len(by_hand):,})") for h in heads), heads
    assert not set(paused_behind) & set(by_hand)


def test_the_readme_carries_the_catalogues_definitions():
    assert definitions_table() in (ROOT / "README.md").read_text()


def test_every_figure_in_the_catalogue_has_a_definition():
    from bs_core.read.figures import CATALOGUE

    names = defaultdict(int)
    for figure in CATALOGUE:
        names[figure.name] += 1
        assert figure.definition.endswith(".") and len(figure.definition) > 20
    assert max(names.values()) == 1  # one definition per figure


def own_yesterday(moment: dt.datetime, minutes: int) -> dt.date:
    return (moment + dt.timedelta(minutes=minutes)).date() - dt.timedelta(days=1)


def test_the_digests_yesterday_is_each_networks_own(early_morning):
    """At 05:41 UTC the digest sums Dec 1 of the UTC-05:00 and UTC+12:00 networks and Nov 30
    of the UTC-08:00 one (whose Dec 1 is under way), and says so; an advertiser's digest
    names only its own network's clock."""
    db, sim, _, moment = early_morning
    with freeze(moment):
        digest = content.build(db, TODAY)
        expected = sum(r["view_count"] for nid, rec in sim.dataset.networks.items()
                       for r in sim.reports.hourly_rows(nid, own_yesterday(moment, rec["_utc_offset"]),
                                                        own_yesterday(moment, rec["_utc_offset"])))
        assert digest.figures["yesterday"]["views"] == expected
        assert digest.days_note == (f"through {TODAY - dt.timedelta(days=1)} for UTC+12:00, UTC-05:00, "
                                    f"through {TODAY - dt.timedelta(days=2)} for UTC-08:00")
        west = next(n for n, r in sim.dataset.networks.items() if r["_utc_offset"] == -480)
        adv = db.advertisers.find_one({"network_id": west})["_id"]
        own = content.build(db, TODAY, advertiser_id=adv)
        assert own.clock == "account time, UTC-08:00" and own.day == TODAY - dt.timedelta(days=2)
        assert own.days_note == ""


def test_reports_default_period_stops_each_network_at_its_own_yesterday(early_morning):
    db, sim, _, moment = early_morning
    with freeze(moment):
        rows = {r["network_id"]: r["views"] for r in report(db, ReportQuery("networks"), network_days(db))}
        start, end = period(db, ReportQuery("networks"), network_days(db))
    assert end == TODAY - dt.timedelta(days=1)
    for nid, rec in sim.dataset.networks.items():
        last = own_yesterday(moment, rec["_utc_offset"])
        assert rows[nid] == sum(r["view_count"] for r in sim.reports.hourly_rows(nid, start, min(end, last))), nid
