"""BroadStreet mirror core: API client, simulator, MongoDB mirror store and sync engine.

The package is laid out along the path data takes:
client (``client.py``) -> normalisation (``normalize.py``) -> store (``store.py``)
-> sync orchestration (``sync/``) -> read models for the pages (``readmodels.py``).
"""

__version__ = "0.1.0"
