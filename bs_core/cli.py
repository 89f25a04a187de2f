"""Command line: ``python -m bs_core sync|status|history|schedule|db``.

Exit codes: 0 success, 1 failed, 2 partial, 3 another sync is running, 64 usage error
(a bad scope, a missing token, an invalid setting).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import jsonout
from .errors import ScopeError, SettingsError, StoreUnavailableError, SyncLockedError
from .runview import RunView
from .settings import Settings, load_settings, register_secrets
from .sync.scopes import SCOPE_HELP, parse_scope

EXIT = {"success": 0, "failed": 1, "cancelled": 1, "partial": 2, "locked": 3, "usage": 64}


def _print_json(obj: Any) -> None:
    print(jsonout.dumps(obj))


def _fail_usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT["usage"]


class _ProgressBar:
    """A one-line progress display on a terminal (stderr)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{phase:<15} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _human(run: RunView) -> str:
    lines = [f"sync {run.run_id} {run.status} in {run.duration_s or 0:.1f}s "
             f"({run.requests_total:,} requests, {run.documents_written:,} documents written)"]
    for entity, c in sorted(run.counts.items()):
        lines.append(f"  {entity:<15} +{c['inserted']} ~{c['updated']} ={c['unchanged']} -{c['deleted']}"
                     + (f" skipped {c['skipped']}" if c.get("skipped") else ""))
    for err in run.errors[:10]:
        lines.append(f"  error: {err['scope']}: {err['message']}")
    return "\n".join(lines)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from .demo import with_demo_api
    from .store import open_database
    from .sync import SyncEngine

    try:
        scope = parse_scope(args.scope)
    except ScopeError as exc:
        return _fail_usage(str(exc))
    if settings.demo_mode and not args.demo:
        return _fail_usage("BROADSTREET_API_TOKEN is not set (pass --demo to sync from the bundled simulator)")
    api = with_demo_api(settings) if settings.demo_mode else settings
    db = open_database(settings)
    bar = _ProgressBar(enabled=not args.json and sys.stderr.isatty())
    engine = SyncEngine(api, db, listener=bar)
    try:
        engine.prepare(scope, args.trigger)
    except SyncLockedError as exc:
        if args.json:
            running = RunView.of(exc.run).cli() if exc.run else None
            _print_json({"status": "locked", "message": str(exc), "running": running})
        else:
            print(str(exc), file=sys.stderr)
        return EXIT["locked"]
    run = RunView.of(engine.execute())
    bar.close()
    if args.json:
        _print_json(run.cli())
    else:
        print(_human(run))
    return EXIT.get(run.status, 1)


def status_report(db, lease_seconds: float) -> dict:
    from . import readmodels
    from .store import history
    from .sync.runs import reap_if_idle

    running = history.running_run(db)
    if running is None:
        reap_if_idle(db, lease_seconds)
    last = history.last_success(db)
    return {
        "running": RunView.of(running).running() if running else None,
        "last_success": RunView.of(last).cli() | {"finished_at": last.get("finished_at")} if last else None,
        "counts": readmodels.entity_counts(db),
    }


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from .store import open_database

    report = status_report(open_database(settings), settings.lease_seconds)
    if args.json:
        _print_json(report)
    else:
        run = report["running"]
        print(f"running: {run['run_id']} ({run['scope']}, {run['phase']})" if run else "running: none")
        last = report["last_success"]
        print(f"last success: {last['run_id']} at {last['finished_at']}" if last else "last success: never")
        for name, n in report["counts"].items():
            print(f"  {name:<15} {n:,}")
    return 0


def cmd_history(settings: Settings, args: argparse.Namespace) -> int:
    from .store import history, open_database

    items = [RunView.of(r).cli() | {"started_at": r.get("started_at")}
             for r in history.recent_runs(open_database(settings), args.limit)]
    if args.json:
        _print_json(items)
    else:
        for r in items:
            print(f"{r['run_id']}  {r['trigger']:<8} {r['scope']:<16} {r['status']:<9} "
                  f"{(r['duration_s'] or 0):7.1f}s {r['requests']:>7,} requests")
    return 0


def cmd_schedule(settings: Settings, args: argparse.Namespace) -> int:
    """For cron: a quick sync if the mirror is older than the interval."""
    from .scheduler import due_for_sync
    from .store import open_database

    minutes = args.interval or settings.sync_interval_minutes
    if minutes <= 0:
        return _fail_usage("set BS_SYNC_INTERVAL_MINUTES or pass --interval MINUTES")
    if not due_for_sync(open_database(settings), minutes):
        print("mirror is fresh; nothing to do")
        return 0
    args.scope, args.trigger = "quick", "schedule"
    return cmd_sync(settings, args)


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from .demo import demo_simulator
    from .embedded import embedded_server, uri_for

    server = embedded_server(settings.data_dir)
    if args.action == "start":
        print(uri_for(server.ensure_running()))
    elif args.action == "stop":
        stopped = server.stop()
        stopped_sim = demo_simulator(settings).stop()
        print("stopped" if stopped or stopped_sim else "not running")
    else:
        state = server.running()
        print(uri_for(state["port"]) if state else "not running")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bs_core", description="BroadStreet mirror: sync and inspect.")
    sub = ap.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync", help="run a sync now")
    sync.add_argument("--scope", default="quick", help=SCOPE_HELP)
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.add_argument("--demo", action="store_true", help="with no token, sync from the bundled simulator")
    sync.add_argument("--trigger", default="cli", choices=("cli", "schedule", "api", "button", "init"),
                      help=argparse.SUPPRESS)
    status = sub.add_parser("status", help="the running sync, the last success, counts")
    status.add_argument("--json", action="store_true")
    history = sub.add_parser("history", help="recent runs")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")
    sched = sub.add_parser("schedule", help="for cron: quick sync when the mirror is older than the interval")
    sched.add_argument("--interval", type=int, default=0, help="minutes (default BS_SYNC_INTERVAL_MINUTES)")
    sched.add_argument("--json", action="store_true")
    sched.add_argument("--demo", action="store_true")
    db = sub.add_parser("db", help="the embedded database server: start, stop (also the demo simulator), status")
    db.add_argument("action", choices=("start", "stop", "status"))
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail_usage(str(exc))
    register_secrets(settings)
    handlers = {"sync": cmd_sync, "status": cmd_status, "history": cmd_history,
                "schedule": cmd_schedule, "db": cmd_db}
    try:
        return handlers[args.command](settings, args)
    except StoreUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT["failed"]
