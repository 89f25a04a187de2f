"""What the product hands out: tables as CSV and Excel a spreadsheet opens safely
(``tables``), JSON for scripts (``jsonout``), and the one view of a sync run the CLI, the
HTTP API, the pages and the webhook show (``runview``).  Presentation only: no database."""

from . import jsonout
from .runview import RunView
from .tables import (
    PERCENT_COLUMNS,
    advertiser_sheet,
    by_advertiser,
    csv_bytes,
    invoice_frames,
    invoice_summary,
    invoice_workbook,
    neutralise,
    safe_frame,
    xlsx_bytes,
    xlsx_workbook,
)

__all__ = ["PERCENT_COLUMNS", "RunView", "advertiser_sheet", "by_advertiser", "csv_bytes", "invoice_frames",
           "invoice_summary", "invoice_workbook", "jsonout", "neutralise", "safe_frame", "xlsx_bytes", "xlsx_workbook"]
