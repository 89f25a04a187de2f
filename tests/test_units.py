"""Pure helpers, without servers: scopes, rate limiters, reporting days, formatting,
dates, the entity registry, the run view and the JSON encoding."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from bs_core.client._ratelimit import IntervalLimiter, SlidingWindowLimiter
from bs_core.dates import days_between, last_days, midnight
from bs_core.entities import BY_SINGULAR, ENTITIES, ENTITY_NAMES, children, scope_help
from bs_core.errors import (
    BadRecordError,
    BroadStreetError,
    MirrorError,
    ProcessStartError,
    ScopeError,
    SettingsError,
    StoreUnavailableError,
    SyncAbortedError,
    SyncLockedError,
)
from bs_core.export import jsonout
from bs_core.export.runview import RunView
from bs_core.settings import Settings, as_environment, load_settings
from bs_core.simulator.dataset import KINDS
from bs_core.store import INDEXES
from bs_core.sync import _report_rows as report_rows
from bs_core.sync import _stats as stats
from bs_core.sync.runs import phases
from bs_core.sync.scopes import Scope, parse_scope
from bs_core.ui import format as fmt


# -- scopes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "scope"), [
    (None, Scope("quick")), (" FULL ", Scope("full")), ("stats", Scope("stats")),
    ("network:12", Scope("network", 12)), ("advertiser:7", Scope("advertiser", 7)),
    ("campaign:3", Scope("campaign", 3)), ("entity:zones", Scope("entity", "zones")),
])
def test_scopes_parse(text, scope):
    assert parse_scope(text) == scope
    assert str(parse_scope(text)) == str(scope)


@pytest.mark.parametrize(("text", "says"), [
    ("campaign:x", "positive integer"), ("campaign:0", "positive integer"), ("network:-1", "positive integer"),
    ("entity:sections", "entity must be one of"), ("zone:3", "unknown scope"), ("everything", "unknown scope"),
    ("", "unknown scope ''"), ("campaign:99999999999999999999999", "up to"), ("campaign:\u00b2", "up to"),
])
def test_bad_scopes_say_what_is_accepted(text, says):
    with pytest.raises(ScopeError, match=says):
        parse_scope(text)


def test_scope_help_lists_every_form():
    assert scope_help() == "full | quick | network:ID | advertiser:ID | campaign:ID | entity:NAME | stats"


# -- rate limiters, on a fake clock -------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_sliding_window_allows_the_limit_then_waits_for_the_oldest_slot():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 5.0, clock=clock, sleep=clock.sleep)
    assert limiter.acquire() == 0 and limiter.acquire() == 0
    clock.now = 1.0
    waited = limiter.acquire()  # the first slot frees at t=5
    assert waited == pytest.approx(4.01) and clock.now == pytest.approx(5.01)
    stamps = [0.0, 0.0, 5.01]
    for i in range(1, len(stamps)):  # never more than 2 in any 5 s
        assert sum(1 for s in stamps[:i + 1] if stamps[i] - s < 5.0) <= 2


def test_sliding_window_rejects_nonsense():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 5)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(2, 0)


def test_interval_limiter_spaces_calls():
    clock = FakeClock()
    limiter = IntervalLimiter(4.0, clock=clock, sleep=clock.sleep)
    delays = [limiter.acquire() for _ in range(4)]
    assert delays == pytest.approx([0.0, 0.25, 0.25, 0.25])


# -- reporting days -------------------------------------------------------------------------------
def test_window_is_the_last_days_oldest_first():
    today = dt.date(2026, 3, 2)
    assert stats.window(today, 3) == [dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert last_days(today, 1) == [today]
    assert days_between(dt.date(2026, 1, 30), dt.date(2026, 2, 2))[-1] == dt.date(2026, 2, 2)


def test_days_to_fetch_are_the_missing_days_and_the_last_two():
    days = stats.window(dt.date(2026, 1, 10), 10)
    assert stats.days_to_fetch(days, set()) == days
    fetched = set(days)
    assert stats.days_to_fetch(days, fetched) == days[-2:]
    fetched.discard(days[3])
    assert stats.days_to_fetch(days, fetched) == [days[3]] + days[-2:]


def test_chunks_are_contiguous_and_bounded():
    d = dt.date(2026, 1, 1)
    days = [d + dt.timedelta(days=i) for i in (0, 1, 2, 3, 4, 7, 8, 12)]
    # newest first, cut from the newest end: the first chunk is a full one when days allow
    assert stats.chunks(days, 2) == [(days[7], days[7]), (days[5], days[6]), (days[3], days[4]),
                                     (days[1], days[2]), (days[0], days[0])]
    assert stats.chunks(list(reversed(days)), 31)[-1] == (days[0], days[4])
    assert stats.chunks([], 5) == []


def test_hourly_rows_sum_into_every_grain_on_the_day_written_in_dated():
    rows = [{"dated": "2026-01-01T01:00:00.000-05:00", "campaign_id": 1, "advertisement_id": 2, "advertiser_id": 3,
             "zone_id": 40, "view_count": 5, "click_count": 1},
            # 23:00 at UTC-05:00 is the next day in UTC: it stays on its own (account) day
            {"dated": "2026-01-01T23:00:00.000-05:00", "campaign_id": 1, "advertisement_id": 2, "advertiser_id": 3,
             "zone_id": 41, "view_count": 7, "hover_count": 2},
            {"dated": "2026-01-02T00:00:00.000-05:00", "campaign_id": 1, "advertisement_id": 2, "zone_id": 40,
             "view_count": 1}]
    got = report_rows.grains(9, rows)
    docs = {d["_id"]: d for d in got.documents["stats_daily"]}
    assert set(docs) == {"9:2026-01-01:1:2", "9:2026-01-02:1:2"}
    first = docs["9:2026-01-01:1:2"]
    assert (first["views"], first["clicks"], first["hovers"], first["date"]) == (12, 1, 2, dt.datetime(2026, 1, 1))
    zones = {d["_id"]: (d["zone_id"], d["views"], d["clicks"]) for d in got.documents["stats_zone_daily"]}
    assert zones == {"9:2026-01-01:40": (40, 5, 1), "9:2026-01-01:41": (41, 7, 0), "9:2026-01-02:40": (40, 1, 0)}
    per_cz = {d["_id"]: d["views"] for d in got.documents["stats_campaign_zone_daily"]}
    assert per_cz == {"9:2026-01-01:1:40": 5, "9:2026-01-01:1:41": 7, "9:2026-01-02:1:40": 1}
    hours = {d["_id"]: d for d in got.documents["stats_hours"]}
    assert hours["9:2026-01-01:1"]["views"][1] == 5 and hours["9:2026-01-01:1"]["views"][23] == 7
    assert sum(hours["9:2026-01-01:1"]["views"]) == 12 and hours["9:2026-01-02:1"]["views"][0] == 1
    assert got.offsets == {dt.date(2026, 1, 1): "-05:00", dt.date(2026, 1, 2): "-05:00"}


def test_dated_parses_the_spec_format_the_old_format_and_refuses_others():
    assert report_rows.parse_dated("2022-05-25T22:00:00.000+12:00") == (dt.date(2022, 5, 25), 22, "+12:00")
    assert report_rows.parse_dated("2026-11-29 13:00:00") == (dt.date(2026, 11, 29), 13, None)
    assert report_rows.parse_dated("2026-11-29T13:00:00Z") == (dt.date(2026, 11, 29), 13, "+00:00")
    assert report_rows.parse_dated("2026-11-29T13:00-0530") == (dt.date(2026, 11, 29), 13, "-05:30")
    for bad in ("2026-02-30T01:00:00", "2026-11-29", "not a date", "2026-11-29T25:00:00", ""):
        with pytest.raises(ValueError):
            report_rows.parse_dated(bad)


# -- formatting -----------------------------------------------------------------------------------
def test_relative_time():
    now = dt.datetime(2026, 1, 1, 12, 0, 0)
    assert fmt.relative_time(None) == "never"
    assert fmt.relative_time(now - dt.timedelta(seconds=10), now) == "just now"
    assert fmt.relative_time(now - dt.timedelta(minutes=12), now) == "12 minutes ago"
    assert fmt.relative_time(now - dt.timedelta(minutes=1), now) == "1 minute ago"
    assert fmt.relative_time(now - dt.timedelta(hours=3, minutes=5), now) == "3 hours ago"
    assert fmt.relative_time(now - dt.timedelta(days=2), now) == "2 days ago"
    aware = (now - dt.timedelta(hours=1)).replace(tzinfo=dt.UTC)
    assert fmt.relative_time(aware, now) == "1 hour ago"


def test_progress_text_and_fraction():
    progress = {"campaigns": {"done": 3, "total": 4}, "placements": {"done": 1240, "total": 4400}}
    assert fmt.progress_text("placements", progress) == "Placements 1,240 / 4,400"
    assert fmt.progress_text(None, progress) == "Starting…"
    assert fmt.progress_fraction(progress) == pytest.approx(1243 / 4404)
    assert fmt.progress_fraction({}) == 0.0


def test_failure_text_names_what_failed_the_cause_and_what_was_kept():
    partial = {"status": "partial", "errors": [
        {"scope": f"campaigns of advertiser Shop {i} ({i})", "plain": "BroadStreet had a server error",
         "cause": "HTTP 503"} for i in range(7)]}
    assert fmt.failure_text(partial) == (
        "The last sync finished partially: BroadStreet had a server error (HTTP 503) for campaigns of "
        "advertiser Shop 0 (0) and 6 more. Everything else was updated; what failed keeps its previous data.")
    failed = {"status": "failed", "errors": [{"scope": "run", "plain": "BroadStreet rejected the token",
                                              "cause": "bad token"}]}
    assert fmt.failure_text(failed) == ("The last sync failed: BroadStreet rejected the token (bad token). "
                                        "The previous data is kept.")
    assert "cancelled" in fmt.failure_text({"status": "cancelled", "errors": [{"scope": "run"}]})


def test_names_are_text_and_long_names_are_shortened():
    hostile = "Coastal **bold** [link](https://evil.example) :red[x] <b>tag</b>"
    escaped = fmt.plain(hostile)
    for token in ("**", "[link]", "](", ":red[", "<b>"):
        assert token not in escaped
    assert fmt.short("x" * 5000, 40) == "x" * 39 + "…"
    assert fmt.chart_text("<b>A</b>") == "&lt;b&gt;A&lt;/b&gt;"
    assert fmt.change_summary({"status": "success", "duration_s": 6.2, "counts": {
        "campaigns": {"inserted": 1, "updated": 3, "deleted": 0}, "placements": {"deleted": 12}}}) == (
        "Done in 6 s: 1 campaign added, 3 campaigns updated, 12 placements removed")
    assert fmt.change_summary({"status": "success", "duration_s": 1, "counts": {"networks": {"updated": 1},
                               "stats_daily": {"inserted": 1}}}) == (
        "Done in 1 s: 1 network updated, 1 daily campaign stats row added")
    # quotes stay quotes in a chart (plotly shows &quot; as typed); shortening keeps the id
    assert fmt.chart_text('Spring "Sale" <b>') == 'Spring "Sale" &lt;b&gt;'
    label = fmt.chart_label("Run of site " + "x" * 80, 104137, 50)
    assert label.endswith("… (104137)") and len(label) == 50
    assert fmt.chart_label("", 7) == "7" and fmt.chart_label("A & B", 7) == "A &amp; B (7)"
    now = dt.datetime(2026, 1, 1, 12, 0, 0)
    waiting = {"what": "campaigns of advertiser 7", "cause": "HTTP 503", "attempt": 2, "attempts": 5,
               "until": now + dt.timedelta(seconds=4)}
    assert fmt.waiting_text(waiting, now) == ("Waiting on campaigns of advertiser 7: HTTP 503, attempt 2 of 5, "
                                              "next try in 4 s")
    assert fmt.waiting_text(waiting, now + dt.timedelta(seconds=10)) is None
    assert fmt.dashboard_link("/networks/1") == "https://my.broadstreetads.com/networks/1"
    assert fmt.dashboard_link(None) is None


def test_midnight_and_timestamps():
    assert midnight(dt.date(2026, 5, 6)) == dt.datetime(2026, 5, 6)
    assert fmt.timestamp(dt.datetime(2026, 5, 6, 7, 8, 9)) == "2026-05-06 07:08:09 UTC"


# -- the registry is the one source ---------------------------------------------------------------
def test_everything_derives_its_entity_list_from_the_registry():
    assert KINDS == tuple(ENTITY_NAMES) == tuple(ENTITIES)
    assert phases() == (*ENTITY_NAMES, "stats")
    assert set(fmt.PHASE_LABELS) == set(phases())
    assert all(INDEXES[name] == list(entity.indexes) for name, entity in ENTITIES.items())
    assert BY_SINGULAR["campaign"] == "campaigns"


def test_the_entity_tree():
    assert [e.name for e in children("networks")] == ["advertisers", "zones", "advertisements"]
    assert [e.name for e in children("advertisers")] == ["campaigns"]
    assert [e.name for e in children("campaigns")] == ["placements"]
    for entity in ENTITIES.values():  # parents come before their children
        if entity.parent:
            assert ENTITY_NAMES.index(entity.parent) < ENTITY_NAMES.index(entity.name)
            assert entity.parent_field
        for cascade in entity.cascade:
            assert cascade.collection in INDEXES
    assert ENTITIES["campaigns"].indexed_by_network and not ENTITIES["placements"].indexed_by_network


# -- errors, run view, JSON, settings -----------------------------------------------------------------
def test_every_typed_error_has_one_root():
    for cls in (BroadStreetError, SettingsError, ScopeError, SyncLockedError, StoreUnavailableError,
                SyncAbortedError, BadRecordError, ProcessStartError):
        assert issubclass(cls, MirrorError)
    assert SyncAbortedError("cancelled", "x").plain == "The sync was cancelled"


def test_one_run_view_two_formats():
    run = {"_id": "r1", "trigger": "cli", "scope": "full", "status": "partial",
           "started_at": dt.datetime(2026, 1, 1), "finished_at": dt.datetime(2026, 1, 1, 0, 1),
           "duration_s": 60.0, "requests_total": 9, "documents_written": 4, "phase": "stats",
           "progress": {"stats": {"done": 1, "total": 2}},
           "counts": {"zones": {"inserted": 1, "updated": 2, "unchanged": 0, "deleted": 3, "skipped": 0},
                      "campaigns": {"inserted": 1, "updated": 0, "unchanged": 5, "deleted": 0, "skipped": 1}},
           "errors": [{"type": "UpstreamServerError", "scope": "zones of network 1", "message": "HTTP 503",
                       "plain": "BroadStreet had a server error"}]}
    view = RunView.of(run)
    assert view.cli() == {"run_id": "r1", "status": "partial", "scope": "full", "trigger": "cli",
                          "duration_s": 60.0, "requests": 9, "documents_written": 4, "counts": run["counts"],
                          "errors": [{"type": "UpstreamServerError", "scope": "zones of network 1",
                                      "message": "HTTP 503"}]}
    api = view.api()
    assert api["requests_total"] == 9 and api["errors"][0]["plain"] == "BroadStreet had a server error"
    assert view.total("inserted") == 2 and view.total("deleted") == 3
    assert json.loads(jsonout.dumps(api))["started_at"] == "2026-01-01T00:00:00+00:00"


def test_settings_round_trip_through_the_environment():
    settings = Settings(broadstreet_api_token="tok-123456", sync_concurrency=7, backoff_factor=0.01,
                        mongodb_database="x")
    env = as_environment(settings)
    assert load_settings(env=env, secrets={}) == settings
    assert settings.fingerprint() != settings.replace(broadstreet_api_token="tok-654321").fingerprint()
    assert "tok-123456" not in settings.fingerprint()


# -- link parameters, KPI changes, headers -------------------------------------------------------
def test_link_parameters_parse_or_say_why_not():
    from bs_core.ui import urlstate

    assert urlstate.positive_int("42") == 42
    for bad in ("0", "-1", "abc", "4.2", ""):
        with pytest.raises(ValueError):
            urlstate.positive_int(bad)
    statuses = urlstate.choices(("running", "paused"))
    assert statuses("Running,paused,running") == ["running", "paused"]
    with pytest.raises(ValueError, match="expected some of running, paused"):
        statuses("running,bogus")
    assert urlstate.opened("zone")("zone:7") == 7
    with pytest.raises(ValueError, match="expected zone:ID"):
        urlstate.opened("zone")("campaign:7")
    assert urlstate.iso_date(" 2026-11-01 ") == dt.date(2026, 11, 1)
    assert urlstate.listed(["running", "paused"]) == "running,paused" and urlstate.listed([]) is None


def test_kpi_change_and_headers():
    from bs_core.ui.frames import day, header

    assert fmt.change(1200, 1000) == "+200 (+20.0%)"
    assert fmt.change(900, 1000) == "-100 (-10.0%)"
    assert fmt.change(5, 0) == "+5" and fmt.change(5, None) is None
    assert fmt.change(0, 0) == "no change" == fmt.change(7, 7)  # never a green "+0"
    assert fmt.metric_delta("no change") == {"delta": "no change", "delta_color": "off", "delta_arrow": "off"}
    assert fmt.metric_delta("+5") == {"delta": "+5"}
    assert header("running campaigns") == "Running campaigns" and header("advertiser_id") == "Advertiser ID"
    assert header("ctr") == "CTR" and header("started (UTC)") == "Started (UTC)"
    assert day(None, "open-ended") == "open-ended" and day(dt.datetime(2026, 1, 2)) == "2026-01-02"


def test_charts_say_what_they_draw():
    from bs_core.ui import charts

    today = dt.date(2026, 11, 30)
    rows = [{"_id": 1, "name_clean": 'The "Big" one', "status": "running", "starts_on": dt.datetime(2026, 11, 1),
             "ends_on": None},
            {"_id": 2, "name_clean": "Ends", "status": "scheduled", "starts_on": dt.datetime(2026, 12, 5),
             "ends_on": dt.datetime(2026, 12, 20)}]
    timeline = charts.campaign_timeline(rows, today)
    shapes = {t.name: t.marker.pattern.shape for t in timeline.data}
    assert shapes["running, no end date"] == "/" and shapes["scheduled, ends"] in ("", None)  # open ends hatched
    assert any(a.text.startswith("today") for a in timeline.layout.annotations)  # the dashed line says what it is
    labels = {y for t in timeline.data for y in t.y}
    assert 'The "Big" one (1)' in labels  # quotes as typed, the id kept
    far = charts.campaign_timeline([*rows, {"_id": 3, "name_clean": "Far", "status": "running",
                                            "starts_on": dt.datetime(2026, 11, 2), "ends_on": dt.datetime(2027, 7, 1)}],
                                   today)
    [open_bar] = [t for t in far.data if t.name == "running, no end date"]
    bar_end = pd.Timestamp(open_bar.base[0]) + pd.Timedelta(milliseconds=open_bar.x[0])
    assert bar_end == pd.Timestamp(far.layout.xaxis.range[1]) == pd.Timestamp(2027, 7, 1)  # to the chart's edge

    counts = charts.bar([{"label": "a (1)", "running": 1}, {"label": "b (2)", "running": 3}], "running", "label",
                        "t", "Campaigns running")
    assert counts.layout.xaxis.dtick == 1 and counts.layout.xaxis.tickformat == ",d"  # no 0.5 campaigns
    assert counts.data[0].textposition == "outside" and counts.data[0].textangle == 0
    views = charts.bar([{"label": "a (1)", "views": 490_319}], "views", "label", "t", "Views", value_format=",d")
    assert views.layout.xaxis.tickformat == "~s" and views.data[0].texttemplate == "%{x:,d}"  # ticks 400k, bars exact
    dated = charts.bar([{"label": "a (1)", "views": 5}], "views", "label", "t", "Views", subtitle="2026-11-01 to 2026-11-30")
    assert dated.layout.title.subtitle.text == "2026-11-01 to 2026-11-30"  # the chart says its period

    runs = [{"started_at": dt.datetime(2026, 11, 30, h), "duration_s": 5, "requests_total": 9, "scope": "quick",
             "status": status} for h, status in ((1, "success"), (2, "failed"), (3, "success"), (4, "cancelled"))]
    history = charts.run_history(runs)
    lines = [t for t in history.data if t.mode == "markers+lines"]
    assert all(len(t.x) == 2 for t in lines)  # the line joins the two successful runs only
    assert {t.name for t in history.data if t.mode == "markers"} == {"quick (failed)", "quick (cancelled)"}


def test_a_figure_is_built_once_for_the_same_rows():
    """The figure memo (issue 32): the same rows give the same figure without building it
    again; other rows, or the same rows under other arguments, build their own."""
    from bs_core.ui import charts, figure_memo

    rows = [{"label": "a (1)", "views": 10}, {"label": "b (2)", "views": 30}]
    before = figure_memo.counts()
    first = charts.bar(rows, "views", "label", "Memo test", "Views")
    again = charts.bar([dict(r) for r in rows], "views", "label", "Memo test", "Views")  # equal rows, new objects
    assert again is first
    other_title = charts.bar(rows, "views", "label", "Other", "Views")
    other_rows = charts.bar([*rows, {"label": "c (3)", "views": 5}], "views", "label", "Memo test", "Views")
    assert other_title is not first and other_title.layout.title.text == "Other"
    assert len(other_rows.data[0].y) == 3 and len(first.data[0].y) == 2  # the kept figure was not changed
    after = figure_memo.counts()
    assert after["built"] - before["built"] == 3 and after["reused"] - before["reused"] == 1
    assert after["kept"] <= figure_memo.KEPT


def test_the_figure_memo_forgets_the_least_recently_used_first(monkeypatch):
    from bs_core.ui import charts, figure_memo

    monkeypatch.setattr(figure_memo, "KEPT", 2)
    rows = [{"label": "a (1)", "views": 10}]
    first, second = (charts.bar(rows, "views", "label", f"Evicted {n}", "Views") for n in (1, 2))
    assert charts.bar(rows, "views", "label", "Evicted 1", "Views") is first  # used again: now the newest
    charts.bar(rows, "views", "label", "Evicted 3", "Views")  # one over the bound: the oldest goes
    assert charts.bar(rows, "views", "label", "Evicted 1", "Views") is first
    assert charts.bar(rows, "views", "label", "Evicted 2", "Views") is not second  # it was forgotten
    assert figure_memo.counts()["kept"] == 2


def test_a_bad_date_in_a_link_is_named_in_plain_words():
    from bs_core.ui.urlstate import iso_date

    with pytest.raises(ValueError) as said:
        iso_date("notadate")
    assert str(said.value) == "not a date; write it as YYYY-MM-DD"  # not Python's "Invalid isoformat string"


def test_weeks_and_months_say_when_the_period_holds_only_part_of_them():
    from bs_core.read.breakdowns import rollup
    from bs_core.ui import charts

    start, end = dt.date(2026, 10, 31), dt.date(2026, 12, 2)  # a Saturday to a Wednesday
    series = [{"date": dt.datetime.combine(start + dt.timedelta(days=i), dt.time()), "views": 100, "clicks": 1,
               "hovers": 0, "conversions": 0} for i in range((end - start).days + 1) if i != 3]  # one quiet day
    weeks = rollup(series, "week", (start, end))
    assert [(w["date"], w["days"], w["partial"]) for w in (weeks[0], weeks[1], weeks[-1])] == [
        (dt.date(2026, 10, 26), 2, True), (dt.date(2026, 11, 2), 7, False), (dt.date(2026, 11, 30), 3, True)]
    assert weeks[1]["views"] == 600  # the quiet day counts as held, with nothing in it
    months = rollup(series, "month", (start, end))
    assert [(m["date"], m["days"], m["span"], m["partial"]) for m in months] == [
        (dt.date(2026, 10, 1), 1, 31, True), (dt.date(2026, 11, 1), 30, 30, False), (dt.date(2026, 12, 1), 2, 31, True)]
    fig = charts.daily_trend(months, end, "month")
    assert list(fig.layout.xaxis2.ticktext) == ["Oct 2026", "Nov 2026", "Dec 2026"]  # one label per bucket
    views = fig.data[0]
    assert list(views.marker.opacity) == [0.4, 1.0, 0.4]
    assert list(views.customdata) == ["October 2026 (1 of 31 days)", "November 2026", "December 2026 (2 of 31 days)"]
    assert any("part of" in a.text for a in fig.layout.annotations)


def test_a_digest_change_too_small_to_show_is_no_change_and_changes_are_coloured():
    from bs_core.digest import _render as render
    from bs_core.digest._content import Digest

    now = {"views": 1000, "clicks": 10, "ctr": 0.0100001, "day": dt.date(2026, 12, 1)}
    before = {"views": 1000, "clicks": 10, "ctr": 0.0100004, "day": dt.date(2026, 11, 30)}
    week = {"views": 800, "clicks": 12, "ctr": 0.015, "day": dt.date(2026, 11, 24)}
    assert render._change(now, before, "ctr") == ("no change", 0)  # never "-0.00 pp"
    assert render._change(now, {**before, "views": 1000.4}, "views") == ("no change", 0)  # never "-0.0%"
    assert render._change(now, week, "ctr") == ("-0.50 pp", -1) and render._change(now, week, "views") == ("+25.0%", 1)
    digest = Digest(dt.date(2026, 12, 1), "the whole account", "account time, UTC-05:00", "",
                    {"yesterday": now, "day before": before, "week before": week}, [], "fresh", [], "")
    body = render.html_body(digest)
    assert "-0.00" not in body and "color:#cf222e'>-0.50 pp" in body and "color:#1a7f37'>+25.0%" in body
    assert "max-width:600px" in body and "<style" not in body  # inline styles only, 600 px wide


def test_the_fetch_pipeline_keeps_a_few_fetches_ahead_and_runs_every_one_in_order(monkeypatch):
    """20,000 follow-up fetches (placements of every campaign on `large`) wait in order in
    the pipeline, not as 20,000 submitted futures: at most IN_FLIGHT per worker are out."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from bs_core.sync import _pipeline as pipeline

    out, most, lock = [0], [0], threading.Lock()

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            with lock:
                out[0] += 1
                most[0] = max(most[0], out[0])
            future = super().submit(fn, *args, **kwargs)

            def done(_):
                with lock:
                    out[0] -= 1
            future.add_done_callback(done)
            return future

    monkeypatch.setattr(pipeline, "ThreadPoolExecutor", Counting)

    class Recorder:
        def grow(self, phase):
            pass

        def advance(self, phase):
            pass

    handled = []
    leaves = [pipeline.Task("placements", lambda i=i: i, lambda data: handled.append(data) or [], f"leaf {i}")
              for i in range(500)]
    root = pipeline.Task("campaigns", lambda: "root", lambda data: leaves, "root")
    report = pipeline.Task(pipeline.REPORT_PHASE, lambda: "report", lambda data: handled.append(data) or [], "report")
    pipeline.run_tasks([root, report], concurrency=3, recorder=Recorder(), should_stop=lambda: None)
    assert sorted(h for h in handled if h != "report") == list(range(500)) and "report" in handled
    assert most[0] <= 3 * pipeline.IN_FLIGHT + pipeline.IN_FLIGHT  # the API lane's and the reports lane's


def test_the_warmed_pages_are_named_as_streamlit_routes_them():
    from bs_core.ui.navigation import NAVIGATION
    from bs_core.ui.prewarm import page_names

    assert page_names(["streamlit_app.py", "pages/7_Delivery_health.py", "pages/10_Inventory.py"]) == [
        "", "Delivery_health", "Inventory"]
    assert len(set(page_names([p for p, _, _ in NAVIGATION]))) == len(NAVIGATION)  # every page, once
