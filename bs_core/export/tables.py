"""Exports a spreadsheet can open safely: one place that turns a table into CSV or Excel
bytes, used by every download of the dashboard.

Names come from BroadStreet and are data: a campaign renamed ``=HYPERLINK("http://…")``
must not become a formula when the file is opened.  Every text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, as OWASP
recommends for CSV injection; numbers stay numbers (a negative figure is a number, not
text).  Excel files get typed columns: dates as dates, CTR as a percentage, ids as whole
numbers, a bold header row and frozen panes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import pandas as pd

#: what makes a spreadsheet read a text cell as a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT_COLUMNS = ("CTR", "Pacing")  # stored as a fraction (0.0123), shown as 1.23%
MAX_SHEET_TITLE = 31  # Excel's limit


def neutralise(value: Any) -> Any:
    """``value`` as a spreadsheet cell must hold it: text that would start a formula is
    prefixed with ``'``; everything else (numbers included) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and headers) are neutralised."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV with its headers, safe to open in a spreadsheet: shares
    (CTR, pacing) as percentages in a column that says so ("CTR %": 1.23), and an end
    date column holding dates only (open-ended campaigns in an "Open-ended" column)."""
    buf = io.StringIO()
    # RFC 4180 line ends: a field holding a carriage return is then quoted, not split
    safe_frame(_whole_numbers(_for_csv(df))).to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue().encode()


def _for_csv(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for column in list(out.columns):
        if _is_share(str(column)) and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = (out[column] * 100).round(4)
            out = out.rename(columns={column: f"{column} %"})
    if "End" in out.columns and (out["End"] == "open-ended").any():
        at = list(out.columns).index("End") + 1
        out.insert(at, "Open-ended", (out["End"] == "open-ended").map({True: "yes", False: ""}))
        out["End"] = out["End"].where(out["End"] != "open-ended", "")
    return out


def _whole_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers: a count column with a missing value is float in pandas, and
    would be written "89032.0"; shares (CTR, pacing) stay fractions."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if (pd.api.types.is_float_dtype(values) and not _is_share(str(column)) and values.notna().any()
                and (values.dropna() % 1 == 0).all()):
            out[column] = values.astype("Int64")
    return out


def _is_share(column: str) -> bool:
    """A column of fractions (0.0123 for 1.23%): CTR and pacing, whatever their period."""
    return column in PERCENT_COLUMNS or column.lower() in ("ctr", "pacing") or column.startswith("CTR ")


def xlsx_bytes(df: pd.DataFrame, sheet: str = "Export") -> bytes:
    """The table as an Excel workbook: typed columns, a bold header, frozen panes."""
    return xlsx_workbook({sheet: df})


def xlsx_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Several tables as the sheets of one workbook (a digest's lists), each as
    :func:`xlsx_bytes` writes one."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, df in sheets.items():
        _write_sheet(book.create_sheet("".join(ch for ch in title if ch not in "[]:*?/\\")[:MAX_SHEET_TITLE]
                                       or "Export"), df)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _write_sheet(ws, df: pd.DataFrame) -> None:
    from openpyxl.styles import Font

    typed = _whole_numbers(df.apply(_iso_days) if len(df.columns) else df)
    # In a workbook a text cell is typed text, never a formula: names are written exactly as
    # BroadStreet has them (no CSV-safety apostrophe), and marked as strings, since openpyxl
    # otherwise takes a str that starts with "=" for a formula.
    ws.append([str(c) for c in typed.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    for row in typed.itertuples(index=False):
        ws.append([_cell(v) for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for index, column in enumerate(typed.columns, start=1):
        fmt = _number_format(str(column), typed[column])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
        width = max([len(str(column))] + [len(str(v)) for v in df[column].head(200)]) + 2
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = min(width, 60)
    ws.freeze_panes = "A2"


#: what a date column holds where there is no date ("—", or "open-ended" for an end)
NO_DATE = ("", "—", "open-ended")


def _iso_days(values: pd.Series) -> pd.Series:
    """A column of YYYY-MM-DD texts (and placeholders) as dates, so Excel sorts and filters
    them as dates; any other column as it is."""
    texts = [v for v in values if isinstance(v, str) and v not in NO_DATE]
    if not texts or len(texts) + sum(v in NO_DATE or v is None for v in values) != len(values):
        return values
    try:
        days = {v: dt.date.fromisoformat(v) for v in texts if len(v) == 10}
    except ValueError:
        return values
    if len(days) != len(set(texts)):
        return values
    return values.map(lambda v: days.get(v, None if v in NO_DATE else v))


def _cell(value: Any) -> Any:
    """A pandas value as openpyxl stores it (missing values as empty cells)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None  # pd.NA: a nullable column's missing value (openpyxl refuses it)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return value.item()
    return value


def _number_format(column: str, values: pd.Series) -> str | None:
    if _is_share(column):
        return "0.00%"
    if column == "ID" or column.endswith(" ID"):
        return "0"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "yyyy-mm-dd hh:mm"
    sample = values.dropna().head(50)
    if len(sample) and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in sample):
        return "yyyy-mm-dd"
    return None


INVOICE_COLUMNS = {"campaign_id": "Campaign ID", "campaign": "Campaign", "views": "Views", "clicks": "Clicks",
                   "model": "Model", "rate": "Rate", "capped": "Capped", "amount": "Amount"}


def by_advertiser(rows: list[dict]) -> dict[object, list[dict]]:
    """``report invoice`` rows per advertiser id, in the rows' order."""
    out: dict[object, list[dict]] = {}
    for r in rows:
        out.setdefault(r["advertiser_id"], []).append(r)
    return out


def advertiser_sheet(found: list[dict]) -> pd.DataFrame:
    """One advertiser's invoice: a row per campaign, then a total row."""
    frame = pd.DataFrame([{label: r.get(field) for field, label in INVOICE_COLUMNS.items()} for r in found])
    total = {"Campaign": "Total", "Views": int(frame["Views"].sum()), "Clicks": int(frame["Clicks"].sum()),
             "Amount": round(float(frame["Amount"].fillna(0).sum()), 2)}
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def invoice_summary(groups: dict[object, list[dict]]) -> pd.DataFrame:
    """A row per advertiser (campaigns, views, clicks, amount), then a total row."""
    head = pd.DataFrame([{"Advertiser ID": ident, "Advertiser": found[0].get("advertiser") or "",
                          "Campaigns": len(found), "Views": sum(r["views"] or 0 for r in found),
                          "Clicks": sum(r["clicks"] or 0 for r in found),
                          "Amount": round(sum(r["amount"] or 0 for r in found), 2)}
                         for ident, found in groups.items()],
                        columns=["Advertiser ID", "Advertiser", "Campaigns", "Views", "Clicks", "Amount"])
    if len(head):
        head = pd.concat([head, pd.DataFrame([{"Advertiser": "Total", "Campaigns": int(head["Campaigns"].sum()),
                                                "Views": int(head["Views"].sum()),
                                                "Clicks": int(head["Clicks"].sum()),
                                                "Amount": round(float(head["Amount"].sum()), 2)}])],
                         ignore_index=True)
    return head


def invoice_frames(rows: list[dict]) -> dict[str, pd.DataFrame]:
    """``report invoice`` rows as a summary sheet and a sheet per advertiser, each with a total
    row: ``{"Summary": ..., "Name (ID)": ...}`` (titles cut to Excel's 31 characters, the id kept)."""
    groups = by_advertiser(rows)
    sheets = {}
    for ident, found in groups.items():
        suffix = f" ({ident})"
        name = "".join(ch for ch in found[0].get("advertiser") or "" if ch not in "[]:*?/\\")
        sheets[name[:MAX_SHEET_TITLE - len(suffix)] + suffix] = advertiser_sheet(found)
    return {"Summary": invoice_summary(groups), **sheets}


def invoice_workbook(rows: list[dict]) -> bytes:
    """The month's invoice as Excel: a summary, then a sheet per advertiser."""
    return xlsx_workbook(invoice_frames(rows))
