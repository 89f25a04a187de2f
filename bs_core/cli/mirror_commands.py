"""Commands about the mirror itself: ``backup``, ``restore``, ``verify``, ``db``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import LeaseLostError, SyncLockedError
from ..settings import Settings
from .common import EXIT, ProgressBar, print_json


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Write the mirror in mongodump's layout (a consistent snapshot, under the sync lease)."""
    from ..process.database import open_database
    from ..store.backup import backup, default_location, rotate

    out = Path(args.out) if args.out else default_location(settings.data_dir)
    bar = ProgressBar(enabled=not args.json and sys.stderr.isatty())
    try:
        report = backup(open_database(settings), out, compress=args.gzip, lease_seconds=settings.lease_seconds,
                        progress=bar)
    except SyncLockedError as exc:
        print(f"{exc}; try again when it has finished", file=sys.stderr)
        if args.json:
            print_json({"directory": None, "refused": str(exc)})
        return EXIT["locked"]
    except LeaseLostError:
        bar.close()
        print(f"error: the backup lost the sync lease to a sync while it worked (was it paused?); its partial "
              f"copy in {out} was removed. Run it again", file=sys.stderr)
        if args.json:
            print_json({"directory": None, "failed": "lost the sync lease"})
        return EXIT["failed"]
    bar.close()
    removed = rotate(out.parent, settings.backup_keep) if not args.out else []
    summary = {"directory": report.directory, "documents": report.total, "collections": report.documents,
               "bytes": report.bytes, "seconds": round(report.seconds, 2), "rotated_out": [str(p) for p in removed]}
    if args.json:
        print_json(summary)
    else:
        print(f"backup of {report.total:,} documents in {len(report.documents)} collections "
              f"({report.bytes / 1e6:.1f} MB) written to {report.directory} in {report.seconds:.1f}s")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Load a backup into the configured database (refuses a non-empty mirror without --drop)."""
    from ..process.database import open_database
    from ..store.restore import restore

    bar = ProgressBar(enabled=not args.json and sys.stderr.isatty())
    try:
        report = restore(open_database(settings), Path(args.directory), drop=args.drop,
                         lease_seconds=settings.lease_seconds, progress=bar, database=args.db,
                         roll_back_rates=args.roll_back_rates)
    except SyncLockedError as exc:
        print(f"{exc}; try again when it has finished", file=sys.stderr)
        return EXIT["locked"]
    bar.close()
    if args.json:
        print_json({"directory": report.directory, "documents": report.total, "collections": report.documents,
                     "seconds": round(report.seconds, 2), "rate_edits_rolled_back": report.rate_edits_rolled_back})
    else:
        print(f"restored {report.total:,} documents in {len(report.documents)} collections from "
              f"{report.directory} in {report.seconds:.1f}s"
              + (f"; {report.rate_edits_rolled_back:,} rate change(s) rolled back" if report.rate_edits_rolled_back
                 else ""))
    return 0


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Check the mirror; exit 0 when sound, 1 when not (BroadStreet's own oddities are notes)."""
    from ..client import BroadStreetClient
    from ..process.database import open_database
    from ..process.demo import api_settings
    from ..read.verify import verify

    client = BroadStreetClient(api_settings(settings)) if args.upstream else None
    try:
        report = verify(open_database(settings), client=client)
    finally:
        if client is not None:
            client.close()
    if args.json:
        print_json(report.as_dict())
    else:
        print("the mirror is sound" if report.sound else f"the mirror has {len(report.problems)} problem(s):")
        for finding in report.problems:
            print(f"  problem ({finding.check}): {finding.text}; e.g. {finding.sample}")
        for finding in report.notes:
            print(f"  note ({finding.check}): {finding.text}; e.g. {finding.sample}")
    return 0 if report.sound else EXIT["failed"]


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from ..process.demo import demo_simulator
    from ..process.embedded import embedded_server, uri_for

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


