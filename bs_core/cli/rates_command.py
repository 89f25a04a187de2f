"""``python -m bs_core rates import FILE`` and ``rates export``: campaign rates and zone rate
cards in bulk, as CSV or xlsx (header ``campaign_id,model,amount,capped`` or ``zone_id,cpm``).

An import is all or nothing: any bad row (an unknown id, model or amount, a duplicate)
exits 64 with one line per bad row, and nothing is written."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import sys
from pathlib import Path

from ..settings import Settings
from .common import fail_usage, print_json

MAX_FILE_BYTES = 50 * 1024 * 1024


def add_parser(sub) -> None:
    rates = sub.add_parser("rates", help="campaign rates and zone rate cards: import a file, export them")
    rates.add_argument("action", choices=("import", "export"))
    rates.add_argument("file", nargs="?", help="import: the CSV or xlsx file")
    rates.add_argument("--zones", action="store_true", help="export: the zones' rate cards (default: campaign rates)")
    rates.add_argument("--output", help="export: write to this file (.csv or .xlsx) instead of standard output")
    rates.add_argument("--by", help="who made the change, for the rates' history (default: this system user)")
    rates.add_argument("--json", action="store_true")


def read_table(path: Path) -> tuple[list, list[list]]:
    """A file's header and rows: xlsx by its name, else CSV (UTF-8, a BOM allowed)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValueError(f"{path.name} is empty: it needs a header row")
    return [str(h or "") for h in rows[0]], rows[1:]


def cmd_rates(settings: Settings, args: argparse.Namespace) -> int:
    from ..process.database import open_database
    from ..store.rates_file import RateImportError, export_rows, import_rows

    if args.action == "import":
        if not args.file:
            return fail_usage("rates import needs a FILE (CSV or xlsx)")
        path = Path(args.file)
        if not path.is_file():
            return fail_usage(f"{args.file}: not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            return fail_usage(f"{args.file}: over {MAX_FILE_BYTES // 2**20} MB; split it")
        try:
            header, rows = read_table(path)
        except (ValueError, UnicodeDecodeError, csv.Error, OSError) as exc:
            return fail_usage(f"{args.file}: cannot be read as CSV or xlsx ({str(exc)[:120]})")
        except Exception as exc:  # noqa: BLE001 - openpyxl's errors for a damaged workbook vary
            return fail_usage(f"{args.file}: cannot be read as an xlsx workbook ({type(exc).__name__})")
        try:
            result = import_rows(open_database(settings), header, rows, by=args.by or _user())
        except RateImportError as exc:
            print(f"error: {args.file}: {len(exc.problems)} bad row(s); nothing was written", file=sys.stderr)
            for line in exc.problems[:200]:
                print(f"  {line}", file=sys.stderr)
            if len(exc.problems) > 200:
                print(f"  ... and {len(exc.problems) - 200} more", file=sys.stderr)
            return 64
        what = "campaign rates" if result.kind == "campaign" else "zone rate cards"
        if args.json:
            print_json({"kind": result.kind, "saved": result.saved, "unchanged": result.unchanged})
        else:
            print(f"{result.saved:,} {what} saved, {result.unchanged:,} unchanged ({settings.currency})")
        return 0
    header, rows = export_rows(open_database(settings), "zone" if args.zones else "campaign")
    if args.output and args.output.lower().endswith(".xlsx"):
        import pandas as pd

        from ..export.tables import xlsx_bytes
        from .report_command import write_whole

        write_whole(Path(args.output), xlsx_bytes(pd.DataFrame(rows, columns=header), sheet="rates"))
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows])
        if args.output:
            from .report_command import write_whole

            write_whole(Path(args.output), out.getvalue().encode())
        else:
            sys.stdout.write(out.getvalue())
    if args.output:
        print(f"{len(rows):,} rates written to {args.output}", file=sys.stderr)
    return 0


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"
