"""Which reporting days the mirror holds: the bookkeeping the sync writes and the read
side (coverage, verify) reads.

A run that fetched a network's day records it in ``sync_scopes`` (key
``stats_daily|NETWORK:DATE``, with the number of rows of each reporting collection that
day had (:data:`ROW_FIELDS`), the UTC offset its rows carried, and whether the day was a
*gap*: answered empty while campaigns were delivering, with how many runs tried it).
A record that lacks a collection's count predates that collection: the day is fetched
again, so a new grain fills itself in on the next run.
"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from ..dates import midnight
from . import scopes

DAILY = "stats_daily"  # per (day, campaign, advertisement)
ZONE_DAILY = "stats_zone_daily"  # per (day, zone)
CAMPAIGN_ZONE_DAILY = "stats_campaign_zone_daily"  # per (day, campaign, zone)
HOURS = "stats_hours"  # per (day, campaign): 24 hourly counts per figure
#: each reporting collection and the field of a day's record that counts its rows
ROW_FIELDS = {DAILY: "rows", ZONE_DAILY: "zone_rows", CAMPAIGN_ZONE_DAILY: "campaign_zone_rows",
              HOURS: "hour_rows"}
GAP_TRIES = 5  #: runs that refetch a day answered empty while campaigns were delivering


def record_day(writer, network_id: int, day: dt.date, **fields: object) -> None:
    """Record, through the run's ``writer``, that a network's reporting day was fetched (its
    rows per collection, its offset, whether it is a gap): the one place the key
    ``NETWORK:DATE`` is made; :func:`recorded_days` the one place it is read."""
    writer.seen_scope(DAILY, f"{network_id}:{day.isoformat()}", **fields)


def recorded_days(db: Database, network_id: int | None = None) -> dict[int, dict[dt.date, dict]]:
    """``{network: {day: {"rows": n, "zone_rows": n, ...}}}`` as the runs that fetched them recorded."""
    prefix = f"{network_id}:" if network_id is not None else ""
    out: dict[int, dict[dt.date, dict]] = {}
    for doc in scopes.records(db, DAILY, prefix, ("gap", "tries", "utc_offset", *ROW_FIELDS.values())):
        nid, _, day = doc["scope"].partition(":")
        out.setdefault(int(nid), {})[dt.date.fromisoformat(day)] = doc
    return out


def every_grain(record: dict) -> bool:
    """Whether a day's record counts the rows of every reporting collection."""
    return all(field in record for field in ROW_FIELDS.values())


def fetched_days(db: Database, network_id: int) -> set[dt.date]:
    """Days whose rows for this network are all in the mirror as they were fetched."""
    recorded = recorded_days(db, network_id).get(network_id, {})
    if not recorded:
        return set()
    since = {"network_id": network_id, "date": {"$gte": midnight(min(recorded))}}
    present = {}
    for collection in ROW_FIELDS:
        pipeline = [{"$match": since}, {"$group": {"_id": "$date", "n": {"$sum": 1}}}]
        present[collection] = {d["_id"].date(): d["n"] for d in db[collection].aggregate(pipeline)}
    return {day for day, rec in recorded.items()
            if every_grain(rec) and (not rec.get("gap") or rec.get("tries", 0) >= GAP_TRIES)
            and all(present[c].get(day, 0) >= (rec.get(f) or 0) for c, f in ROW_FIELDS.items())}


def utc_offsets(recorded: dict[int, dict[dt.date, dict]]) -> dict[int, str]:
    """``{network: "-05:00"}`` from :func:`recorded_days`: the offset of each network's
    newest day whose rows carried one."""
    out: dict[int, tuple[dt.date, str]] = {}
    for nid, days in recorded.items():
        for day, rec in days.items():
            if rec.get("utc_offset") and (nid not in out or out[nid][0] < day):
                out[nid] = (day, rec["utc_offset"])
    return {nid: offset for nid, (_, offset) in out.items()}


def gap_days(db: Database, network_id: int | None = None) -> dict[int, dict[dt.date, int]]:
    """``{network: {day: tries}}``: days answered empty while campaigns were delivering."""
    return {nid: {day: rec.get("tries", 0) for day, rec in days.items() if rec.get("gap")}
            for nid, days in recorded_days(db, network_id).items()}
