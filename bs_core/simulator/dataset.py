"""A deterministic synthetic BroadStreet account, shaped like the real one described in
``docs/broadstreet-api.md``.

Records are kept exactly as the API returns them; fields that start with ``_`` are
the simulator's own bookkeeping (which network an advertiser belongs to, ...) and are
stripped before serving.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import random
import threading
from typing import Any

from ..entities import ENTITY_NAMES

KINDS = ENTITY_NAMES
WEIGHTS = ("default", "remnant", "low", "high", "sponsorship")
AD_TYPES = ("StaticAdvertisement", "HtmlAdvertisement", "StencilAdvertisement")
RESTRICTIONS = ("tablet", "phone", "non_phone", "desktop", "mobile")


@dataclasses.dataclass(frozen=True)
class Preset:
    advertisers: tuple[int, ...]  # per network
    zones: tuple[int, ...]
    campaigns: int
    advertisements: int
    placements: int
    big_campaign: int  # placements of the one very large campaign (0 = none)


PRESETS: dict[str, Preset] = {
    "tiny": Preset((5,), (8,), 8, 7, 30, 0),
    "demo": Preset((30, 18), (400, 249), 122, 102, 4400, 1200),
    "large": Preset((200,) * 10, (250,) * 10, 10_000, 12_000, 150_000, 1500),
}

_ADJ = ("Harbor", "Maple", "Summit", "Riverside", "Coastal", "Golden", "Pine", "Union",
        "Liberty", "Cedar", "Northside", "Bayview", "Elm Street", "Lakeside", "Metro")
_NOUN = ("Dental", "Motors", "Bakery", "Realty", "Insurance", "Fitness", "Pharmacy",
         "Hardware", "Credit Union", "Brewing", "Law Group", "Florist", "Auto Body", "Clinic")
_ZONE = ("Leaderboard 728x90", "Sidebar 300x250", "Footer Banner", "In-Story", "Newsletter Top",
         "Mobile Sticky", "Homepage Hero", "Obituaries Box", "Sports Rail", "Weather Widget")
_SECTION = ("Home", "News", "Sports", "Opinion", "Business", "Arts", "Obituaries", "Real Estate")
_CAMPAIGN = ("Spring Promo", "Holiday Sale", "Run of site", "Brand Awareness", "Grand Opening",
             "Back to School", "Summer Special", "Sponsorship", "Retargeting", "Event")


def _dirty_name(rng: random.Random, name: str) -> str:
    """Names as they really come back: stray whitespace, newlines, non-breaking spaces."""
    r = rng.random()
    if r < 0.12:
        return f"  {name} "
    if r < 0.20:
        return name.replace(" ", "\u00a0", 1)
    if r < 0.26:
        return f"{name}\n"
    if r < 0.30:
        return name.replace(" ", "  ", 1)
    return name


def _dirty_url(rng: random.Random, slug: str) -> str | None:
    r = rng.random()
    if r < 0.3:
        return None
    if r < 0.4:
        return ""
    if r < 0.5:
        return f"www.{slug}.com "
    if r < 0.55:
        return f"info@{slug}.com"
    return f"https://www.{slug}.com"


def _updated_at(rng: random.Random, today: dt.date) -> str:
    """An ``updated_at`` in US Pacific local time: the offset changes with DST."""
    day = today - dt.timedelta(days=rng.randint(1, 700))
    moment = dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59),
                         rng.randint(0, 59))
    offset = "-07:00" if 3 <= moment.month <= 10 else "-08:00"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000") + offset


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class Dataset:
    """The simulated account.  Thread-safe: readers and mutators share one lock."""

    def __init__(self, size: str = "demo", seed: int = 1, today: dt.date | None = None):
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
        self._reindex()

    # -- generation --------------------------------------------------------------
    def _generate(self, p: Preset, rng: random.Random) -> None:
        n_networks = len(p.advertisers)
        network_ids = sorted(rng.sample(range(10_000, 99_999), n_networks))
        ids = {
            "advertisers": itertools.count(100_000 + rng.randint(0, 50_000), 1),
            "zones": itertools.count(150_000 + rng.randint(0, 50_000), 1),
            "campaigns": itertools.count(300_000 + rng.randint(0, 200_000), 1),
            "advertisements": itertools.count(1_000_000 + rng.randint(0, 500_000), 1),
        }

        def next_id(kind: str) -> int:
            return next(ids[kind])

        for i, nid in enumerate(network_ids):
            slug = f"gazette{i + 1}"
            self.networks[nid] = {
                "id": nid,
                "name": f"{_ADJ[i % len(_ADJ)]} Gazette" + (f" {i + 1}" if i >= len(_ADJ) else ""),
                "group_id": rng.choice([None, rng.randint(100, 999)]),
                "web_home_url": rng.choice([f"https://{slug}.com", f"{slug}.com"]),
                "logo": {"url": f"https://cdn.{slug}.com/logo.png" if rng.random() < 0.7 else None},
                "valet_active": rng.random() < 0.5,
                "path": f"/networks/{nid}",
            }

        adv_by_network: dict[int, list[int]] = {}
        for nid, count in zip(network_ids, p.advertisers, strict=False):
            adv_by_network[nid] = []
            for j in range(count):
                aid = next_id("advertisers")
                base = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
                name = base if j % 7 else f"{base} {j}"
                self.advertisers[aid] = {
                    "id": aid,
                    "name": _dirty_name(rng, name),
                    "logo": {"url": f"https://cdn.example.com/{aid}.png" if rng.random() < 0.2 else None},
                    "web_home_url": _dirty_url(rng, name.lower().replace(" ", "")),
                    "notes": None,
                    "admins": [] if rng.random() < 0.8 else [{"email": f"ads{aid}@example.com"}],
                    "_network_id": nid,
                }
                adv_by_network[nid].append(aid)

        zones_by_network: dict[int, list[int]] = {}
        for nid, count in zip(network_ids, p.zones, strict=False):
            zones_by_network[nid] = []
            for _ in range(count):
                zid = next_id("zones")
                name = f"{rng.choice(_SECTION)} {rng.choice(_ZONE)}"
                self.zones[zid] = {
                    "id": zid,
                    "name": _dirty_name(rng, name),
                    "network_id": nid,
                    "alias": f"zone-{zid}" if rng.random() < 0.1 else None,
                    "self_serve": rng.random() < 0.2,
                }
                zones_by_network[nid].append(zid)

        all_advertisers = list(self.advertisers)
        # Campaigns per advertiser: median 1, a long tail up to ~50.
        campaigns_per = {a: 0 for a in all_advertisers}
        weights = [rng.paretovariate(1.1) for _ in all_advertisers]
        base = min(1, p.campaigns // max(len(all_advertisers), 1))
        for a in all_advertisers:
            campaigns_per[a] = base
        remaining = p.campaigns - base * len(all_advertisers)
        for a in rng.choices(all_advertisers, weights=weights, k=max(remaining, 0)):
            campaigns_per[a] += 1
        overflow = 0
        for a in all_advertisers:
            if campaigns_per[a] > 50:
                overflow += campaigns_per[a] - 50
                campaigns_per[a] = 50
        light = [a for a in all_advertisers if campaigns_per[a] < 50]
        for a in rng.choices(light, k=overflow):
            campaigns_per[a] += 1

        # Advertisements: every advertiser with campaigns gets one, the rest by weight.
        ads_of: dict[int, list[int]] = {a: [] for a in all_advertisers}
        owners = [a for a in all_advertisers if campaigns_per[a]]
        extra = max(p.advertisements - len(owners), 0)
        assigned = owners[: p.advertisements] + rng.choices(
            owners, weights=[campaigns_per[a] for a in owners], k=extra
        )
        for a in assigned:
            ad_id = next_id("advertisements")
            kind = rng.choices(AD_TYPES, weights=(60, 25, 15))[0]
            adv = self.advertisers[a]
            self.advertisements[ad_id] = {
                "id": ad_id,
                "name": f"{adv['name'].strip()} {rng.choice(('728x90', '300x250', 'Text', 'Native'))}",
                "updated_at": _updated_at(rng, self.today),
                "type": kind,
                "advertiser": adv["name"],
                "active": {"url": f"https://cdn.example.com/ads/{ad_id}.jpg"}
                if kind == "StaticAdvertisement"
                else None,
                "active_placement": False,
                "preview_url": f"https://sim.broadstreetads.test/preview/{ad_id}",
                "_network_id": adv["_network_id"],
                "_advertiser_id": a,
            }
            ads_of[a].append(ad_id)

        # Campaigns, then placements (median 4, p90 ~24, one very large campaign).
        campaign_ids: list[int] = []
        for a in all_advertisers:
            adv = self.advertisers[a]
            for _ in range(campaigns_per[a]):
                cid = next_id("campaigns")
                campaign_ids.append(cid)
                self.campaigns[cid] = self._new_campaign(rng, cid, a, adv["_network_id"])

        big_id = None
        if p.big_campaign:
            # The advertiser with the most ads in the first network gets the big campaign.
            first = network_ids[0]
            cands = [c for c in campaign_ids if self.campaigns[c]["_network_id"] == first]
            big_id = max(cands, key=lambda c: (len(ads_of[self.campaigns[c]["advertiser_id"]]), -c))
            big_adv = self.campaigns[big_id]["advertiser_id"]
            need = math.ceil(p.big_campaign / len(zones_by_network[first]))
            while len(ads_of[big_adv]) < need:  # give it enough ads to reach the size
                donor = next(ad for ad, rec in self.advertisements.items()
                             if rec["_network_id"] == first and rec["_advertiser_id"] != big_adv
                             and len(ads_of[rec["_advertiser_id"]]) > 1)
                old = self.advertisements[donor]["_advertiser_id"]
                ads_of[old].remove(donor)
                ads_of[big_adv].append(donor)
                self.advertisements[donor].update(
                    advertiser=self.advertisers[big_adv]["name"], _advertiser_id=big_adv)
            self.campaigns[big_id].update(active=True, end_date=None,
                                          start_date=str(self.today - dt.timedelta(days=90)))

        raw = {c: math.exp(rng.gauss(math.log(4), 1.4)) for c in campaign_ids if c != big_id}
        target = p.placements - (p.big_campaign if big_id else 0)
        scale = target / max(sum(raw.values()), 1)
        for cid in campaign_ids:
            camp = self.campaigns[cid]
            ads = ads_of[camp["advertiser_id"]]
            zones = zones_by_network[camp["_network_id"]]
            want = p.big_campaign if cid == big_id else max(1, round(raw[cid] * scale))
            self.placements[cid] = self._new_placements(rng, want, ads, zones)

        # Invariant: an ad is "active_placement" exactly when an active campaign places it.
        self._refresh_active_placement()

    def _new_campaign(self, rng: random.Random, cid: int, advertiser_id: int, network_id: int) -> dict:
        active = rng.random() < 0.25
        if active:
            start = self.today + dt.timedelta(days=rng.choice((-120, -60, -30, -10, -3, 5, 20)))
        else:
            start = self.today + dt.timedelta(days=rng.randint(-500, 30))
        open_ended = rng.random() < 0.4
        end = None if open_ended else start + dt.timedelta(days=rng.randint(7, 240))
        return {
            "id": cid,
            "name": _dirty_name(rng, f"{rng.choice(_CAMPAIGN)} {start.year}"),
            "advertiser_id": advertiser_id,
            "start_date": None if rng.random() < 0.05 else start.isoformat(),
            "end_date": end.isoformat() if end else None,
            "max_impression_count": rng.choice([None] * 9 + [rng.randint(1, 100) * 1000]),
            "display_type": rng.choice([None, "no_repeat", "all", "random"]),
            "active": active,
            "weight": rng.choices(WEIGHTS, weights=(70, 15, 5, 5, 5))[0],
            "path": f"/networks/{network_id}/advertisers/{advertiser_id}/campaigns/{cid}",
            "_network_id": network_id,
        }

    @staticmethod
    def _new_placements(rng: random.Random, want: int, ads: list[int], zones: list[int]) -> list[dict]:
        if not ads or not zones:
            return []
        n_ads = min(len(ads), max(math.ceil(want / len(zones)), 1 + (want > 8) + (want > 40)))
        n_zones = min(len(zones), math.ceil(want / n_ads))
        chosen_ads = rng.sample(ads, n_ads)
        chosen_zones = rng.sample(zones, n_zones)
        out = []
        for ad, zone in itertools.islice(itertools.product(chosen_ads, chosen_zones), want):
            restrictions = [] if rng.random() < 0.9 else sorted(rng.sample(RESTRICTIONS, rng.randint(1, 2)))
            out.append({"advertisement_id": ad, "zone_id": zone, "restrictions": restrictions})
        return out

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
                rec = self._new_campaign(rng, new_id, aid, nid)
                self.placements[new_id] = []
            elif kind == "advertisements":
                aid = int(fields.pop("advertiser_id"))
                adv = self.advertisers[aid]
                rec = {"id": new_id, "name": "New Ad", "updated_at": _updated_at(rng, self.today),
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
        return removed


def public(rec: dict) -> dict:
    """The record as the API serves it: without the simulator's ``_`` fields."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}
