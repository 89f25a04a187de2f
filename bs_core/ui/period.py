"""The reporting period a page shows figures for: a date-range picker bounded to the days
the mirror covers, and a clear line instead of figures when a period is not covered."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ..read.reporting import Coverage
from .filter_state import forget_filter

DEFAULT_DAYS = 30


def coverage_line(coverage: Coverage, today: dt.date, complete: Coverage | None = None) -> str:
    """ "Reporting in the mirror: 2026-09-01 to 2026-11-29 (90 days, UTC dates); today is a partial day."

    With ``complete`` (the coverage cut to complete days, which the period picker offers),
    the line quotes that range, the same one any clamp message under it quotes."""
    if complete is not None and complete.last != coverage.last:
        return (f"Complete days in the mirror: {complete.describe()}; the days after {complete.last} are "
                "under way and left out.")
    partial = "; today is a partial day" if coverage.last == today else ""
    return f"Reporting in the mirror: {coverage.describe()}{partial}."


def default_period(coverage: Coverage, days: int = DEFAULT_DAYS,
                   today: dt.date | None = None) -> tuple[dt.date, dt.date] | None:
    """The last ``days`` days the mirror holds, complete days only (ending yesterday)
    when ``today`` is given: a young partial day is not compared with whole ones."""
    if coverage.last is None:
        return None
    last = min(coverage.last, today - dt.timedelta(days=1)) if today is not None else coverage.last
    return coverage.clip(last - dt.timedelta(days=days - 1), last) or coverage.clip(coverage.last, coverage.last)


def _is_range(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(d, dt.date) for d in value)


def period_picker(coverage: Coverage, key: str, where=st, label: str = "Period",
                  today: dt.date | None = None, notes=st) -> tuple[dt.date, dt.date] | None:
    """Draw the picker in ``where``; return the period to show figures for, or None (and
    say why in ``notes``, full width) when there is none: no reporting yet, an unfinished
    pick, or days missing inside the mirror's range.

    A period asked for by a link that the mirror does not hold all of is clamped to the
    days it does hold (or, with none in common, the default period), and the line says
    what was asked and what is shown; the picker and the URL show the same period."""
    state = st.session_state
    if coverage.first is None:
        notes.info("No reporting days are in the mirror yet; the next sync fetches them.",
                   icon=":material/hourglass_top:")
        return None
    asked = state.get(f"{key}_asked")  # said until the user picks another period
    value = state.get(key)
    if not _is_range(value) or not (coverage.first <= value[0] and value[1] <= coverage.last):
        if _is_range(value) and asked is None:
            asked = value  # kept from before the coverage changed
        state[key] = (coverage.clip(*value) if _is_range(value) else None) or default_period(coverage, today=today)
    picked = where.date_input(label, min_value=coverage.first, max_value=coverage.last, key=key,
                              format="YYYY-MM-DD", on_change=lambda: forget_filter(f"{key}_asked"),
                              help=f"Reporting days the mirror holds: {coverage.describe()}.")
    if not _is_range(picked):
        notes.caption("Pick the last day of the period.")
        return None
    if _is_range(asked) and not coverage.covers(*asked):
        notes.warning(f"The period asked for, {asked[0]} to {asked[1]}, is not all in the mirror, which holds "
                      f"reporting for {coverage.describe()}: the figures are for {picked[0]} to {picked[1]}.",
                      icon=":material/date_range:")
    if not coverage.covers(*picked):
        missing = [d for d in coverage.missing if picked[0] <= d <= picked[1]]
        notes.warning(f"The mirror lacks reporting for {len(missing)} day(s) of this period (first "
                      f"{missing[0]}); the next sync fetches them. Figures are not shown for part of a period.",
                      icon=":material/date_range:")
        return None
    return picked
