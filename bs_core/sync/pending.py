"""Outcomes of runs that ended while the database was unreachable.

Such a run cannot record how it ended, and a reader would later find it ``running`` and
reap it as "lease expired".  Instead its outcome is written to
``BS_DATA_DIR/pending-runs/<run id>.json`` and applied to ``sync_runs`` by the next
process that reaches the database (a sync, ``status``, the app), so history shows the
real cause.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import logging
import os
from pathlib import Path

from pymongo.database import Database
from pymongo.errors import PyMongoError

from ..dates import utcnow
from ..export import jsonout
from ..store.history import record_late
from ..store.lease import release_for_run

log = logging.getLogger(__name__)
DATE_FIELDS = ("started_at", "finished_at")


def _folder(data_dir: Path) -> Path:
    return Path(data_dir) / "pending-runs"


def save(data_dir: Path, run: dict) -> Path | None:
    """Keep a run's outcome on disk; the file, or None when even that failed."""
    folder = _folder(data_dir)
    path = folder / f"{run['_id']}.json"
    part = path.with_suffix(".json.part")
    try:  # whole or not at all: written aside, then renamed (a full disk leaves no empty file)
        folder.mkdir(parents=True, exist_ok=True)
        with open(part, "w", encoding="utf-8") as fh:
            fh.write(jsonout.dumps(run))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, path)
        return path
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        log.warning("could not keep the outcome of run %s on disk (%s)", run.get("_id"),
                    "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or type(exc).__name__)
        return None


def apply(db: Database, data_dir: Path) -> int:
    """Record every kept outcome whose run is still unfinished or was reaped; how many."""
    folder = _folder(data_dir)
    if not folder.is_dir():
        return 0
    applied = 0
    for path in sorted(folder.glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for field in DATE_FIELDS:
            if isinstance(run.get(field), str):
                run[field] = dt.datetime.fromisoformat(run[field])
        run_id = run.pop("_id")
        try:
            record_late(db, run_id, {**run, "recorded_late_at": utcnow()})
            release_for_run(db, run_id, utcnow())  # the run is over: its lease goes with it
        except PyMongoError:
            return applied  # still unreachable: try again next time
        path.unlink(missing_ok=True)
        applied += 1
    return applied
