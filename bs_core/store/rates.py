"""Rates: the first data that exist only in this product (BroadStreet's API has no prices).

This module is the only writer of three collections:

- ``rates``: a campaign's price, ``{_id: campaign_id, model, amount, capped, version,
  updated_by, updated_at}``;
- ``rate_cards``: a zone's CPM, used for a campaign without a rate of its own,
  ``{_id: zone_id, cpm, version, updated_by, updated_at}``;
- ``rate_history``: every change, appended and never rewritten, ``{kind, ref, old, new,
  by, at, source}``.

The sync never writes them, and no deletion, cascade or guard removes them: a campaign
deleted upstream keeps its rate for past invoices.  Every save names the version it
started from; a save over someone else's newer one is refused with who made it and when
(:class:`RateConflictError`), never a silent overwrite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..dates import utcnow
from ..errors import MirrorError

RATES, RATE_CARDS, RATE_HISTORY = "rates", "rate_cards", "rate_history"
MODELS = ("cpm", "cpc", "flat", "monthly")
MODEL_HELP = {"cpm": "per 1,000 views", "cpc": "per click", "flat": "for the whole flight",
              "monthly": "per calendar month of the flight"}


class RateError(MirrorError, ValueError):
    """A rate that cannot be saved as given (an unknown model, a negative amount)."""


class RateConflictError(MirrorError):
    """Someone saved this rate since it was read: theirs stays, this save is refused."""

    plain = "Someone else changed this rate"


@dataclasses.dataclass(frozen=True)
class CampaignRate:
    campaign_id: int
    model: str  #: one of MODELS
    amount: float  #: in the account's currency: per 1,000 views, per click, per flight or per month
    capped: bool = False  #: delivery past the goal is not billed
    version: int = 0
    updated_by: str = ""
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class RateCard:
    zone_id: int
    cpm: float
    version: int = 0
    updated_by: str = ""
    updated_at: dt.datetime | None = None


def checked_amount(value: Any, what: str = "amount") -> float:
    """A finite amount >= 0 (RateError otherwise, naming the value)."""
    try:
        amount = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise RateError(f"{what} {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(amount) or amount < 0:
        raise RateError(f"{what} {str(value)[:40]!r} must be a number of 0 or more")
    return amount


def checked_model(value: Any) -> str:
    model = str(value).strip().lower()
    if model not in MODELS:
        raise RateError(f"model {str(value)[:40]!r} is not one of {', '.join(MODELS)}")
    return model


#: past this many ids a read takes the whole collection and keeps the wanted ones itself: a
#: long ``$in`` list is slow on the embedded server (5,000 ids: tens of seconds, NOTES.md)
FEW_IDS = 500


def id_match(field: str, ids) -> dict:
    """``{field: {"$in": ids}}`` for a few ids; ``{}`` (every document: filter them yourself,
    e.g. with :func:`wanted`) for many."""
    ids = list(ids)
    return {field: {"$in": ids}} if len(ids) <= FEW_IDS else {}


def anything_priced(db: Database) -> bool:
    """Whether any campaign rate or zone rate card is set (else money figures are skipped)."""
    return db[RATES].find_one({}, {"_id": 1}) is not None or db[RATE_CARDS].find_one({}, {"_id": 1}) is not None


def campaign_rates(db: Database, ids: list[int] | None = None) -> dict[int, CampaignRate]:
    keep = None if ids is None else set(ids)
    return {d["_id"]: _rate(d) for d in db[RATES].find({} if ids is None else id_match("_id", ids))
            if keep is None or d["_id"] in keep}


def rate_cards(db: Database, ids: list[int] | None = None) -> dict[int, RateCard]:
    keep = None if ids is None else set(ids)
    return {d["_id"]: _card(d) for d in db[RATE_CARDS].find({} if ids is None else id_match("_id", ids))
            if keep is None or d["_id"] in keep}


def _rate(d: dict) -> CampaignRate:
    return CampaignRate(d["_id"], d["model"], float(d["amount"]), bool(d.get("capped")), d.get("version", 0),
                        d.get("updated_by", ""), d.get("updated_at"))


def _card(d: dict) -> RateCard:
    return RateCard(d["_id"], float(d["cpm"]), d.get("version", 0), d.get("updated_by", ""), d.get("updated_at"))


def _plain(doc: dict | None, fields: tuple[str, ...]) -> dict | None:
    return None if doc is None else {f: doc.get(f) for f in fields}


_RATE_FIELDS = ("model", "amount", "capped")
_CARD_FIELDS = ("cpm",)


def _save(db: Database, collection: str, kind: str, ref: int, new: dict | None, fields: tuple[str, ...], *,
          by: str, expected_version: int, source: str) -> dict | None:
    """Set (or, with ``new`` None, remove) one rate if its version is still ``expected_version``;
    append the change to the history.  Returns the saved document (None when removed)."""
    now = utcnow()
    before = db[collection].find_one({"_id": ref})
    current = (before or {}).get("version", 0)
    if current != expected_version:
        raise _conflict(kind, ref, before)
    if new is not None and before is not None and _plain(before, fields) == new:
        return before  # nothing changed: no new version, no history line
    if new is None:
        if before is None:
            return None
        if db[collection].delete_one({"_id": ref, "version": expected_version}).deleted_count != 1:
            raise _conflict(kind, ref, db[collection].find_one({"_id": ref}))
        saved = None
    elif before is None:
        try:
            db[collection].insert_one({"_id": ref, **new, "version": 1, "updated_by": by, "updated_at": now})
        except DuplicateKeyError:  # saved by someone else since it was read
            raise _conflict(kind, ref, db[collection].find_one({"_id": ref})) from None
        saved = db[collection].find_one({"_id": ref})
    else:
        saved = db[collection].find_one_and_update(
            {"_id": ref, "version": expected_version},
            {"$set": {**new, "updated_by": by, "updated_at": now}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER)
        if saved is None:
            raise _conflict(kind, ref, db[collection].find_one({"_id": ref}))
    db[RATE_HISTORY].insert_one({"kind": kind, "ref": ref, "old": _plain(before, fields), "new": new,
                                 "by": by, "at": now, "source": source})
    return saved


def save_many(db: Database, collection: str, kind: str, changes: dict[int, dict], before: dict[int, dict],
              fields: tuple[str, ...], *, by: str, source: str) -> None:
    """Set many rates at once (a file import): each over the version read in ``before``, as
    :func:`_save` does one, in a few bulk writes instead of five round trips a rate.  Any
    rate saved by someone else meanwhile raises :class:`RateConflictError` (the caller
    puts back what was written)."""
    now = utcnow()
    fresh = [ref for ref in changes if ref not in before]
    updated = [ref for ref in changes if ref in before]
    for i in range(0, len(fresh), 1000):
        try:
            db[collection].insert_many([{"_id": ref, **changes[ref], "version": 1, "updated_by": by,
                                         "updated_at": now} for ref in fresh[i:i + 1000]], ordered=True)
        except BulkWriteError as exc:
            ref = fresh[i + exc.details.get("nInserted", 0)]
            raise _conflict(kind, ref, db[collection].find_one({"_id": ref})) from None
    for i in range(0, len(updated), 1000):
        part = updated[i:i + 1000]
        done = db[collection].bulk_write([UpdateOne(
            {"_id": ref, "version": before[ref].get("version", 0)},
            {"$set": {**changes[ref], "updated_by": by, "updated_at": now}, "$inc": {"version": 1}})
            for ref in part], ordered=False)
        if done.matched_count != len(part):
            moved = db[collection].find_one({"_id": {"$in": part}, "$or": [
                {"_id": ref, "version": {"$ne": before[ref].get("version", 0)}} for ref in part]})
            raise _conflict(kind, moved["_id"] if moved else part[0], moved)
    refs = list(changes)
    for i in range(0, len(refs), 1000):
        db[RATE_HISTORY].insert_many([{"kind": kind, "ref": ref, "old": _plain(before.get(ref), fields),
                                       "new": changes[ref], "by": by, "at": now, "source": source}
                                      for ref in refs[i:i + 1000]])


def _conflict(kind: str, ref: int, now: dict | None) -> RateConflictError:
    if now is None:
        return RateConflictError(f"the {kind} {ref}'s rate was removed by someone else since you opened it; "
                                 "yours was not saved")
    when = now.get("updated_at")
    return RateConflictError(f"the {kind} {ref}'s rate was changed by {now.get('updated_by') or 'someone'}"
                             f"{f' at {when:%Y-%m-%d %H:%M} UTC' if when else ''} since you opened it; "
                             "yours was not saved (reload to see theirs)")


SNAPSHOT_FIELDS = ("name_clean", "network_id", "advertiser_id", "starts_on", "ends_on", "max_impression_count")


def _snapshot(db: Database, refs: list[int]) -> None:
    """Keep beside each rate what its campaign looked like (name, owner, flight, goal): a
    campaign deleted upstream is gone from ``campaigns``, and its past invoices still need them."""
    keep = set(refs)
    writes = [UpdateOne({"_id": c["_id"]}, {"$set": {"campaign": {f: c.get(f) for f in SNAPSHOT_FIELDS}}})
              for c in db.campaigns.find(id_match("_id", refs), dict.fromkeys(SNAPSHOT_FIELDS, 1))
              if c["_id"] in keep]
    for i in range(0, len(writes), 1000):
        db[RATES].bulk_write(writes[i:i + 1000], ordered=False)


def campaign_snapshots(db: Database, ids: list[int]) -> dict[int, dict]:
    """The campaign as it was when its rate was last saved (for one deleted upstream)."""
    keep = set(ids)
    return {d["_id"]: {"_id": d["_id"], **(d.get("campaign") or {})}
            for d in db[RATES].find(id_match("_id", ids), {"campaign": 1}) if d["_id"] in keep}


def save_campaign_rate(db: Database, campaign_id: int, model: str | None, amount: Any = None, capped: bool = False,
                       *, by: str, expected_version: int, source: str = "app") -> CampaignRate | None:
    """Set a campaign's rate (``model`` None removes it)."""
    new = None if model is None else {"model": checked_model(model), "amount": checked_amount(amount),
                                      "capped": bool(capped)}
    saved = _save(db, RATES, "campaign", campaign_id, new, _RATE_FIELDS, by=by, expected_version=expected_version,
                  source=source)
    if saved is not None:
        _snapshot(db, [campaign_id])
    return None if saved is None else _rate(saved)


def save_rate_card(db: Database, zone_id: int, cpm: Any, *, by: str, expected_version: int,
                   source: str = "app") -> RateCard | None:
    """Set a zone's CPM (``cpm`` None removes the card)."""
    new = None if cpm is None else {"cpm": checked_amount(cpm, "cpm")}
    saved = _save(db, RATE_CARDS, "zone", zone_id, new, _CARD_FIELDS, by=by, expected_version=expected_version,
                  source=source)
    return None if saved is None else _card(saved)


def history(db: Database, kind: str, ref: int, limit: int = 100) -> list[dict]:
    """The rate's changes, newest first: ``{old, new, by, at, source}``."""
    return list(db[RATE_HISTORY].find({"kind": kind, "ref": ref}, {"_id": 0}).sort([("at", -1), ("_id", -1)])
                .limit(limit))


def edits_after(db: Database, moment: dt.datetime | None) -> int:
    """Rate changes made after ``moment`` (all of them for None): what restoring a backup
    taken at ``moment`` rolls back."""
    return db[RATE_HISTORY].count_documents({} if moment is None else {"at": {"$gt": moment}})


def rates_stamp(db: Database) -> str:
    """A value that changes whenever a rate or a rate card does (every change appends to the
    history, and a restore swaps the history with the rates): the history's size and newest
    entry.  Money read through a cache is keyed on it, so an edit shows at once."""
    newest = db[RATE_HISTORY].find_one({}, {"_id": 1}, sort=[("_id", -1)])
    return f"{db[RATE_HISTORY].estimated_document_count()}:{newest['_id'] if newest else ''}"


def newest_edit(db: Database) -> dt.datetime | None:
    doc = db[RATE_HISTORY].find_one({}, {"at": 1}, sort=[("at", -1)])
    return None if doc is None else doc["at"]
