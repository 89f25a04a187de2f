"""Filters that survive page switches.

Streamlit forgets a widget's value when the page that drew it is left: at the end of
every run on another page, including the reruns of a fragment there (Sync history's run
list refreshes every 2 s).  Re-assigning the value at the top of each page is not enough
after such a fragment rerun, so each page run also copies the filters (session keys that
start with ``f_``) under a key no widget owns, and puts back what Streamlit dropped."""

from __future__ import annotations

import streamlit as st

FILTER_PREFIX = "f_"  # session-state keys of filters that survive page switches
KEPT = "_kept_filters"  # their copy, which Streamlit never cleans up


def keep_filters() -> None:
    state = st.session_state
    kept = state.setdefault(KEPT, {})
    for key in list(state):
        if isinstance(key, str) and key.startswith(FILTER_PREFIX):
            kept[key] = state[key]
    for key, value in kept.items():
        state[key] = value  # re-assigned: a value set through session state outlives its widget


def forget_filter(key: str) -> None:
    """Drop a filter's value and its copy (Clear filters; a notice that was said)."""
    st.session_state.pop(key, None)
    st.session_state.get(KEPT, {}).pop(key, None)
