"""The table pattern shared by the entity pages: pagination, a dataframe, CSV export."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import streamlit as st

PAGE_SIZES = (25, 50, 100, 250)


def page_controls(key: str, total: int) -> tuple[int, int]:
    """Page size and page number widgets; returns (page, page_size)."""
    left, right = st.columns([1, 3])
    size = left.selectbox("Rows per page", PAGE_SIZES, index=1, key=f"f_{key}_size")
    pages = max(1, -(-total // size))
    if st.session_state.get(f"f_{key}_page", 1) > pages:
        st.session_state[f"f_{key}_page"] = 1
    page = right.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=f"f_{key}_page")
    return int(page), size


def showing(total: int, page: int, size: int, noun: str) -> None:
    if total == 0:
        st.info(f"No {noun} match these filters.")
        return
    first = (page - 1) * size + 1
    st.caption(f"{noun.capitalize()} {first:,}–{min(first + size - 1, total):,} of {total:,}")


def to_csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def csv_button(label: str, make_frame: Callable[[], pd.DataFrame], file_name: str, key: str) -> None:
    """A download button whose CSV is built only when clicked (all filtered rows)."""
    st.download_button(label, data=lambda: to_csv(make_frame()), file_name=file_name, mime="text/csv",
                       key=key, icon=":material/download:", on_click="ignore")
