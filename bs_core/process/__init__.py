"""Background processes the product starts and reuses: one per data directory
(``managed``), the embedded SecantusDB server (``embedded``) and the demo simulator
(``demo``); and which database server holds the mirror, opened (``database``)."""

from ._managed import free_port
from .database import disk_trouble, open_database
from .demo import api_settings, demo_simulator, with_demo_api
from .embedded import embedded_server, ensure_embedded_uri, uri_for

__all__ = ["api_settings", "demo_simulator", "disk_trouble", "embedded_server", "ensure_embedded_uri", "free_port",
           "open_database", "uri_for", "with_demo_api"]
