"""Proof of deletion: a record missing from its list is asked about by its own route.

BroadStreet has no tombstones, and a list can come back short (a bug upstream, a proxy,
a page cut off).  So before the guard weighs what a run proposes to delete, each missing
network, advertiser, campaign or zone is fetched on its own (``GET /campaigns/{id}``):

- 404: it is gone; the deletion is *proven* and goes through (the run-wide share still
  applies, so a swapped account is not deleted wholesale);
- 200: the list was incomplete; the record is kept, refreshed from that answer, and the
  run ends ``partial`` naming the list;
- anything else (5xx, a timeout, a malformed answer): nothing is proven; the deletion is
  held.

Past :data:`MAX_ASKED` missing records in one run, none is asked and all are held: an
empty list must never cost thousands of requests.  Ads and placements have no single
route; they are weighed by the guard only.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import BroadStreetError, NotFoundError

MAX_ASKED = 50  #: missing records asked about one by one in a run; past it all are held


class Answer(enum.Enum):
    GONE = "gone"  #: 404: proven deleted
    ALIVE = "alive"  #: 200: the list was incomplete
    UNKNOWN = "unknown"  #: an error: nothing proven


@dataclasses.dataclass
class Verdict:
    answer: Answer
    record: dict | None = None  #: the raw record, when ALIVE
    why: str = ""  #: the error, when UNKNOWN


def ask(fetch_one: Callable[[Any, int], dict], client: Any, ids: Iterable[int], concurrency: int,
        should_stop: Callable[[], None] = lambda: None) -> dict[int, Verdict]:
    """Ask BroadStreet about each id by its own route, ``concurrency`` at a time."""

    def one(ident: int) -> Verdict:
        should_stop()
        try:
            record = fetch_one(client, ident)
        except NotFoundError:
            return Verdict(Answer.GONE)
        except BroadStreetError as exc:
            return Verdict(Answer.UNKNOWN, why=str(exc))
        return Verdict(Answer.ALIVE, record=record)

    ids = sorted(ids)
    if not ids:
        return {}
    with ThreadPoolExecutor(max(1, min(concurrency, len(ids))), thread_name_prefix="sync-proof") as pool:
        return dict(zip(ids, pool.map(one, ids), strict=True))
