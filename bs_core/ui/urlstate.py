"""Filters and the opened detail in the URL's query parameters, so a copied link opens
the same view.

A page declares its :class:`Param` s.  Before drawing its widgets it calls
:func:`read_url`, which copies the URL's values into the widgets' session state when
the URL is not the one this page last wrote (a pasted link, or a link from another page);
after drawing them it calls :func:`write_url`.  A value that does not parse, or names
something the mirror does not hold, is dropped with one line saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from .filter_state import forget_filter
from .format import plain, short


@dataclasses.dataclass(frozen=True)
class Param:
    name: str  #: in the URL
    key: str  #: the widget's session-state key
    parse: Callable[[str], Any] = str  #: raises ValueError for a bad value
    show: Callable[[Any], str | None] = lambda v: None if v in (None, "", [], ()) else str(v)
    valid: Callable[[Any], bool] = lambda v: True  #: e.g. "is a network in the mirror"
    part: int | None = None  #: for ``from`` / ``to``: which end of a (start, end) in state


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise ValueError("not an id")
    return int(text)


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:  # Python's own words ("Invalid isoformat string") are not the user's
        raise ValueError("not a date; write it as YYYY-MM-DD") from None


def choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        picked = [p.strip().lower() for p in text.split(",") if p.strip()]
        if not picked or any(p not in allowed for p in picked):
            raise ValueError(f"expected some of {', '.join(allowed)}")
        return list(dict.fromkeys(picked))
    return parse


def listed(values: Any) -> str | None:
    return ",".join(values) if values else None


def opened(kind: str) -> Callable[[str], int]:
    """``open=campaign:123`` -> 123 (on the page of that kind)."""
    def parse(text: str) -> int:
        found, _, ident = text.partition(":")
        if found.strip().lower() != kind:
            raise ValueError(f"expected {kind}:ID")
        return positive_int(ident)
    return parse


def owner_params(options: Callable[..., dict], network_key: str, advertiser_key: str | None = None) -> list[Param]:
    """``network`` (and ``advertiser``) parameters.  ``options(collection, network=None)``
    gives the ids the mirror holds; an advertiser is checked against the network chosen
    when it is read (the link's own network comes first)."""
    out = [Param("network", network_key, positive_int, valid=lambda v: v in options("networks"))]

    def advertiser_known(ident: int) -> bool:
        network = st.session_state.get(network_key)
        if ident in options("advertisers", network):
            return True
        if network is not None and ident in options("advertisers"):  # say why, not "not in the mirror"
            raise ValueError(f"in the mirror, but under another network than {network}")
        return False

    if advertiser_key is not None:
        out.append(Param("advertiser", advertiser_key, positive_int, valid=advertiser_known))
    return out


def sort_params(labels: list[str], sort_key: str, desc_key: str, default: str) -> list[Param]:
    """``sort`` (a sort's label, any case: ``sort=end+date``) and ``order=desc``; the
    default sort and ascending order stay out of the URL."""
    by_word = {label.lower(): label for label in labels}

    def parse_sort(text: str) -> str:
        label = by_word.get(" ".join(text.split()).lower())
        if label is None:
            raise ValueError(f"expected one of {', '.join(by_word)}")
        return label

    def parse_order(text: str) -> bool:
        if text.strip().lower() not in ("asc", "desc"):
            raise ValueError("expected asc or desc")
        return text.strip().lower() == "desc"

    return [Param("sort", sort_key, parse_sort, lambda v: None if v in (None, default) else v.lower()),
            Param("order", desc_key, parse_order, lambda v: "desc" if v else None)]


def period_params(key: str) -> list[Param]:
    show = dt.date.isoformat
    return [Param("from", key, iso_date, show, part=0), Param("to", key, iso_date, show, part=1)]


def _url() -> dict[str, str]:
    return {name: st.query_params.get(name) for name in st.query_params}


def read_url(page: str, params: list[Param]) -> None:
    """Copy the URL's values into session state unless this page wrote this URL itself;
    say in one line which values were ignored and why."""
    state = st.session_state
    url = {k: v for k, v in _url().items() if any(p.name == k for p in params)}
    if not url or url == state.get(f"_url_{page}"):
        return
    ignored = []
    ends: dict[str, list] = {}
    for p in params:
        if p.name not in url:
            continue
        try:
            value = p.parse(url[p.name])
            if not p.valid(value):
                raise ValueError("not in the mirror")
        except ValueError as exc:
            ignored.append(f"{p.name}={short(url[p.name], 40)} ({exc})")
            continue
        if p.part is None:
            state[p.key] = value
        else:
            current = state.get(p.key)
            ends.setdefault(p.key, list(current) if isinstance(current, tuple) and len(current) == 2 else [None, None])
            ends[p.key][p.part] = value
    for key, (start, end) in ends.items():
        if start is None or end is None or start > end:
            ignored.append("from/to (both are needed, from no later than to)")
        else:
            state[key] = (start, end)
            state[f"{key}_asked"] = (start, end)  # the period picker checks it against the coverage
    if ignored:
        st.warning(plain(f"This link's {'; '.join(ignored)} could not be used."), icon=":material/link_off:")


def write_url(page: str, params: list[Param]) -> None:
    """Put the widgets' current values in the URL (defaults are left out)."""
    state = st.session_state
    values: dict[str, str] = {}
    for p in params:
        value = state.get(p.key)
        if p.part is not None:
            value = value[p.part] if isinstance(value, tuple) and len(value) == 2 else None
        shown = p.show(value) if value is not None else None
        if shown is not None:
            values[p.name] = shown
    if values != _url():
        st.query_params.from_dict(values)
    state[f"_url_{page}"] = values


def clear_button(page: str, params: list[Param], where=st, extra_keys: tuple[str, ...] = ()) -> None:
    """A "Clear filters" button: every filter back to its default, and the URL with it."""
    def clear() -> None:
        for key in {p.key for p in params} | set(extra_keys):
            forget_filter(key)
            forget_filter(f"{key}_asked")
        st.session_state[f"_url_{page}"] = {}
        st.query_params.clear()

    where.button("Clear filters", key=f"clear_{page}", on_click=clear, icon=":material/filter_alt_off:")
