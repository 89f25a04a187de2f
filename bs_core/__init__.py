"""BroadStreet mirror core: API client, simulator, MongoDB mirror store, sync engine,
read models and the dashboard's UI helpers.

The package is laid out along the path data takes: the registry (``entities.py``) says
what each entity is; ``client/`` fetches from BroadStreet, ``normalize.py`` turns
records into documents, ``store/`` keeps them (and the lease, run history, backups),
``sync/`` orchestrates a run, ``read/`` answers every query of the pages, CLI and HTTP
API, ``ui/`` draws them with Streamlit; ``runtime.py`` is what one app process shares,
``cli/`` the command line, ``process/`` the background servers, ``simulator/`` a
BroadStreet to test against.  Import rules between them are checked by ``make test``
(``[tool.importlinter]`` in ``pyproject.toml``).
"""

__version__ = "0.1.0"
