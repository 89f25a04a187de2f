"""Plain formatting for the screen (no Streamlit here, so it is testable).

Names from BroadStreet are data: wherever Streamlit would read text as Markdown (labels,
radio options, captions, toasts) it goes through :func:`plain`; plotly labels go through
:func:`chart_text`; long names are shortened with :func:`short`.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from ..entities import ENTITIES, derived

PHASE_LABELS: dict[str, str] = {}
#: what run counts are kept per: the entity collections and the reporting ones
COLLECTION_LABELS: dict[str, str] = {}


@derived
def _labels() -> None:
    PHASE_LABELS.clear()
    PHASE_LABELS.update({**{e.name: e.label for e in ENTITIES.values()}, "stats": "Reporting stats"})
    COLLECTION_LABELS.clear()
    COLLECTION_LABELS.update({**PHASE_LABELS, "stats_daily": "Daily campaign stats rows",
                              "stats_zone_daily": "Daily zone stats rows",
                              "stats_campaign_zone_daily": "Daily campaign-in-zone stats rows",
                              "stats_hours": "Hour-of-day stats rows"})


BROADSTREET_DASHBOARD = "https://my.broadstreetads.com"


def relative_time(when: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'just now', '12 minutes ago', '3 hours ago', '2 days ago' (naive datetimes are UTC)."""
    if when is None:
        return "never"
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    seconds = int((now - when).total_seconds())
    if seconds < 45:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size) if unit == "minute" else seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return f"{seconds} seconds ago"


def timestamp(when: dt.datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "never"


def progress_text(phase: str | None, progress: dict) -> str:
    """'Placements 1,240 / 4,400' for the current phase of a running sync."""
    if not phase:
        return "Starting…"
    entry = progress.get(phase, {})
    return f"{PHASE_LABELS.get(phase, phase)} {entry.get('done', 0):,} / {entry.get('total', 0):,}"


def progress_fraction(progress: dict) -> float:
    done = sum(v.get("done", 0) for v in progress.values())
    total = sum(v.get("total", 0) for v in progress.values())
    return min(done / total, 1.0) if total else 0.0


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """``text`` with every Markdown (and Streamlit directive) character escaped: shown as typed."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def short(text: object, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full text goes in a tooltip)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def chart_text(text: object, limit: int = 40) -> str:
    """A label for a plotly chart: shortened, and HTML-escaped (plotly renders tags, but
    shows ``&quot;`` as typed: quotes stay as they are)."""
    return html.escape(short(text, limit), quote=False)


def chart_label(name: object, ident: object, limit: int = 40) -> str:
    """ "Spring sale … (104137)": the name shortened so that the label fits ``limit`` and
    still ends in its id, which tells apart names that repeat."""
    suffix = f" ({ident})"
    name = " ".join(str(name or "").split())
    if not name:
        return str(ident)
    return chart_text(name, max(limit - len(suffix), 8)) + html.escape(suffix, quote=False)


def failure_text(run: dict) -> str:
    """A failed, partial or cancelled run in plain words: what failed (named), the cause,
    and that the previous data is kept, e.g. "The last sync failed: BroadStreet had a
    server error (HTTP 503) for campaigns of advertiser Lakeside Bakery (104137) and 44
    more. Nothing else changed; the previous data is kept."."""
    errors = run.get("errors") or []
    status = run.get("status")
    lead = {"partial": "finished partially", "cancelled": "was cancelled"}.get(status, "failed")
    if status == "cancelled" and all(e.get("scope") == "run" for e in errors):
        return "The last sync was cancelled. What it had written stays; the rest of the mirror is as before."
    groups: dict[tuple[str, str], list[str]] = {}
    for e in errors:
        groups.setdefault((e.get("plain") or "unknown error", e.get("cause") or ""), []).append(e.get("scope", "?"))
    parts = []
    for (words, cause), scopes in list(groups.items())[:3]:
        named = [s for s in scopes if s != "run"]
        where = f" for {named[0]}" + (f" and {len(named) - 1} more" if len(named) > 1 else "") if named else ""
        parts.append(f"{words}{f' ({cause})' if cause else ''}{where}")
    kept = "the previous data is kept" if status != "partial" else "everything else was updated; what failed keeps its previous data"
    return f"The last sync {lead}: {'; '.join(parts) or 'unknown error'}. {kept[0].upper()}{kept[1:]}."


def change_summary(run: dict) -> str:
    """ "Done in 6 s: 3 campaigns updated, 1 added, 12 placements removed" (or "no changes")."""
    parts = []
    for name, c in (run.get("counts") or {}).items():
        noun = COLLECTION_LABELS.get(name, name).lower()
        for key, verb in (("inserted", "added"), ("updated", "updated"), ("deleted", "removed")):
            if c.get(key):
                parts.append(f"{count_of(c[key], noun)} {verb}")
    took = run.get("duration_s") or 0
    verb = {"success": "Done", "partial": "Finished partially", "failed": "Failed",
            "cancelled": "Cancelled"}.get(run.get("status"), "Finished")
    return f"{verb} in {took:.0f} s: {', '.join(parts[:6]) if parts else 'no changes'}"


def count_of(n: int, plural: str) -> str:
    """ "1 campaign", "3 campaigns", "1 daily zone stats row" (``plural`` ends in s)."""
    return f"{n:,} {plural[:-1] if n == 1 and plural.endswith('s') else plural}"


def waiting_text(waiting: dict | None, now: dt.datetime | None = None) -> str | None:
    """What a running sync waits on during retries, while that wait lasts."""
    if not waiting or not waiting.get("until"):
        return None
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    left = (waiting["until"] - now).total_seconds()
    if left < -2:
        return None
    return (f"Waiting on {waiting.get('what')}: {waiting.get('cause')}, attempt {waiting.get('attempt')} of "
            f"{waiting.get('attempts')}, next try in {max(left, 0):.0f} s")


def change(now: float, before: float | None) -> str | None:
    """A KPI's change against the previous period: "+1,204 (+12.3%)", "no change" (None:
    nothing to compare)."""
    if before is None:
        return None
    diff = now - before
    if diff == 0:
        return "no change"
    share = f" ({diff / before:+.1%})" if before else ""
    return f"{diff:+,}{share}"


def metric_delta(delta: str | None) -> dict:
    """``st.metric`` arguments for a change: "no change" is grey with no arrow (Streamlit
    would draw it green and rising)."""
    if delta == "no change":
        return {"delta": delta, "delta_color": "off", "delta_arrow": "off"}
    return {"delta": delta}


def dashboard_link(path: str | None) -> str | None:
    return f"{BROADSTREET_DASHBOARD}{path}" if path else None
