"""A digest as a message: a plain-text part, an HTML part (every name escaped: names from
BroadStreet are data), Slack/Teams text, and its lists as attachments (one workbook, a
sheet per list, and a spreadsheet-safe CSV per list that has rows)."""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage

import pandas as pd

from ..export import csv_bytes, xlsx_workbook
from .content import SHOWN_ROWS, Digest, Section

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(value: object, column: str = "") -> str:
    if value is None:
        return "—"
    if column == "ID" or column.endswith(" ID"):
        return str(value)  # ids are names, not amounts: no separators
    if isinstance(value, float):
        return f"{value:.0%}"  # the only fractions listed are pacing shares
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())  # a name's newlines and tabs never break a line


def _change(now: dict, before: dict | None, field: str) -> str:
    if before is None:
        return "not in the mirror"
    if field == "ctr":
        return f"{(now['ctr'] - before['ctr']) * 100:+.2f} pp"
    if not before[field]:
        return "new" if now[field] else "no change"
    return f"{(now[field] - before[field]) / before[field]:+.1%}"


def _figure_lines(d: Digest) -> list[str]:
    now = d.figures.get("yesterday")
    if now is None:
        return [f"The mirror holds no reporting for {d.day} yet."]
    out = []
    for field, label in (("views", "Views"), ("clicks", "Clicks"), ("ctr", "CTR")):
        value = f"{now['ctr']:.2%}" if field == "ctr" else f"{now[field]:,}"
        out.append(f"{label}: {value} ({_change(now, d.figures.get('day before'), field)} on the day before, "
                   f"{_change(now, d.figures.get('week before'), field)} on the same day a week earlier)")
    return out


def text(d: Digest) -> str:
    lines = [d.subject, f"Days are in {d.clock}.", "", *_figure_lines(d)]
    for section in d.sections:
        lines += ["", f"{section.title} ({len(section.rows)})"]
        if not section.rows:
            lines.append(f"  {section.empty}")
        for row in section.rows[:SHOWN_ROWS]:
            cells = ", ".join(f"{k}: {_value(v, k)}" for k, v in row.items() if k not in ("link",))
            lines.append(f"  - {cells}" + (f"\n    {row['link']}" if row.get("link") else ""))
        if len(section.rows) > SHOWN_ROWS:
            lines.append(f"  ... and {len(section.rows) - SHOWN_ROWS} more in the attachments")
    lines += ["", d.freshness]
    if d.problems:
        lines += ["Syncs with problems since the last digest:", *[f"  - {p}" for p in d.problems]]
    if d.dashboard:
        lines += ["", f"Dashboard: {d.dashboard}"]
    return "\n".join(lines) + "\n"


def html_body(d: Digest) -> str:
    e = html.escape
    parts = [f"<h2>{e(d.subject)}</h2>", f"<p style='color:#57606a'>Days are in {e(d.clock)}.</p>",
             "<ul>" + "".join(f"<li>{e(line)}</li>" for line in _figure_lines(d)) + "</ul>"]
    for section in d.sections:
        parts.append(f"<h3>{e(section.title)} ({len(section.rows)})</h3>")
        if not section.rows:
            parts.append(f"<p>{e(section.empty)}</p>")
            continue
        columns = [c for c in section.rows[0] if c != "link"]
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{e(c)}</th>" for c in columns)
        body = ""
        for row in section.rows[:SHOWN_ROWS]:
            cells = []
            for c in columns:
                shown = e(_value(row[c], c))
                if c == columns[0] and row.get("link"):
                    shown = f"<a href='{e(row['link'], quote=True)}'>{shown}</a>"
                cells.append(f"<td style='padding:2px 8px'>{shown}</td>")
            body += "<tr>" + "".join(cells) + "</tr>"
        parts.append(f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table>")
        if len(section.rows) > SHOWN_ROWS:
            parts.append(f"<p>… and {len(section.rows) - SHOWN_ROWS} more in the attachments.</p>")
    parts.append(f"<p>{e(d.freshness)}</p>")
    if d.problems:
        parts.append("<p>Syncs with problems since the last digest:</p><ul>"
                     + "".join(f"<li>{e(p)}</li>" for p in d.problems) + "</ul>")
    if d.dashboard:
        parts.append(f"<p><a href='{e(d.dashboard, quote=True)}'>Open the dashboard</a></p>")
    return "<html><body style='font-family:sans-serif'>" + "".join(parts) + "</body></html>"


def slack_text(d: Digest) -> str:
    """The text field for a Slack or Teams incoming webhook (counts and the first rows)."""
    lines = [f"*{d.subject}*", *_figure_lines(d)]
    for section in d.sections:
        names = ", ".join(_value(next(iter(r.values()))) for r in section.rows[:5])
        more = f" and {len(section.rows) - 5} more" if len(section.rows) > 5 else ""
        lines.append(f"{section.title}: {len(section.rows)}" + (f" ({names}{more})" if names else ""))
    lines.append(d.freshness)
    lines += [f"Problem: {p}" for p in d.problems]
    if d.dashboard:
        lines.append(d.dashboard)
    return "\n".join(lines)


def attachments(d: Digest) -> list[tuple[str, str, bytes]]:
    """``(file name, content type, bytes)``: the workbook, then a CSV per list with rows."""
    frames = {s.key: _frame(s) for s in d.sections}
    out = [(f"digest-{d.day}.xlsx", XLSX, xlsx_workbook(frames))]
    out += [(f"{key}-{d.day}.csv", "text/csv", csv_bytes(df)) for key, df in frames.items() if len(df)]
    return out


def _frame(section: Section) -> pd.DataFrame:
    return pd.DataFrame(section.table())


def message(d: Digest, sender: str, to: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = d.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg.set_content(text(d))
    msg.add_alternative(html_body(d), subtype="html")
    for name, ctype, data in attachments(d):
        main, sub = ctype.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg
