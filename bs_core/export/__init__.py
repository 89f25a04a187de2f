"""What the product hands out: tables as CSV and Excel a spreadsheet opens safely
(``tables``: import it where a download is made, it loads pandas), JSON for scripts
(``jsonout``), and the one view of a sync run the CLI, the HTTP API, the pages and the
webhook show (``runview``).  Presentation only: no database.  This face stays light: the
sync process imports it and must not pay for pandas (85 MB of a first full sync's peak)."""

from . import jsonout
from .runview import RunView

__all__ = ["RunView", "jsonout"]
