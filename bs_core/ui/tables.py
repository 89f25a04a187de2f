"""The table pattern shared by the entity pages: pagination, a dataframe, CSV and Excel export."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..export import tables as export
from ..read import Page
from .columns import MISSING

PAGE_SIZES = (25, 50, 100, 250)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paged(key: str, fetch: Callable[[int, int], Page], noun: str) -> Page:
    """Fetch one page (one query: the total comes with it), then draw the page controls
    and the "rows x-y of n" line.  A page number past the end (filters changed) goes to 1."""
    state = st.session_state
    size = state.setdefault(f"f_{key}_size", 50)
    page = state.setdefault(f"f_{key}_page", 1)
    result = fetch(page, size)
    if page > result.pages:
        state[f"f_{key}_page"] = page = 1
        result = fetch(1, size)
    row = st.container(horizontal=True, gap="medium")  # fixed widths: "50" is never cut to "5"
    row.selectbox("Rows per page", PAGE_SIZES, key=f"f_{key}_size", width=130)
    row.number_input(f"Page (of {result.pages:,})", min_value=1, max_value=result.pages, step=1,
                     key=f"f_{key}_page", width=200)
    showing(result.total, page, size, noun)
    return result


def showing(total: int, page: int, size: int, noun: str) -> None:
    if total == 0:
        st.info(f"No {noun} match these filters.")
        return
    first = (page - 1) * size + 1
    st.caption(f"{noun.capitalize()} {first:,}–{min(first + size - 1, total):,} of {total:,}")


LINK_COLUMNS = ("BroadStreet", "Website", "Preview")  # a click there follows the link, not the row


def clickable(df: pd.DataFrame, key: str, ids: list, on_pick: Callable[[int], None], **table_args) -> None:
    """A table where clicking a row (its checkbox or any cell but a link) calls
    ``on_pick(id of that row)``.

    Streamlit reports a selection only when it changes, so :func:`forget_click` gives the
    table a new widget key: the same row can then be clicked again after its detail closed."""
    widget = f"{key}_{st.session_state.get(f'_{key}_generation', 0)}"

    def picked() -> None:
        selection = st.session_state[widget].selection
        rows = list(selection.rows) or [row for row, column in selection.cells if column not in LINK_COLUMNS]
        if rows and rows[0] < len(ids):
            on_pick(ids[rows[0]])

    st.dataframe(df, key=widget, on_select=picked, selection_mode=["single-row", "single-cell"], hide_index=True, placeholder=MISSING,
                 **table_args)


def forget_click(key: str) -> None:
    st.session_state[f"_{key}_generation"] = st.session_state.get(f"_{key}_generation", 0) + 1


def to_csv(df: pd.DataFrame) -> bytes:
    """Every CSV the dashboard offers: safe to open in a spreadsheet (``bs_core.export``)."""
    return export.csv_bytes(df)


def csv_button(label: str, make_frame: Callable[[], pd.DataFrame], file_name: str, key: str) -> None:
    """A CSV download button and an Excel one beside it; each file is built only when its
    button is clicked (all filtered rows), through the one exporter (``bs_core.export``)."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.download_button(label, data=lambda: to_csv(make_frame()), file_name=file_name, mime="text/csv",
                         key=key, icon=":material/download:", on_click="ignore")
    stem = file_name.rsplit(".", 1)[0]
    right.download_button("Excel", data=lambda: export.xlsx_bytes(make_frame(), stem), file_name=f"{stem}.xlsx",
                          mime=XLSX, key=f"{key}_xlsx", icon=":material/table_view:", on_click="ignore",
                          help=f"The same rows as an Excel workbook ({stem}.xlsx)")


def invoice_buttons(rows: list[dict], month: str) -> None:
    """The month's invoice as Excel (a summary and a sheet per advertiser) and as CSV, each
    built only when its button is clicked (seconds for a large account's workbook)."""
    left, right, _ = st.columns([3, 2, 3], vertical_alignment="bottom")
    left.download_button("Download the invoice (Excel)", lambda: export.invoice_workbook(rows),
                         f"invoice-{month}.xlsx", mime=XLSX, key="invoice_xlsx", icon=":material/download:",
                         on_click="ignore")
    right.download_button("Download as CSV", lambda: export.csv_bytes(pd.DataFrame(rows)), f"invoice-{month}.csv",
                          mime="text/csv", key="invoice_csv", icon=":material/download:", on_click="ignore")
