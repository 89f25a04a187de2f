"""How the simulated account is made: presets, dirty names and URLs as BroadStreet sends
them, and the deterministic generation of every entity from a seed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dataset import Dataset

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
    #: each network's reporting timezone as minutes from UTC (cycled over the networks);
    #: empty: report rows dated the old way, "2026-11-29 13:00:00" with no offset
    utc_offsets: tuple[int, ...] = ()


PRESETS: dict[str, Preset] = {
    "tiny": Preset((5,), (8,), 8, 7, 30, 0),
    "demo": Preset((30, 18), (400, 249), 122, 102, 4400, 1200, utc_offsets=(-300, -480)),
    # three networks on three clocks (UTC-05:00, UTC-08:00, UTC+12:00): where "yesterday" differs most
    "world": Preset((30, 18, 12), (400, 249, 150), 140, 110, 4600, 0, utc_offsets=(-300, -480, 720)),
    "large": Preset((200,) * 10, (250,) * 10, 10_000, 12_000, 150_000, 1500,
                    utc_offsets=(-300, -360, -420, -480, 60)),
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


def updated_at(rng: random.Random, today: dt.date) -> str:
    """An ``updated_at`` in US Pacific local time: the offset changes with DST."""
    day = today - dt.timedelta(days=rng.randint(1, 700))
    moment = dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59),
                         rng.randint(0, 59))
    offset = "-07:00" if 3 <= moment.month <= 10 else "-08:00"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000") + offset


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def generate(ds: Dataset, p: Preset, rng: random.Random) -> None:
    """Fill ``ds`` with the account ``p`` describes, drawn from ``rng``."""
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
        ds.networks[nid] = {
            "id": nid,
            "name": f"{_ADJ[i % len(_ADJ)]} Gazette" + (f" {i + 1}" if i >= len(_ADJ) else ""),
            "group_id": rng.choice([None, rng.randint(100, 999)]),
            "web_home_url": rng.choice([f"https://{slug}.com", f"{slug}.com"]),
            "logo": {"url": f"https://cdn.{slug}.com/logo.png" if rng.random() < 0.7 else None},
            "valet_active": rng.random() < 0.5,
            "path": f"/networks/{nid}",
            "_utc_offset": p.utc_offsets[i % len(p.utc_offsets)] if p.utc_offsets else None,
        }

    adv_by_network: dict[int, list[int]] = {}
    for nid, count in zip(network_ids, p.advertisers, strict=False):
        adv_by_network[nid] = []
        for j in range(count):
            aid = next_id("advertisers")
            base = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
            name = base if j % 7 else f"{base} {j}"
            ds.advertisers[aid] = {
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
            ds.zones[zid] = {
                "id": zid,
                "name": _dirty_name(rng, name),
                "network_id": nid,
                "alias": f"zone-{zid}" if rng.random() < 0.1 else None,
                "self_serve": rng.random() < 0.2,
            }
            zones_by_network[nid].append(zid)

    all_advertisers = list(ds.advertisers)
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
        adv = ds.advertisers[a]
        ds.advertisements[ad_id] = {
            "id": ad_id,
            "name": f"{adv['name'].strip()} {rng.choice(('728x90', '300x250', 'Text', 'Native'))}",
            "updated_at": updated_at(rng, ds.today),
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
        adv = ds.advertisers[a]
        for _ in range(campaigns_per[a]):
            cid = next_id("campaigns")
            campaign_ids.append(cid)
            ds.campaigns[cid] = new_campaign(rng, ds.today, cid, a, adv["_network_id"])

    big_id = None
    if p.big_campaign:
        # The advertiser with the most ads in the first network gets the big campaign.
        first = network_ids[0]
        cands = [c for c in campaign_ids if ds.campaigns[c]["_network_id"] == first]
        big_id = max(cands, key=lambda c: (len(ads_of[ds.campaigns[c]["advertiser_id"]]), -c))
        big_adv = ds.campaigns[big_id]["advertiser_id"]
        need = math.ceil(p.big_campaign / len(zones_by_network[first]))
        while len(ads_of[big_adv]) < need:  # give it enough ads to reach the size
            donor = next(ad for ad, rec in ds.advertisements.items()
                         if rec["_network_id"] == first and rec["_advertiser_id"] != big_adv
                         and len(ads_of[rec["_advertiser_id"]]) > 1)
            old = ds.advertisements[donor]["_advertiser_id"]
            ads_of[old].remove(donor)
            ads_of[big_adv].append(donor)
            ds.advertisements[donor].update(
                advertiser=ds.advertisers[big_adv]["name"], _advertiser_id=big_adv)
        ds.campaigns[big_id].update(active=True, end_date=None,
                                      start_date=str(ds.today - dt.timedelta(days=90)))

    raw = {c: math.exp(rng.gauss(math.log(4), 1.4)) for c in campaign_ids if c != big_id}
    target = p.placements - (p.big_campaign if big_id else 0)
    scale = target / max(sum(raw.values()), 1)
    for cid in campaign_ids:
        camp = ds.campaigns[cid]
        ads = ads_of[camp["advertiser_id"]]
        zones = zones_by_network[camp["_network_id"]]
        want = p.big_campaign if cid == big_id else max(1, round(raw[cid] * scale))
        ds.placements[cid] = new_placements(rng, want, ads, zones)

    # Invariant: an ad is "active_placement" exactly when an active campaign places it.
    ds._refresh_active_placement()



def new_campaign(rng: random.Random, today: dt.date, cid: int, advertiser_id: int, network_id: int) -> dict:
    active = rng.random() < 0.25
    if active:
        start = today + dt.timedelta(days=rng.choice((-120, -60, -30, -10, -3, 5, 20)))
    else:
        start = today + dt.timedelta(days=rng.randint(-500, 30))
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



def new_placements(rng: random.Random, want: int, ads: list[int], zones: list[int]) -> list[dict]:
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
