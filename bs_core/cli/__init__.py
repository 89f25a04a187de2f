"""Command line: ``python -m bs_core sync|cancel|status|history|schedule|report|digest|db``.

Exit codes: 0 success, 1 failed, 2 partial, 3 another sync is running, 64 usage error
(a bad scope, a missing token, an invalid setting), 130 / 143 a sync stopped by Ctrl-C /
SIGTERM (recorded ``cancelled``).  Every error is one line; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import NoReturn

from pymongo.errors import PyMongoError

from ..entities import scope_help
from ..errors import MirrorError, SettingsError, StoreUnavailableError
from ..process.database import disk_trouble
from ..redact import redact
from ..settings import load_settings, register_secrets
from ..store.backup import BackupError
from .common import EXIT, SIGNAL_EXIT, fail_usage
from .digest_command import add_parser as add_digest_parser
from .digest_command import cmd_digest
from .mirror_commands import cmd_backup, cmd_db, cmd_restore, cmd_verify
from .rates_command import add_parser as add_rates_parser
from .rates_command import cmd_rates
from .report_command import add_parser as add_report_parser
from .report_command import cmd_report
from .sync_commands import cmd_cancel, cmd_history, cmd_schedule, cmd_status, cmd_sync, status_report

__all__ = ["EXIT", "build_parser", "main", "status_report"]
log = logging.getLogger(__name__)


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


def _addresses(text: str) -> tuple[str, ...]:
    """An argparse type: comma-separated e-mail addresses."""
    from ..setting_values import _addresses as parse

    try:
        return parse("--to")(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="python -m bs_core", description="BroadStreet mirror: sync and inspect.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sync = sub.add_parser("sync", help="run a sync now")
    sync.add_argument("--scope", default="quick", help=scope_help())
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
    restore.add_argument("--roll-back-rates", action="store_true",
                         help="restore a backup older than the last rate change (undoes those changes)")
    restore.add_argument("--json", action="store_true")
    verify = sub.add_parser("verify", help="check the mirror: orphans, summaries, hashes, reporting coverage")
    verify.add_argument("--upstream", action="store_true", help="also compare counts with BroadStreet (a request "
                                                               "per network)")
    verify.add_argument("--json", action="store_true")
    add_report_parser(sub, _positive)
    add_rates_parser(sub)
    add_digest_parser(sub, _positive, _addresses)
    db = sub.add_parser("db", help="the embedded database server: start, stop (also the demo simulator), status")
    db.add_argument("action", choices=("start", "stop", "status"))
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail_usage(str(exc))
    register_secrets(settings)
    handlers = {"sync": cmd_sync, "cancel": cmd_cancel, "status": cmd_status, "history": cmd_history,
                "schedule": cmd_schedule, "backup": cmd_backup, "restore": cmd_restore, "verify": cmd_verify,
                "report": cmd_report, "digest": cmd_digest, "db": cmd_db, "rates": cmd_rates}
    try:
        return handlers[args.command](settings, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return SIGNAL_EXIT[signal.SIGINT]
    except BackupError as exc:
        return fail_usage(str(exc))
    except StoreUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT["failed"]
    except PyMongoError as exc:
        print(f"error: the mirror database failed ({disk_trouble(settings) or type(exc).__name__})", file=sys.stderr)
        return EXIT["failed"]
    except MirrorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT["failed"]
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user; the log has it
        log.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected failure ({type(exc).__name__}: {redact(str(exc))[:200]})", file=sys.stderr)
        return EXIT["failed"]
