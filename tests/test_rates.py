"""Rates and revenue (issue 30): every model by hand at month and flight boundaries; rates
saved with versions and a history, never lost (not by a sync, a deletion upstream or a
restore of an older backup); a file import that is all or nothing; report revenue and
report invoice equal to the hand computation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys

import pytest

from bs_core.read.days import network_days
from bs_core.read.reports import ReportQuery, report
from bs_core.read.revenue import at_risk, billable_views, booked, campaign_money, earned
from bs_core.store import rates as store
from bs_core.store.backup import BackupError, backup
from bs_core.store.rates import CampaignRate, RateConflictError
from bs_core.store.rates_file import RateImportError, import_rows
from bs_core.store.restore import restore
from bs_core.sync import run_sync
from tests.conftest import synced_demo
from tests.test_sync import cli_env

NOV20, NOV30, DEC1, DEC10, DEC19 = (dt.date(2026, 11, 20), dt.date(2026, 11, 30), dt.date(2026, 12, 1),
                                    dt.date(2026, 12, 10), dt.date(2026, 12, 19))


def thousand_a_day(first: dt.date, last: dt.date, clicks: int = 10) -> dict:
    return {first + dt.timedelta(days=i): (1000, clicks) for i in range((last - first).days + 1)}


# -- the models, by hand ------------------------------------------------------------------------
def test_cpm_bills_views_and_the_cap_stops_at_the_goal_mid_month():
    daily = thousand_a_day(NOV20, DEC10)  # 11,000 views in November, 10,000 in December
    flight = (NOV20, DEC19)
    uncapped, capped = CampaignRate(1, "cpm", 4.0), CampaignRate(1, "cpm", 4.0, capped=True)
    assert earned(uncapped, daily, dt.date(2026, 11, 1), NOV30, 15_000, flight) == 11 * 4.0
    assert earned(capped, daily, dt.date(2026, 11, 1), NOV30, 15_000, flight) == 11 * 4.0  # under the goal
    assert earned(capped, daily, DEC1, DEC10, 15_000, flight) == 4 * 4.0  # 4,000 more reach the goal
    assert earned(uncapped, daily, DEC1, DEC10, 15_000, flight) == 10 * 4.0
    assert billable_views(daily, dt.date(2026, 12, 5), DEC10, 15_000, True) == 0  # past the goal: nothing
    assert booked(capped, 15_000, flight) == 60.0


def test_cpc_bills_clicks_and_capped_bills_the_billable_share():
    daily = thousand_a_day(NOV20, DEC10, clicks=10)
    rate = CampaignRate(1, "cpc", 0.5)
    assert earned(rate, daily, DEC1, DEC10, 15_000, (NOV20, None)) == 100 * 0.5
    capped = CampaignRate(1, "cpc", 0.5, capped=True)
    assert earned(capped, daily, DEC1, DEC10, 15_000, (NOV20, None)) == pytest.approx(100 * 0.4 * 0.5)
    assert booked(rate, 15_000, (NOV20, DEC19)) is None  # clicks are not sold ahead


def test_flat_is_spread_over_the_flight_and_needs_an_end():
    rate = CampaignRate(1, "flat", 3000.0)
    flight = (NOV20, DEC19)  # 30 days, 11 of them in November
    assert earned(rate, {}, dt.date(2026, 11, 1), NOV30, None, flight) == pytest.approx(1100.0)
    assert earned(rate, {}, DEC1, dt.date(2026, 12, 31), None, flight) == pytest.approx(1900.0)
    assert earned(rate, {}, dt.date(2026, 11, 1), NOV30, None, (NOV20, None)) is None
    assert booked(rate, None, flight) == 3000.0


def test_monthly_is_prorated_for_a_partial_first_and_last_month():
    rate = CampaignRate(1, "monthly", 3000.0)
    flight = (NOV20, DEC10)
    assert earned(rate, {}, dt.date(2026, 11, 1), NOV30, None, flight) == pytest.approx(11 * 3000 / 30)
    assert earned(rate, {}, DEC1, dt.date(2026, 12, 31), None, flight) == pytest.approx(10 * 3000 / 31)
    assert booked(rate, None, flight) == pytest.approx(11 * 3000 / 30 + 10 * 3000 / 31)


def test_money_at_risk_is_the_missed_goal_at_the_cpm():
    assert at_risk(CampaignRate(1, "cpm", 5.0), 100_000, 60_000) == 200.0
    assert at_risk(CampaignRate(1, "cpm", 5.0), 100_000, 120_000) == 0
    assert at_risk(CampaignRate(1, "flat", 5.0), 100_000, 60_000) == 0.0  # a flat fee is not at risk
    assert at_risk(None, 100_000, 60_000) is None and at_risk(CampaignRate(1, "cpc", 1.0), 10, 1) is None


# -- the store -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mirrored(mongo_uri):
    with synced_demo(mongo_uri, stats_days=20, stats_chunk_days=31) as mirror:
        yield mirror


def delivered(db) -> list[int]:
    """Campaign ids, the most viewed first (ties by id)."""
    return [r["_id"] for r in db.stats_daily.aggregate([
        {"$group": {"_id": "$campaign_id", "v": {"$sum": "$views"}}}, {"$sort": {"v": -1, "_id": 1}}])]


def price(db, cid: int, model: str, amount: float) -> None:
    """Set a campaign's rate over whatever version it has."""
    rate = store.campaign_rates(db, [cid]).get(cid)
    store.save_campaign_rate(db, cid, model, amount, by="t", expected_version=rate.version if rate else 0)


def some_campaign(db, **query) -> dict:
    return db.campaigns.find_one(query or {}, sort=[("_id", 1)])


def test_a_second_save_from_an_old_version_is_refused_with_who_and_when(mirrored):
    db = mirrored.db
    cid = some_campaign(db)["_id"]
    db.rates.delete_many({"_id": cid})
    first = store.save_campaign_rate(db, cid, "cpm", 4, by="alice@example.com", expected_version=0)
    assert first.version == 1
    with pytest.raises(RateConflictError, match="changed by alice@example.com at .* UTC"):
        store.save_campaign_rate(db, cid, "cpm", 9, by="bob@example.com", expected_version=0)  # bob read before
    assert store.campaign_rates(db, [cid])[cid].amount == 4.0
    again = store.save_campaign_rate(db, cid, "cpm", 4, by="bob@example.com", expected_version=1)
    assert again.version == 1  # unchanged: no new version, no history line
    store.save_campaign_rate(db, cid, "flat", 900, by="bob@example.com", expected_version=1)
    lines = store.history(db, "campaign", cid)
    assert [(h["by"], h["old"], h["new"]) for h in lines[:2]] == [
        ("bob@example.com", {"model": "cpm", "amount": 4.0, "capped": False},
         {"model": "flat", "amount": 900.0, "capped": False}),
        ("alice@example.com", None, {"model": "cpm", "amount": 4.0, "capped": False})]
    with pytest.raises(store.RateError, match="not one of"):
        store.save_campaign_rate(db, cid, "cpx", 1, by="x", expected_version=2)


def test_an_import_with_bad_rows_writes_nothing_and_names_each_row(mirrored):
    db = mirrored.db
    ids = [c["_id"] for c in db.campaigns.find({}, {"_id": 1}).sort("_id", 1).limit(3)]
    before = list(db.rates.find()), db.rate_history.count_documents({})
    rows = [[ids[0], "cpm", "5", "yes"], [ids[1], "cpx", "5", ""], [ids[2], "cpm", "-1", "no"],
            [999_999_999, "cpm", "1", ""], [ids[0], "cpc", "1", ""], ["abc", "cpm", "1", ""],
            [ids[1] if False else ids[2] + 0, "flat", "ten", ""]]
    with pytest.raises(RateImportError) as caught:
        import_rows(db, ["campaign_id", "model", "amount", "capped"], rows, by="t")
    problems = caught.value.problems
    assert any(p.startswith("row 3, model: 'cpx'") for p in problems)
    assert any(p.startswith("row 4, amount: '-1'") for p in problems)
    assert any(p.startswith("row 5, campaign_id: 999999999 is not a campaign") for p in problems)
    assert any(p.startswith(f"row 6, campaign_id: {ids[0]} is also on row 2") for p in problems)
    assert any(p.startswith("row 7, campaign_id: 'abc'") for p in problems)
    assert (list(db.rates.find()), db.rate_history.count_documents({})) == before  # nothing written


def test_an_import_that_meets_a_newer_rate_is_put_back_and_leaves_theirs(mirrored, monkeypatch):
    """The bulk import writes over the versions it read; when someone saved one meanwhile, it
    stops, puts back every rate it had written (history says so) and leaves theirs alone."""
    from bs_core.store import rates_file

    db = mirrored.db
    ids = [c["_id"] for c in db.campaigns.find({}, {"_id": 1}).sort("_id", -1)]
    theirs = ids[len(ids) // 2]
    before = {r["_id"]: r for r in db.rates.find({"_id": {"$in": ids}})}
    real = rates_file.save_many

    def someone_saves_meanwhile(db_, collection, kind, changes, read, fields, **kw):
        price(db, theirs, "flat", 777.0)  # after the import read the versions
        return real(db_, collection, kind, changes, read, fields, **kw)

    monkeypatch.setattr(rates_file, "save_many", someone_saves_meanwhile)
    with pytest.raises(RateConflictError):
        import_rows(db, ["campaign_id", "model", "amount", "capped"], [[i, "cpm", "3.25", "no"] for i in ids],
                    by="bulk")
    now = {r["_id"]: r for r in db.rates.find({"_id": {"$in": ids}})}
    assert now.pop(theirs)["amount"] == 777.0  # theirs stays
    assert {k: (v["model"], v["amount"]) for k, v in now.items()} == {
        k: (v["model"], v["amount"]) for k, v in before.items() if k != theirs}
    assert db.rate_history.count_documents({"source": "import undone", "by": "bulk"}) > 0


def test_the_cli_imports_exports_and_refuses_a_bad_file_with_exit_64(mirrored, tmp_path):
    db, server = mirrored.db, mirrored.server
    env = cli_env(server, db)
    ids = [c["_id"] for c in db.campaigns.find({}, {"_id": 1}).sort("_id", -1).limit(2)]
    good = tmp_path / "rates.csv"
    good.write_text(f"campaign_id,model,amount,capped\n{ids[0]},cpm,4.5,yes\n{ids[1]},monthly,1200,no\n")
    out = subprocess.run([sys.executable, "-m", "bs_core", "rates", "import", str(good), "--by", "ops"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "2 campaign rates saved" in out.stdout, out.stderr
    exported = subprocess.run([sys.executable, "-m", "bs_core", "rates", "export"], env=env, capture_output=True,
                              text=True, timeout=120)
    rows = {int(r["campaign_id"]): r for r in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows[ids[0]] == {"campaign_id": str(ids[0]), "model": "cpm", "amount": "4.5", "capped": "yes"}
    bad = tmp_path / "bad.csv"
    bad.write_text(f"campaign_id,model,amount,capped\n{ids[0]},cpm,-3,yes\n")
    out = subprocess.run([sys.executable, "-m", "bs_core", "rates", "import", str(bad)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 64 and "row 2, amount: '-3'" in out.stderr and "Traceback" not in out.stderr
    assert store.campaign_rates(db, [ids[0]])[ids[0]].amount == 4.5


# -- never lost --------------------------------------------------------------------------------
def test_a_campaign_deleted_upstream_keeps_its_rate_and_its_invoice(mirrored):
    db, server, settings = mirrored.db, mirrored.server, mirrored.settings
    cid = delivered(db)[0]
    price(db, cid, "cpm", 2.0)
    before = next(m for m in campaign_money(db, network_days(db)) if m.campaign_id == cid)
    server.sim.mutate("delete", "campaigns", cid)
    assert run_sync(settings, db, "full")["status"] in ("success", "partial")
    assert db.campaigns.find_one({"_id": cid}) is None  # really deleted upstream
    assert store.campaign_rates(db, [cid])[cid].amount == 2.0  # the rate stays
    after = next(m for m in campaign_money(db, network_days(db)) if m.campaign_id == cid)
    assert after.name.endswith("(deleted)") and after.views == before.views and after.earned == before.earned > 0


def test_restoring_an_older_backup_says_how_many_rate_changes_it_undoes(mirrored, tmp_path):
    db = mirrored.db
    cid = some_campaign(db)["_id"]
    backup(db, tmp_path / "b")
    rate = store.campaign_rates(db, [cid]).get(cid)
    store.save_campaign_rate(db, cid, "cpm", 7.25, by="later", expected_version=rate.version if rate else 0)
    rates_then = {d["_id"]: d for d in db.rates.find()}
    with pytest.raises(BackupError, match=r"roll back 1 rate change\(s\)"):
        restore(db, tmp_path / "b", drop=True)
    assert {d["_id"]: d for d in db.rates.find()} == rates_then  # refused: nothing changed
    report_ = restore(db, tmp_path / "b", drop=True, roll_back_rates=True)
    assert report_.rate_edits_rolled_back == 1
    assert store.campaign_rates(db, [cid]).get(cid) == rate  # as it was when the backup was taken
    backup(db, tmp_path / "c")  # a backup with rates and their history restores them whole
    history_then = db.rate_history.count_documents({})
    restore(db, tmp_path / "c", drop=True)
    assert db.rate_history.count_documents({}) == history_then


# -- report revenue and invoice ------------------------------------------------------------------
def test_report_revenue_and_invoice_equal_the_hand_computation(mirrored):
    db = mirrored.db
    days = network_days(db)
    cid = delivered(db)[1]
    camp = db.campaigns.find_one({"_id": cid})
    price(db, cid, "cpm", 3.0)
    last = days.yesterday(camp["network_id"])
    first = last - dt.timedelta(days=6)
    views = sum(d["views"] for d in db.stats_daily.find({"campaign_id": cid, "date": {
        "$gte": dt.datetime.combine(first, dt.time()), "$lte": dt.datetime.combine(last, dt.time())}}))
    [rev] = report(db, ReportQuery("revenue", first, last, campaign_id=cid), days)
    assert rev["views"] == views and rev["earned"] == round(views / 1000 * 3.0, 2) and rev["model"] == "cpm"
    assert rev["ecpm"] == 3.0 and rev["currency"] == "USD"
    month = f"{last:%Y-%m}"
    lines = [r for r in report(db, ReportQuery("invoice", month=month), days) if r["campaign_id"] == cid]
    in_month = sum(d["views"] for d in db.stats_daily.find({"campaign_id": cid, "date": {
        "$gte": dt.datetime(last.year, last.month, 1), "$lte": dt.datetime.combine(last, dt.time())}}))
    assert lines == [{**lines[0], "views": in_month, "amount": round(in_month / 1000 * 3.0, 2), "rate": 3.0}]
    unpriced = [r for r in report(db, ReportQuery("revenue", first, last), days) if r["model"] == "unpriced"]
    assert unpriced and all(r["earned"] is None for r in unpriced)  # never counted as 0
    with pytest.raises(Exception, match="expected YYYY-MM"):
        report(db, ReportQuery("invoice", month="11/2026"), days)


def test_report_invoice_cli_writes_json_rows(mirrored):
    db, server = mirrored.db, mirrored.server
    days = network_days(db)
    month = f"{max(days.last_complete(db.networks.distinct('_id')).values()):%Y-%m}"  # begun on some network
    out = subprocess.run([sys.executable, "-m", "bs_core", "report", "invoice", "--month", month],
                         env=cli_env(server, db), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert all(set(r) >= {"advertiser_id", "campaign_id", "views", "clicks", "model", "rate", "amount"} for r in rows)


# -- the Rates page ------------------------------------------------------------------------------
def test_the_rates_page_saves_an_edit_and_refuses_one_made_over_a_newer_rate(mirrored):
    from tests.test_app import app, no_exceptions, visit

    db, settings = mirrored.db, mirrored.settings
    at = visit(app(settings).run(), "pages/8_Rates.py")
    no_exceptions(at)
    key = f"rates_editor_{at.session_state['rates_editor_gen']}"
    table = at.data_editor(key=key).value
    first, second = int(table["ID"][0]), int(table["ID"][1])
    versions = {cid: (store.campaign_rates(db, [cid]).get(cid) or CampaignRate(cid, "cpm", 0)).version
                for cid in (first, second)}
    at.session_state[key] = {"edited_rows": {0: {"Model": "flat", "Amount": 1234.5, "Capped": False}},
                             "added_rows": [], "deleted_rows": []}
    at.button(key="rates_save").click().run()
    no_exceptions(at)
    assert any("1 rate(s) saved" in s.value for s in at.success), ([s.value for s in at.success], [w.value for w in at.warning], [i.value for i in at.info], [e.value for e in at.error])
    saved = store.campaign_rates(db, [first])[first]
    assert (saved.model, saved.amount, saved.version) == ("flat", 1234.5, versions[first] + 1)
    assert store.history(db, "campaign", first)[0]["source"] == "app"
    key = f"rates_editor_{at.session_state['rates_editor_gen']}"  # a fresh editor after the save
    at.session_state[key] = {"edited_rows": {1: {"Model": "cpm", "Amount": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()  # the user is editing ...
    # ... while someone else saves the second campaign's rate
    store.save_campaign_rate(db, second, "cpm", 9.0, by="carol@example.com", expected_version=versions[second])
    at.button(key="rates_save").click().run()
    assert any("changed by carol@example.com" in w.value.replace("\\", "") for w in at.warning), at.warning
    assert store.campaign_rates(db, [second])[second].amount == 9.0  # theirs stays


def test_the_digest_says_what_priced_campaigns_earned_yesterday_as_report_revenue_does(mirrored):
    from bs_core.digest import _content as content
    from bs_core.digest import _render as render

    db = mirrored.db
    price(db, delivered(db)[0], "cpm", 2.5)
    days = network_days(db)
    digest = content.build(db, days.utc_today, currency="EUR")
    by_report = 0.0
    for nid in db.networks.distinct("_id"):
        day = days.yesterday(nid)
        rows = report(db, ReportQuery("revenue", day, day, network_id=nid), days)
        by_report += sum(r["earned"] or 0 for r in rows)  # each rounded to cents
    assert digest.money["currency"] == "EUR" and digest.money["earned"] == pytest.approx(by_report, abs=0.01 * 50)
    assert digest.money["earned"] > 0
    assert f"Money (EUR): earned yesterday {digest.money['earned']:,.2f}" in render.text(digest)


def test_verify_checks_the_rates(mirrored):
    from bs_core.read.verify import verify

    db = mirrored.db
    assert not [f for f in verify(db).problems if f.check == "rates"]
    logged = set(db.rate_history.distinct("ref", {"kind": "campaign"}))
    ghost = next(c["_id"] for c in db.campaigns.find({}, {"_id": 1}).sort("_id", 1) if c["_id"] not in logged)
    db.rates.insert_one({"_id": ghost, "model": "cpx", "amount": -1})  # by hand, outside the store
    try:
        found = {f.text for f in verify(db).problems if f.check == "rates"}
        assert found == {"1 campaign rates have an unknown model or a negative amount",
                         "1 rates have no history (written outside the app and `rates import`)"}
    finally:
        db.rates.delete_one({"_id": ghost})


def test_the_overview_says_what_priced_campaigns_earned_this_month(mirrored):
    from bs_core.read.money import month_to_date
    from bs_core.read.reporting import stats_coverage
    from tests.test_app import app, no_exceptions

    db = mirrored.db
    price(db, delivered(db)[0], "cpm", 2.5)
    days = network_days(db)
    found = month_to_date(db, days)
    by_report = 0.0
    for nid in db.networks.distinct("_id"):  # the same days, by report revenue, network by network
        last = days.yesterday(nid)
        first = max(last.replace(day=1), stats_coverage(db, nid).first)  # no rows before the mirror's first day
        by_report += sum(r["earned"] or 0 for r in report(
            db, ReportQuery("revenue", first, last, network_id=nid), days))
    assert found["earned"] == pytest.approx(by_report, abs=0.5) and found["earned"] > 0
    at = app(mirrored.settings).run()
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Earned this month"] == f"{found['earned']:,.2f} USD"


def test_campaigns_show_what_each_earned_in_the_period(mirrored):
    from tests.test_app import app, no_exceptions, visit

    db = mirrored.db
    at = visit(app(mirrored.settings).run(), "pages/1_Campaigns.py")
    no_exceptions(at)
    start, end = at.date_input(key="f_campaigns_period").value
    table = at.dataframe[0].value
    cid = int(next(i for i, v in zip(table["ID"], table["Views"], strict=True) if v))
    price(db, cid, "cpm", 8.0)
    at.run()  # no sync between: the money is read now
    table = at.dataframe[0].value
    row = table[table["ID"] == cid].iloc[0]
    camp = db.campaigns.find_one({"_id": cid})
    last = min(end, network_days(db).yesterday(camp["network_id"]))
    views = sum(d["views"] for d in db.stats_daily.find({"campaign_id": cid, "date": {
        "$gte": dt.datetime.combine(start, dt.time()), "$lte": dt.datetime.combine(last, dt.time())}}))
    assert row["Earned"] == round(views / 1000 * 8.0, 2) and row["eCPM"] == 8.0
    assert list(table.columns).index("Earned") == list(table.columns).index("CTR") + 1


def test_an_invoice_keeps_hostile_names_as_text_in_csv_and_xlsx(mirrored, tmp_path):
    from openpyxl import load_workbook

    db, server = mirrored.db, mirrored.server
    cid = delivered(db)[2]
    price(db, cid, "cpm", 1.0)
    camp = db.campaigns.find_one({"_id": cid})
    hostile = '=HYPERLINK("http://evil.example","x")'
    before = db.advertisers.find_one({"_id": camp["advertiser_id"]})["name_clean"]
    db.advertisers.update_one({"_id": camp["advertiser_id"]}, {"$set": {"name_clean": hostile}})
    try:
        days = network_days(db)
        month = f"{days.yesterday(camp['network_id']):%Y-%m}"
        env = cli_env(server, db)
        out = subprocess.run([sys.executable, "-m", "bs_core", "report", "invoice", "--month", month,
                              "--format", "csv"], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        rows = [r for r in csv.DictReader(io.StringIO(out.stdout)) if r["campaign_id"] == str(cid)]
        assert rows and rows[0]["advertiser"] == "'" + hostile  # never a formula in a spreadsheet
        target = tmp_path / "invoice.xlsx"
        out = subprocess.run([sys.executable, "-m", "bs_core", "report", "invoice", "--month", month,
                              "--format", "xlsx", "--output", str(target)], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        book = load_workbook(target)
        summary = book["Summary"]
        header = [c.value for c in summary[1]]
        cells = [row[header.index("Advertiser")] for row in summary.iter_rows(min_row=2)
                 if row[header.index("Advertiser ID")].value == camp["advertiser_id"]]
        assert cells[0].value == hostile and cells[0].data_type == "s"  # the name exactly, typed as text
        own = next(s for s in book.worksheets if s.title.endswith(f"({camp['advertiser_id']})"))
        assert own.title.startswith("=HYPERLINK(") and len(own.title) <= 31  # a sheet per advertiser
        header = [c.value for c in own[1]]
        assert [r[header.index("Campaign ID")].value for r in own.iter_rows(min_row=2)][:-1].count(cid) == 1
        assert own.cell(own.max_row, header.index("Campaign") + 1).value == "Total"
    finally:
        db.advertisers.update_one({"_id": camp["advertiser_id"]}, {"$set": {"name_clean": before}})


def test_advertisers_networks_and_zones_earn_what_their_campaigns_do(mirrored):
    """Per owner: the sum of its priced campaigns; per zone: each campaign's earnings spread by
    its views there (a rate card: that zone's card exactly); eCPM over priced views only."""
    from bs_core.read._listings import listing
    from bs_core.read.earnings import earnings_by
    from tests.test_app import app, no_exceptions, visit

    db = mirrored.db
    db.rates.delete_many({})
    db.rate_cards.delete_many({})
    days = network_days(db)
    a, b, c = (db.campaigns.find_one({"_id": cid}) for cid in delivered(db)[3:6])
    start = max(days.yesterday(n) for n in db.networks.distinct("_id")) - dt.timedelta(days=9)
    end = start + dt.timedelta(days=6)
    price(db, a["_id"], "cpm", 4.0)
    price(db, b["_id"], "monthly", 900.0)
    card_zone = db.stats_campaign_zone_daily.find_one({"campaign_id": c["_id"]}, sort=[("views", -1)])["zone_id"]
    store.save_rate_card(db, card_zone, 2.0, by="t", expected_version=0)

    def zone_views(camp) -> dict[int, int]:
        last = min(end, days.yesterday(camp["network_id"]))
        out: dict[int, int] = {}
        for row in db.stats_campaign_zone_daily.find({"campaign_id": camp["_id"], "date": {
                "$gte": dt.datetime.combine(start, dt.time()), "$lte": dt.datetime.combine(last, dt.time())}}):
            out[row["zone_id"]] = out.get(row["zone_id"], 0) + row["views"]
        return out

    money = {m.campaign_id: m for m in campaign_money(db, days, start, end) if m.priced}
    by_hand: dict[int, list] = {}
    for camp in (a, b):
        views = zone_views(camp)
        for zone, seen in views.items():
            cell = by_hand.setdefault(zone, [0.0, 0])
            cell[0] += money[camp["_id"]].earned * seen / sum(views.values())
            cell[1] += seen
    carded = db.placements.distinct("campaign_id", {"zone_id": card_zone})
    for camp in db.campaigns.find({"_id": {"$in": carded, "$nin": [a["_id"], b["_id"]]}}):
        for zone, seen in zone_views(camp).items():
            cell = by_hand.setdefault(zone, [0.0, 0])
            cell[0] += seen / 1000 * 2.0 if zone == card_zone else 0.0
            cell[1] += seen
    zones = earnings_by(db, days, "zones", start, end)
    assert {z: round(e.earned, 6) for z, e in zones.items()} == {z: round(v[0], 6) for z, v in by_hand.items()}
    assert all(zones[z].views == v[1] for z, v in by_hand.items())
    assert money[a["_id"]].earned == pytest.approx(sum(zone_views(a).values()) / 1000 * 4.0)
    assert money[b["_id"]].earned > 0 and zones[card_zone].earned > 0
    for kind, field in (("advertisers", "advertiser_id"), ("networks", "network_id")):
        want: dict[int, float] = {}
        for m in money.values():
            want[getattr(m, field)] = want.get(getattr(m, field), 0.0) + m.earned
        found = earnings_by(db, days, kind, start, end)
        assert {k: round(e.earned, 6) for k, e in found.items()} == {k: round(v, 6) for k, v in want.items()}
    assert sum(e.earned for e in zones.values()) == pytest.approx(sum(m.earned for m in money.values()))

    top = listing(db, "zones", sort=("earned", -1), page_size=3, start=start, end=end).rows
    assert top[0]["_id"] == max(zones, key=lambda z: zones[z].earned)
    at = visit(app(mirrored.settings).run(), "pages/4_Zones.py")
    at.date_input(key="f_zones_period").set_value((start, end))
    at.selectbox(key="f_zones_sort").set_value("Earned")
    at.toggle(key="f_zones_desc").set_value(True).run()
    no_exceptions(at)
    table = at.dataframe[0].value
    assert int(table["ID"].iloc[0]) == top[0]["_id"]
    assert table["Earned"].iloc[0] == round(zones[top[0]["_id"]].earned, 2)
    assert table["eCPM"].iloc[0] == round(zones[top[0]["_id"]].ecpm, 2)
    assert list(table.columns).index("Earned") == list(table.columns).index("CTR") + 1


def test_the_invoices_page_shows_the_report_invoice_per_advertiser_with_totals(mirrored):
    from tests.test_app import ROOT, app, no_exceptions, visit

    db = mirrored.db
    db.rates.delete_many({})
    db.rate_cards.delete_many({})
    at = visit(app(mirrored.settings).run(), "pages/9_Invoices.py")
    no_exceptions(at)
    assert "No campaign is priced yet" in at.info[0].value  # unpriced is never an invoice of 0
    ids = [cid for cid in delivered(db) if db.campaigns.find_one({"_id": cid})][:4]  # not one deleted upstream
    for cid, (model, amount) in zip(ids, [("cpm", 3.0), ("cpc", 0.4), ("monthly", 500.0), ("cpm", 1.5)],
                                    strict=True):
        price(db, cid, model, amount)
    days = network_days(db)
    newest = max(days.last_complete(db.networks.distinct("_id")).values())
    month = f"{newest:%Y-%m}"  # the month under way: the mirror's 20 days may not reach back a whole month
    at = app(mirrored.settings)
    at.switch_page(str(ROOT / "pages/9_Invoices.py"))
    at.query_params["month"] = month  # a link to the month (the page's default is the last complete one)
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="f_invoices_month").value == month
    rows = report(db, ReportQuery("invoice", month=month), days)
    metrics = {m.label: m.value for m in at.metric}
    named = f"{dt.date.fromisoformat(month + '-01'):%b %Y}"
    assert metrics[f"Total (USD), {named}"] == f"{sum(r['amount'] for r in rows):,.2f}"
    assert metrics[f"Campaigns, {named}"] == f"{len(rows):,}" and len(rows) == 4
    advertisers = {r["advertiser_id"] for r in rows}
    assert len(at.dataframe) == len(advertisers)
    for table in at.dataframe:
        frame = table.value
        assert frame["Campaign"].iloc[-1] == "Total"
        assert frame["Amount"].iloc[-1] == pytest.approx(frame["Amount"].iloc[:-1].sum(), abs=0.01)
    captions = " ".join(c.value for c in at.caption)
    assert {int(i) for i in re.findall(r"Advertiser (\d+): ", captions)} == advertisers
    assert f"Invoice for {dt.date.fromisoformat(month + '-01'):%B %Y}" in captions and "USD" in captions


def test_a_non_operators_forged_save_is_refused_and_saves_nothing(mirrored):
    """With sign-in on, only operators save rates. The editor and its buttons are disabled for
    anyone else; a forged message (edits in the editor's state and a click on the disabled
    button, as a websocket client could send them) saves nothing."""
    import dataclasses

    from tests.test_app import app, no_exceptions, visit
    from tests.test_auth import AUTH

    db = mirrored.db
    settings = dataclasses.replace(mirrored.settings, allowed_emails=("@example.com",),
                                   operators=("olga@example.com",))
    at = app(settings)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "alice@example.com"}
    at = visit(at.run(), "pages/8_Rates.py")
    no_exceptions(at)
    assert at.button(key="rates_save").disabled and at.button(key="cards_save").disabled
    key = f"rates_editor_{at.session_state['rates_editor_gen']}"
    cid = int(at.data_editor(key=key).value["ID"][0])
    before = (store.campaign_rates(db, [cid]).get(cid), len(store.history(db, "campaign", cid)))
    at.session_state[key] = {"edited_rows": {0: {"Model": "cpm", "Amount": 0.01}}, "added_rows": [],
                             "deleted_rows": []}
    forged = at.button(key="rates_save")
    forged._value = True  # the trigger a websocket client can send; AppTest's click() refuses a disabled one
    at.run()
    no_exceptions(at)
    # Streamlit drops a disabled widget's value on the server; the page's own operator check
    # stands behind it. Either way: nothing saved, nothing said to be saved.
    assert not at.success
    assert (store.campaign_rates(db, [cid]).get(cid), len(store.history(db, "campaign", cid))) == before


def test_money_is_the_same_when_reads_take_whole_collections(mirrored, monkeypatch):
    """Past FEW_IDS ids a read takes every document and keeps the wanted ones (long $in lists
    are slow on the embedded server): the figures must not change."""
    from bs_core.read.earnings import earnings_by
    from bs_core.store import rates as rates_module

    db = mirrored.db
    for cid, (model, amount) in zip(delivered(db)[:3], [("cpm", 2.0), ("cpc", 0.3), ("monthly", 300.0)],
                                    strict=True):
        price(db, cid, model, amount)
    days = network_days(db)
    newest = max(days.last_complete(db.networks.distinct("_id")).values())
    start = newest - dt.timedelta(days=12)

    def figures():
        return (report(db, ReportQuery("revenue", start, newest), days),
                report(db, ReportQuery("invoice", month=f"{newest:%Y-%m}"), days),
                {k: (round(e.earned, 6), e.views) for k, e in earnings_by(db, days, "zones", start, newest).items()})

    few = figures()
    monkeypatch.setattr(rates_module, "FEW_IDS", 0)
    assert figures() == few and few[1]
