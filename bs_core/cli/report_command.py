"""``python -m bs_core report KIND``: figures from the mirror for scripts and cron, as
JSON (a list of row objects), CSV (spreadsheet-safe) or an Excel file."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import stat
import sys
import tempfile
from pathlib import Path

from ..read.reports import KINDS, ReportError, ReportQuery, report
from ..settings import Settings
from .common import fail_usage, print_json


def add_parser(sub, whole_number) -> None:
    rep = sub.add_parser("report", help="figures from the mirror: " + ", ".join(KINDS))
    rep.add_argument("kind", choices=KINDS)
    rep.add_argument("--from", dest="start", type=_day, help="first day, YYYY-MM-DD (default: 30 days before --to; availability: today)")
    rep.add_argument("--to", dest="end", type=_day, help="last day, inclusive (default: yesterday; availability: 30 days from --from)")
    rep.add_argument("--network", type=whole_number(10**12))
    rep.add_argument("--campaign", type=whole_number(10**12))
    rep.add_argument("--advertiser", type=whole_number(10**12))
    rep.add_argument("--month", help="the invoice's month, YYYY-MM (report invoice)")
    rep.add_argument("--zones", type=_zones, default=(), help="zone ids, ID,ID (report availability)")
    rep.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    rep.add_argument("--output", help="write to this file instead of standard output (required for xlsx)")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text[:40]!r}") from None


def _zones(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and len(p) <= 12 for p in parts):
        raise argparse.ArgumentTypeError(f"expected zone ids like 123,456, got {text[:40]!r}")
    return tuple(int(p) for p in parts)


def write_whole(target: Path, body: bytes) -> None:
    """Write ``body`` to a temporary file beside ``target``, then rename it into place: a
    failed write never leaves half a file, and an existing one is replaced whole."""
    fd, temporary = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes it private (0600); a report gets the mode the file had, or 0644
        os.chmod(temporary, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from ..process.database import open_database
    from ..read.days import network_days

    if args.format == "xlsx" and not args.output:
        return fail_usage("--format xlsx writes a file: give --output FILE.xlsx")
    if args.output and os.path.lexists(args.output) and not Path(args.output).is_file():
        return fail_usage(f"--output {args.output}: not a regular file (give a file's path or a new one)")
    query = ReportQuery(args.kind, args.start, args.end, args.network, args.campaign, args.advertiser, args.month,
                        settings.currency, args.zones)
    try:
        db = open_database(settings)
        rows = report(db, query, network_days(db))  # each network's own days
    except ReportError as exc:
        return fail_usage(str(exc))
    if args.format == "json":
        body = None
    else:
        import pandas as pd  # here, not at the top: every other command starts 0.5 s sooner

        from ..export.tables import csv_bytes, invoice_workbook, xlsx_bytes

        frame = pd.DataFrame(rows)
        if args.format == "csv":
            body = csv_bytes(frame)
        elif args.kind == "invoice":  # a summary, then a sheet per advertiser
            body = invoice_workbook(rows)
        else:
            body = xlsx_bytes(frame, sheet=args.kind)
    if args.output:
        target = Path(args.output)
        if body is None:
            from ..export import jsonout
            body = (jsonout.dumps(rows) + "\n").encode()
        try:
            write_whole(target, body)
        except OSError as exc:
            return fail_usage(f"--output {args.output}: {exc.strerror or exc}")
        print(f"{len(rows):,} rows written to {target}", file=sys.stderr)
    elif body is None:
        print_json(rows)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    return 0
