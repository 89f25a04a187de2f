"""When a scheduled digest is due: the latest minute ``BS_DIGEST_SCHEDULE`` names, if no
scheduled digest was attempted for it yet.  Each slot is claimed in ``digest_runs``
(a document whose id is the slot) before sending, so several app servers, or the app and
a cron job, send it once; a failed slot is not retried until the next one."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from pymongo.database import Database

from ..cron import parse
from ..dates import today_utc
from ..settings import Settings
from ..store.digests import claim_slot, slot_claimed
from ..store.history import server_now
from .delivery import deliver

log = logging.getLogger(__name__)
#: a slot missed by more than this (the app was down) is skipped, not sent late
GRACE = dt.timedelta(hours=6)


def due_slot(db: Database, schedule: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The schedule's latest slot (UTC, by the database server's clock) when its digest is
    still to be sent, else None."""
    if not schedule:
        return None
    now = now or server_now(db)
    slot = parse(schedule).last_at_or_before(now, within=GRACE)
    if slot is None or slot_claimed(db, slot_id(slot)):
        return None
    return slot


def slot_id(slot: dt.datetime) -> str:
    return f"schedule:{slot:%Y-%m-%dT%H:%M}"


def claim(db: Database, slot: dt.datetime) -> bool:
    """Take the slot for this process (False: another process has it)."""
    return claim_slot(db, slot_id(slot), slot, server_now(db))


def send_due(settings: Settings, db: Database) -> threading.Thread | None:
    """Send the scheduled digest when its slot is due and unclaimed, in a thread of its
    own (a slow SMTP server never holds up the app's sync scheduler); that thread."""
    try:
        slot = due_slot(db, settings.digest_schedule)
        if slot is None or not claim(db, slot):
            return None
    except Exception:  # noqa: BLE001 - a digest never stops the app or its syncs
        log.exception("the digest schedule could not be read")
        return None

    def send() -> None:
        try:
            deliver(settings, db, today_utc(), trigger="schedule")
        except Exception:  # noqa: BLE001 - a log line; the next slot tries again
            log.exception("the scheduled digest failed")

    worker = threading.Thread(target=send, name="digest", daemon=True)
    worker.start()
    return worker
