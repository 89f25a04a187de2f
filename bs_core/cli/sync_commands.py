"""Commands about syncs: ``sync``, ``cancel``, ``status``, ``history``, ``schedule``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from ..errors import ScopeError, SyncLockedError
from ..export.runview import RunView
from ..settings import Settings
from ..sync.scopes import parse_scope
from .common import EXIT, SIGNAL_EXIT, ProgressBar, fail_usage, print_json

log = logging.getLogger(__name__)
DATABASE_SILENCE_SECONDS = 8.0  # with the server's 3 s connect timeout, the CLI leaves within 10 s


def _human(run: RunView) -> str:
    """The run's summary (standard output); its errors go to standard error (:func:`_errors`)."""
    lines = [f"sync {run.run_id} {run.status} in {run.duration_s or 0:.1f}s "
             f"({run.requests_total:,} requests, {run.documents_written:,} documents written)"]
    for entity, c in sorted(run.counts.items()):
        lines.append(f"  {entity:<15} +{c['inserted']} ~{c['updated']} ={c['unchanged']} -{c['deleted']}"
                     + (f" skipped {c['skipped']}" if c.get("skipped") else ""))
    return "\n".join(lines)


def _errors(run: RunView) -> str:
    return "\n".join(f"error: {err['scope']}: {err['message']}" for err in run.errors[:10])


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    # Signal handlers first: a Ctrl-C or SIGTERM that lands while the lease is being taken
    # cancels the run it takes (recorded cancelled, lease released), never a traceback.
    cancel = threading.Event()
    received = _cancel_on_signals(cancel)
    from ..process.database import open_database
    from ..process.demo import with_demo_api
    from ..sync import SyncEngine

    try:
        scope = parse_scope(args.scope)
    except ScopeError as exc:
        return fail_usage(str(exc))
    if settings.demo_mode and not args.demo:
        return fail_usage("BROADSTREET_API_TOKEN is not set (pass --demo to sync from the bundled simulator)")
    api = with_demo_api(settings) if settings.demo_mode else settings
    db = open_database(settings)
    bar = ProgressBar(enabled=not args.json and sys.stderr.isatty())
    engine = SyncEngine(api, db, listener=bar, allow_deletes=getattr(args, "allow_deletes", False), cancel=cancel)
    if received:  # stopped before anything started
        engine.client.close()
        print(f"sync not started: {signal.Signals(received[0]).name}", file=sys.stderr)
        return SIGNAL_EXIT[received[0]]
    try:
        engine.prepare(scope, args.trigger)
    except ScopeError as exc:
        engine.client.close()
        return fail_usage(str(exc))
    except SyncLockedError as exc:
        if args.json:
            running = RunView.of(exc.run).cli() if exc.run else None
            print_json({"status": "locked", "message": str(exc), "running": running})
        else:
            print(str(exc), file=sys.stderr)
        return EXIT["locked"]
    finished = threading.Event()
    threading.Thread(target=_leave_when_database_silent, args=(engine, finished, args, received, settings),
                     name="database-watchdog", daemon=True).start()
    run = RunView.of(engine.execute())
    finished.set()
    bar.close()
    code = _report(run, args.json, received, engine.database_lost, settings)
    if run.status not in ("success", "partial"):
        # Fetches still in flight are abandoned: leave without waiting for their answers.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _leave_when_database_silent(engine, finished: threading.Event, args: argparse.Namespace,
                                received: list[int], settings: Settings) -> None:
    """A frozen database (SIGSTOP, a hung host) answers nothing and fails nothing: the run's
    calls would wait on it for long.  When the lease's heartbeat has heard nothing for
    :data:`DATABASE_SILENCE_SECONDS`, record the run failed on disk, say so, and leave."""
    resumed = last_tick = time.monotonic()
    while not finished.wait(0.25):
        now = time.monotonic()
        if now - last_tick > 2:  # this process was itself stopped (SIGSTOP): count afresh from now
            resumed = now
        last_tick = now
        silence = min(engine.lease.silent_for(), now - resumed) if engine.lease is not None else 0.0
        if silence > DATABASE_SILENCE_SECONDS:
            if finished.is_set():
                return
            run = RunView.of(engine.abandon(f"the mirror database did not answer for "
                                            f"{DATABASE_SILENCE_SECONDS:g} s"))
            code = _report(run, args.json, received, True, settings)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


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
        print_json(run.cli())
    elif not received and not database_lost:
        print(_human(run))
        if run.errors:
            print(_errors(run), file=sys.stderr)
    if received and run.status == "cancelled":
        name = signal.Signals(received[0]).name
        print(f"sync cancelled by {name}: run {run.run_id} recorded as cancelled; the lease is free",
              file=sys.stderr)
        return SIGNAL_EXIT[received[0]]
    if database_lost:
        kept = settings.data_dir / "pending-runs" / f"{run.run_id}.json"
        print(f"error: the mirror database stopped answering; run {run.run_id} failed. "
              + (f"Its outcome is kept in {kept.parent} and recorded when the database is back" if kept.is_file()
                 else "Its outcome could not be kept on disk either (is the disk full?); the next sync marks the "
                      "run failed"), file=sys.stderr)
    return EXIT.get(run.status or "failed", 1)


def cmd_cancel(settings: Settings, args: argparse.Namespace) -> int:
    """Ask the running sync (in any process) to stop, and wait until it has."""
    from ..process.database import open_database
    from ..store import history
    from ..store.lease import request_cancel

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


def status_report(runtime) -> dict:
    """What ``status`` prints: the same :meth:`Runtime.sync_status` the sidebar and the
    HTTP API show, the counts and the held deletions."""
    from .. import read

    status = runtime.sync_status()
    db = runtime.db()
    running, last = status.running, status.last_success
    return {
        "running": RunView.of(running).running() if running else None,
        "last_success": RunView.of(last).cli() | {"finished_at": last.get("finished_at")} if last else None,
        "counts": read.entity_counts(db),
        "held_deletions": read.held_summary(db),
    }


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from ..runtime import Runtime

    report = status_report(Runtime(settings))  # its database applies runs kept while it was gone
    if args.json:
        print_json(report)
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
    from ..process.database import open_database
    from ..store import history

    items = [RunView.of(r).cli() | {"started_at": r.get("started_at")}
             for r in history.recent_runs(open_database(settings), args.limit)]
    if args.json:
        print_json(items)
    else:
        for r in items:
            print(f"{r['run_id']}  {r['trigger']:<8} {r['scope']:<16} {r['status']:<9} "
                  f"{(r['duration_s'] or 0):7.1f}s {r['requests']:>7,} requests")
    return 0


def cmd_schedule(settings: Settings, args: argparse.Namespace) -> int:
    """For cron: a quick sync if the mirror is older than the interval."""
    from ..process.database import open_database
    from ..sync.scheduler import due_for_sync

    minutes = args.interval or settings.sync_interval_minutes
    if minutes <= 0:
        return fail_usage("set BS_SYNC_INTERVAL_MINUTES or pass --interval MINUTES")
    if not due_for_sync(open_database(settings), minutes):
        print("mirror is fresh; nothing to do")
        return 0
    args.scope, args.trigger = "quick", "schedule"
    return cmd_sync(settings, args)


