"""Shared fixtures: a simulator server per test, settings pointing at it."""

from __future__ import annotations

import pytest

from bs_core.settings import Settings
from bs_core.simulator import Simulator, SimulatorServer


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
