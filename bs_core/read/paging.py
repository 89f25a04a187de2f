"""Paging: one page of any mirrored collection, filtered, and sorted by a stored field
(with ``_id`` as tiebreak), an open-ended date (nulls after every date) or a figure the
documents do not store (views over a period, placements).  Every answer is an indexed
query or an aggregation; a sort by a figure reads the matching ids and names only,
orders them, then reads one page of documents."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pymongo.database import Database

from ..dates import today_utc
from ..entities import ENTITIES, derived
from . import reporting
from ._counts import entity_counts, placement_tallies
from ._matching import field_match, literal_search  # noqa: F401 (both are this module's names too)
from .days import Today, network_days
from .earnings import earnings_by
from .pacing import by_campaign

DEFAULT_PAGE_SIZE = 50
SORTABLE: dict[str, tuple[str, ...]] = {}
#: figures a listing can also be sorted by (over the chosen period, or from the tallies)
METRIC_SORTS: dict[str, tuple[str, ...]] = {}
#: date fields where null means "open-ended": they sort as later than any date
NULLS_MEAN_OPEN: dict[str, tuple[str, ...]] = {}


@derived
def _sorts() -> None:
    for found, field in ((SORTABLE, "sortable"), (METRIC_SORTS, "metric_sorts"), (NULLS_MEAN_OPEN, "open_ended")):
        found.clear()
        found.update({n: getattr(e, field) for n, e in ENTITIES.items() if getattr(e, field)})


EARLIEST = dt.datetime(1900, 1, 1)
#: figures only some documents have (pacing: campaigns with a goal): the others sort last
MISSING_LAST = ("pacing", "earned", "ecpm")  # also: unpriced campaigns after priced ones
MONEY_SORTS = ("earned", "ecpm")


@dataclasses.dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _page(db: Database, collection: str, query: dict, sort: tuple[str, int], page: int,
          page_size: int, metric: dict | None = None) -> Page:
    """One page of ``query`` in ``sort`` order (ties by ``_id``).  ``metric`` ({id: number})
    sorts by a figure the documents do not store (views over a period, placements)."""
    field, direction = sort
    page = max(int(page), 1)
    if metric is not None:
        return _metric_page(db, collection, query, metric, direction, page, page_size, field in MISSING_LAST)
    if field not in SORTABLE[collection]:
        raise ValueError(f"cannot sort {collection} by {field!r}")
    if field in NULLS_MEAN_OPEN.get(collection, ()):
        return _open_ended_page(db, collection, query, sort, page, page_size)
    order = [(field, direction)] + ([("_id", 1)] if field != "_id" else [])
    cursor = (db[collection].find(query, {"_sync": 0})
              .sort(order).skip((page - 1) * page_size).limit(page_size))
    return Page(list(cursor), _total(db, collection, query), page, page_size)


def _total(db: Database, collection: str, query: dict) -> int:
    # Unfiltered, the total is the collection's size, which each run stores (counting is a
    # scan on SecantusDB); the mirror changes only through runs.
    return entity_counts(db)[collection] if not query else db[collection].count_documents(query)


def _open_ended_page(db: Database, collection: str, query: dict, sort: tuple[str, int], page: int,
                     page_size: int) -> Page:
    """Sort by an end date with open-ended (null) rows after every date when ascending and
    before them when descending (MongoDB would put nulls first ascending)."""
    field, direction = sort
    open_ended = _with(query, field, None)
    open_count = db[collection].count_documents(open_ended)
    # a range (not "$ne: null") so the field's index serves the dated part's sort
    parts = [(_with(query, field, {"$gte": EARLIEST}), [(field, direction), ("_id", 1)],
              _total(db, collection, query) - open_count),
             (open_ended, [("name_key", 1), ("_id", 1)], open_count)]
    if direction < 0:
        parts.reverse()
    rows: list[dict] = []
    skip, total = (page - 1) * page_size, 0
    for part, order, n in parts:
        if len(rows) < page_size and skip < total + n:
            rows += db[collection].find(part, {"_sync": 0}).sort(order).skip(max(skip - total, 0)).limit(
                page_size - len(rows))
        total += n
    return Page(rows, total, page, page_size)


def _with(query: dict, field: str, condition: object) -> dict:
    """``query`` and ``field`` matching ``condition``."""
    return {**query, field: condition} if field not in query else {"$and": [query, {field: condition}]}


def _metric_page(db: Database, collection: str, query: dict, metric: dict, direction: int, page: int,
                 page_size: int, missing_last: bool = False) -> Page:
    """Sort the matching ids by ``metric`` (missing = 0, or after every value when
    ``missing_last``; ties by name), then read one page.

    Only ids and sort keys of the matching documents are read (10k campaigns on `large`);
    the documents themselves only for the page."""
    keys = [(d["_id"] not in metric if missing_last else False, metric.get(d["_id"], 0), d.get("name_key") or "",
             d["_id"]) for d in db[collection].find(query, {"name_key": 1})]
    keys.sort(key=lambda k: (k[0], -k[1] if direction < 0 else k[1], k[2], k[3]))
    ids = [k[3] for k in keys[(page - 1) * page_size:page * page_size]]
    found = {d["_id"]: d for d in db[collection].find({"_id": {"$in": ids}}, {"_sync": 0})}
    return Page([found[i] for i in ids if i in found], len(keys), page, page_size)


def sort_metric(db: Database, collection: str, field: str, query: dict, start: dt.date | None,
                end: dt.date | None, today: Today | None = None) -> dict | None:
    """``{id: value}`` to sort ``collection`` by ``field`` when it is a figure, else None."""
    if field not in METRIC_SORTS.get(collection, ()):
        return None
    if field == "pacing":
        network = query.get("network_id") if isinstance(query.get("network_id"), int) else None
        paced = by_campaign(db, today or today_utc(), network)
        return {cid: p.pacing for cid, p in paced.items() if p.pacing is not None}
    if field == "placements":
        return placement_tallies(db)[ENTITIES[collection].stats_field]
    if field == "running":
        return placement_tallies(db)["advertiser_running"]
    network = query.get("network_id") if isinstance(query.get("network_id"), int) else None
    if field in MONEY_SORTS:  # the page reads this through a view keyed on the rates too
        if start is None or end is None:
            return {}
        found = earnings_by(db, network_days(db) if today is None else today, collection, start, end, network)
        return {ident: getattr(e, field) for ident, e in found.items() if getattr(e, field) is not None}
    stats = reporting.stats_by(db, ENTITIES[collection].stats_field, None, start, end, reporting.StatsFilter(network))
    return {ident: figures[field] for ident, figures in stats.items()}
