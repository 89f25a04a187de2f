"""Shared fixtures: a simulator server per test, settings pointing at it."""

from __future__ import annotations

import contextlib
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import pytest

from bs_core.settings import Settings
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.sync import run_sync


def settings_for(server: SimulatorServer, **overrides) -> Settings:
    """Client settings aimed at a simulator: short backoff so retry tests stay quick."""
    base = dict(
        broadstreet_api_token=server.sim.token,
        broadstreet_api_base_url=server.api_url,
        backoff_factor=0.01,
        max_attempts=3,
        read_timeout=10.0,
        records_limit=server.sim.records_limit,
        records_window=server.sim.records_window,
    )
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def tiny_server():
    """A fresh `tiny` simulator (the real 2-per-5 s /records throttle)."""
    with SimulatorServer(Simulator("tiny", seed=3, token="tiny-secret-token-123")) as server:
        yield server


@pytest.fixture
def fast_tiny_server():
    """A `tiny` simulator whose /records throttle is 50 per second (sync tests)."""
    sim = Simulator("tiny", seed=3, token="tiny-secret-token-123", records_limit=50, records_window=1.0)
    with SimulatorServer(sim) as server:
        yield server


# -- databases ------------------------------------------------------------------------------
import os  # noqa: E402
import uuid  # noqa: E402

from pymongo import MongoClient  # noqa: E402

BACKENDS = ("secantus", "mongodb")


@pytest.fixture(scope="session")
def secantus_uri(tmp_path_factory):
    """A throwaway SecantusDB server (in memory) for the whole test session."""
    from bs_core.process.embedded import embedded_server, uri_for

    server = embedded_server(tmp_path_factory.mktemp("secantus"), storage=":memory:")
    port = server.ensure_running()
    THROWAWAY.add(f"127.0.0.1:{port}")
    yield uri_for(port)
    _DROPS.shutdown(wait=True)  # the drops still queued, before their server goes
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def mongo_uri(request):
    """Every store test runs on SecantusDB, and on a real MongoDB when TEST_MONGODB_URI is set."""
    if request.param == "mongodb":
        uri = os.environ.get("TEST_MONGODB_URI")
        if not uri:
            pytest.skip("TEST_MONGODB_URI not set")
        return uri
    return request.getfixturevalue("secantus_uri")


def fresh_database(uri: str):
    client = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=False)
    return client, client[f"t_{uuid.uuid4().hex[:10]}"]


#: drops a finished test's database while the next test runs (a drop takes SecantusDB 2-3 s,
#: and the tests wait on I/O about half the time)
_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-db")
#: the session's in-memory SecantusDB servers: everything in them goes with them at the
#: session's end, so their test databases are never dropped (measured: a demo mirror holds
#: ~12 MB there, and each drop cost the server ~1 s of a core it shares with the tests)
THROWAWAY: set[str] = set()  # "host:port"


def throwaway(client) -> bool:
    return any(f"{host}:{port}" in THROWAWAY for host, port in client.topology_description.server_descriptions())


def dispose(client, name: str) -> None:
    """A finished test's database: dropped now on a real MongoDB, left in a throwaway server."""
    try:
        if not throwaway(client):
            client.drop_database(name)
    finally:
        client.close()


def drop_later(client, name: str) -> None:
    if throwaway(client):
        client.close()
        return
    _DROPS.submit(dispose, client, name)


@pytest.fixture
def db(mongo_uri):
    """An empty database of its own for one test."""
    client, database = fresh_database(mongo_uri)
    yield database
    drop_later(client, database.name)


TEST_STATS_DAYS = 14  # days of reporting a test's first sync fetches, unless it asks for more


def mirror_settings(server: SimulatorServer, db, **overrides) -> Settings:
    """Settings for syncing ``server`` into ``db`` (a fast /records throttle; two weeks of
    reporting, not the product's 90 days: a demo sync then writes 40% fewer documents)."""
    return settings_for(server, mongodb_uri=_uri_of(db), mongodb_database=db.name,
                        records_limit=server.sim.records_limit, records_window=server.sim.records_window,
                        **{"stats_days": TEST_STATS_DAYS, **overrides})


def _uri_of(db) -> str:
    host, port = db.client.address
    return f"mongodb://{host}:{port}/?directConnection=true"


def demo_simulator(seed: int = 1) -> Simulator:
    """The `demo` account with a fast /records throttle (sync tests)."""
    return Simulator("demo", seed=seed, token="demo-secret-token-456", records_limit=50, records_window=1.0)


@pytest.fixture
def demo_server():
    """A fresh `demo` simulator for one test."""
    with SimulatorServer(demo_simulator()) as server:
        yield server


class Mirror(NamedTuple):
    settings: Settings
    db: Any
    server: SimulatorServer


@contextlib.contextmanager
def synced_demo(mongo_uri: str, seed: int = 1, **overrides):
    """A database of its own holding a real full sync of a fresh `demo` simulator, and the
    server that served it: for a module's tests that only read the mirror (one full sync
    costs ~10 s; tests that sync or write take ``db`` and ``demo_server`` instead)."""
    client, db = fresh_database(mongo_uri)
    with SimulatorServer(demo_simulator(seed)) as server:
        settings = mirror_settings(server, db, **overrides)
        assert run_sync(settings, db, "full")["status"] == "success"
        try:
            yield Mirror(settings, db, server)
        finally:
            drop_later(client, db.name)


# -- order ----------------------------------------------------------------------------------
#: the files that take longest, longest first: `--dist loadfile` hands whole files to the
#: workers in collection order, and a long file started last keeps one worker busy while
#: the others idle (alphabetical order put test_live_app and test_sync near the end)
LONGEST_FIRST = ("test_live_app.py", "test_sync.py", "test_faults.py", "test_app.py", "test_absence.py",
                 "test_backup.py", "test_auth.py", "test_proof.py", "test_digest.py", "test_failure_surfaces.py",
                 "test_one_figure.py", "test_rates.py", "test_cli.py", "test_sync_controls.py", "test_full_disk.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's tests keep their order


def held_through(db) -> dt.date:
    """The newest day every network of the mirror has begun on its own clock, so where
    its coverage can end now: until 08:00 UTC the demo's UTC-08:00 network is still on
    the UTC date's yesterday (a test that expects the UTC date fails in those hours)."""
    from bs_core.read.days import network_days

    days = network_days(db)
    return min([days.today(n) for n in db.networks.distinct("_id")] + [days.utc_today])


def complete_days_filter(db):
    """The Overview's *Complete days only* cut (``StatsFilter.through``): each network
    through its own yesterday when the networks' yesterdays differ, else no cut."""
    from bs_core.read.days import network_days
    from bs_core.read.reporting import StatsFilter

    lasts = network_days(db).last_complete(db.networks.distinct("_id"))
    return StatsFilter(through=tuple(sorted(lasts.items())) if len(set(lasts.values())) > 1 else None)
