"""Upstream payload -> stored document.

How BroadStreet really sends these records: ``docs/broadstreet-api.md``.

Every upstream field is kept as received; derived fields make querying easy (cleaned
names, real dates, numeric weight, a status, resolved ids).  A bad record raises
:class:`BadRecordError` with a reason, so one bad record never fails the rest.

Each document's ``_id`` is its BroadStreet id (placements: ``"campaign:ad:zone"``);
``content_hash`` covers everything but sync metadata, so an unchanged document is
never rewritten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from .dates import midnight
from .errors import BadRecordError

WEIGHTS = {"remnant": 0.0, "low": 0.5, "default": 1.0, "high": 1.5, "sponsorship": 127.0}
#: campaign statuses, in the order pages list them
CAMPAIGN_STATUSES = ("running", "scheduled", "paused", "ended")
_SPACE = re.compile(r"\s+")  # \s covers newlines and non-breaking spaces in str patterns


@dataclasses.dataclass
class Context:
    """What a record needs from its request scope."""

    today: dt.date
    network_id: int | None = None
    campaign_id: int | None = None
    #: cleaned, case-folded advertiser name -> ids, within the network (for ads)
    advertiser_ids_by_name: dict[str, list[int]] = dataclasses.field(default_factory=dict)


def clean_name(raw: Any) -> str:
    """Collapse whitespace, newlines and non-breaking spaces; trim."""
    return _SPACE.sub(" ", str(raw or "")).strip()


def labelled(name: str | None, ident: object, limit: int = 60) -> str:
    """"Lakeside Bakery (104137)" for messages and labels: a name, shortened, with its id."""
    text = clean_name(name)
    if not text:
        return str(ident)
    return f"{text if len(text) <= limit else text[:limit - 1] + '…'} ({ident})"


def name_key(raw: Any) -> str:
    return clean_name(raw).casefold()


def content_hash(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "_sync"}
    encoded = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(encoded.encode(), digest_size=16).hexdigest()


def _id(raw: dict, field: str = "id") -> int:
    value = raw.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise BadRecordError(f"{field} missing or not an integer: {value!r}")
    if value <= 0:
        raise BadRecordError(f"{field} must be positive: {value}")
    return value


def _expect(raw: dict, field: str, types: tuple, optional: bool = True) -> None:
    value = raw.get(field)
    if value is None and optional:
        return
    if not isinstance(value, types):
        raise BadRecordError(f"{field} has type {type(value).__name__}")


def _date(raw: dict, field: str) -> dt.datetime | None:
    """A ``YYYY-MM-DD`` (or null) as a UTC midnight datetime (BSON has no date type)."""
    value = raw.get(field)
    if value is None or value == "":
        return None
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadRecordError(f"{field} is not a date: {value!r}") from None
    return midnight(day)


def campaign_status(active: bool, start: dt.datetime | None, end: dt.datetime | None,
                    today: dt.date) -> str:
    """running / scheduled / ended from the dates; paused = inactive and not ended."""
    day = midnight(today)
    if end is not None and end < day:
        return "ended"
    if not active:
        return "paused"
    if start is not None and start > day:
        return "scheduled"
    return "running"


def network(raw: dict, ctx: Context) -> dict:
    nid = _id(raw)
    _expect(raw, "name", (str,))
    return {**raw, "_id": nid, "name_clean": clean_name(raw.get("name")),
            "name_key": name_key(raw.get("name"))}


def named(raw: dict, ctx: Context) -> dict:
    """A record listed under a network, with an id and a name: what most kinds are (and
    what a kind registered later can use as it is)."""
    ident = _id(raw)
    _expect(raw, "name", (str,))
    return {**raw, "_id": ident, "network_id": ctx.network_id, "name_clean": clean_name(raw.get("name")),
            "name_key": name_key(raw.get("name"))}


def advertiser(raw: dict, ctx: Context) -> dict:
    return {**named(raw, ctx), "website": website_url(raw.get("web_home_url"))}


def website_url(raw: Any) -> str | None:
    """A clickable URL from a dirty ``web_home_url`` (None for blanks and e-mail addresses)."""
    text = str(raw or "").strip()
    if not text or "@" in text or " " in text:
        return None
    return text if re.match(r"https?://", text, re.I) else f"https://{text}"


def zone(raw: dict, ctx: Context) -> dict:
    zid = _id(raw)
    _expect(raw, "name", (str,))
    network_id = raw.get("network_id") if isinstance(raw.get("network_id"), int) else ctx.network_id
    return {**raw, "_id": zid, "network_id": network_id, "name_clean": clean_name(raw.get("name")),
            "name_key": name_key(raw.get("name"))}


def campaign(raw: dict, ctx: Context) -> dict:
    cid = _id(raw)
    _expect(raw, "name", (str,))
    _expect(raw, "active", (bool,))
    _expect(raw, "weight", (str, int, float))
    advertiser_id = _id(raw, "advertiser_id")
    starts, ends = _date(raw, "start_date"), _date(raw, "end_date")
    weight = raw.get("weight")
    weight_value = WEIGHTS.get(str(weight).strip().lower()) if weight is not None else None
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        weight_value = float(weight)  # the spec's integer form, should it ever appear
    return {
        **raw,
        "_id": cid,
        "network_id": ctx.network_id,
        "advertiser_id": advertiser_id,
        "name_clean": clean_name(raw.get("name")),
        "name_key": name_key(raw.get("name")),
        "starts_on": starts,
        "ends_on": ends,
        "weight_value": weight_value,
        "weight_unknown": weight is not None and weight_value is None,
        "status": campaign_status(bool(raw.get("active")), starts, ends, ctx.today),
    }


def advertisement(raw: dict, ctx: Context) -> dict:
    ad_id = _id(raw)
    _expect(raw, "name", (str,))
    _expect(raw, "advertiser", (str,))
    updated = raw.get("updated_at")
    updated_utc = None
    if updated:
        try:
            parsed = dt.datetime.fromisoformat(str(updated))
        except ValueError:
            raise BadRecordError(f"updated_at is not a timestamp: {updated!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        updated_utc = parsed.astimezone(dt.UTC).replace(tzinfo=None)  # naive UTC, as BSON stores it
    matches = ctx.advertiser_ids_by_name.get(name_key(raw.get("advertiser")), [])
    match = "unique" if len(matches) == 1 else ("ambiguous" if matches else "none")
    return {
        **raw,
        "_id": ad_id,
        "network_id": ctx.network_id,
        "name_clean": clean_name(raw.get("name")),
        "name_key": name_key(raw.get("name")),
        "advertiser_name": clean_name(raw.get("advertiser")),
        "advertiser_id": matches[0] if len(matches) == 1 else None,
        "advertiser_match": match,
        "updated_at_utc": updated_utc,
    }


def placement(raw: dict, ctx: Context) -> dict:
    ad_id = _id(raw, "advertisement_id")
    zone_id = _id(raw, "zone_id")
    _expect(raw, "restrictions", (list,))
    campaign_id = ctx.campaign_id
    return {
        **raw,
        "_id": f"{campaign_id}:{ad_id}:{zone_id}",
        "campaign_id": campaign_id,
        "network_id": ctx.network_id,
        "advertisement_id": ad_id,
        "zone_id": zone_id,
        "restrictions": raw.get("restrictions") or [],
    }


def normalize_many(kind: str, fn: Callable[[dict, Context], dict], raws: Iterable[Any],
                   ctx: Context) -> tuple[list[dict], list[dict]]:
    """Normalise a fetched list of ``kind`` with ``fn``: (documents, skipped records with
    their reasons).  Duplicate keys within one response keep the first and skip the rest.
    (Callers use ``entities.ENTITIES[kind].normalize_many``.)
    """
    docs: list[dict] = []
    skipped: list[dict] = []
    seen: set = set()
    for raw in raws:
        try:
            if not isinstance(raw, dict):
                raise BadRecordError(f"record is a {type(raw).__name__}, not an object")
            doc = fn(raw, ctx)
        except BadRecordError as exc:
            ident = raw.get("id") if isinstance(raw, dict) else None
            skipped.append({"kind": kind, "id": ident, "reason": str(exc)})
            continue
        if doc["_id"] in seen:
            skipped.append({"kind": kind, "id": doc["_id"], "reason": "duplicate in response", "duplicate": True})
            continue
        seen.add(doc["_id"])
        docs.append(doc)
    return docs, skipped


def advertiser_name_index(advertisers: Iterable[dict]) -> dict[str, list[int]]:
    """Cleaned, case-folded name -> advertiser ids (to resolve ads' advertiser names)."""
    index: dict[str, list[int]] = {}
    for adv in advertisers:
        index.setdefault(name_key(adv.get("name")), []).append(adv["id"] if "id" in adv else adv["_id"])
    return index
