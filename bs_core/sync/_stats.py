"""Reporting stats: one network report per chunk of days, summed into every reporting
grain (:mod:`.report_rows`: per campaign and ad, per zone, per campaign and zone, per hour).

The first run backfills ``BS_STATS_DAYS`` days (default 90) in chunks, one report request
per chunk and network; later runs refetch the last 2 days (late data) plus days never
fetched.  Which days a network has been fetched for is remembered in ``sync_scopes`` (key
``stats_daily|NETWORK:DATE``, with the number of rows of each collection that day had
and the rows' UTC offset);
a day whose rows are no longer all in the mirror counts as never fetched, so lost
history is fetched again.  An empty answer is not evidence of a quiet day: a complete day
answered with no rows while the mirror had running, placed campaigns that day is recorded
as a *gap* (``gap: true``, ``tries``), fetched again on later runs up to
:data:`GAP_TRIES` times, and shown as missing in the coverage (``verify`` names it).  An
answer with a malformed row is not recorded at all, so its days are fetched again.  Daily rows are facts about past days: they are never deleted,
neither with an entity nor when a refetched day's answer lacks them (late data only
adds), so history grows past the backfill and a deleted campaign keeps its figures.
Days are the account's calendar days, as BroadStreet dates its rows (its local date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pymongo.database import Database

from ..client import BroadStreetClient
from ..dates import days_between, last_days, midnight
from ..errors import IncompleteListError
from ..settings import Settings
from ..store.stats_days import DAILY, ROW_FIELDS, fetched_days, gap_days, record_day
from ._mirroring import Mirroring
from ._pipeline import REPORT_PHASE, Task
from ._report_rows import Grains, grains

REFRESH_DAYS = 2


def window(today: dt.date, days: int) -> list[dt.date]:
    """The reporting window: ``days`` days ending today, oldest first."""
    return last_days(today, days)


def delivering_days(db: Database, network_id: int, days: Iterable[dt.date]) -> set[dt.date]:
    """Which of ``days`` the mirror had a running campaign with placements in the network:
    days on which an empty report cannot be believed."""
    days = sorted(days)
    if not days:
        return set()
    live = {"network_id": network_id, "active": True,
            "$and": [{"$or": [{"starts_on": None}, {"starts_on": {"$lte": midnight(days[-1])}}]},
                     {"$or": [{"ends_on": None}, {"ends_on": {"$gte": midnight(days[0])}}]}]}
    placed: dict[int, bool] = {}
    out: set[dt.date] = set()
    for camp in db.campaigns.find(live, {"starts_on": 1, "ends_on": 1}):
        for day in days:
            if day in out or (camp.get("starts_on") or midnight(day)) > midnight(day) \
                    or (camp.get("ends_on") or midnight(day)) < midnight(day):
                continue
            if camp["_id"] not in placed:  # one indexed probe per campaign, only when needed
                placed[camp["_id"]] = db.placements.find_one({"campaign_id": camp["_id"]}, {"_id": 1}) is not None
            if placed[camp["_id"]]:
                out.add(day)
        if len(out) == len(days):
            break
    return out


def days_to_fetch(all_days: list[dt.date], already: set[dt.date], refresh: int = REFRESH_DAYS) -> list[dt.date]:
    """Missing days plus the most recent ``refresh`` days (their counts still move)."""
    recent = set(all_days[-refresh:])
    return [d for d in all_days if d not in already or d in recent]


def chunks(days: list[dt.date], size: int) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days, each at most ``size`` long, as (start, end) inclusive,
    newest first and cut from the newest end: the first chunk holds the latest ``size``
    days, what a first look needs."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days, reverse=True):
        if out and (out[-1][0] - day).days == 1 and (out[-1][1] - day).days < size:
            out[-1] = (day, out[-1][1])
        else:
            out.append((day, day))
    return out


def first_look_since(today: dt.date, settings: Settings) -> dt.date:
    """The first day of a first start's newest chunk (its first look's reporting), cut as
    :func:`stats_tasks` cuts it."""
    return chunks(window(today, settings.stats_days), settings.stats_chunk_days)[0][0]


def fetch_grains(client: BroadStreetClient, network_id: int, start: dt.date, end: dt.date) -> Grains:
    report = client.records("network", network_id, start, end)
    return grains(network_id, report["records"])


def stats_tasks(client: BroadStreetClient, mirroring: Mirroring, network_id: int, today: dt.date,
                settings: Settings) -> list[Task]:
    """One report request per chunk of missing days (and the last two), newest first; the
    newest is part of the first look."""
    days = window(today, settings.stats_days)
    todo = days_to_fetch(days, fetched_days(mirroring.db, network_id))
    tries = gap_days(mirroring.db, network_id).get(network_id, {})
    return [_daily_task(client, mirroring, network_id, start, end, today, tries, first=i == 0)
            for i, (start, end) in enumerate(chunks(todo, settings.stats_chunk_days))]


def _judge_empty_days(mirroring: Mirroring, nid: int, empty: list[dt.date], tries: dict[dt.date, int],
                      label: str) -> None:
    """Record days answered with no rows: quiet days, or gaps when campaigns were delivering."""
    gaps = delivering_days(mirroring.db, nid, empty)
    for day in empty:
        gap = {"gap": True, "tries": tries.get(day, 0) + 1} if day in gaps else {"gap": False, "tries": 0}
        record_day(mirroring.writer, nid, day, **dict.fromkeys(ROW_FIELDS.values(), 0), **gap)
    if gaps:
        mirroring.recorder.error(IncompleteListError(
            f"BroadStreet answered no reporting rows for {len(gaps)} day(s) of network {nid} "
            f"({min(gaps)}..{max(gaps)}) while campaigns were running there; they count as missing "
            f"and are fetched again on the next runs"), label)


def _daily_task(client: BroadStreetClient, mirroring: Mirroring, nid: int, start: dt.date, end: dt.date,
                today: dt.date, tries: dict[dt.date, int], first: bool = False) -> Task:
    label = f"stats of network {nid} {start}..{end}"

    def handle(answer: Grains) -> list[Task]:
        writer = mirroring.writer
        in_window = {"network_id": nid, "date": {"$gte": midnight(start), "$lte": midnight(end)}}
        for collection, docs in answer.documents.items():
            writer.stage(collection, docs, writer.existing(collection, in_window))  # history is kept
        per_day = {collection: answer.rows_per_day(collection) for collection in ROW_FIELDS}
        empty = [d for d in days_between(start, end) if not per_day[DAILY].get(d) and d < today]  # today is young
        for day in days_between(start, end):
            if day not in empty:
                counts = {field: per_day[c].get(day, 0) for c, field in ROW_FIELDS.items()}
                offset = {"utc_offset": answer.offsets[day]} if day in answer.offsets else {}
                record_day(writer, nid, day, **counts, **offset, gap=False, tries=0)
        if empty:  # judged once the run's campaigns and placements are in the mirror
            mirroring.at_end(lambda: _judge_empty_days(mirroring, nid, empty, tries, label))
        return []

    return Task(REPORT_PHASE, lambda: fetch_grains(client, nid, start, end), handle, label, first=first)
