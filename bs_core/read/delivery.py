"""Delivery health: the lists an ad-ops person checks every morning.

Each answers one question about the mirror as of its last sync; "running" is the
campaign status the sync derived (active, and today within its dates).
"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from ..dates import midnight
from ..store.lookups import names
from . import reporting
from ._counts import placement_tallies
from ._listings import enrich_campaigns
from ._matching import field_match
from ._overview import campaigns_ending_within
from .days import Today, today_of

QUIET_DAYS = 2  # "no views in the last two days": today and yesterday
ENDING_WITHIN_DAYS = 14


def silent_campaigns(db: Database, today: Today, network_id: int | None = None,
                     days: int = QUIET_DAYS) -> list[dict]:
    """Running campaigns with no views on any of the last ``days`` days (today included,
    each on its network's own clock), with the last day they had views."""
    def since(c: dict) -> dt.datetime:
        return midnight(today_of(today, c.get("network_id")) - dt.timedelta(days=days - 1))

    owned = field_match(network_id=network_id)
    # sorted here: on SecantusDB the index-ordered read of 2,500 running campaigns takes 2.5x longer
    running = sorted(db.campaigns.find(owned | {"status": "running"}, {"_sync": 0}),
                     key=lambda c: (c.get("name_key") or "", c["_id"]))
    # one pass over the rows with views: each campaign's last day with views (an "$in" of
    # thousands of running ids would be a slow scan on SecantusDB)
    pipeline = [{"$match": owned | {"views": {"$gt": 0}}},
                {"$group": {"_id": "$campaign_id", "last": {"$max": "$date"}}}]
    last = {d["_id"]: d["last"] for d in db.stats_daily.aggregate(pipeline)}
    quiet = [c for c in running if c["_id"] not in last or last[c["_id"]] < since(c)]
    enrich_campaigns(db, quiet, figures=False)  # no views lately: the list shows none
    for c in quiet:
        c["last_views_on"] = last.get(c["_id"])
    return quiet


def unplaced_active_ads(db: Database, network_id: int | None = None) -> list[dict]:
    """Ads BroadStreet marks active (``active_placement``) that no running campaign places."""
    tallies = placement_tallies(db)
    in_running, placed = tallies["ad_in_running"], tallies["advertisement_id"]
    shown = {f: 1 for f in ("name_clean", "name_key", "type", "advertiser_name", "preview_url", "network_id")}
    ads = sorted((a for a in db.advertisements.find(field_match(network_id=network_id) | {"active_placement": True},
                                                    shown) if not in_running.get(a["_id"])),
                 key=lambda a: (a.get("name_key") or "", a["_id"]))
    for a in ads:
        a["placement_count"] = placed.get(a["_id"], 0)
    return ads


def unsold_zones(db: Database, network_id: int | None = None) -> list[dict]:
    """Zones no running campaign is placed in (unsold inventory)."""
    tallies = placement_tallies(db)
    running, placed = tallies["zone_running_campaigns"], tallies["zone_id"]
    zones = [z for z in db.zones.find(field_match(network_id=network_id), {"_sync": 0}).sort([("name_key", 1), ("_id", 1)])
             if not running.get(z["_id"])]
    nets = names(db, "networks", [z.get("network_id") for z in zones])
    for z in zones:
        z["network_name"] = nets.get(z.get("network_id"), "")
        z["placement_count"] = placed.get(z["_id"], 0)
    return zones


def ending_soon(db: Database, today: Today, network_id: int | None = None,
                days: int = ENDING_WITHIN_DAYS) -> list[dict]:
    """Running campaigns that end within ``days`` days (of UTC's today: end dates are dates)."""
    return campaigns_ending_within(db, days, today_of(today, None), limit=10_000, network_id=network_id)


DARK_DAYS = 7


def dark_zones(db: Database, today: Today, network_id: int | None = None, days: int = DARK_DAYS) -> list[dict]:
    """Zones with running campaigns placed in them and no views in the last ``days``
    complete days: sold inventory that does not serve."""
    tallies = placement_tallies(db)
    running = tallies["zone_running_campaigns"]
    zones = [z for z in db.zones.find(field_match(network_id=network_id), {"_sync": 0}) if running.get(z["_id"])]
    if not zones:
        return []
    seen: dict = {}
    by_last: dict = {}  # each network's window ends at its own last complete day
    for z in zones:
        by_last.setdefault(today_of(today, z.get("network_id")) - dt.timedelta(days=1), []).append(z["_id"])
    for last, ids in by_last.items():  # one read per distinct day, not per network (10 on large)
        seen |= reporting.stats_by(db, "zone_id", ids, last - dt.timedelta(days=days - 1), last)
    dark = [z for z in zones if not (seen.get(z["_id"]) or {}).get("views")]
    nets = names(db, "networks", [z.get("network_id") for z in dark])
    for z in dark:
        z["network_name"] = nets.get(z.get("network_id"), "")
        z["running_campaigns"] = running[z["_id"]]
        z["placement_count"] = tallies["zone_id"].get(z["_id"], 0)
    return sorted(dark, key=lambda z: (-z["running_campaigns"], z.get("name_key") or "", z["_id"]))
