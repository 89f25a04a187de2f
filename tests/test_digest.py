"""Digests: ``python -m bs_core digest send`` to a real SMTP server (aiosmtpd) and a local
webhook receiver; the attachments opened with openpyxl and the csv module; an advertiser's
digest leaks nothing of other advertisers; failures are one line, recorded, never secret;
the schedule sends each slot once."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from bs_core import cron
from bs_core.digest import _content as content
from bs_core.digest.schedule import due_slot
from bs_core.process import free_port
from bs_core.read import delivery, figures, reporting
from bs_core.read.days import network_days
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.sync import run_sync
from tests.conftest import dispose, fresh_database, mirror_settings
from tests.test_cli import run_cli
from tests.test_sync import cli_env

TODAY = dt.date.today()
HOSTILE = "=HYPERLINK(\"http://evil.example\",\"x\") <script>alert(1)</script>"


class Inbox:
    """An aiosmtpd handler keeping every message; it refuses recipients at refused.example."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd names it
        if address.endswith("@refused.example"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd names it
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture(scope="module")
def mirrored(mongo_uri):
    client, db = fresh_database(mongo_uri)
    sim = Simulator("demo", seed=3, records_limit=50, records_window=1.0)
    victim = next(c for c in sim.dataset.campaigns.values() if c["active"])
    victim["name"] = HOSTILE  # a name from BroadStreet is data, in every part of the digest
    victim["start_date"] = (TODAY - dt.timedelta(days=30)).isoformat()
    victim["end_date"] = (TODAY + dt.timedelta(days=3)).isoformat()  # listed: it ends within 7 days
    with SimulatorServer(sim) as server:
        assert run_sync(mirror_settings(server, db, stats_days=15), db, "full")["status"] == "success"
        yield db, server
    dispose(client, db.name)


def parts(msg):
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    files = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    return text, html, files


def digest_day(db, advertiser_id: int | None = None) -> tuple[dt.date, int]:
    """The digest's day (the newest of the networks' own yesterdays) and the views of each
    network's own yesterday, summed: right at any hour the test runs (at 06:00 UTC a
    UTC-08:00 network's yesterday is the day before a UTC-05:00 one's)."""
    days = network_days(db)
    networks = db.networks.distinct("_id")
    if advertiser_id is not None:
        networks = [db.advertisers.find_one({"_id": advertiser_id})["network_id"]]
    yesterdays = {nid: days.yesterday(nid) for nid in networks}
    views = sum(reporting.totals(db, y, y, reporting.StatsFilter(network_id=nid, advertiser_id=advertiser_id))["views"]
                for nid, y in yesterdays.items())
    return max(yesterdays.values()), views


def env_for(server, db, tmp_path, **extra):
    return cli_env(server, db, BS_DATA_DIR=str(tmp_path), BS_PUBLIC_URL="https://ads.example.com",
                   BS_DIGEST_FROM="digest@example.com", **extra)


def test_digest_send_delivers_one_message_with_both_parts_and_both_attachments(mirrored, smtp_server, tmp_path):
    db, server = mirrored
    inbox, url = smtp_server
    out = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=url, BS_DIGEST_TO="team@example.com"), "digest", "send")
    assert out.returncode == 0, out.stderr
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "team@example.com" and msg["From"] == "digest@example.com"
    text, html, files = parts(msg)
    day, views = digest_day(db)
    assert f"Views: {views:,}" in text and f">{views:,}</div>" in html
    behind = figures.behind_pace(db, TODAY)
    assert f"Behind pace ({len(behind)})" in text
    unsold = delivery.unsold_zones(db)
    book = load_workbook(io.BytesIO(files[f"digest-{day}.xlsx"]))
    assert book.sheetnames == ["behind-pace", "not-delivering", "ending-soon", "unsold-zones"]
    sheet = book["unsold-zones"]
    assert [c.value for c in sheet[1]] == ["Zone", "Network", "ID"] and sheet.max_row == len(unsold) + 1
    assert {sheet.cell(row=r, column=3).value for r in range(2, sheet.max_row + 1)} == {z["_id"] for z in unsold}
    zones_csv = list(csv.DictReader(io.StringIO(files[f"unsold-zones-{day}.csv"].decode()
                                                if isinstance(files[f"unsold-zones-{day}.csv"], bytes)
                                                else files[f"unsold-zones-{day}.csv"])))
    assert {int(r["ID"]) for r in zones_csv} == {z["_id"] for z in unsold}
    # each item links into the dashboard with a shareable open= link
    assert f"https://ads.example.com/Zones?open=zone%3A{unsold[0]['_id']}" in html
    ending = delivery.ending_soon(db, TODAY)  # a campaign's link opens it on the digest's day
    assert f"Campaigns?open=campaign%3A{ending[0]['_id']}&amp;from={day}&amp;to={day}" in html
    record = db.digest_runs.find_one({"status": "sent"})
    assert record["channels"] == {"email": {"sent": True}} and record["recipients"] == 1


def test_hostile_names_are_escaped_in_html_and_neutralised_in_the_attachments(mirrored, tmp_path):
    db, server = mirrored
    out = run_cli(env_for(server, db, tmp_path), "digest", "send", "--dry-run", "--output", str(tmp_path / "d"))
    assert out.returncode == 0, out.stderr
    eml = next((tmp_path / "d").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text, html, files = parts(msg)
    day, _ = digest_day(db)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted([eml.name, *files])
    assert HOSTILE in text  # plain text carries the name as it is
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    ending = files[f"ending-soon-{day}.csv"]
    cells = [c for row in csv.reader(io.StringIO(ending if isinstance(ending, str) else ending.decode())) for c in row]
    assert "'" + HOSTILE in cells  # neutralised: a spreadsheet shows it as text
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    book = load_workbook(io.BytesIO(files[f"digest-{day}.xlsx"]))
    texts = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert HOSTILE in [c.value for c in texts]  # in a workbook the name is exactly as upstream...
    assert all(c.data_type == "s" for c in texts)  # ...typed as text, never a formula
    import zipfile

    with zipfile.ZipFile(io.BytesIO(files[f"digest-{day}.xlsx"])) as raw:
        assert not any("<f>" in raw.read(n).decode() for n in raw.namelist() if n.startswith("xl/worksheets/"))


def test_an_advertisers_digest_holds_nothing_of_other_advertisers(mirrored, smtp_server, tmp_path):
    db, server = mirrored
    inbox, url = smtp_server
    day = TODAY - dt.timedelta(days=1)
    row = db.stats_daily.find_one({"date": {"$gte": dt.datetime.combine(day, dt.time())}}, sort=[("views", -1)])
    adv = row["advertiser_id"]
    out = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=url), "digest", "send", "--advertiser", str(adv),
                  "--to", "client@example.com")
    assert out.returncode == 0, out.stderr
    text, html, files = parts(inbox.messages[0])
    _, own = digest_day(db, adv)
    assert f"Views: {own:,}" in text
    whole = reporting.totals(db, day, day)["views"]
    assert f"{whole:,}" not in text + html  # not the account's figure
    others = {a["_id"]: a["name_clean"] for a in db.advertisers.find({"_id": {"$ne": adv}}, {"name_clean": 1})}
    mine = db.advertisers.find_one({"_id": adv})["name_clean"]
    everything = text + html + "".join(str(v) for v in files.values())
    assert not [n for n in others.values() if n and n not in mine and n in everything]
    own_campaigns = {c["_id"] for c in db.campaigns.find({"advertiser_id": adv}, {"_id": 1})}
    for name, data in files.items():
        if name.endswith(".csv"):
            ids = {int(r["ID"]) for r in csv.DictReader(io.StringIO(data if isinstance(data, str) else data.decode()))}
            assert ids <= own_campaigns, name
    assert "unsold-zones" not in "".join(files) and "Unsold zones" not in text


def test_failures_are_one_line_recorded_and_keep_the_password_secret(mirrored, smtp_server, tmp_path):
    db, server = mirrored
    inbox, url = smtp_server
    refused = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=url, BS_DIGEST_TO="nobody@refused.example"),
                      "digest", "send")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "refused" in refused.stderr and not inbox.messages
    dead = f"smtp://mailer:Pa55-secret@127.0.0.1:{free_port()}"
    out = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=dead, BS_DIGEST_TO="team@example.com"), "digest", "send")
    assert out.returncode == 1 and "cannot reach the SMTP server" in out.stderr
    no_tls = url.replace("smtp://", "smtp://mailer:Pa55-secret@")
    out = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=no_tls, BS_DIGEST_TO="team@example.com"),
                  "digest", "send")
    assert out.returncode == 1 and "not sent unencrypted" in out.stderr and not inbox.messages
    records = list(db.digest_runs.find({"status": "failed"}))
    assert len(records) >= 3
    assert "Pa55-secret" not in out.stderr + out.stdout + json.dumps(records, default=str)
    bad = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL="http://x"), "digest", "send")
    assert bad.returncode == 64 and "BS_SMTP_URL" in bad.stderr


class _Receiver(BaseHTTPRequestHandler):
    bodies: list = []
    status = 200

    def do_POST(self):
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_digest_reaches_a_slack_webhook_and_a_webhook_error_is_recorded(mirrored, tmp_path):
    db, server = mirrored
    http = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{http.server_address[1]}/hooks/T000/B000/XXXX"
    try:
        out = run_cli(env_for(server, db, tmp_path, BS_DIGEST_WEBHOOK_URL=hook), "digest", "send")
        assert out.returncode == 0, out.stderr
        assert "BroadStreet digest for" in _Receiver.bodies[-1]["text"]
        _Receiver.status = 500
        out = run_cli(env_for(server, db, tmp_path, BS_DIGEST_WEBHOOK_URL=hook), "digest", "send")
        assert out.returncode == 1 and "HTTP 500" in out.stderr and "XXXX" not in out.stderr
    finally:
        _Receiver.status = 200
        http.shutdown()


def test_a_schedule_slot_is_claimed_once_and_a_failed_slot_waits_for_the_next():
    every_weekday = cron.parse("0 7 * * 1-5")
    monday = dt.datetime(2026, 11, 30, 7, 30)
    assert every_weekday.last_at_or_before(monday) == dt.datetime(2026, 11, 30, 7, 0)
    assert every_weekday.last_at_or_before(dt.datetime(2026, 11, 30, 6, 59)) == dt.datetime(2026, 11, 27, 7, 0)
    assert cron.parse("*/15 8-9 * * *").last_at_or_before(dt.datetime(2026, 1, 1, 9, 44)).minute == 30
    assert cron.parse("0 0 1 * 0").matches(dt.datetime(2026, 3, 1)) and cron.parse("0 0 * * 7").matches(
        dt.datetime(2026, 3, 1))  # either day field; 7 is Sunday
    for bad in ("0 7 * *", "61 * * * *", "a * * * *", "0 7 * * 1-9"):
        with pytest.raises(cron.CronError):
            cron.parse(bad)


def test_the_app_scheduler_sends_a_due_digest_once(mirrored, smtp_server, tmp_path):
    from bs_core.runtime import Runtime

    db, server = mirrored
    inbox, url = smtp_server
    db.digest_runs.delete_many({})
    schedule = f"{(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)):%M %H} * * *"
    settings = mirror_settings(server, db, smtp_url=url, digest_to=("team@example.com",), digest_schedule=schedule)
    runtime = Runtime(settings)
    try:
        first = runtime.send_due_digest(db)
        assert first is not None
        first.join(30)
        assert runtime.send_due_digest(db) is None  # the slot is taken
        assert due_slot(db, schedule) is None
    finally:
        runtime.close()
    assert len(inbox.messages) == 1
    assert db.digest_runs.find_one({"trigger": "schedule", "status": "sent"}) is not None


def test_the_digest_content_of_a_mirror_without_reporting_says_so(mongo_uri):
    client, db = fresh_database(mongo_uri)
    try:
        digest = content.build(db, TODAY)
        assert digest.figures == {} and "no successful sync" in digest.freshness
        assert all(not s.rows for s in digest.lists)
    finally:
        dispose(client, db.name)


def test_a_schedule_that_can_never_fire_is_refused_at_start(mirrored, tmp_path):
    for never in ("0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"):
        with pytest.raises(cron.CronError, match="never fires"):
            cron.parse(never)
    for rare in ("0 0 29 2 *", "0 0 31 4,5 *", "0 0 30 2 1"):  # leap days; a 31st in May; or any Monday
        assert cron.parse(rare).last_at_or_before(dt.datetime(2026, 12, 2), within=dt.timedelta(days=4 * 366))
    db, server = mirrored
    out = run_cli(env_for(server, db, tmp_path, BS_DIGEST_SCHEDULE="0 0 30 2 *"), "digest", "send", "--scheduled")
    assert out.returncode == 64 and "never fires" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_scheduled_dry_run_leaves_the_slot_to_the_real_send(mirrored, smtp_server, tmp_path):
    db, server = mirrored
    inbox, url = smtp_server
    db.digest_runs.delete_many({})
    env = env_for(server, db, tmp_path, BS_DIGEST_SCHEDULE="* * * * *", BS_SMTP_URL=url,
                  BS_DIGEST_TO="team@example.com")
    dry = run_cli(env, "digest", "send", "--scheduled", "--dry-run", "--output", str(tmp_path / "look"))
    assert dry.returncode == 0 and "digest written" in dry.stdout and not inbox.messages
    real = run_cli(env, "digest", "send", "--scheduled")
    if "no scheduled digest is due" in real.stderr:  # the minute turned between the two: the next slot is due
        real = run_cli(env, "digest", "send", "--scheduled")
    assert real.returncode == 0 and "digest sent" in real.stdout, real.stderr
    assert len(inbox.messages) == 1


def test_an_smtp_server_that_accepts_and_stalls_is_given_up_within_the_deadline(mirrored, tmp_path):
    import socket
    import time

    from bs_core.digest.delivery import SMTP_DEADLINE

    db, server = mirrored
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    held = []

    def trickle():  # greets, then answers one byte every 2 s: no single read ever times out
        conn, _ = listener.accept()
        held.append(conn)
        conn.sendall(b"220 slow.example ESMTP\r\n")
        conn.recv(1024)
        for byte in b"250-slow.example\r\n" * 20:
            time.sleep(2)
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return

    threading.Thread(target=trickle, daemon=True).start()
    url = f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    # without one deadline for the whole conversation this would take the trickle's 12 minutes
    out = run_cli(env_for(server, db, tmp_path, BS_SMTP_URL=url, BS_DIGEST_TO="team@example.com"), "digest", "send")
    listener.close()
    for conn in held:
        conn.close()
    assert out.returncode == 1 and f"did not finish within {SMTP_DEADLINE:.0f} s" in out.stderr
