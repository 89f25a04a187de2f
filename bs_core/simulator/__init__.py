"""A local BroadStreet: a real HTTP server with the real API's envelopes and quirks.

Used by the tests, the benchmarks and the app's demo mode.  See ``server.py`` for the
HTTP and admin API and ``dataset.py`` for the data it serves.
"""

from .api import DEFAULT_TOKEN, Simulator
from .dataset import PRESETS, Dataset
from .server import SimulatorServer

__all__ = ["DEFAULT_TOKEN", "PRESETS", "Dataset", "Simulator", "SimulatorServer"]
