"""Shared benchmark helpers: a throwaway embedded server and a timer."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymongo import MongoClient  # noqa: E402

from bs_core.process.embedded import embedded_server, uri_for  # noqa: E402


@contextlib.contextmanager
def throwaway_database(name: str = "bench") -> Iterator:
    """A fresh SecantusDB server in memory, as the tests use (or TEST_MONGODB_URI's server)."""
    import os

    uri = os.environ.get("TEST_MONGODB_URI")
    if uri:
        client = MongoClient(uri)
        client.drop_database(name)
        yield client[name]
        client.drop_database(name)
        return
    with tempfile.TemporaryDirectory() as tmp:
        server = embedded_server(Path(tmp), storage=":memory:")
        port = server.ensure_running()
        client = MongoClient(uri_for(port), tz_aware=False)
        try:
            yield client[name]
        finally:
            client.close()
            server.stop()


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    box = [0.0]
    start = time.perf_counter()
    yield box
    box[0] = time.perf_counter() - start


def uri_of(db) -> str:
    """The URI of the server ``db`` lives on, as a sync subprocess or the app reaches it."""
    host, port = db.client.address
    return f"mongodb://{host}:{port}/?directConnection=true"
