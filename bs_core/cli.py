"""Command line: ``python -m bs_core sync|cancel|status|history|schedule|db``.

Exit codes: 0 success, 1 failed, 2 partial, 3 another sync is running, 64 usage error
(a bad scope, a missing token, an invalid setting), 130 / 143 a sync stopped by Ctrl-C /
SIGTERM (recorded ``cancelled``).  Every error is one line; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, NoReturn

from pymongo.errors import PyMongoError

from . import jsonout
from .backup import BackupError
from .errors import MirrorError, ScopeError, SettingsError, StoreUnavailableError, SyncLockedError
from .redact import redact
from .runview import RunView
from .settings import Settings, load_settings, register_secrets
from .sync.scopes import SCOPE_HELP, parse_scope

EXIT = {"success": 0, "failed": 1, "cancelled": 1, "partial": 2, "locked": 3, "usage": 64}
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
log = logging.getLogger(__name__)


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
    # Signal handlers first: a Ctrl-C or SIGTERM that lands while the lease is being taken
    # cancels the run it takes (recorded cancelled, lease released), never a traceback.
    cancel = threading.Event()
    received = _cancel_on_signals(cancel)
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
    engine = SyncEngine(api, db, listener=bar, allow_deletes=getattr(args, "allow_deletes", False), cancel=cancel)
    if received:  # stopped before anything started
        engine.client.close()
        print(f"sync not started: {signal.Signals(received[0]).name}", file=sys.stderr)
        return SIGNAL_EXIT[received[0]]
    try:
        engine.prepare(scope, args.trigger)
    except ScopeError as exc:
        engine.client.close()
        return _fail_usage(str(exc))
    except SyncLockedError as exc:
        if args.json:
            running = RunView.of(exc.run).cli() if exc.run else None
            _print_json({"status": "locked", "message": str(exc), "running": running})
        else:
            print(str(exc), file=sys.stderr)
        return EXIT["locked"]
    run = RunView.of(engine.execute())
    bar.close()
    code = _report(run, args.json, received, engine.database_lost, settings)
    if run.status not in ("success", "partial"):
        # Fetches still in flight are abandoned: leave without waiting for their answers.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _cancel_on_signals(cancel: threading.Event) -> list[int]:
    """Ctrl-C and SIGTERM stop the run cleanly (recorded ``cancelled``, lease released)."""
    received: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        received.append(signum)
        cancel.set()

    for signum in SIGNAL_EXIT:
        signal.signal(signum, handler)
    return received


def _report(run: RunView, as_json: bool, received: list[int], database_lost: bool, settings: Settings) -> int:
    """Print the run (one JSON object, or a summary) and any one-line notice; the exit code."""
    if as_json:
        _print_json(run.cli())
    elif not received and not database_lost:
        print(_human(run))
    if received and run.status == "cancelled":
        name = signal.Signals(received[0]).name
        print(f"sync cancelled by {name}: run {run.run_id} recorded as cancelled; the lease is free",
              file=sys.stderr)
        return SIGNAL_EXIT[received[0]]
    if database_lost:
        print(f"error: the mirror database stopped answering; run {run.run_id} failed. Its outcome is kept in "
              f"{settings.data_dir / 'pending-runs'} and recorded when the database is back", file=sys.stderr)
    return EXIT.get(run.status or "failed", 1)


def cmd_cancel(settings: Settings, args: argparse.Namespace) -> int:
    """Ask the running sync (in any process) to stop, and wait until it has."""
    from .store import history, open_database
    from .sync.lock import request_cancel

    db = open_database(settings)
    run_id = request_cancel(db)
    if run_id is None:
        print("no sync is running")
        return 0
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline and history.running_run(db) is not None:
        time.sleep(0.25)
    run = history.get_run(db, run_id) or {}
    print(f"run {run_id}: {run.get('status', 'unknown')}")
    return 0 if run.get("status") != "running" else EXIT["failed"]


def status_report(db, lease_seconds: float) -> dict:
    from . import readmodels
    from .store import history
    from .store.held import held_summary
    from .sync.runs import reap_if_idle

    running = history.running_run(db)
    if running is None:
        reap_if_idle(db, lease_seconds)
    last = history.last_success(db)
    return {
        "running": RunView.of(running).running() if running else None,
        "last_success": RunView.of(last).cli() | {"finished_at": last.get("finished_at")} if last else None,
        "counts": readmodels.entity_counts(db),
        "held_deletions": held_summary(db),
    }


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from .store import open_database
    from .sync import pending

    db = open_database(settings)
    pending.apply(db, settings.data_dir)  # runs that ended while the database was gone
    report = status_report(db, settings.lease_seconds)
    if args.json:
        _print_json(report)
    else:
        run = report["running"]
        print(f"running: {run['run_id']} ({run['scope']}, {run['phase']})" if run else "running: none")
        last = report["last_success"]
        print(f"last success: {last['run_id']} at {last['finished_at']}" if last else "last success: never")
        for name, n in report["counts"].items():
            print(f"  {name:<15} {n:,}")
        for held in report["held_deletions"]:
            print(f"held back: {held['count']:,} {held['collection']} since {held['since']} (e.g. "
                  f"{'; '.join(held['scopes'][:2])}); if BroadStreet really removed them: "
                  f"python -m bs_core sync --scope {held['run_scope']} --allow-deletes")
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


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Write the mirror in mongodump's layout (a consistent snapshot, under the sync lease)."""
    from .backup import backup, default_location, rotate
    from .store import open_database

    out = Path(args.out) if args.out else default_location(settings.data_dir)
    bar = _ProgressBar(enabled=not args.json and sys.stderr.isatty())
    try:
        report = backup(open_database(settings), out, compress=args.gzip, lease_seconds=settings.lease_seconds,
                        progress=bar)
    except SyncLockedError as exc:
        print(f"{exc}; try again when it has finished", file=sys.stderr)
        return EXIT["locked"]
    bar.close()
    removed = rotate(out.parent, settings.backup_keep) if not args.out else []
    summary = {"directory": report.directory, "documents": report.total, "collections": report.documents,
               "bytes": report.bytes, "seconds": round(report.seconds, 2), "rotated_out": [str(p) for p in removed]}
    if args.json:
        _print_json(summary)
    else:
        print(f"backup of {report.total:,} documents in {len(report.documents)} collections "
              f"({report.bytes / 1e6:.1f} MB) written to {report.directory} in {report.seconds:.1f}s")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Load a backup into the configured database (refuses a non-empty mirror without --drop)."""
    from .backup import restore
    from .store import open_database

    bar = _ProgressBar(enabled=not args.json and sys.stderr.isatty())
    try:
        report = restore(open_database(settings), Path(args.directory), drop=args.drop,
                         lease_seconds=settings.lease_seconds, progress=bar, database=args.db)
    except SyncLockedError as exc:
        print(f"{exc}; try again when it has finished", file=sys.stderr)
        return EXIT["locked"]
    bar.close()
    if args.json:
        _print_json({"directory": report.directory, "documents": report.total, "collections": report.documents,
                     "seconds": round(report.seconds, 2)})
    else:
        print(f"restored {report.total:,} documents in {len(report.documents)} collections from "
              f"{report.directory} in {report.seconds:.1f}s")
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Check the mirror; exit 0 when sound, 1 when not (BroadStreet's own oddities are notes)."""
    from .client import BroadStreetClient
    from .demo import api_settings
    from .store import open_database
    from .verify import verify

    client = BroadStreetClient(api_settings(settings)) if args.upstream else None
    try:
        report = verify(open_database(settings), client=client)
    finally:
        if client is not None:
            client.close()
    if args.json:
        _print_json(report.as_dict())
    else:
        print("the mirror is sound" if report.sound else f"the mirror has {len(report.problems)} problem(s):")
        for finding in report.problems:
            print(f"  problem ({finding.check}): {finding.text}; e.g. {finding.sample}")
        for finding in report.notes:
            print(f"  note ({finding.check}): {finding.text}; e.g. {finding.sample}")
    return 0 if report.sound else EXIT["failed"]


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


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's usage contract: one line and exit 64 (not argparse's 2,
    which means "partial" here)."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see python -m bs_core --help)", file=sys.stderr)
        raise SystemExit(EXIT["usage"])


def _positive(maximum: int):
    """An argparse type: a whole number from 1 to ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text) if text.strip().isascii() else int("x")
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {maximum:,}, got {text[:40]}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m bs_core", description="BroadStreet mirror: sync and inspect.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sync = sub.add_parser("sync", help="run a sync now")
    sync.add_argument("--scope", default="quick", help=SCOPE_HELP)
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.add_argument("--demo", action="store_true", help="with no token, sync from the bundled simulator")
    sync.add_argument("--allow-deletes", action="store_true",
                      help="let deletions through that the deletion guard would hold back")
    sync.add_argument("--trigger", default="cli", choices=("cli", "schedule", "api", "button", "init"),
                      help=argparse.SUPPRESS)
    cancel = sub.add_parser("cancel", help="stop the running sync (in any process); it is recorded cancelled")
    cancel.add_argument("--wait", type=_positive(3600), default=15, help="seconds to wait for it to stop")
    status = sub.add_parser("status", help="the running sync, the last success, counts")
    status.add_argument("--json", action="store_true")
    history = sub.add_parser("history", help="recent runs")
    history.add_argument("--limit", type=_positive(10_000), default=20)
    history.add_argument("--json", action="store_true")
    sched = sub.add_parser("schedule", help="for cron: quick sync when the mirror is older than the interval")
    sched.add_argument("--interval", type=_positive(525_600), default=None, help="minutes (default BS_SYNC_INTERVAL_MINUTES)")
    sched.add_argument("--json", action="store_true")
    sched.add_argument("--demo", action="store_true")
    backup = sub.add_parser("backup", help="write the mirror in mongodump's layout (default BS_DATA_DIR/backups/TIME)")
    backup.add_argument("--out", help="a new or empty directory")
    backup.add_argument("--gzip", action="store_true", help="compress each file (.bson.gz, as mongodump --gzip)")
    backup.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore", help="load a backup (or a mongodump) into the configured database")
    restore.add_argument("directory")
    restore.add_argument("--drop", action="store_true", help="replace a mirror that is not empty")
    restore.add_argument("--db", help="the database folder to restore, when the directory holds several")
    restore.add_argument("--json", action="store_true")
    verify = sub.add_parser("verify", help="check the mirror: orphans, summaries, hashes, reporting coverage")
    verify.add_argument("--upstream", action="store_true", help="also compare counts with BroadStreet (a request "
                                                               "per network)")
    verify.add_argument("--json", action="store_true")
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
    handlers = {"sync": cmd_sync, "cancel": cmd_cancel, "status": cmd_status, "history": cmd_history,
                "schedule": cmd_schedule, "backup": cmd_backup, "restore": cmd_restore, "verify": cmd_verify,
                "db": cmd_db}
    try:
        return handlers[args.command](settings, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return SIGNAL_EXIT[signal.SIGINT]
    except BackupError as exc:
        return _fail_usage(str(exc))
    except StoreUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT["failed"]
    except PyMongoError as exc:
        print(f"error: the mirror database failed ({type(exc).__name__})", file=sys.stderr)
        return EXIT["failed"]
    except MirrorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT["failed"]
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user; the log has it
        log.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected failure ({type(exc).__name__}: {redact(str(exc))[:200]})", file=sys.stderr)
        return EXIT["failed"]
