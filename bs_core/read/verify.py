"""Checking the mirror: is it sound, and what does BroadStreet's own data look like?

Problems of the mirror (they make ``verify`` exit 1): orphans, stored summaries that
disagree with live counts, content hashes that do not match the documents, gaps in
reporting coverage, and with ``--upstream`` per-network counts that differ from
BroadStreet's.  Notes about BroadStreet's data (an advertisement whose advertiser name
matches no advertiser, duplicate names) are reported but do not change the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pymongo.database import Database

from ..client import BroadStreetClient
from ..entities import ENTITIES, ENTITY_NAMES
from ..normalize import content_hash
from ..store.rates import MODELS
from ..store.stats_days import GAP_TRIES, fetched_days, gap_days
from ..store.summaries import entity_counts_live, placements_per_zone_live, stored_summary

SAMPLE = 5  # ids named per finding


@dataclasses.dataclass
class Finding:
    check: str
    text: str
    count: int = 0
    sample: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class VerifyReport:
    problems: list[Finding]
    notes: list[Finding]
    checked: dict[str, int]

    @property
    def sound(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"sound": self.sound, "problems": [dataclasses.asdict(f) for f in self.problems],
                "notes": [dataclasses.asdict(f) for f in self.notes], "checked": self.checked}


def verify(db: Database, *, client: BroadStreetClient | None = None, today: dt.date | None = None) -> VerifyReport:
    """Run every check (``client`` given: also compare counts with BroadStreet)."""
    ids = {name: {d["_id"] for d in db[name].find({}, {"_id": 1})} for name in ENTITY_NAMES}
    problems = _orphans(db, ids) + _summaries(db) + _hashes(db) + _coverage(db, ids["networks"])
    if client is not None:
        problems += _upstream(db, client, ids["networks"])
    problems += _rates(db)
    notes = _unmatched_ads(db) + _duplicate_names(db) + _rates_of_deleted(db, ids)
    return VerifyReport(problems, notes, {name: len(v) for name, v in ids.items()})


def _finding(check: str, text: str, found: list) -> list[Finding]:
    return [Finding(check, text.format(n=len(found)), len(found), found[:SAMPLE])] if found else []


def _orphans(db: Database, ids: dict[str, set]) -> list[Finding]:
    """Documents whose parent, or another document they name, is not in the mirror."""
    out: list[Finding] = []
    for entity in ENTITIES.values():
        for other in entity.refers_to:
            field = ENTITIES[other].singular + "_id"
            missing = [d["_id"] for d in db[entity.name].find({}, {field: 1})
                       if d.get(field) is not None and d[field] not in ids[other]]
            out += _finding("orphans", f"{{n:,}} {entity.name} name a {ENTITIES[other].singular} that is not "
                                       f"in the mirror ({field})", missing)
        if entity.parent != "networks" and entity.parent is not None:
            missing = [d["_id"] for d in db[entity.name].find({}, {"network_id": 1})
                       if d.get("network_id") not in ids["networks"]]
            out += _finding("orphans", f"{{n:,}} {entity.name} belong to no mirrored network", missing)
    return out


def _rates(db: Database) -> list[Finding]:
    """Rates exist only here: each must be one the store could have written (a known model,
    an amount of 0 or more), and every rate must have its history (an edit outside the
    store, e.g. by hand in the database, leaves none)."""
    bad = [d["_id"] for d in db.rates.find({}) if d.get("model") not in MODELS
           or not isinstance(d.get("amount"), (int, float)) or d["amount"] < 0]
    bad_cards = [d["_id"] for d in db.rate_cards.find({}) if not isinstance(d.get("cpm"), (int, float)) or d["cpm"] < 0]
    logged = {(h["kind"], h["ref"]) for h in db.rate_history.find({}, {"kind": 1, "ref": 1})}
    unlogged = [f"campaign {d['_id']}" for d in db.rates.find({}, {"_id": 1}) if ("campaign", d["_id"]) not in logged]
    unlogged += [f"zone {d['_id']}" for d in db.rate_cards.find({}, {"_id": 1}) if ("zone", d["_id"]) not in logged]
    return (_finding("rates", "{n:,} campaign rates have an unknown model or a negative amount", bad)
            + _finding("rates", "{n:,} zone rate cards have a CPM that is not a number of 0 or more", bad_cards)
            + _finding("rates", "{n:,} rates have no history (written outside the app and `rates import`)", unlogged))


def _rates_of_deleted(db: Database, ids: dict[str, set]) -> list[Finding]:
    """Campaigns deleted upstream whose rates are kept for their past invoices (a note, not a problem)."""
    kept = [d["_id"] for d in db.rates.find({}, {"_id": 1}) if d["_id"] not in ids["campaigns"]]
    return _finding("rates", "{n:,} rates belong to campaigns deleted upstream (kept for their past invoices)", kept)


def _summaries(db: Database) -> list[Finding]:
    stored = stored_summary(db, "entity_counts")
    if stored is None:
        return []
    live = entity_counts_live(db)
    wrong = [f"{k}: stored {stored.get(k)}, counted {v}" for k, v in live.items() if stored.get(k) != v]
    out = _finding("summaries", "{n} stored entity counts differ from the documents", wrong)
    per_zone = stored_summary(db, "placements_per_zone") or []
    if per_zone and per_zone != placements_per_zone_live(db, len(per_zone)):
        out.append(Finding("summaries", "the stored placements-per-zone figures differ from the documents", 1))
    return out


def _hashes(db: Database) -> list[Finding]:
    out: list[Finding] = []
    for name in ENTITY_NAMES:
        wrong = [d["_id"] for d in db[name].find({}) if (d.get("_sync") or {}).get("hash") != content_hash(d)]
        out += _finding("hashes", f"{{n:,}} {name} do not match their stored content hash", wrong)
    return out


def _coverage(db: Database, networks: set) -> list[Finding]:
    """Reporting days between a network's first and last fetched day that are missing."""
    missing, empty = [], []
    for nid in sorted(networks):
        gaps = gap_days(db, nid).get(nid, {})
        empty += [f"network {nid}: {day} (tried {tries}x)" for day, tries in sorted(gaps.items())]
        days = sorted(fetched_days(db, nid) - set(gaps))
        if days:
            expected = {days[0] + dt.timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)}
            missing += [f"network {nid}: {day}" for day in sorted(expected - set(days) - set(gaps))]
    return (_finding("coverage", "{n:,} reporting days inside the mirrored range are missing or incomplete",
                     missing)
            + _finding("coverage", "{n:,} reporting days were answered empty while campaigns were delivering "
                                   f"there (gaps, not zeros; fetched again up to {GAP_TRIES} times)", empty))


def _upstream(db: Database, client: BroadStreetClient, networks: set) -> list[Finding]:
    """Per network, BroadStreet's advertiser and zone counts (one request each)."""
    wrong = []
    for nid in sorted(networks):
        upstream = client.network(nid)
        for field, name in (("advertiser_count", "advertisers"), ("zone_count", "zones")):
            mirrored = db[name].count_documents({"network_id": nid})
            if upstream.get(field) is not None and upstream[field] != mirrored:
                wrong.append(f"network {nid} {name}: BroadStreet {upstream[field]}, mirror {mirrored}")
    return _finding("upstream", "{n} counts differ from BroadStreet's (a sync since may fix them)", wrong)


def _unmatched_ads(db: Database) -> list[Finding]:
    found = [d["_id"] for d in db.advertisements.find({"advertiser_match": {"$ne": "unique"}}, {"_id": 1})]
    return _finding("broadstreet data", "{n:,} advertisements name an advertiser that matches no single "
                                        "advertiser of their network", found)


def _duplicate_names(db: Database) -> list[Finding]:
    out: list[Finding] = []
    for name in ("campaigns", "zones", "advertisers"):
        seen: dict[tuple, int] = {}
        for d in db[name].find({}, {"name_key": 1, "network_id": 1}):
            key = (d.get("network_id"), d.get("name_key"))
            seen[key] = seen.get(key, 0) + 1
        dupes = [f"{k[1]!r} x{n}" for k, n in seen.items() if n > 1 and k[1]]
        out += _finding("broadstreet data", f"{{n:,}} {name} names are used more than once in a network", dupes)
    return out
