"""Rows that stay readable at any width: parts of a fixed width side by side that wrap
onto the next line instead of cutting their text ("4,7…", "runnin g"), key figures
(``st.metric``) in such rows, and the page style they need.

Five figures fit on a line at 1,400 px, three at 1,000 px.  The figures' font shrinks a
little on narrow windows, and the page's side padding does too, so a seven-digit count
and a two-word label fit their width."""

from __future__ import annotations

import streamlit as st

METRIC_WIDTH = 170  # px: "4,727,261" at the largest font, "Scheduled campaigns", "+2,170,214 (+84.9%)"

PAGE_STYLE = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.5rem, 2.4vw, 2rem); }
@media (max-width: 1200px) {
  [data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; }
}
</style>"""


def wrapping_row(*widths: int | str, gap: str = "small", align: str = "top", inner_gap: str | None = None) -> list:
    """Containers side by side, each ``width`` px (or "content") wide, in a row that wraps
    on a narrow window; ``inner_gap`` spaces what each one holds (none: a label and its value)."""
    row = st.container(horizontal=True, vertical_alignment=align, gap=gap)
    return [row.container(width=width, gap=inner_gap) for width in widths]


class MetricRow:
    """``row = MetricRow(); row.add("Views", "1,204", delta=...)``: figures side by side."""

    def __init__(self, where=st) -> None:
        self._box = where.container(horizontal=True, gap="small")

    def add(self, label: str, value: str, **kwargs) -> None:
        self._box.metric(label, value, width=METRIC_WIDTH, **kwargs)


def page_style() -> None:
    st.html(PAGE_STYLE)
