"""Delivery figures (per ad, per zone, per campaign in a zone, per network, by hour, pacing)
and ``report``, each against the simulator's own hourly rows summed independently."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict

import pytest

from bs_core.read import breakdowns
from bs_core.read.pacing import Pacing, pacing_of
from bs_core.read.reporting import Coverage, StatsFilter
from bs_core.read.reports import ReportError, ReportQuery, report
from tests.conftest import synced_demo
from tests.test_cli import run_cli
from tests.test_sync import cli_env

DAYS = 12
FIELDS = {"views": "view_count", "clicks": "click_count", "hovers": "hover_count", "conversions": "conversion_count"}


@pytest.fixture(scope="module")
def synced(mongo_uri):
    """A demo mirror with DAYS days of reporting, and the simulator that served it."""
    with synced_demo(mongo_uri, seed=11, stats_days=DAYS, stats_chunk_days=31) as mirror:
        yield mirror.db, mirror.server.sim, mirror.server


def upstream(sim, start, end, network=None):
    """Every hourly row BroadStreet serves for [start, end] (account days), with its network."""
    rows = []
    for nid in sim.dataset.networks:
        if network in (None, nid):
            rows += sim.reports.hourly_rows(nid, start, end)
    return rows


def sums(rows, key):
    out: dict = defaultdict(Counter)
    for r in rows:
        for name, field in FIELDS.items():
            out[key(r)][name] += r[field]
    return out


def period():
    end = dt.date.today() - dt.timedelta(days=1)
    return end - dt.timedelta(days=6), end


def test_days_are_the_accounts_even_where_utc_would_move_a_row_past_midnight(synced):
    db, sim, _ = synced
    start, end = period()
    rows = upstream(sim, start, end)
    late = [r for r in rows if r["dated"].endswith("-05:00") and int(r["dated"][11:13]) >= 19]
    assert late, "the demo account has evening rows that fall on the next day in UTC"
    expected = sums(rows, lambda r: r["dated"][:10])
    for day, figures in expected.items():
        got = report(db, ReportQuery("networks", dt.date.fromisoformat(day), dt.date.fromisoformat(day)),
                     dt.date.today())
        assert sum(r["views"] for r in got) == figures["views"], day


@pytest.mark.parametrize("kind,key,field", [
    ("campaigns", lambda r: r["campaign_id"], "campaign_id"),
    ("ads", lambda r: r["advertisement_id"], "advertisement_id"),
    ("zones", lambda r: r["zone_id"], "zone_id"),
    ("networks", lambda r: r["network_id"], "network_id"),
])
def test_each_kind_equals_the_upstream_rows_summed(synced, kind, key, field):
    db, sim, _ = synced
    start, end = period()
    expected = sums(upstream(sim, start, end), key)
    got = report(db, ReportQuery(kind, start, end), dt.date.today())
    assert {r[field]: {f: r[f] for f in FIELDS} for r in got} == {k: dict(v) for k, v in expected.items()}
    assert all(isinstance(r[field], int) for r in got)
    assert all(r["ctr"] == pytest.approx(r["clicks"] / r["views"], abs=1e-6) for r in got if r["views"])


def test_a_campaigns_zones_and_a_zones_campaigns_are_their_own_delivery(synced):
    db, sim, _ = synced
    start, end = period()
    rows = upstream(sim, start, end)
    per_pair = sums(rows, lambda r: (r["campaign_id"], r["zone_id"]))
    campaign = Counter(r["campaign_id"] for r in rows).most_common(1)[0][0]
    got = report(db, ReportQuery("zones", start, end, campaign_id=campaign), dt.date.today())
    assert {r["zone_id"]: r["views"] for r in got} == {z: v["views"] for (c, z), v in per_pair.items() if c == campaign}
    detail = breakdowns.campaign_zones(db, campaign, start, end)
    assert [r["zone_id"] for r in detail] == [r["zone_id"] for r in sorted(got, key=lambda r: (-r["views"],
                                                                                               r["zone_id"]))]
    zone = next(z for (c, z) in per_pair if c == campaign)
    in_zone = breakdowns.zone_campaigns(db, zone, start, end)
    assert {c: f["views"] for c, f in in_zone.items()} == {c: v["views"] for (c, z), v in per_pair.items() if z == zone}


def test_hours_of_the_day_for_the_account_a_network_and_a_campaign(synced):
    db, sim, _ = synced
    start, end = period()
    rows = upstream(sim, start, end)
    network = next(iter(sim.dataset.networks))
    campaign = rows[0]["campaign_id"]
    for flt, chosen in ((StatsFilter(), rows), (StatsFilter(network_id=network), upstream(sim, start, end, network)),
                        (StatsFilter(campaign_id=campaign), [r for r in rows if r["campaign_id"] == campaign])):
        expected = sums(chosen, lambda r: int(r["dated"][11:13]))
        got = report(db, ReportQuery("hours", start, end, flt.network_id, flt.campaign_id), dt.date.today())
        assert [r["hour"] for r in got] == list(range(24))
        assert {r["hour"]: r["views"] for r in got} == {h: expected[h]["views"] for h in range(24)}, flt


def test_pacing_of_goal_campaigns_equals_the_upstream_rows_over_their_flights(synced):
    db, sim, _ = synced
    today = dt.date.today()
    rows = report(db, ReportQuery("pacing"), today)
    goals = {cid: c for cid, c in sim.dataset.campaigns.items() if c.get("max_impression_count")}
    assert {r["campaign_id"] for r in rows} == set(goals)
    first = today - dt.timedelta(days=DAYS - 1)
    for row in rows:
        camp = goals[row["campaign_id"]]
        assert row["goal"] == camp["max_impression_count"]
        if row["covers_from"] is None:
            assert row["status"] == "not started"
            continue
        held_from = max(row["covers_from"], first)  # days before the mirror's are lacking, not zero
        per_day = sums(upstream(sim, held_from, row["covers_to"], camp["_network_id"]),
                       lambda r: (r["campaign_id"], r["dated"][:10]))
        assert row["delivered"] == sum(v["views"] for (c, _), v in per_day.items() if c == row["campaign_id"])
        flight_days = (row["covers_to"] - row["covers_from"]).days + 1
        before_mirror = min(max((first - row["covers_from"]).days, 0), flight_days)
        assert row["lacking_days"] == before_mirror
        assert (row["status"] == "partial data") == (before_mirror > 0)


def _campaign(start, end, goal=10_000):
    return {"_id": 1, "name_clean": "c", "max_impression_count": goal,
            "starts_on": dt.datetime.combine(start, dt.time()) if start else None,
            "ends_on": dt.datetime.combine(end, dt.time()) if end else None}


@pytest.mark.parametrize("per_day,ends_in,status", [
    (500, 10, "on pace"),      # 10 of 20 days at 500 = 5,000 of an expected 5,000
    (300, 10, "behind"),       # 3,000 of 5,000 expected
    (700, 10, "ahead"),        # 7,000 of 5,000; projected past the goal
    (1200, 10, "over-delivered"),
    (1000, 10, "goal met"),    # exactly the goal
])
def test_pacing_statuses_from_hand_computed_figures(per_day, ends_in, status):
    today = dt.date(2026, 6, 11)
    start, end = dt.date(2026, 6, 1), today + dt.timedelta(days=ends_in - 1)  # 20 flight days, 10 elapsed
    views = {start + dt.timedelta(days=i): per_day for i in range(10)}
    cover = Coverage(dt.date(2026, 1, 1), today)
    p: Pacing = pacing_of(_campaign(start, end), views, today, cover)
    assert (p.delivered, p.expected) == (per_day * 10, 5_000)
    assert p.status == status
    assert p.needed_per_day == -(-max(10_000 - per_day * 10, 0) // 10)
    assert p.projected == per_day * 10 + per_day * 10


def test_pacing_at_risk_not_started_open_ended_and_partial():
    today = dt.date(2026, 6, 11)
    cover = Coverage(dt.date(2026, 1, 1), today)
    start, end = dt.date(2026, 6, 1), dt.date(2026, 6, 20)
    # on pace overall, but the last 7 days slowed down: the projection misses the goal
    views = {start + dt.timedelta(days=i): (1100 if i < 3 else 250) for i in range(10)}  # 5,050 of 5,000
    assert pacing_of(_campaign(start, end), views, today, cover).status == "at risk"
    assert pacing_of(_campaign(today + dt.timedelta(days=2), end), {}, today, cover).status == "not started"
    assert pacing_of(_campaign(start, None), views, today, cover).status == "no end date"
    late_cover = Coverage(dt.date(2026, 6, 5), today)
    p = pacing_of(_campaign(start, end), views, today, late_cover)
    assert (p.status, p.lacking_days) == ("partial data", 4)
    ended = pacing_of(_campaign(start, dt.date(2026, 6, 8)), views, today, cover)
    assert ended.status == "behind" and ended.needed_per_day is None


def test_report_refuses_bad_periods_and_unknown_ids_with_one_line(synced):
    db, _, _ = synced
    today = dt.date.today()
    with pytest.raises(ReportError, match="--from 2001-01-01: outside"):
        report(db, ReportQuery("campaigns", dt.date(2001, 1, 1), today - dt.timedelta(days=1)), today)
    with pytest.raises(ReportError, match="is after --to"):
        report(db, ReportQuery("campaigns", today - dt.timedelta(days=1), today - dt.timedelta(days=3)), today)
    with pytest.raises(ReportError, match="--campaign 99999999: not in the mirror"):
        report(db, ReportQuery("pacing", campaign_id=99999999), today)
    with pytest.raises(ReportError, match=r"^--to 9999-12-31: outside") as said:  # only values the user gave
        report(db, ReportQuery("campaigns", end=dt.date(9999, 12, 31)), today)
    assert "--from" not in str(said.value)


def test_report_output_is_a_regular_file_written_whole(synced, tmp_path):
    import os

    db, _, server = synced
    env = cli_env(server, db, BS_DATA_DIR=str(tmp_path))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = run_cli(env, "report", "networks", "--output", str(fifo))  # would block forever on a reader-less FIFO
    assert out.returncode == 64 and "not a regular file" in out.stderr
    out = run_cli(env, "report", "networks", "--output", str(tmp_path))
    assert out.returncode == 64 and "not a regular file" in out.stderr
    target = tmp_path / "networks.json"
    target.write_text("an older, longer report " * 1000)
    out = run_cli(env, "report", "networks", "--output", str(target))
    assert out.returncode == 0, out.stderr
    assert json.loads(target.read_text()) and [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_report_command_json_csv_xlsx_and_exit_64(synced, tmp_path):
    db, sim, server = synced
    env = cli_env(server, db, BS_DATA_DIR=str(tmp_path))
    start, end = period()
    out = run_cli(env, "report", "networks", "--from", str(start), "--to", str(end))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    expected = sums(upstream(sim, start, end), lambda r: r["network_id"])
    assert {r["network_id"]: r["views"] for r in rows} == {k: v["views"] for k, v in expected.items()}
    out = run_cli(env, "report", "hours", "--format", "csv", "--from", str(start), "--to", str(end))
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [int(r["hour"]) for r in table] == list(range(24))
    target = tmp_path / "pacing.xlsx"
    out = run_cli(env, "report", "pacing", "--format", "xlsx", "--output", str(target))
    assert out.returncode == 0 and target.stat().st_size > 0
    for args, named in ((("campaigns", "--from", "2026-02-30"), "2026-02-30"),
                        (("campaigns", "--from", "2001-01-01"), "2001-01-01"),
                        (("zones", "--network", "12345"), "12345"),
                        (("ads", "--from", str(end), "--to", str(start)), str(end))):
        out = run_cli(env, "report", *args)
        assert out.returncode == 64 and out.stdout == "", args
        assert len(out.stderr.strip().splitlines()) == 1 and named in out.stderr, out.stderr
