"""The app's pages in the sidebar's order: what the sidebar links and the server warms."""

from __future__ import annotations

from ..entities import WITH_PAGES, derived

#: the sidebar's page links: the Overview, a page per entity with one (``entities.WITH_PAGES``),
#: then the pages about the mirror itself
NAVIGATION: list[tuple[str, str, str]] = []
_ABOUT_THE_MIRROR = (
    ("pages/7_Delivery_health.py", "Delivery health", ":material/monitor_heart:"),
    ("pages/10_Inventory.py", "Inventory", ":material/inventory_2:"),
    ("pages/8_Rates.py", "Rates", ":material/sell:"),
    ("pages/9_Invoices.py", "Invoices", ":material/receipt_long:"),
    ("pages/6_Sync_history.py", "Sync history", ":material/history:"),
)


@derived
def _pages() -> None:
    NAVIGATION[:] = [("streamlit_app.py", "Overview", ":material/dashboard:"),
                     *((e.page, e.label, e.icon) for e in WITH_PAGES), *_ABOUT_THE_MIRROR]
