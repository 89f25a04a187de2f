"""Viewers benchmark: what idle dashboard tabs cost.  Opens N real Chromium tabs
(Playwright, Debian's chromium) on the app in demo mode, leaves them idle, and prints the
app server's and the database server's CPU (cores, from /proc) and the time to open one
more page, for each N.

    python bench/viewers_bench.py [--tabs 1 10 25 50] [--seconds 30] [--app-dir DIR]

``--app-dir`` runs another checkout's app (to compare two versions with one script).
Targets on this machine: 50 idle tabs cost < 0.25 cores of app server CPU in total, and
opening a page with 50 idle tabs takes < 1.5x what it takes with one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that were waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(app_dir: Path, data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BS_", "BROADSTREET_", "MONGODB_"))}
    env.update(BS_DATA_DIR=str(data))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.headless", "true", "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/_stcore/health", timeout=2).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the app did not start")


def open_page(context, base: str) -> float:
    """Seconds until a new tab shows the Campaigns table."""
    page = context.new_page()
    page.bring_to_front()  # a background tab is not painted until it comes to the front
    started = time.perf_counter()
    page.goto(base + "/Campaigns")
    shown = page.get_by_text(re.compile(r"Campaigns 1–\d+ of \d+"))
    while shown.count() == 0:  # polled: Playwright's wait_for missed it behind the polling sidebar
        if time.perf_counter() - started > 180:
            page.screenshot(path="/tmp/viewers-stuck.png")
            raise SystemExit("a new tab did not show the Campaigns table within 180 s")
        page.wait_for_timeout(100)
    return time.perf_counter() - started


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--tabs", type=int, nargs="+", default=[1, 10, 25, 50])
    ap.add_argument("--seconds", type=float, default=30.0, help="idle time measured per N")
    ap.add_argument("--app-dir", type=Path, default=ROOT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        app, base = start_app(args.app_dir, data)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"])
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                first = open_page(context, base)  # the first visit builds the mirror
                while True:  # measured once the first sync (the reporting backfill too) is over
                    status = requests.get(base + "/api/sync/status", timeout=10).json()
                    if status.get("running") is None and status.get("last_success"):
                        break
                    time.sleep(1)
                db_pid = json.loads((data / "mongo.json").read_text())["pid"]
                print(f"(first page, with the first sync: {first:.1f} s)")
                print(f"{'idle tabs':>9} {'app CPU (cores)':>16} {'per tab':>9} {'database CPU':>13} "
                      f"{'open one more page (s)':>23}")
                tabs = 1
                for n in sorted(args.tabs):
                    while tabs < n:
                        open_page(context, base)
                        tabs += 1
                    time.sleep(5)  # let the pages settle
                    app_before, db_before = cpu_seconds(app.pid), cpu_seconds(db_pid)
                    time.sleep(args.seconds)
                    app_cores = (cpu_seconds(app.pid) - app_before) / args.seconds
                    db_cores = (cpu_seconds(db_pid) - db_before) / args.seconds
                    extra = open_page(context, base)
                    tabs += 1
                    print(f"{n:>9} {app_cores:16.3f} {app_cores / n:9.4f} {db_cores:13.3f} {extra:23.2f}")
                browser.close()
        finally:
            app.terminate()
            app.wait(20)
            subprocess.run([sys.executable, "-m", "bs_core", "db", "stop"], cwd=ROOT, capture_output=True,
                           env={**os.environ, "BS_DATA_DIR": str(data)})


if __name__ == "__main__":
    main()
