"""Exports a spreadsheet can open safely: hostile names never become formulas, numbers stay
numbers, and Excel files have typed columns.  Every download goes through bs_core.export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from bs_core.export.tables import csv_bytes, neutralise, xlsx_bytes
from bs_core.ui.frames import campaigns_frame

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['=HYPERLINK("http://evil.example","Run of site")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_would_start_a_formula_is_prefixed(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Spring Promo", "", 5, -5, 0.0123, -1.5, None, dt.date(2026, 1, 1)])
def test_everything_else_is_left_as_it_is(value):
    assert neutralise(value) == value


def _campaigns(names):
    rows = [{"_id": 330900 + i, "name_clean": name, "advertiser_name": name, "status": "running",
             "starts_on": dt.datetime(2026, 11, 1), "ends_on": None if i % 2 else dt.datetime(2026, 12, 24),
             "views": 1000 * (i + 1), "clicks": 7 * (i + 1), "ctr": 0.007, "placement_count": i,
             "network_name": "Gazette", "weight": "default", "path": f"/networks/1/campaigns/{330900 + i}"}
            for i, name in enumerate(names)]
    return campaigns_frame(rows)


def test_a_campaigns_csv_neutralises_hostile_names_and_keeps_numbers():
    frame = _campaigns(HOSTILE)
    frame.loc[0, "Clicks"] = -3  # a negative figure is a number, not a formula
    rows = list(csv.DictReader(io.StringIO(csv_bytes(frame).decode(), newline="")))
    assert [r["Name"] for r in rows] == ["'" + name for name in HOSTILE]
    assert [r["Advertiser"] for r in rows] == ["'" + name for name in HOSTILE]
    assert rows[0]["Clicks"] == "-3" and rows[1]["Views"] == "2000" and rows[0]["ID"] == "330900"
    # a share is a percentage in a column that says so; an end date column holds dates only
    assert "CTR" not in rows[0] and rows[0]["CTR %"] == "0.7"
    assert (rows[0]["End"], rows[0]["Open-ended"]) == ("2026-12-24", "")
    assert (rows[1]["End"], rows[1]["Open-ended"]) == ("", "yes")


def test_an_excel_export_is_typed_safe_and_frozen():
    frame = _campaigns(HOSTILE[:2] + ["Spring Promo"])
    book = load_workbook(io.BytesIO(xlsx_bytes(frame, "campaigns")))
    ws = book["campaigns"]
    header = [c.value for c in ws[1]]
    assert header == list(frame.columns) and all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    col = {name: i + 1 for i, name in enumerate(header)}
    first = {name: ws.cell(row=2, column=col[name]) for name in header}
    # the name exactly as BroadStreet has it, typed as text: a workbook cell never becomes a formula
    assert first["Name"].value == HOSTILE[0] and first["Name"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(frame, "campaigns"))) as raw:
        sheet = raw.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere in the file
    assert first["CTR"].value == pytest.approx(0.007) and first["CTR"].number_format == "0.00%"
    assert first["ID"].value == 330900 and isinstance(first["ID"].value, int)
    assert first["Start"].is_date and first["Start"].value.date() == dt.date(2026, 11, 1)
    assert ws.cell(row=3, column=col["End"]).value is None  # open-ended: no date
    assert first["Views"].value == 1000 and ws.max_row == 4


def test_missing_values_in_any_column_export_and_counts_stay_whole():
    """A nullable column's missing value (pd.NA) once crashed the Excel export; a count
    with a missing value was written "89032.0" in CSV."""
    frame = pd.DataFrame({"Name": ["a", "b"], "Views": pd.array([89032, None], dtype="Int64"),
                          "Delivered": [89032.0, None], "Pacing": [1.0, None], "Start": [None, None]})
    book = load_workbook(io.BytesIO(xlsx_bytes(frame, "x")))
    ws = book["x"]
    assert [c.value for c in ws[2]] == ["a", 89032, 89032, 1.0, None]
    assert all(c.value is None for c in list(ws[3])[1:])
    rows = list(csv.DictReader(io.StringIO(csv_bytes(frame).decode(), newline="")))
    assert rows[0]["Views"] == "89032" and rows[0]["Delivered"] == "89032" and rows[1]["Delivered"] == ""


def test_every_download_goes_through_the_one_exporter():
    """A download written anywhere else could skip the neutralising: only ui/tables.py
    calls st.download_button, and its data comes from bs_core.export."""
    callers = [p for p in [*ROOT.joinpath("bs_core").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"),
                           ROOT / "streamlit_app.py"] if "download_button(" in p.read_text()]
    assert [str(p.relative_to(ROOT)) for p in callers] == ["bs_core/ui/tables.py"]
    source = (ROOT / "bs_core/ui/tables.py").read_text()
    assert "export.csv_bytes" in source and "export.xlsx_bytes" in source and "to_csv(" in source
