"""Restore: load a backup (or a mongodump of one database) into the mirror, checking
every file before the first write and swapping collections in only when all are loaded."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import bson
from bson.json_util import loads
from bson.raw_bson import RawBSONDocument
from pymongo import IndexModel
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from ..entities import ENTITY_NAMES
from ._connection import ensure_indexes
from .backup import BACKED_UP, INSERT_BATCH, RAW, BackupError, Progress, Report, _documents, _open
from .lease import Lease
from .rates import RATE_HISTORY, edits_after, newest_edit

#: what a mirror's backup must hold; the others (summaries, held deletions, per-zone rows)
#: may be missing from a backup of an older version, and are rebuilt by the next sync
REQUIRED = (*ENTITY_NAMES, "stats_daily", "sync_runs")
STAGING = "restore_staging__"  # prefix of the collections a restore loads before the swap


def restore(db: Database, source: Path, *, drop: bool = False, lease_seconds: float = 30.0,
            progress: Progress | None = None, database: str | None = None,
            roll_back_rates: bool = False) -> Report:
    """Load a backup (or a mongodump of one database) into ``db``: check first, then swap.

    Every data and metadata file is read through and verified before anything is
    written, so a directory that is not one database's backup, one that lacks a
    collection of the mirror, or a truncated or corrupt file is refused with nothing
    written.  The data then goes into staging collections, which replace the live ones
    only once every one is loaded: a restore that fails or is killed half way leaves the
    mirror exactly as it was.  A non-empty mirror is refused without ``drop``.  Holds
    the sync lease while it writes.

    Rates exist only in this product: a backup older than the last rate change would undo
    changes nobody can fetch again, so it is refused, saying how many, unless
    ``roll_back_rates``.
    """
    files = _backup_files(Path(source), database)
    for name, path in files.items():
        _check(path, name)
        _metadata(path)
    if not drop and any(db[name].estimated_document_count() for name in ENTITY_NAMES):
        raise BackupError("the mirror is not empty; pass --drop to replace it with the backup")
    rolled_back = edits_after(db, _newest_edit_in(files.get(RATE_HISTORY)))
    if rolled_back and not roll_back_rates:
        raise BackupError(f"restoring this backup would roll back {rolled_back:,} rate change(s) made after it "
                          f"(the newest at {newest_edit(db):%Y-%m-%d %H:%M} UTC); nothing was restored. Pass "
                          "--roll-back-rates to restore it anyway (export them first: rates export)")
    lease = Lease(db, lease_seconds)
    lease.acquire(f"restore-{time.time():.0f}")
    lease.start_heartbeat()
    started = time.monotonic()
    try:
        _drop_staging(db)  # left by a restore that was killed
        counts = {}
        for name, path in files.items():
            counts[name] = _load(db, STAGING + name, path, progress)
            _create_indexes(db, STAGING + name, path)
        staged = set(db.list_collection_names(filter={"name": {"$regex": f"^{STAGING}"}}))
        for name in files:  # every collection is in: swap them in
            if STAGING + name in staged:
                db[STAGING + name].rename(name, dropTarget=True)
            else:  # an empty file with no index of its own left no staging collection: empty means none
                db.drop_collection(name)
        for name in set(BACKED_UP) - set(files):  # the mirror becomes the backup, nothing of the old one
            db.drop_collection(name)
        ensure_indexes(db)
    except BaseException:
        try:
            _drop_staging(db)
        except PyMongoError:
            pass  # the next restore drops them first
        raise
    finally:
        lease.release()
    return Report(str(source), counts, time.monotonic() - started, rate_edits_rolled_back=rolled_back)


def _newest_edit_in(path: Path | None):
    """The newest rate change a backup's ``rate_history`` holds (None: it holds none)."""
    if path is None:
        return None
    newest = None
    with _open(path, "rb", path.suffix == ".gz") as fh:
        for raw in _documents(fh):
            at = bson.decode(raw).get("at")
            newest = at if newest is None or (at is not None and at > newest) else newest
    return newest


def drop_leftover_staging(db: Database) -> None:
    """Drop what a restore killed half way left (its staging collections).  Only for a
    caller holding the sync lease, which every restore holds while it works."""
    _drop_staging(db)


def _drop_staging(db: Database) -> None:
    for name in db.list_collection_names():
        if name.startswith(STAGING):
            db.drop_collection(name)


def _backup_files(source: Path, database: str | None = None) -> dict[str, Path]:
    """``{collection: .bson path}`` of one database's backup: ``source`` itself, its only
    database folder, or the folder ``database`` names (never a guess among several)."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory")
    own = _mirror_files(source)
    folders = {p.name: found for p in sorted(source.iterdir()) if p.is_dir() and (found := _mirror_files(p))}
    if database is not None:
        if database not in folders:
            raise BackupError(f"{source} has no database folder {database!r} with a backup in it"
                              + (f" (it has: {', '.join(folders)})" if folders else ""))
        files = folders[database]
    elif own:
        files = own
    elif len(folders) == 1:
        files = next(iter(folders.values()))
    elif folders:
        raise BackupError(f"{source} holds backups of {len(folders)} databases ({', '.join(folders)}); "
                          "name one with --db NAME")
    else:
        raise BackupError(f"{source} is not a backup: no <collection>.bson files of the mirror in it")
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise BackupError(f"the backup lacks {', '.join(missing)} (a backup cut short?); nothing was restored")
    return files


def _mirror_files(folder: Path) -> dict[str, Path]:
    return {p.name.split(".bson")[0]: p for p in sorted(folder.iterdir())
            if p.name.endswith((".bson", ".bson.gz")) and p.name.split(".bson")[0] in BACKED_UP}


def _check(path: Path, name: str) -> int:
    """Read a .bson file through; raise :class:`BackupError` when it is cut short or corrupt."""
    count = 0
    try:
        with _open(path, "rb", path.suffix == ".gz") as fh:
            for _ in _documents(fh):
                count += 1
    except (bson.errors.InvalidBSON, OSError, EOFError, ValueError, zlib.error) as exc:
        raise BackupError(f"{path.name} is truncated or corrupt after {count:,} documents ({exc}); "
                          "nothing was restored") from None
    return count


def _metadata(bson_path: Path) -> dict:
    """A collection's ``.metadata.json`` (``{}`` when there is none); :class:`BackupError`
    when it is not readable JSON with a list of indexes."""
    meta = bson_path.with_name(bson_path.name.replace(".bson", ".metadata.json"))
    if not meta.exists():
        return {}
    try:
        with _open(meta, "rb", meta.suffix == ".gz") as fh:
            metadata = loads(fh.read().decode())
        if not isinstance(metadata, dict) or not isinstance(metadata.get("indexes", []), list):
            raise ValueError("not an object with a list of indexes")
        for ix in metadata.get("indexes", []):
            list(ix["key"].items()), ix["name"]  # noqa: B018 - the shape every index needs
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise BackupError(f"{meta.name} is not a readable index list ({type(exc).__name__}: {str(exc)[:80]}); "
                          "nothing was restored") from None
    return metadata


def _load(db: Database, name: str, path: Path, progress: Progress | None) -> int:
    coll = db.get_collection(name, codec_options=RAW)
    batch: list[RawBSONDocument] = []
    loaded = 0
    with _open(path, "rb", path.suffix == ".gz") as fh:
        for raw in _documents(fh):
            batch.append(RawBSONDocument(raw))
            if len(batch) >= INSERT_BATCH:
                coll.insert_many(batch, ordered=False)
                loaded += len(batch)
                batch = []
                if progress:
                    progress(name, loaded, 0)
    if batch:
        coll.insert_many(batch, ordered=False)
        loaded += len(batch)
    return loaded


def _create_indexes(db: Database, name: str, bson_path: Path) -> None:
    models = [IndexModel(list(ix["key"].items()), name=ix["name"],
                         **{k: ix[k] for k in ("unique", "sparse", "expireAfterSeconds") if k in ix})
              for ix in _metadata(bson_path).get("indexes", []) if ix.get("name") != "_id_"]
    if models:
        try:
            db[name].create_indexes(models)
        except OperationFailure as exc:  # valid JSON, but an index the server refuses
            meta = bson_path.name.replace(".bson", ".metadata.json")
            why = (exc.details or {}).get("errmsg") or str(exc)
            raise BackupError(f"{meta}: the database refused its indexes ({why[:120]}); nothing was restored") from None
