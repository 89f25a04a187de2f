"""The "absence is not evidence" cases of ``bench/chaos.py``: for each, the mirrored
documents lost (must be 0) and the seconds until the process in question exited (or,
for the app, until its run was recorded)."""

from __future__ import annotations

import datetime as dt
import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bs_core.client import BroadStreetClient
from bs_core.process import free_port
from bs_core.store.history import current_lease, mirror_version
from bs_core.sync._report_rows import grains

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("networks", "advertisers", "zones", "advertisements", "campaigns", "placements")
FAR_DATE = "Wed, 21 Oct 2099 07:28:00 GMT"


def ids(db) -> dict[str, set]:
    return {k: {d["_id"] for d in db[k].find({}, {"_id": 1})} for k in KINDS}


def lost(before: dict[str, set], db) -> int:
    now = ids(db)
    return sum(len(before[k] - now[k]) for k in KINDS)


def timed_cli(chaos, *args: str, env: dict | None = None, command: str = "sync") -> tuple[int, float]:
    """Run ``python -m bs_core COMMAND ARGS``: (exit code, seconds until it exited)."""
    started = time.perf_counter()
    extra = ("--json",) if command == "sync" else ()
    out = subprocess.run([sys.executable, "-m", "bs_core", command, *extra, *args], env=env or chaos.env,
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    return out.returncode, time.perf_counter() - started


def absence_cases(chaos) -> Iterator[tuple[str, int, float, str]]:
    yield network_left_out(chaos)
    yield advertiser_left_out(chaos)
    for kind in ("advertisements", "zones"):
        yield three_left_out(chaos, kind)
    yield malformed_record(chaos)
    yield split_lists(chaos)
    yield account_swap(chaos)
    yield empty_reports(chaos)
    yield skewed_clock(chaos)
    for signum in (signal.SIGTERM, signal.SIGINT):
        yield app_stop(chaos, signum)
    yield corrupt_restore(chaos)
    yield trickling_webhook(chaos)
    yield far_retry_after(chaos)


def _listed(chaos, path: str, **query) -> dict:
    """What the simulator's API answers now (to answer it again, less some records)."""
    return requests.get(f"{chaos.settings.broadstreet_api_base_url}{path}", timeout=30,
                        params={"access_token": chaos.settings.broadstreet_api_token, **query}).json()


def network_left_out(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    first = _listed(chaos, "/networks")["networks"][:1]
    chaos.sim("faults", {"kind": "status", "path": "/networks", "status": 200, "body": {"networks": first},
                         "times": 1})
    code, seconds = timed_cli(chaos, "--scope", "full")
    return ("/networks answers once with only its first network", lost(before, db), seconds, f"exit {code}")


def advertiser_left_out(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    nid = sorted(before["networks"])[0]
    biggest = next(db.campaigns.aggregate([{"$match": {"network_id": nid}},
                                           {"$group": {"_id": "$advertiser_id", "n": {"$sum": 1}}},
                                           {"$sort": {"n": -1}}, {"$limit": 1}]))["_id"]
    listed = [a for a in _listed(chaos, "/advertisers", network_id=nid)["advertisers"] if a["id"] != biggest]
    chaos.sim("faults", {"kind": "status", "path": "/advertisers", "status": 200, "times": 1,
                         "body": {"advertisers": listed}, "query": {"network_id": nid}})
    code, seconds = timed_cli(chaos, "--scope", "full")
    return (f"advertiser {biggest} (most campaigns) left out of its network's list once", lost(before, db), seconds,
            f"exit {code}")


def three_left_out(chaos, kind: str):
    chaos.full()
    db = chaos.db
    before = ids(db)
    field = {"advertisements": "advertisement_id", "zones": "zone_id"}[kind]
    top = [r["_id"] for r in db.placements.aggregate([{"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
                                                      {"$sort": {"n": -1}}, {"$limit": 3}])]
    nid = db[kind].find_one({"_id": top[0]})["network_id"]
    top = [i for i in top if db[kind].find_one({"_id": i, "network_id": nid})]
    listed = [r for r in _listed(chaos, f"/{kind}", network_id=nid)[kind] if r["id"] not in top]
    chaos.sim("faults", {"kind": "status", "path": f"/{kind}", "status": 200, "times": 1,
                         "body": {kind: listed}, "query": {"network_id": nid}})
    code, seconds = timed_cli(chaos, "--scope", "full")
    return (f"the {len(top)} {kind} with the most placements left out once", lost(before, db), seconds,
            f"exit {code}")


def malformed_record(chaos):
    chaos.full()
    db = chaos.db
    cid = next(db.placements.aggregate([{"$group": {"_id": "$campaign_id", "n": {"$sum": 1}}},
                                        {"$sort": {"n": -1}}, {"$limit": 1}]))["_id"]
    start = db.campaigns.find_one({"_id": cid})["start_date"]
    before = ids(db)
    chaos.sim("mutate", {"op": "update", "kind": "campaigns", "id": cid, "fields": {"start_date": "2026-02-30"}})
    code, seconds = timed_cli(chaos, "--scope", "full")
    result = ("malformed start_date on the campaign with the most placements", lost(before, db), seconds,
              f"exit {code}")
    chaos.sim("mutate", {"op": "update", "kind": "campaigns", "id": cid, "fields": {"start_date": start}})
    return result


def split_lists(chaos):
    chaos.full()
    db = chaos.db
    nid = sorted(ids(db)["networks"])[0]
    per_advertiser = {d["_id"]: d["n"] for d in db.campaigns.aggregate([
        {"$match": {"network_id": nid}}, {"$group": {"_id": "$advertiser_id", "n": {"$sum": 1}}}])}
    small = [a for a, n in per_advertiser.items() if n < 5]
    for aid in small:
        chaos.sim("faults", {"kind": "status", "path": "/campaigns", "status": 200, "body": {"campaigns": []},
                             "times": 1, "query": {"advertiser_id": aid}})
    before = ids(db)
    code, seconds = timed_cli(chaos, "--scope", "full")
    requests.delete(f"{chaos.root}/_sim/faults", timeout=10)
    return (f"empty campaign lists for {len(small)} advertisers of one network", lost(before, db), seconds,
            f"exit {code}")


def account_swap(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    chaos.sim("reset", {"size": "demo", "seed": 2})
    first, s1 = timed_cli(chaos, "--scope", "full")
    second, s2 = timed_cli(chaos, "--scope", "full")
    result = ("BroadStreet answers with another account, two syncs", lost(before, db), s1 + s2,
              f"exits {first}, {second}")
    chaos.sim("reset", {"size": "demo", "seed": 1})
    chaos.full(allow_deletes=True)  # the second account goes; the first one's held ids came back
    return result


def empty_reports(chaos):
    db = chaos.db
    db.client.drop_database(db.name)
    chaos.sim("faults", {"kind": "status", "path": "/records", "status": 200, "body": {"records": []}})
    code, seconds = timed_cli(chaos, "--scope", "full")
    requests.delete(f"{chaos.root}/_sim/faults", timeout=10)
    chaos.full()
    chaos.full()
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=chaos.settings.stats_days - 1)
    client = BroadStreetClient(chaos.settings)
    expected = 0
    for nid in ids(db)["networks"]:
        rows = client.records("network", nid, start, today - dt.timedelta(days=1))["records"]
        expected += len(grains(nid, rows).documents["stats_daily"])
    client.close()
    present = db.stats_daily.count_documents({"date": {"$lt": dt.datetime(today.year, today.month, today.day)}})
    return ("first sync's report answers all empty, then two syncs", max(expected - present, 0), seconds,
            f"exit {code}; {present:,} of {expected:,} daily rows")


def skewed_clock(chaos):
    import bs_core
    import bs_core.dates as dates

    chaos.full()
    db = chaos.db
    before = ids(db)
    real = dates.utcnow
    patched = [m for n, m in sys.modules.items() if n.startswith(bs_core.__name__) and getattr(m, "utcnow", None) is real]
    for module in patched:
        module.utcnow = lambda: real() + dt.timedelta(hours=1)
    try:
        skewed, seconds = chaos.full()
    finally:
        for module in patched:
            module.utcnow = real
    cid = sorted(before["campaigns"])[0]
    chaos.sim("mutate", {"op": "update", "kind": "campaigns", "id": cid, "fields": {"name": "after the skew"}})
    later, _ = chaos.full()
    follows = mirror_version(db) == later["_id"]
    return ("a sync from a process whose clock is an hour ahead", lost(before, db), seconds,
            f"mirror version follows the next run: {'yes' if follows else 'NO'}")


def app_stop(chaos, signum: int):
    chaos.full()
    db = chaos.db
    before = ids(db)
    port, admin = free_port(), "chaos-admin"
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, env=chaos.env | {"BS_ADMIN_TOKEN": admin},
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/api/sync/trigger", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    chaos.sim("latency", {"latency_ms": 200})
    run_id = requests.post(base + "/api/sync/trigger", json={"scope": "full"}, timeout=10,
                           headers={"Authorization": f"Bearer {admin}"}).json()["run_id"]
    while not (db.sync_runs.find_one({"_id": run_id}) or {}).get("progress"):
        time.sleep(0.05)
    sent = time.perf_counter()
    proc.send_signal(signum)
    while db.sync_runs.find_one({"_id": run_id, "status": "running"}) and time.perf_counter() - sent < 60:
        time.sleep(0.02)
    seconds = time.perf_counter() - sent
    status = db.sync_runs.find_one({"_id": run_id})["status"]
    free = current_lease(db) is None
    proc.wait(60)
    chaos.sim("latency", {"latency_ms": 15})
    traceback = "Traceback" in Path(log.name).read_text()
    return (f"{signal.Signals(signum).name} to streamlit run during an API sync", lost(before, db), seconds,
            f"{status}, lease {'free' if free else 'HELD'}, traceback in log: {'yes' if traceback else 'no'}")


def corrupt_restore(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    folder = Path(tempfile.mkdtemp())
    code, _ = timed_cli(chaos, "--out", str(folder / "b"), command="backup")
    (folder / "b" / db.name / "zones.metadata.json").write_text("{not json")
    code, seconds = timed_cli(chaos, str(folder / "b"), "--drop", command="restore")
    shutil.rmtree(folder)
    return ("restore --drop of a backup whose zones metadata is not JSON", lost(before, db), seconds, f"exit {code}")


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for _ in range(120):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def trickling_webhook(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = chaos.env | {"BS_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/hook", "BS_WEBHOOK_ON": "all"}
    code, seconds = timed_cli(chaos, "--scope", "quick", env=env)
    server.shutdown()
    webhook = db.sync_runs.find_one(sort=[("started_at", -1)]).get("webhook") or {}
    return ("a webhook receiver that trickles a byte every 2 s", lost(before, db), seconds,
            f"exit {code}; webhook recorded sent={webhook.get('sent')}")


def far_retry_after(chaos):
    chaos.full()
    db = chaos.db
    before = ids(db)
    chaos.sim("faults", {"kind": "status", "path": "/networks", "status": 429, "retry_after": FAR_DATE})
    env = chaos.env | {"BS_RATE_LIMIT_PATIENCE_SECONDS": "4", "BS_MAX_ATTEMPTS": "2"}
    code, seconds = timed_cli(chaos, "--scope", "quick", env=env)
    requests.delete(f"{chaos.root}/_sim/faults", timeout=10)
    return (f"429 with Retry-After {FAR_DATE}, patience 4 s", lost(before, db), seconds, f"exit {code}")


if __name__ == "__main__":
    print("run bench/chaos.py (--only-absence for these cases alone)", file=sys.stderr)
    os._exit(64)
