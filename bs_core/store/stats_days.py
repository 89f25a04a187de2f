"""Which reporting days the mirror holds: the bookkeeping the sync writes and the read
side (coverage, verify) reads.

A run that fetched a network's day records it in ``sync_scopes`` (key
``stats_daily|NETWORK:DATE``, with the number of rows of each collection that day had,
and whether the day was a *gap*: answered empty while campaigns were delivering, with
how many runs tried it).
"""

from __future__ import annotations

import datetime as dt
import re

from pymongo.database import Database

from ..dates import midnight

DAILY = "stats_daily"  # per (day, campaign, advertisement)
ZONE_DAILY = "stats_zone_daily"  # per (day, zone)
GAP_TRIES = 5  #: runs that refetch a day answered empty while campaigns were delivering


def recorded_days(db: Database, network_id: int | None = None) -> dict[int, dict[dt.date, dict]]:
    """``{network: {day: {"rows": n, "zone_rows": n}}}`` as the runs that fetched them recorded."""
    prefix = f"stats_daily|{network_id}:" if network_id is not None else "stats_daily|"
    out: dict[int, dict[dt.date, dict]] = {}
    # escaped: "|" in the key would otherwise be a regex alternation and match every network
    for doc in db.sync_scopes.find({"collection": DAILY, "_id": {"$regex": f"^{re.escape(prefix)}"}},
                                   {"scope": 1, "rows": 1, "zone_rows": 1, "gap": 1, "tries": 1}):
        nid, _, day = doc["scope"].partition(":")
        out.setdefault(int(nid), {})[dt.date.fromisoformat(day)] = doc
    return out


def fetched_days(db: Database, network_id: int) -> set[dt.date]:
    """Days whose rows for this network are all in the mirror as they were fetched.

    A record without ``zone_rows`` predates per-zone daily rows: the day is fetched again."""
    recorded = recorded_days(db, network_id).get(network_id, {})
    if not recorded:
        return set()
    since = {"network_id": network_id, "date": {"$gte": midnight(min(recorded))}}
    present = {}
    for collection in (DAILY, ZONE_DAILY):
        pipeline = [{"$match": since}, {"$group": {"_id": "$date", "n": {"$sum": 1}}}]
        present[collection] = {d["_id"].date(): d["n"] for d in db[collection].aggregate(pipeline)}
    return {day for day, rec in recorded.items()
            if "zone_rows" in rec and (not rec.get("gap") or rec.get("tries", 0) >= GAP_TRIES)
            and present[DAILY].get(day, 0) >= (rec.get("rows") or 0)
            and present[ZONE_DAILY].get(day, 0) >= rec["zone_rows"]}


def gap_days(db: Database, network_id: int | None = None) -> dict[int, dict[dt.date, int]]:
    """``{network: {day: tries}}``: days answered empty while campaigns were delivering."""
    return {nid: {day: rec.get("tries", 0) for day, rec in days.items() if rec.get("gap")}
            for nid, days in recorded_days(db, network_id).items()}
