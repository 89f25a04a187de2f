"""``python -m bs_core digest send``: build the digest and send it (e-mail, webhook), or
write it to a directory with ``--dry-run --output DIR``.  One line on failure, exit 1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..settings import Settings
from .common import EXIT, fail_usage, print_json


def add_parser(sub, whole_number, addresses) -> None:
    digest = sub.add_parser("digest", help="send the digest of what needs attention (e-mail, Slack/Teams)")
    digest.add_argument("action", choices=("send",))
    digest.add_argument("--dry-run", action="store_true", help="write the message and attachments, send nothing")
    digest.add_argument("--output", help="the directory a dry run writes into")
    digest.add_argument("--advertiser", type=whole_number(10**12), help="only this advertiser's figures")
    digest.add_argument("--to", type=addresses, help="comma-separated addresses (default BS_DIGEST_TO)")
    digest.add_argument("--scheduled", action="store_true",
                        help="for cron: send only when BS_DIGEST_SCHEDULE has a slot not sent yet")
    digest.add_argument("--json", action="store_true")


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    from ..dates import today_utc
    from ..digest import claim, deliver, due_slot
    from ..process.database import open_database

    if args.dry_run and not args.output:
        return fail_usage("--dry-run writes the message into a directory: give --output DIR")
    if not args.dry_run and not ((settings.smtp_url and (args.to or settings.digest_to))
                                 or (args.advertiser is None and (settings.digest_webhook_url or settings.webhook_url))):
        return fail_usage("nothing to send the digest to: set BS_SMTP_URL and BS_DIGEST_TO (or --to), or "
                          "BS_DIGEST_WEBHOOK_URL; or look at it first with --dry-run --output DIR")
    db = open_database(settings)
    if args.advertiser is not None and db.advertisers.find_one({"_id": args.advertiser}, {"_id": 1}) is None:
        return fail_usage(f"--advertiser {args.advertiser}: not in the mirror")
    trigger = "cli"
    if args.scheduled:
        slot = due_slot(db, settings.digest_schedule)
        # a dry run looks at the due digest without using up its slot: the real one still goes
        if slot is None or (not args.dry_run and not claim(db, slot)):
            print("no scheduled digest is due" if settings.digest_schedule else "BS_DIGEST_SCHEDULE is not set",
                  file=sys.stderr)
            return 0
        if not args.dry_run:
            trigger = "schedule"
    outcome = deliver(settings, db, today_utc(), trigger=trigger, advertiser_id=args.advertiser,
                      to=tuple(args.to or ()), dry_run_dir=Path(args.output) if args.dry_run else None)
    if args.json:
        print_json({"run_id": outcome.run_id, "status": outcome.status, "channels": outcome.channels,
                    "files": outcome.files})
    elif outcome.status == "dry run":
        print(f"digest written: {', '.join(outcome.files)}")
    elif outcome.status == "sent":
        print(f"digest sent ({', '.join(outcome.channels)})")
    if outcome.status == "failed":
        print(f"error: the digest was not sent: {outcome.error}", file=sys.stderr)
        return EXIT["failed"]
    return 0
