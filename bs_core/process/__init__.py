"""Background processes the product starts and reuses: one per data directory
(``managed``), the embedded SecantusDB server (``embedded``) and the demo simulator
(``demo``)."""

from .demo import api_settings, demo_simulator, with_demo_api
from .embedded import embedded_server, ensure_embedded_uri, uri_for
from .managed import free_port

__all__ = ["api_settings", "demo_simulator", "embedded_server", "ensure_embedded_uri", "free_port", "uri_for",
           "with_demo_api"]
