"""What can still be sold (issue 31): zone forecasts made by the sync and backtested against
the seasonal-naive baseline, booked delivery computed by hand for three campaigns,
availability never below 0 with over-booked days flagged, ``report availability``'s bad
input, and the Inventory page."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from typing import Any, NamedTuple

import pytest
import streamlit as st

from bs_core.dates import freeze
from bs_core.forecast import model
from bs_core.read import bookings, inventory
from bs_core.read.days import network_days
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.store.forecasts import forecast_meta, refresh_forecasts, zone_forecasts
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, mirror_settings
from tests.test_app import ROOT, app, no_exceptions
from tests.test_sync import cli_env

TODAY = dt.datetime.now(dt.UTC).date()
MOMENT = dt.datetime.combine(TODAY, dt.time(12, 0))  # both demo clocks (-05:00, -08:00) are on TODAY


class Stocked(NamedTuple):
    db: Any
    settings: Any
    sim: Any
    shared: int  #: running, a goal, views in several zones: booked by its zone shares
    fresh: int  #: scheduled, placed, no views yet: booked evenly over its placements' zones
    goalless: int  #: running without a goal: books nothing
    server: Any


def _local_day(row: dict) -> dt.date:
    return dt.date.fromisoformat(row["dated"][:10])


@pytest.fixture(scope="module")
def stocked(mongo_uri):
    client, db = fresh_database(mongo_uri)
    sim = Simulator("demo", seed=1, records_limit=50, records_window=1.0)
    sim.reports._now = MOMENT
    ds = sim.dataset
    sources = sim.reports.sources()
    nid = sorted(sources)[0]
    by_campaign = defaultdict(set)
    for cid, _ad, zone, *_ in sources[nid]:
        by_campaign[cid].add(zone)
    seen_zones = {zone for cid, _ad, zone, *_ in sources[nid]}
    shared = max((c for c, zones in by_campaign.items() if len(zones) >= 2), key=lambda c: (len(by_campaign[c]), c))
    fresh = next(c for c in sorted(ds.placements) if c != shared and ds.campaigns[c]["_network_id"] == nid
                 and len({p["zone_id"] for p in ds.placements[c]} & seen_zones) >= 2)
    goalless = next(c for c in sorted(by_campaign) if c not in (shared, fresh))
    sim.mutate("update", "campaigns", shared, {
        "active": True, "max_impression_count": 3_000_000,
        "start_date": (TODAY - dt.timedelta(days=30)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=20)).isoformat()})
    sim.mutate("update", "campaigns", fresh, {  # a huge goal in few days: over-books its zones
        "active": True, "max_impression_count": 40_000_000,
        "start_date": (TODAY + dt.timedelta(days=3)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=12)).isoformat()})
    sim.mutate("update", "campaigns", goalless, {
        "active": True, "max_impression_count": None,
        "start_date": (TODAY - dt.timedelta(days=10)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=10)).isoformat()})
    with SimulatorServer(sim) as server:
        settings = mirror_settings(server, db, stats_days=90)  # the backtest needs 42 days or more
        with freeze(MOMENT):
            assert run_sync(settings, db, "full")["status"] == "success"
        yield Stocked(db, settings, sim, shared, fresh, goalless, server)
    dispose(client, db.name)


def test_the_sync_keeps_a_forecast_per_zone_that_beats_the_baseline(stocked):
    meta = forecast_meta(stocked.db)
    kept = zone_forecasts(stocked.db)
    delivering = {r["zone_id"] for nid in stocked.sim.dataset.networks
                  for r in stocked.sim.reports.hourly_rows(nid, TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=1))}
    assert delivering and delivering <= set(kept)  # every zone that delivered lately has one
    assert meta["zones"] == len(kept)
    some = next(iter(kept.values()))
    assert len(some["views"]) == model.HORIZON and some["first_day"].date() == TODAY
    assert all(lo <= v <= hi for f in kept.values() for lo, v, hi in zip(f["low"], f["views"], f["high"], strict=True))
    check = meta["backtest"]
    assert check["zones"] >= 30
    assert check["wape_method"] < check["wape_baseline"]
    assert check["wape_method_small"] < check["wape_baseline_small"]


def test_the_backtest_scores_both_methods_on_what_was_held_out():
    """WAPE by hand on a history whose last 28 days double: the baseline and the method are
    scored against exactly those days."""
    first = dt.date(2026, 1, 5)  # a Monday
    history = [100.0 + 10 * (i % 7) for i in range(70)] + [200.0 + 20 * (i % 7) for i in range(28)]
    check = model.backtest({1: history}, {1: 1}, first)
    held = history[-28:]
    base = model.seasonal_naive(history[:-28], first, 28)
    assert check.wape_baseline == pytest.approx(sum(abs(a - f) for a, f in zip(held, base, strict=True)) / sum(held))
    assert base[:7] == [100.0 + 10 * i for i in range(7)]  # the mean of the same weekday, 4 weeks back
    made = model.forecast(history[:-28], first, model.weekday_pattern([history[:-28]], first), 28)
    assert check.wape_method == pytest.approx(sum(abs(a - f) for a, f in zip(held, made, strict=True)) / sum(held))


def test_a_spike_or_an_outage_moves_the_forecast_less_than_the_baseline():
    first = dt.date(2026, 1, 5)
    steady = [1000.0] * 60
    for broken in ([*steady[:-3], 9000.0, 1000.0, 1000.0], [*steady[:-3], 0.0, 1000.0, 1000.0]):
        method = model.forecast(broken, first, (1.0,) * 7, 7)
        naive = model.seasonal_naive(broken, first, 7)
        assert max(abs(v - 1000) for v in method) < 60
        assert max(abs(v - 1000) for v in naive) >= 250


def test_booked_delivery_by_hand_for_three_campaigns(stocked):
    db, sim = stocked.db, stocked.sim
    with freeze(MOMENT):
        days = network_days(db)
        found = {b.campaign_id: b for b in bookings.bookings(db, days)}
    yesterday = TODAY - dt.timedelta(days=1)
    # zone shares: goal - delivered through yesterday, over today..end, by the last 14 days' views per zone
    rec = sim.dataset.campaigns[stocked.shared]
    rows = [r for r in sim.reports.hourly_rows(rec["_network_id"], TODAY - dt.timedelta(days=30), yesterday)
            if r["campaign_id"] == stocked.shared]
    delivered = sum(r["view_count"] for r in rows)
    recent = defaultdict(int)
    for r in rows:
        if _local_day(r) >= yesterday - dt.timedelta(days=13):
            recent[r["zone_id"]] += r["view_count"]
    b = found[stocked.shared]
    assert (b.remaining, b.first_day, b.last_day, b.spread) == (3_000_000 - delivered, TODAY,
                                                                TODAY + dt.timedelta(days=20), "zone shares")
    assert b.zones == pytest.approx({z: v / sum(recent.values()) for z, v in recent.items()})
    booked = bookings.booked_by_zone([b], None, TODAY, TODAY + dt.timedelta(days=40))
    per_day = (3_000_000 - delivered) / 21
    for zone, share in b.zones.items():
        assert set(booked[zone]) == {TODAY + dt.timedelta(days=i) for i in range(21)}
        assert booked[zone][TODAY] == pytest.approx(per_day * share)
    # no views yet: evenly over the zones it is placed in, from its start
    zones = {p["zone_id"] for p in sim.dataset.placements[stocked.fresh]}
    f = found[stocked.fresh]
    assert (f.remaining, f.first_day, f.last_day, f.spread) == (40_000_000, TODAY + dt.timedelta(days=3),
                                                                TODAY + dt.timedelta(days=12), "evenly over placements")
    assert f.zones == pytest.approx({z: 1 / len(zones) for z in zones})
    assert f.per_day == pytest.approx(4_000_000)
    # no goal: books nothing, and is listed as such
    assert stocked.goalless not in found
    assert stocked.goalless in {c["campaign_id"] for c in bookings.unbooked(db)}


def test_available_is_never_below_zero_and_over_booked_days_are_flagged(stocked):
    db = stocked.db
    with freeze(MOMENT):
        days = network_days(db)
        zones = sorted({p["zone_id"] for p in stocked.sim.dataset.placements[stocked.fresh]} & set(zone_forecasts(db)))
        found = inventory.availability(db, zones, TODAY, TODAY + dt.timedelta(days=20), days)
        over = inventory.over_booked_zones(db, days)
    assert found.rows and all(r["available"] == max(r["forecast"] - r["booked"], 0) >= 0 for r in found.rows)
    flagged = {(r["zone_id"], r["date"]) for r in found.over_booked}
    assert flagged and all(TODAY + dt.timedelta(days=3) <= d <= TODAY + dt.timedelta(days=12) for _, d in flagged)
    assert {z for z, _ in flagged} <= {o["zone_id"] for o in over}
    assert found.sell_through is not None and found.sell_through > 1  # booked above the forecast in total


def test_the_plain_answer_follows_the_range():
    rows = [{"zone_id": 1, "network_id": 1, "date": TODAY, "forecast": 1000, "low": 800, "high": 1200,
             "booked": 200, "available": 800, "over_booked": False}]
    found = inventory.Availability(rows, [], (0.9, 1.1), TODAY, TODAY)
    assert found.available_range == (700, 900)
    assert [found.answer(n)[0] for n in (600, 750, 850, 950)] == ["yes", "likely", "unlikely", "no"]
    assert inventory.Availability([], [9], (0.9, 1.1), TODAY, TODAY).answer(1)[0] == "no"


def test_a_failed_forecast_keeps_the_previous_one(stocked, monkeypatch):
    db = stocked.db
    before = zone_forecasts(db)

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(model, "forecast", broken)
    with pytest.raises(RuntimeError):
        refresh_forecasts(db, "test-run", MOMENT)
    assert zone_forecasts(db) == before


def _report(stocked, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(stocked.server, stocked.db)
    return subprocess.run([sys.executable, "-m", "bs_core", "report", "availability", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_report_availability_gives_a_row_per_zone_and_day(stocked):
    zones = sorted(zone_forecasts(stocked.db))[:2]
    start, end = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=7)
    out = _report(stocked, "--zones", ",".join(map(str, zones)), "--from", str(start), "--to", str(end))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {(r["zone_id"], r["date"]) for r in rows} == {(z, str(start + dt.timedelta(days=i)))
                                                          for z in zones for i in range(7)}
    assert {"zone_id", "date", "forecast", "low", "high", "booked", "available"} <= set(rows[0])
    assert all(r["low"] <= r["forecast"] <= r["high"] and r["available"] >= 0 for r in rows)
    nid = zone_forecasts(stocked.db, zones[:1])[zones[0]]["network_id"]
    out = _report(stocked, "--network", str(nid), "--format", "csv")  # default: 30 days from today
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("zone_id,date,forecast,low,high,booked,available")


@pytest.mark.parametrize("args, words", [
    (("--zones", "999999999"), "--zones 999999999: not in the mirror"),
    (("--zones", "12,abc"), "expected zone ids"),
    (("--from", "2020-01-01", "--to", "2020-01-31"), "in the past"),
    (("--to", "2099-01-01"), "past the forecasts' horizon"),
    ((), "needs --zones ID,ID or --network ID"),
])
def test_report_availability_refuses_bad_input_in_one_line(stocked, args, words):
    zone = str(sorted(zone_forecasts(stocked.db))[0])
    if args and args[0] != "--zones":
        args = ("--zones", zone, *args)
    out = _report(stocked, *args)
    assert out.returncode == 64, out.stderr
    assert words in out.stderr and len(out.stderr.strip().splitlines()) <= 2 and "Traceback" not in out.stderr


def _inventory(stocked, **params) -> Any:
    st.cache_data.clear()
    at = app(stocked.settings)
    with freeze(MOMENT):
        at.run()
        at.switch_page(str(ROOT / "pages/10_Inventory.py"))
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
    no_exceptions(at)
    return at


def test_the_inventory_page_answers_for_the_zones_and_period_of_its_link(stocked):
    db = stocked.db
    zones = sorted({p["zone_id"] for p in stocked.sim.dataset.placements[stocked.fresh]} & set(zone_forecasts(db)))
    start, end = TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=15)
    with freeze(MOMENT):
        truth = inventory.availability(db, zones, start, end, network_days(db))
    wanted = max(truth.available_range[0] - 1, 1)
    at = _inventory(stocked, zones=",".join(map(str, zones)), **{"from": str(start), "to": str(end)},
                    views=str(wanted))
    metrics = {m.label: m.value for m in at.metric}
    assert f"**Totals, {start:%b} {start.day}, {start.year} to {end:%b} {end.day}, {end.year}**" in [
        m.value.split(" (")[0] for m in at.markdown]  # the figures' period
    assert metrics["Forecast views"] == f"{truth.forecast:,}"
    assert metrics["Booked views"] == f"{truth.booked:,}"
    assert metrics["Available views"] == f"{truth.available:,}"
    assert metrics["Over-booked days"] == f"{len(truth.over_booked):,}" != "0"
    said = " ".join(str(e.value) for e in [*at.success, *at.info, *at.warning, *at.error])
    assert f"Can I sell {wanted:,} views here" in said and truth.answer(wanted)[1] in said
    assert len(at.get("plotly_chart")) == 1
    table = next(df.value for df in at.dataframe if "Available" in df.value.columns)
    assert set(table["ID"]) == set(zones) and table["Available"].sum() == truth.available
    assert at.query_params["zones"] == ",".join(map(str, zones))  # the link stays shareable


def test_the_inventory_page_selects_zones_by_network_and_by_name(stocked):
    db = stocked.db
    nid = sorted(stocked.sim.dataset.networks)[0]
    at = _inventory(stocked, network=str(nid))
    table = next(df.value for df in at.dataframe if "Available" in df.value.columns)
    theirs = {z for z, f in zone_forecasts(db).items() if f["network_id"] == nid}
    assert set(table["ID"]) == theirs
    some = db.zones.find_one({"_id": min(theirs)})
    word = some["name_clean"].split()[0]
    at = _inventory(stocked, q=word)
    table = next(df.value for df in at.dataframe if "Available" in df.value.columns)
    assert min(theirs) in set(table["ID"]) and all(word.lower() in z.lower() for z in table["Zone"])


def test_the_inventory_page_says_what_in_a_bad_link_it_ignored(stocked):
    at = _inventory(stocked, zones="12,abc", views="lots", **{"from": "2020-01-01", "to": "2020-01-31"})
    warned = " ".join(w.value for w in at.warning)
    assert "zones=12,abc" in warned and "expected zone ids" in warned and "views=lots" in warned
    assert "2020-01-01 to 2020-01-31, is not within the forecasts' days" in warned
    assert "Forecast views" in [m.label for m in at.metric]  # the default period, every zone


def test_a_zones_detail_shows_its_forecast_against_its_history(stocked):
    zone = sorted(zone_forecasts(stocked.db))[0]
    st.cache_data.clear()
    at = app(stocked.settings)
    with freeze(MOMENT):
        at.run()
        at.switch_page(str(ROOT / "pages/4_Zones.py"))
        at.query_params["open"] = f"zone:{zone}"
        at.run()
        ahead = inventory.zone_outlook(stocked.db, zone, network_days(stocked.db))["ahead"]
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Forecast, next 30 days"] == f"{sum(r['forecast'] for r in ahead.rows[:30]):,}"
    assert any("Delivered and forecast views per day" in str(c.proto.spec) for c in at.get("plotly_chart"))


def test_delivery_health_lists_the_zones_over_booked_in_the_next_14_days(stocked):
    with freeze(MOMENT):
        over = inventory.over_booked_zones(stocked.db, network_days(stocked.db))
    st.cache_data.clear()
    at = app(stocked.settings)
    with freeze(MOMENT):
        at.run()
        at.switch_page(str(ROOT / "pages/7_Delivery_health.py")).run()
    no_exceptions(at)
    [head] = [s.value for s in at.subheader if s.value.startswith("Over-booked zones:")]
    assert over and head.endswith(f"({len(over):,})")
    table = next(df.value for df in at.dataframe if "Booked above forecast" in df.value.columns)
    assert list(table["ID"]) == [o["zone_id"] for o in over]


def test_the_inventory_page_says_so_when_the_forecasts_are_out_of_date(stocked):
    """Forecasts that end before today (no sync for 90 days) are said to be out of date,
    and the period picker is not drawn with a first day after its last."""
    db = stocked.db
    saved = forecast_meta(db)
    old = dt.datetime.combine(TODAY - dt.timedelta(days=200), dt.time())
    db.mirror_summary.update_one({"_id": "forecast"}, {"$set": {
        "first_day": old, "last_day": old + dt.timedelta(days=model.HORIZON - 1)}})
    try:
        at = _inventory(stocked)
        assert any("before today: a sync makes new ones" in w.value for w in at.warning)
    finally:
        db.mirror_summary.replace_one({"_id": "forecast"}, saved)
