"""A digest as a message: a plain-text part, an HTML part (every name escaped: names from
BroadStreet are data), Slack/Teams text, and its lists as attachments (one workbook, a
sheet per list, and a spreadsheet-safe CSV per list that has rows)."""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage

import pandas as pd

from ..export.tables import csv_bytes, xlsx_workbook
from ._content import SHOWN_ROWS, Digest, Section

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


def _change(now: dict, before: dict | None, field: str) -> tuple[str, int]:
    """The change on an earlier day, worded, and its direction (1 up, -1 down, 0 none):
    rounded first, so a change too small to show is "no change", never "-0.00 pp"."""
    if before is None:
        return "not in the mirror", 0
    if field == "ctr":
        points = round((now["ctr"] - before["ctr"]) * 100, 2)
        return ("no change", 0) if points == 0 else (f"{points:+.2f} pp", 1 if points > 0 else -1)
    if not before[field]:
        return ("new", 1) if now[field] else ("no change", 0)
    share = round((now[field] - before[field]) / before[field], 3)
    return ("no change", 0) if share == 0 else (f"{share:+.1%}", 1 if share > 0 else -1)


_FIGURES = (("views", "Views"), ("clicks", "Clicks"), ("ctr", "CTR"))


def _shown(now: dict, field: str) -> str:
    return f"{now['ctr']:.2%}" if field == "ctr" else f"{now[field]:,}"


def _figure_lines(d: Digest) -> list[str]:
    now = d.figures.get("yesterday")
    if now is None:
        return [f"The mirror holds no reporting for {d.day} yet."]
    return [f"{label}: {_shown(now, field)} ({_change(now, d.figures.get('day before'), field)[0]} on the day "
            f"before, {_change(now, d.figures.get('week before'), field)[0]} on the same day a week earlier)"
            for field, label in _FIGURES]


def _money_line(d: Digest) -> list[str]:
    if not d.money:
        return []
    m = d.money
    return [f"Money ({m['currency']}): earned yesterday {m['earned']:,.2f} by {m['priced']:,} priced campaign(s); "
            f"at risk {m['at_risk']:,.2f} (behind-pace campaigns' missed goal views at their CPM)."]


def _days_lines(d: Digest) -> list[str]:
    lines = [f"Days are in {d.clock}."]
    if d.days_note:
        lines.append(f"Yesterday is each network's own last complete day: {d.days_note}.")
    return lines


def text(d: Digest) -> str:
    lines = [d.subject, *_days_lines(d), "", *_figure_lines(d), *_money_line(d)]
    for section in d.lists:
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


# Mail clients drop <style> blocks and ignore most layout CSS: every style is inline, the
# layout is tables 600 px wide at most, and colours are plain hex.
_FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2328"
_MUTED = "color:#57606a;font-size:13px"
_CELL = "padding:4px 8px;border-bottom:1px solid #d0d7de;font-size:13px;text-align:left;vertical-align:top"
_TONE = {1: "#1a7f37", -1: "#cf222e", 0: "#57606a"}


def _figure_table(d: Digest) -> str:
    e = html.escape
    now = d.figures.get("yesterday")
    if now is None:
        return f"<p style='{_MUTED}'>{e(_figure_lines(d)[0])}</p>"
    cells = []
    for field, label in _FIGURES:
        changes = []
        for key, words in (("day before", "on the day before"), ("week before", "on the same day a week earlier")):
            said, tone = _change(now, d.figures.get(key), field)
            changes.append(f"<span style='color:{_TONE[tone]}'>{e(said)}</span> {words}")
        cells.append(f"<td width='33%' style='padding:8px;border:1px solid #d0d7de;vertical-align:top'>"
                     f"<div style='{_MUTED}'>{label}</div>"
                     f"<div style='font-size:22px;font-weight:bold'>{e(_shown(now, field))}</div>"
                     f"<div style='{_MUTED}'>{'<br>'.join(changes)}</div></td>")
    return ("<table role='presentation' width='100%' cellpadding='0' cellspacing='0' "
            "style='border-collapse:collapse;margin:8px 0'><tr>" + "".join(cells) + "</tr></table>")


def _section_html(section: Section) -> str:
    e = html.escape
    out = [f"<h3 style='font-size:16px;margin:20px 0 6px'>{e(section.title)} ({len(section.rows)})</h3>"]
    if not section.rows:
        return out[0] + f"<p style='{_MUTED}'>{e(section.empty)}</p>"
    columns = [c for c in section.rows[0] if c != "link"]
    head = "".join(f"<th style='{_CELL};background:#f6f8fa'>{e(c)}</th>" for c in columns)
    body = ""
    for row in section.rows[:SHOWN_ROWS]:
        cells = []
        for c in columns:
            shown = e(_value(row[c], c))
            if c == columns[0] and row.get("link"):
                shown = f"<a href='{e(row['link'], quote=True)}' style='color:#0969da'>{shown}</a>"
            cells.append(f"<td style='{_CELL}'>{shown}</td>")
        body += "<tr>" + "".join(cells) + "</tr>"
    out.append("<table width='100%' cellpadding='0' cellspacing='0' style='border-collapse:collapse'>"
               f"<tr>{head}</tr>{body}</table>")
    if len(section.rows) > SHOWN_ROWS:
        out.append(f"<p style='{_MUTED}'>… and {len(section.rows) - SHOWN_ROWS} more in the attachments.</p>")
    return "".join(out)


def html_body(d: Digest) -> str:
    """The HTML part: one centred column 600 px wide at most, every style inline."""
    e = html.escape
    parts = [f"<h2 style='font-size:20px;margin:0 0 4px'>{e(d.subject)}</h2>",
             *(f"<p style='{_MUTED};margin:2px 0'>{e(line)}</p>" for line in _days_lines(d)),
             _figure_table(d), *(f"<p style='font-size:13px;margin:4px 0'>{e(line)}</p>" for line in _money_line(d)),
             *(_section_html(s) for s in d.lists),
             f"<p style='{_MUTED};margin-top:20px'>{e(d.freshness)}</p>"]
    if d.problems:
        parts.append("<p style='color:#cf222e;font-size:13px'>Syncs with problems since the last digest:</p><ul>"
                     + "".join(f"<li style='font-size:13px'>{e(p)}</li>" for p in d.problems) + "</ul>")
    if d.dashboard:
        parts.append(f"<p><a href='{e(d.dashboard, quote=True)}' style='color:#0969da'>Open the dashboard</a></p>")
    return (f"<!DOCTYPE html><html><body style='margin:0;padding:0;background:#f6f8fa'>"
            f"<table role='presentation' width='100%' cellpadding='0' cellspacing='0'><tr><td align='center'>"
            f"<table role='presentation' width='600' cellpadding='0' cellspacing='0' "
            f"style='max-width:600px;width:100%;background:#ffffff;{_FONT}'><tr><td style='padding:16px'>"
            + "".join(parts) + "</td></tr></table></td></tr></table></body></html>")


def slack_text(d: Digest) -> str:
    """The text field for a Slack or Teams incoming webhook (counts and the first rows)."""
    lines = [f"*{d.subject}*", *_days_lines(d)[1:], *_figure_lines(d), *_money_line(d)]
    for section in d.lists:
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
    frames = {s.key: _frame(s) for s in d.lists}
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
