"""The page pattern of Campaigns, Advertisers and Zones: a network filter, a name search,
a reporting period and the sort (all in the URL), more filters where a kind has them (Campaigns:
advertiser, status, live in a date range), sorts by stored fields or figures, pages, CSV,
and the detail a row click opens."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import streamlit as st

from ..read.paging import MONEY_SORTS
from . import reads, urlstate
from .columns import columns_for
from .layout import PageContext, filter_row, network_select, remember
from .period import coverage_line, period_picker
from .tables import clickable, csv_button, forget_click, paged

FIGURE_COLUMNS = ["Views", "Clicks", "CTR"]
FIGURE_SORTS = ("views", "clicks", "ctr", "earned", "ecpm")  # need a covered period
EXPORT_ROWS = 100_000
DEFAULT_SORT = "Name"  # every listing's first sort


@dataclasses.dataclass(frozen=True)
class Listing:
    kind: str  #: singular, as ``open=KIND:ID`` names it ("zone")
    noun: str  #: plural, for captions and keys ("zones")
    sorts: dict[str, str]  #: label -> field or figure (read.METRIC_SORTS)
    read: Callable  #: reads.zones_enriched(view, network, search, sort, page, size, start, end)
    frame: Callable  #: rows -> DataFrame
    panel: Callable  #: details.zone_panel(ctx, id, period, on_close)
    placeholder: str = ""
    #: more filters: their URL parameters (given the page's context), a function that
    #: draws them (ctx, network) and returns what ``read`` takes besides the common
    #: arguments, and the session keys Clear filters also resets
    extra_params: Callable[[PageContext], list[urlstate.Param]] | None = None
    extra_filters: Callable[[PageContext, int | None], dict[str, Any]] | None = None
    extra_keys: tuple[str, ...] = ()
    #: every filtered row for the CSV: (view, network, search, sort, start, end, **extra);
    #: by default ``read`` with one very large page
    export: Callable | None = None
    #: (ctx, rows, period) -> rows with what they earn in the period (read now, not cached:
    #: rates change without a sync)
    money: Callable | None = None
    #: its rows have reporting figures (views, clicks): the page offers a period
    figures: bool = True

    def key(self, name: str) -> str:
        return f"f_{self.noun}_{name}"


def listing_page(ctx: PageContext, spec: Listing) -> None:
    """The filters (read from and written to the URL), the open detail, one page of the
    table, and the CSV of every filtered row."""
    state, key = st.session_state, spec.key
    params = _url_params(ctx, spec)
    urlstate.read_url(spec.noun, params)
    chosen = _filters(ctx, spec, params)
    urlstate.write_url(spec.noun, params)
    m = ctx.mirror.priced() if chosen.sort[0] in MONEY_SORTS else ctx.mirror  # money moves with the rates too

    def close() -> None:
        state[key("open")] = None
        forget_click(f"{spec.noun}_table")

    if state.get(key("open")) is not None:
        spec.panel(ctx, state[key("open")], chosen.period, close)
        st.divider()
    result = paged(spec.noun, lambda p, n: spec.read(m, *chosen.read_args(p, n), **chosen.extra), spec.noun)
    if not result.total:
        return
    df = spec.frame(_priced(ctx, spec, result.rows, chosen))
    period = chosen.period
    if period is None:
        df = df.drop(columns=[c for c in FIGURE_COLUMNS if c in df.columns])
    named = "Views, clicks, CTR, earned and eCPM" if "Earned" in df.columns else "Views, clicks and CTR"
    figures = f"{named}: {period[0]} to {period[1]} ({chosen.coverage.clock}). " if period else ""
    st.caption(f"{figures}Click a row to open the {spec.kind}.")
    clickable(df, f"{spec.noun}_table", [r["_id"] for r in result.rows], lambda i: state.update({key("open"): i}),
              column_config=columns_for(df))

    def every_row() -> list[dict]:
        if spec.export is not None:
            return spec.export(m, *chosen.export_args(), **chosen.extra)
        return spec.read(m, *chosen.read_args(1, EXPORT_ROWS), **chosen.extra).rows

    csv_button(f"Export all filtered {spec.noun} (CSV)", lambda: spec.frame(_priced(ctx, spec, every_row(), chosen)),
               f"{spec.noun}.csv", key=f"{spec.noun}_csv")


@dataclasses.dataclass
class _Chosen:
    """What the filters say: what ``Listing.read`` and ``export`` take."""

    network: int | None
    search: str
    sort: tuple[str, int]
    period: tuple | None
    coverage: Any
    extra: dict[str, Any]

    def read_args(self, page: int, size: int) -> tuple:
        start, end = self.period or (None, None)
        return self.network, self.search, self.sort, page, size, start, end

    def export_args(self) -> tuple:
        start, end = self.period or (None, None)
        return self.network, self.search, self.sort, start, end


def _url_params(ctx: PageContext, spec: Listing) -> list[urlstate.Param]:
    key = spec.key
    params = [*urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), key("network")),
              urlstate.Param("q", key("search"), lambda t: t[:200]),
              *(urlstate.period_params(key("period")) if spec.figures else ()),
              *urlstate.sort_params(list(spec.sorts), key("sort"), key("desc"), DEFAULT_SORT),
              urlstate.Param("open", key("open"), urlstate.opened(spec.kind), lambda i: f"{spec.kind}:{i}")]
    if spec.extra_params is not None:
        params[1:1] = spec.extra_params(ctx)
    return params


def _filters(ctx: PageContext, spec: Listing, params: list[urlstate.Param]) -> _Chosen:
    key = spec.key
    c1, c2, c3, c4 = filter_row(200, 180, 240, "content")
    notes = st.container()  # what the filters say, full width under them
    network = network_select(ctx, key("network"), c1)
    search = c2.text_input("Name contains", key=key("search"), placeholder=spec.placeholder)
    coverage = reads.stats_coverage(ctx.mirror, network) if spec.figures else None
    period = period_picker(coverage, key("period"), c3, label="Views and clicks over", today=ctx.today,
                           notes=notes) if spec.figures else None
    urlstate.clear_button(spec.noun, params, c4, extra_keys=spec.extra_keys)
    extra = spec.extra_filters(ctx, network) if spec.extra_filters is not None else {}
    c1, c2, c3 = filter_row(200, 140, 380)
    sort_label = c1.selectbox("Sort by", list(spec.sorts), key=remember(key("sort"), DEFAULT_SORT))
    descending = c2.toggle("Descending", key=key("desc"))
    if coverage is not None:
        c3.caption(coverage_line(coverage, ctx.today))
    sort = (spec.sorts[sort_label], -1 if descending else 1)
    if period is None and sort[0] in FIGURE_SORTS:
        sort = ("name_key", 1)  # no figures without a covered period
    return _Chosen(network, search, sort, period, coverage, extra)


def _priced(ctx: PageContext, spec: Listing, rows: list[dict], chosen: _Chosen) -> list[dict]:
    """The rows with what they earn in the period (read now, not cached: rates change
    without a sync)."""
    return spec.money(ctx, rows, chosen.period) if spec.money and chosen.period else rows
