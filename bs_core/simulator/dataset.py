"""A deterministic synthetic BroadStreet account, shaped like the real one described in
``docs/broadstreet-api.md``.

Records are kept exactly as the API returns them; fields that start with ``_`` are
the simulator's own bookkeeping (which network an advertiser belongs to, ...) and are
stripped before serving.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from .generate import PRESETS, Preset, generate, new_campaign, updated_at

#: the kinds the simulator generates itself (a test holds them equal to the registry's own)
KINDS = ("networks", "advertisers", "zones", "advertisements", "campaigns", "placements")
DECLARED_IDS = 900_000  # ids of declared kinds' records start here


class Recipe(NamedTuple):
    """A kind the registry declares beyond :data:`KINDS` (``EntityType.simulated``): its
    records under each record of ``parent``, served at ``GET /NAME?PARENT_FIELD=ID``."""

    parent: str
    parent_field: str
    make: Callable[[int, random.Random], list[dict]]  #: (parent id, rng) -> raw records


class Dataset:
    """The simulated account.  Thread-safe: readers and mutators share one lock."""

    def __init__(self, size: str = "demo", seed: int = 1, today: dt.date | None = None,
                 recipes: dict[str, Recipe] | None = None):
        if size not in PRESETS:
            raise ValueError(f"size must be one of {sorted(PRESETS)}, got {size!r}")
        self.size = size
        self.seed = seed
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.lock = threading.RLock()
        self.version = 0
        self.networks: dict[int, dict] = {}
        self.advertisers: dict[int, dict] = {}
        self.zones: dict[int, dict] = {}
        self.campaigns: dict[int, dict] = {}
        self.advertisements: dict[int, dict] = {}
        self.placements: dict[int, list[dict]] = {}  # campaign id -> placements
        self._generate(PRESETS[size], random.Random(seed))
        self.recipes = {name: Recipe(*recipe) for name, recipe in (recipes or {}).items()}
        self._declare(random.Random(seed + 1))
        self._reindex()

    # -- generation --------------------------------------------------------------
    def _generate(self, p: Preset, rng: random.Random) -> None:
        generate(self, p, rng)

    def _declare(self, rng: random.Random) -> None:
        """The declared kinds' records, in declaration order (a parent before its children);
        each is an attribute like the own kinds', keyed by id, ``_parent`` naming its parent."""
        next_id = DECLARED_IDS
        for name, recipe in self.recipes.items():
            if name in KINDS or hasattr(self, name):
                raise ValueError(f"a declared kind cannot be named {name!r}")
            records: dict[int, dict] = {}
            for parent_id in sorted(getattr(self, recipe.parent)):
                for raw in recipe.make(parent_id, rng):
                    next_id += 1
                    ident = raw.get("id", next_id)
                    records[ident] = {"id": ident, **raw, "_parent": parent_id}
            setattr(self, name, records)

    def declared_under(self, name: str, parent_id: int) -> list[dict] | None:
        """A declared kind's records under one parent as served; None if no such parent."""
        if parent_id not in getattr(self, self.recipes[name].parent):
            return None
        return [public(r) for r in getattr(self, name).values() if r["_parent"] == parent_id]

    def _refresh_active_placement(self) -> None:
        placed = set()
        for cid, rows in self.placements.items():
            if self.campaigns[cid]["active"]:
                placed.update(r["advertisement_id"] for r in rows)
        for ad_id, ad in self.advertisements.items():
            ad["active_placement"] = ad_id in placed

    def _reindex(self) -> None:
        self.version += 1
        self.adv_by_network: dict[int, list[int]] = {n: [] for n in self.networks}
        for a, rec in self.advertisers.items():
            self.adv_by_network.setdefault(rec["_network_id"], []).append(a)
        self.zones_by_network: dict[int, list[int]] = {n: [] for n in self.networks}
        for z, rec in self.zones.items():
            self.zones_by_network.setdefault(rec["network_id"], []).append(z)
        self.ads_by_network: dict[int, list[int]] = {n: [] for n in self.networks}
        for ad, rec in self.advertisements.items():
            self.ads_by_network.setdefault(rec["_network_id"], []).append(ad)
        self.campaigns_by_advertiser: dict[int, list[int]] = {a: [] for a in self.advertisers}
        self.campaigns_by_zone: dict[int, set[int]] = {}
        for c, rec in self.campaigns.items():
            self.campaigns_by_advertiser.setdefault(rec["advertiser_id"], []).append(c)
            for pl in self.placements.get(c, ()):
                self.campaigns_by_zone.setdefault(pl["zone_id"], set()).add(c)

    # -- reads (what the API serves) ------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "networks": len(self.networks),
                "advertisers": len(self.advertisers),
                "zones": len(self.zones),
                "campaigns": len(self.campaigns),
                "advertisements": len(self.advertisements),
                "placements": sum(len(v) for v in self.placements.values()),
                **{name: len(getattr(self, name)) for name in self.recipes},
            }

    def network_of(self, kind: str, entity_id: int) -> int | None:
        rec = getattr(self, kind).get(entity_id)
        if rec is None:
            return None
        return rec.get("network_id") or rec.get("_network_id")

    # -- mutations (between syncs) --------------------------------------------------
    def add(self, kind: str, fields: dict[str, Any] | None = None) -> dict:
        """Add one entity.  ``fields`` must name the parent (``network_id``,
        ``advertiser_id`` or ``campaign_id``); other fields get sensible values."""
        fields = dict(fields or {})
        rng = random.Random(self.seed * 7919 + self.version)
        with self.lock:
            if kind == "placements":
                cid = int(fields.pop("campaign_id"))
                row = {"advertisement_id": int(fields["advertisement_id"]),
                       "zone_id": int(fields["zone_id"]),
                       "restrictions": list(fields.get("restrictions", []))}
                self.placements.setdefault(cid, []).append(row)
                self._refresh_active_placement()
                self._reindex()
                return dict(row, campaign_id=cid)
            store: dict[int, dict] = getattr(self, kind)
            new_id = int(fields.pop("id", 0)) or max(store or {0: None}) + 1
            if kind == "networks":
                rec = {"id": new_id, "name": "New Network", "group_id": None,
                       "web_home_url": "newnetwork.com", "logo": {"url": None},
                       "valet_active": False, "path": f"/networks/{new_id}"}
            elif kind == "advertisers":
                nid = int(fields.pop("network_id"))
                rec = {"id": new_id, "name": "New Advertiser", "logo": {"url": None},
                       "web_home_url": None, "notes": None, "admins": [], "_network_id": nid}
            elif kind == "zones":
                nid = int(fields.pop("network_id"))
                rec = {"id": new_id, "name": "New Zone", "network_id": nid, "alias": None,
                       "self_serve": False}
            elif kind == "campaigns":
                aid = int(fields.pop("advertiser_id"))
                nid = self.advertisers[aid]["_network_id"]
                rec = new_campaign(rng, self.today, new_id, aid, nid)
                self.placements[new_id] = []
            elif kind == "advertisements":
                aid = int(fields.pop("advertiser_id"))
                adv = self.advertisers[aid]
                rec = {"id": new_id, "name": "New Ad", "updated_at": updated_at(rng, self.today),
                       "type": "HtmlAdvertisement", "advertiser": adv["name"], "active": None,
                       "active_placement": False,
                       "preview_url": f"https://sim.broadstreetads.test/preview/{new_id}",
                       "_network_id": adv["_network_id"], "_advertiser_id": aid}
            else:
                raise ValueError(f"unknown kind {kind!r}")
            rec.update(fields)
            store[new_id] = rec
            self._reindex()
            return public(rec)

    def update(self, kind: str, entity_id: int, fields: dict[str, Any]) -> dict:
        """Change fields of one entity (a rename, new dates, ...)."""
        with self.lock:
            store: dict[int, dict] = getattr(self, kind)
            rec = store[int(entity_id)]
            rec.update(fields)
            if kind == "advertisers" and "name" in fields:  # ads name their advertiser
                for ad in self.advertisements.values():
                    if ad["_advertiser_id"] == rec["id"]:
                        ad["advertiser"] = rec["name"]
            if kind == "campaigns" and "active" in fields:
                self._refresh_active_placement()
            self._reindex()
            return public(rec)

    def delete(self, kind: str, entity_id: int | None = None, **key: int) -> int:
        """Delete an entity and everything under it; return how many records went."""
        with self.lock:
            removed = self._delete(kind, entity_id, key)
            self._refresh_active_placement()
            self._reindex()
            return removed

    def _delete(self, kind: str, entity_id: int | None, key: dict) -> int:
        if kind == "placements":
            cid = int(key["campaign_id"])
            rows = self.placements.get(cid, [])
            keep = [r for r in rows if not (r["advertisement_id"] == int(key["advertisement_id"])
                                            and r["zone_id"] == int(key["zone_id"]))]
            self.placements[cid] = keep
            return len(rows) - len(keep)
        entity_id = int(entity_id)
        store: dict[int, dict] = getattr(self, kind)
        if entity_id not in store:
            raise KeyError(f"{kind} {entity_id} does not exist")
        del store[entity_id]
        removed = 1
        if kind == "networks":
            for sub, field in (("advertisers", "_network_id"), ("zones", "network_id"),
                               ("advertisements", "_network_id")):
                for cid in [i for i, r in getattr(self, sub).items() if r[field] == entity_id]:
                    removed += self._delete(sub, cid, {})
        elif kind == "advertisers":
            for cid in [c for c, r in self.campaigns.items() if r["advertiser_id"] == entity_id]:
                removed += self._delete("campaigns", cid, {})
            for ad in [a for a, r in self.advertisements.items() if r["_advertiser_id"] == entity_id]:
                removed += self._delete("advertisements", ad, {})
        elif kind == "campaigns":
            removed += len(self.placements.pop(entity_id, []))
        elif kind in ("zones", "advertisements"):
            field = "zone_id" if kind == "zones" else "advertisement_id"
            for cid, rows in self.placements.items():
                keep = [r for r in rows if r[field] != entity_id]
                removed += len(rows) - len(keep)
                self.placements[cid] = keep
        for name, recipe in self.recipes.items():  # declared kinds go with their parent
            if recipe.parent == kind:
                for child in [i for i, r in getattr(self, name).items() if r["_parent"] == entity_id]:
                    removed += self._delete(name, child, {})
        return removed


def public(rec: dict) -> dict:
    """The record as the API serves it: without the simulator's ``_`` fields."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}
