"""Reporting stats: hourly ``/records`` rows -> daily rows per campaign and advertisement,
and per-zone totals from the custom report.

The first run fetches the whole window (default 30 days) in chunks; later runs refetch
only the last 2 days plus days never fetched.  Which days a network has been fetched
for is remembered in ``sync_scopes`` (key ``stats_daily|NETWORK:DATE``, with the number
of rows that day had); a day recorded with rows that are no longer in the mirror counts
as never fetched, so lost history is fetched again.  Daily rows are facts about past
days: they are never deleted, neither with an entity nor when a refetched day's answer
lacks them (late data only adds), so a deleted campaign keeps its history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pymongo.database import Database

from ..client import BroadStreetClient
from ..dates import days_between, last_days, midnight
from ..settings import Settings
from .mirroring import Mirroring
from .pipeline import REPORT_PHASE, Task

REFRESH_DAYS = 2


def window(today: dt.date, days: int) -> list[dt.date]:
    """The reporting window: ``days`` days ending today, oldest first."""
    return last_days(today, days)


def fetched_days(db: Database, network_id: int) -> set[dt.date]:
    """Days whose rows for this network are all in the mirror as they were fetched."""
    prefix = f"stats_daily|{network_id}:"
    recorded = {}
    for doc in db.sync_scopes.find({"collection": "stats_daily", "_id": {"$regex": f"^{prefix}"}},
                                   {"scope": 1, "rows": 1}):
        recorded[dt.date.fromisoformat(doc["scope"].split(":", 1)[1])] = doc.get("rows")
    if not recorded:
        return set()
    pipeline = [{"$match": {"network_id": network_id, "date": {"$gte": midnight(min(recorded))}}},
                {"$group": {"_id": "$date", "n": {"$sum": 1}}}]
    present = {d["_id"].date(): d["n"] for d in db.stats_daily.aggregate(pipeline)}
    # rows is None in records written before row counts were kept: then any row will do
    return {day for day, rows in recorded.items()
            if present.get(day, 0) >= (rows if rows is not None else 1) or rows == 0}


def days_to_fetch(all_days: list[dt.date], already: set[dt.date], refresh: int = REFRESH_DAYS) -> list[dt.date]:
    """Missing days plus the most recent ``refresh`` days (their counts still move)."""
    recent = set(all_days[-refresh:])
    return [d for d in all_days if d not in already or d in recent]


def chunks(days: list[dt.date], size: int) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days, each at most ``size`` long, as (start, end) inclusive."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if out and (day - out[-1][1]).days == 1 and (day - out[-1][0]).days < size:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def daily_documents(network_id: int, rows: Iterable[dict]) -> list[dict]:
    """Aggregate hourly rows into one document per (date, campaign, advertisement)."""
    acc: dict[tuple, dict] = {}
    for r in rows:
        day = str(r.get("dated", ""))[:10]
        key = (day, r.get("campaign_id"), r.get("advertisement_id"))
        doc = acc.get(key)
        if doc is None:
            date = midnight(dt.date.fromisoformat(day))
            doc = acc[key] = {
                "_id": f"{network_id}:{day}:{key[1]}:{key[2]}",
                "date": date, "network_id": network_id, "campaign_id": key[1],
                "advertisement_id": key[2], "advertiser_id": r.get("advertiser_id"),
                "views": 0, "clicks": 0, "hovers": 0, "conversions": 0,
            }
        doc["views"] += int(r.get("view_count") or 0)
        doc["clicks"] += int(r.get("click_count") or 0)
        doc["hovers"] += int(r.get("hover_count") or 0)
        doc["conversions"] += int(r.get("conversion_count") or 0)
    return list(acc.values())


def fetch_daily(client: BroadStreetClient, network_id: int, start: dt.date, end: dt.date) -> list[dict]:
    report = client.records("network", network_id, start, end)
    return daily_documents(network_id, report["records"])


def fetch_zone_totals(client: BroadStreetClient, network_id: int, start: dt.date, end: dt.date) -> list[dict]:
    rows = client.custom_records(network_id, group=["zone"], start_date=start, end_date=end)
    docs = []
    for r in rows:
        zone_id = r.get("zone_id")
        if zone_id is None:
            continue
        docs.append({
            "_id": f"{network_id}:{zone_id}", "network_id": network_id, "zone_id": zone_id,
            "views": int(r.get("count(view)") or 0), "clicks": int(r.get("count(click)") or 0),
            "hovers": int(r.get("count(hover)") or 0), "conversions": int(r.get("count(conversion)") or 0),
            "window_start": midnight(start),
            "window_end": midnight(end),
        })
    return docs


def stats_tasks(client: BroadStreetClient, mirroring: Mirroring, network_id: int, today: dt.date,
                settings: Settings) -> list[Task]:
    """Daily rows for missing days and the last two, in chunks; zone totals for the window."""
    days = window(today, settings.stats_days)
    todo = days_to_fetch(days, fetched_days(mirroring.db, network_id))
    tasks = [_daily_task(client, mirroring, network_id, start, end)
             for start, end in chunks(todo, settings.stats_chunk_days)]
    return tasks + [_zones_task(client, mirroring, network_id, days[0], days[-1])]


def _daily_task(client: BroadStreetClient, mirroring: Mirroring, nid: int, start: dt.date, end: dt.date) -> Task:
    label = f"stats of network {nid} {start}..{end}"

    def handle(docs: list[dict]) -> list[Task]:
        writer = mirroring.writer
        existing = writer.existing("stats_daily", {"network_id": nid,
                                                   "date": {"$gte": midnight(start), "$lte": midnight(end)}})
        writer.stage("stats_daily", docs, existing)  # insert and update only: history is kept
        rows: dict[dt.date, int] = {}
        for doc in docs:
            rows[doc["date"].date()] = rows.get(doc["date"].date(), 0) + 1
        for day in days_between(start, end):
            writer.seen_scope("stats_daily", f"{nid}:{day.isoformat()}", rows=rows.get(day, 0))
        return []

    return Task(REPORT_PHASE, lambda: fetch_daily(client, nid, start, end), handle, label)


def _zones_task(client: BroadStreetClient, mirroring: Mirroring, nid: int, first: dt.date, last: dt.date) -> Task:
    label = f"zone stats of network {nid}"

    def handle(docs: list[dict]) -> list[Task]:
        existing = mirroring.writer.existing("stats_zones", {"network_id": nid})
        mirroring.replace_rows("stats_zones", docs, existing, label)
        return []

    return Task(REPORT_PHASE, lambda: fetch_zone_totals(client, nid, first, last), handle, label)
