"""Chaos benchmark: kills, pauses, signals, empty answers and a dead database against a
real CLI sync of the `demo` account, with the figures the README's "Reliability" table
quotes; then the cases of "absence is not evidence" (a malformed record, split lists, a
two-step account swap, empty reports, a skewed clock, stopping the app, a corrupt
restore, a trickling webhook, a far Retry-After), each with the documents lost (must be
0) and the seconds until the process in question exited or the run ended.

    python bench/chaos.py [--kills 10] [--only-absence]

Every case runs against the simulator in its own process (15 ms latency) and a throwaway
SecantusDB server.  Columns: how many times it was tried, orphans found (placements
without their campaign, zone or ad; campaigns without their advertiser; anything
without its network), documents written by a paused holder after another run took
over, seconds until the mirror was whole again, and documents lost (mirrored documents
still upstream that went missing).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from _common import throwaway_database, uri_of
from sync_bench import simulator_process

from bs_core.settings import Settings, as_environment
from bs_core.simulator import DEFAULT_TOKEN
from bs_core.store.history import current_lease
from bs_core.sync import run_sync

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("networks", "advertisers", "zones", "advertisements", "campaigns", "placements")


def ids(db) -> dict[str, set]:
    return {k: {d["_id"] for d in db[k].find({}, {"_id": 1})} for k in KINDS}


def orphans(db) -> int:
    have = ids(db)
    found = sum(p["campaign_id"] not in have["campaigns"] or p["zone_id"] not in have["zones"]
                or p["advertisement_id"] not in have["advertisements"]
                for p in db.placements.find({}, {"campaign_id": 1, "zone_id": 1, "advertisement_id": 1}))
    found += sum(c["advertiser_id"] not in have["advertisers"] for c in db.campaigns.find({}, {"advertiser_id": 1}))
    for kind in ("advertisers", "zones", "advertisements", "campaigns"):
        found += sum(d["network_id"] not in have["networks"] for d in db[kind].find({}, {"network_id": 1}))
    return found


class Chaos:
    def __init__(self, root: str, db, data_dir: Path):
        self.root = root
        self.db = db
        self.settings = Settings(broadstreet_api_token=DEFAULT_TOKEN, broadstreet_api_base_url=root + "/api/1",
                                 mongodb_uri=uri_of(db),
                                 mongodb_database=db.name, records_limit=10_000, records_window=1.0,
                                 lease_seconds=2, data_dir=data_dir)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
        self.env |= as_environment(self.settings)

    def sim(self, path: str, body: dict) -> None:
        requests.post(f"{self.root}/_sim/{path}", json=body, timeout=10).raise_for_status()

    def cli(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bs_core", "sync", "--json", *args], env=self.env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_running(self) -> dict:
        while True:
            run = self.db.sync_runs.find_one({"status": "running"})
            if run:
                return run
            time.sleep(0.02)

    def full(self, **extra) -> tuple[dict, float]:
        started = time.perf_counter()
        while True:
            try:
                return run_sync(self.settings, self.db, "full", **extra), time.perf_counter() - started
            except Exception:  # noqa: BLE001 - a dead holder's lease: wait it out
                time.sleep(0.2)

    def kill_at(self, moment: float) -> None:
        proc = self.cli("--scope", "full")
        self.wait_running()
        time.sleep(moment)
        proc.kill()
        proc.wait()
        time.sleep(0.5)  # a request the dead process had already sent may still be executing

    def first_sync_kills(self, moments: list[float]) -> int:
        """Orphans found after a SIGKILL at each moment of a first full sync."""
        found = 0
        for moment in moments:
            self.db.client.drop_database(self.db.name)
            self.kill_at(moment)
            found += orphans(self.db)
        return found

    def resync_kills(self, moments: list[float]) -> tuple[int, float, int]:
        """A SIGKILL at each moment of a resync of a whole mirror: (orphans, seconds until
        the next full sync made it whole again, at the worst; documents lost)."""
        found, worst, lost = 0, 0.0, 0
        for i, moment in enumerate(moments):
            self.full()
            before = ids(self.db)
            self.sim("mutate", {"op": "update", "kind": "campaigns", "id": sorted(before["campaigns"])[i],
                                "fields": {"name": f"renamed {i}"}})
            self.kill_at(moment)
            found += orphans(self.db)
            lost += sum(len(before[k] - ids(self.db)[k]) for k in KINDS)
            _, seconds = self.full()
            worst = max(worst, seconds)
        return found, worst, lost

    def pause(self) -> tuple[int, float]:
        self.full()
        self.sim("latency", {"latency_ms": 40})
        proc = self.cli("--scope", "full")
        paused = self.wait_running()["_id"]
        time.sleep(0.4)
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(self.settings.lease_seconds + 1)
        self.sim("latency", {"latency_ms": 15})
        _, seconds = self.full()
        before = {d["_id"] for k in KINDS for d in self.db[k].find({"_sync.changed_run": paused})}
        sizes = {k: self.db[k].count_documents({}) for k in KINDS}
        os.kill(proc.pid, signal.SIGCONT)
        proc.communicate(timeout=120)
        after = {d["_id"] for k in KINDS for d in self.db[k].find({"_sync.changed_run": paused})}
        changed = sum(abs(self.db[k].count_documents({}) - sizes[k]) for k in KINDS)
        return len(after - before) + changed, seconds

    def empty_answer(self, path: str, body: dict, query: dict | None = None) -> int:
        self.full()
        before = ids(self.db)
        self.sim("faults", {"kind": "status", "path": path, "status": 200, "body": body, "times": 1,
                            **({"query": query} if query else {})})
        run_sync(self.settings, self.db, "full")
        return sum(len(before[k] - ids(self.db)[k]) for k in KINDS)

    def signal(self, signum: int) -> tuple[float, str, bool]:
        self.full()
        proc = self.cli("--scope", "full")
        run_id = self.wait_running()["_id"]
        time.sleep(0.5)
        sent = time.perf_counter()
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=60)
        free = current_lease(self.db) is None
        return time.perf_counter() - sent, json.loads(out)["status"], free and bool(run_id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--only-absence", action="store_true", help="only the absence-is-not-evidence cases")
    args = ap.parse_args()
    moments = [0.2 + 4.0 * i / max(args.kills - 1, 1) for i in range(args.kills)]
    with simulator_process("demo", 15) as root, throwaway_database("chaos") as db:
        chaos = Chaos(root, db, Path(os.environ.get("TMPDIR", "/tmp")) / "bs-chaos")
        if not args.only_absence:
            classic(chaos, db, moments)
        from chaos_absence import absence_cases

        print(f"\n{'case (absence is not evidence)':<62} {'docs lost':>9} {'s to exit':>9}  outcome")
        for case, lost, seconds, outcome in absence_cases(chaos):
            print(f"{case:<62} {lost:>9} {seconds:>9.1f}  {outcome}")


def classic(chaos: Chaos, db, moments: list[float]) -> None:
    """Kills, a pause, empty lists and signals: the README's Reliability table."""
    rows = [("SIGKILL during a first full sync", len(moments), chaos.first_sync_kills(moments), "", "", "")]
    found, worst, lost = chaos.resync_kills(moments)
    rows.append(("SIGKILL during a resync of a whole mirror", len(moments), found, "", f"{worst:.1f}", lost))
    writes, seconds = chaos.pause()
    rows.append(("holder paused past its lease (SIGSTOP), taken over", 1, orphans(db), writes, f"{seconds:.1f}", 0))
    rows.append(('{"networks": []} once', 1, orphans(db), "", "0.0",
                 chaos.empty_answer("/networks", {"networks": []})))
    nid = sorted(ids(db)["networks"])[0]
    rows.append(('{"zones": []} for one network', 1, orphans(db), "", "0.0",
                 chaos.empty_answer("/zones", {"zones": []}, {"network_id": nid})))
    for signum in (signal.SIGTERM, signal.SIGINT):
        took, status, free = chaos.signal(signum)
        rows.append((f"{signal.Signals(signum).name} during a full sync ({status}, lease "
                     f"{'free' if free else 'HELD'})", 1, orphans(db), "", f"{took:.1f}", 0))
    print(f"\n{'case':<58} {'tried':>5} {'orphans':>7} {'writes after takeover':>21} "
          f"{'s to recover':>12} {'docs lost':>9}")
    for case, tried, found, writes, secs, lost in rows:
        print(f"{case:<58} {tried:>5} {found:>7} {writes!s:>21} {secs:>12} {lost:>9}")


if __name__ == "__main__":
    main()
