"""Backup of the mirror in mongodump's directory layout, and the format both it and
``restore.py`` read and write.

``DIR/<database>/<collection>.bson`` (``.bson.gz`` with gzip) holds the documents as
concatenated BSON, ``<collection>.metadata.json`` (``.gz``) the indexes, so MongoDB's own
``mongorestore`` reads a backup and ``restore`` reads a ``mongodump``.  Both stream: a
document at a time, as raw BSON, never a collection in memory.  Both hold the sync lease
while they work, so a backup is a consistent snapshot (no sync writes meanwhile) and a
restore never races a sync.  A backup is fenced like a sync: it confirms its lease
between collections, and one that lost it (paused past it while a sync took over) stops
and removes what it wrote, rather than keep a snapshot mixed from before and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import io
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import bson
from bson.codec_options import CodecOptions
from bson.json_util import JSONMode, JSONOptions, dumps
from bson.raw_bson import RawBSONDocument
from pymongo.database import Database

from ..entities import derived
from ..errors import MirrorError
from ._connection import COLLECTIONS
from .lease import Lease

BACKED_UP: list[str] = []


@derived
def _backed_up() -> None:
    BACKED_UP[:] = [c for c in COLLECTIONS if c != "sync_lock"]  # the lease is this process's, not data


RAW = CodecOptions(document_class=RawBSONDocument)
INSERT_BATCH = 1000
_JSON = JSONOptions(json_mode=JSONMode.CANONICAL)
Progress = Callable[[str, int, int], None]  # (collection, done, total)


class BackupError(MirrorError):
    """Bad input for backup or restore (the CLI's usage error): nothing was written."""

    plain = "The backup or restore could not start"


@dataclasses.dataclass
class Report:
    directory: str
    documents: dict[str, int]
    seconds: float
    bytes: int = 0
    rate_edits_rolled_back: int = 0  #: a restore: rate changes made after the backup, now undone

    @property
    def total(self) -> int:
        return sum(self.documents.values())


# -- backup ----------------------------------------------------------------------------------
def default_location(data_dir: Path, now: dt.datetime | None = None) -> Path:
    return Path(data_dir) / "backups" / f"{(now or dt.datetime.now(dt.UTC)):%Y%m%dT%H%M%SZ}"


def backup(db: Database, out: Path, *, compress: bool = False, lease_seconds: float = 30.0,
           progress: Progress | None = None) -> Report:
    """Write every collection of the mirror to ``out/<database>/``, under the sync lease."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not an empty directory; choose a new one")
    lease = Lease(db, lease_seconds)
    lease.acquire(f"backup-{time.time():.0f}")  # SyncLockedError when a sync runs: nothing written yet
    lease.start_heartbeat()
    started = time.monotonic()
    target = out / db.name
    made = [d for d in (out, target) if not d.exists()]  # what to remove should it fail
    try:
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"cannot write a backup to {out} ({exc.strerror or type(exc).__name__})") from None
        counts = {}
        for name in BACKED_UP:
            lease.confirm()  # LeaseLostError: a sync took over; this snapshot would be mixed
            counts[name] = _dump(db, name, target, compress, progress)
        lease.confirm()
    except BaseException:
        for made_dir in made[:1]:
            shutil.rmtree(made_dir, ignore_errors=True)
        if not made:  # an empty directory given by the user stays, empty again
            shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        lease.release()
    size = sum(f.stat().st_size for f in target.iterdir())
    return Report(str(out), counts, time.monotonic() - started, size)


def _dump(db: Database, name: str, target: Path, compress: bool, progress: Progress | None) -> int:
    coll = db[name]
    total = coll.estimated_document_count()
    suffix = ".gz" if compress else ""
    written = 0
    with _open(target / f"{name}.bson{suffix}", "wb", compress) as fh:
        # Raw batches as the server sends them: concatenated BSON, which is the file's format,
        # so no document is decoded on the way (faster than iterating documents).
        for batch in coll.find_raw_batches({}, batch_size=INSERT_BATCH):
            fh.write(batch)
            written += _count_documents(batch)
            if progress:
                progress(name, written, total)
    metadata = {"options": {}, "indexes": _indexes(db, name), "uuid": "", "collectionName": name,
                "type": "collection"}
    with _open(target / f"{name}.metadata.json{suffix}", "wb", compress) as fh:
        fh.write(dumps(metadata, json_options=_JSON).encode())
    if progress:
        progress(name, written, max(total, written))
    return written


def _count_documents(batch: bytes) -> int:
    """How many BSON documents a raw batch holds (walking their length prefixes)."""
    count, offset = 0, 0
    while offset < len(batch):
        offset += int.from_bytes(batch[offset:offset + 4], "little")
        count += 1
    return count


def _indexes(db: Database, name: str) -> list[dict]:
    out = []
    for index_name, spec in db[name].index_information().items():
        entry = {"v": spec.get("v", 2), "key": bson.SON(spec["key"]), "name": index_name}
        entry.update({k: v for k, v in spec.items() if k in ("unique", "sparse", "expireAfterSeconds")})
        out.append(entry)
    return out


def rotate(backups: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``backups``; the ones deleted."""
    if keep <= 0 or not backups.is_dir():
        return []
    old = sorted((p for p in backups.iterdir() if p.is_dir()), key=lambda p: p.name)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


def _documents(fh: IO[bytes]) -> Iterator[bytes]:
    """The raw BSON documents of a stream, one at a time."""
    while True:
        head = fh.read(4)
        if not head:
            return
        if len(head) < 4:
            raise bson.errors.InvalidBSON("the file ends inside a document's length")
        size = int.from_bytes(head, "little")
        if size < 5:
            raise bson.errors.InvalidBSON(f"a document claims {size} bytes")
        body = fh.read(size - 4)
        if len(body) != size - 4 or body[-1:] != b"\x00":
            raise bson.errors.InvalidBSON("the file ends inside a document")
        raw = head + body
        bson.decode(raw)  # validates
        yield raw


def _open(path: Path, mode: str, compress: bool) -> IO[bytes]:
    if compress:
        return gzip.open(path, mode)  # type: ignore[return-value]
    return io.open(path, mode)  # noqa: UP020 - binary streams either way
