"""Plain formatting for the screen (no Streamlit here, so it is testable)."""

from __future__ import annotations

import datetime as dt

from ..entities import ENTITIES

PHASE_LABELS = {**{e.name: e.label for e in ENTITIES.values()}, "stats": "Reporting stats"}
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


def failure_text(run: dict) -> str:
    """A failed or partial run in plain words, e.g. 'BroadStreet rejected the token'."""
    errors = run.get("errors") or []
    if run.get("status") == "partial":
        scopes = ", ".join(e.get("scope", "?") for e in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        return f"The last sync finished partially: {scopes}{more} could not be fetched; the previous data is kept."
    plain = errors[-1].get("plain") if errors else None
    return f"The last sync failed: {plain or 'unknown error'}. The previous data is still shown."


def dashboard_link(path: str | None) -> str | None:
    return f"{BROADSTREET_DASHBOARD}{path}" if path else None
