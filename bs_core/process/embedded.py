"""The embedded MongoDB-compatible server (SecantusDB) used when ``MONGODB_URI`` is unset.

It runs as a separate process (WiredTiger allows one owner per data directory, and its
GPL code stays out of our import graph); the app and the CLI share it over TCP.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from ._managed import ManagedProcess, tcp_open

SERVER_NAME = "mongo"


def secantus_command() -> str:
    beside = Path(sys.executable).with_name("secantusd-py")
    found = str(beside) if beside.exists() else shutil.which("secantusd-py")
    if not found:
        raise FileNotFoundError(
            "secantusd-py not found: run `make run` (it installs requirements.txt) "
            "or set MONGODB_URI to use your own MongoDB"
        )
    return found


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def _ping(port: int) -> bool:
    if not tcp_open(port):
        return False
    client = MongoClient(uri_for(port), serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def embedded_server(data_dir: Path, storage: str | None = None) -> ManagedProcess:
    """The server whose files live in ``data_dir/mongo`` (or ``storage``, e.g. ``:memory:``)."""
    data_dir = Path(data_dir).resolve()
    storage = storage or str(data_dir / "mongo")

    def command(port: int) -> list[str]:
        return [secantus_command(), "--host", "127.0.0.1", "--port", str(port),
                "--storage-path", storage, "--standalone", "--log-level", "WARNING"]

    return ManagedProcess(SERVER_NAME, data_dir, command, _ping, marker="secantusd")


LOW_DISK_BYTES = 16 * 1024 * 1024  # below this free, a failing embedded server is blamed on the disk


def disk_trouble(data_dir: Path) -> str | None:
    """"the disk holding … is full (12 KB free)" when the embedded server's disk is (nearly)
    full, else None: said with any error of the embedded server, which names no cause."""
    try:
        free = shutil.disk_usage(Path(data_dir)).free
    except OSError:
        return None
    if free >= LOW_DISK_BYTES:
        return None
    return (f"the disk holding BS_DATA_DIR ({Path(data_dir)}) is full ({free // 1024:,} KB free); free some space "
            f"and the mirror carries on (the next sync heals it)")


def restart_embedded(data_dir: Path) -> None:
    """Stop and start the embedded server: one that answers but fails every operation (it
    wedges so after its disk filled) works again once there is room."""
    server = embedded_server(data_dir)
    server.stop()
    server.ensure_running()


def ensure_embedded_uri(data_dir: Path) -> str:
    """Start (or reuse) the embedded server for ``data_dir`` and return its URI."""
    return uri_for(embedded_server(data_dir).ensure_running())
