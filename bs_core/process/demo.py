"""Demo mode: with no BroadStreet token, sync from the bundled simulator.

The simulator runs as one background process per data directory (like the embedded
database), so the app and the CLI see the same simulated account.
"""

from __future__ import annotations

import sys

import requests

from ..settings import Settings
from ..simulator import DEFAULT_TOKEN
from ._managed import ManagedProcess


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/_sim/dataset", timeout=1).ok
    except requests.RequestException:
        return False


def demo_simulator(settings: Settings) -> ManagedProcess:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "bs_core.simulator", "--port", str(port),
                "--size", settings.demo_size, "--seed", str(settings.demo_seed)]

    return ManagedProcess("simulator", settings.data_dir.resolve(), command, _answers,
                          marker="bs_core.simulator", start_timeout=60)


def with_demo_api(settings: Settings) -> Settings:
    """Settings aimed at the running demo simulator (started if needed)."""
    port = demo_simulator(settings).ensure_running()
    return settings.replace(broadstreet_api_token=DEFAULT_TOKEN,
                            broadstreet_api_base_url=f"http://127.0.0.1:{port}/api/1")


def api_settings(settings: Settings) -> Settings:
    """The settings to reach BroadStreet with: the real API, or the simulator in demo mode."""
    return with_demo_api(settings) if settings.demo_mode else settings
