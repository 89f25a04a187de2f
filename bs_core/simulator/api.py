"""What the simulated BroadStreet answers: its state (dataset, reports, faults, the
``/records`` throttle, request counters) and the routes of ``/api/1/...`` with the real
envelopes and quirks (``docs/broadstreet-api.md``).  ``server.py`` puts it on HTTP."""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from typing import Any

from .dataset import KINDS, Dataset, Recipe, public
from .faults import FaultBook
from .reports import GROUP_FIELDS, SELECT_FIELDS, Reports

DEFAULT_TOKEN = "demo-token"
API_PREFIX = "/api/1"


class Simulator:
    """Simulator state: dataset, reports, faults, throttle and request counters."""

    def __init__(self, size: str = "demo", seed: int = 1, token: str = DEFAULT_TOKEN,
                 latency_ms: float = 0.0, records_limit: int = 2, records_window: float = 5.0,
                 recipes: dict[str, Recipe] | None = None):
        self.token = token
        self.dataset = Dataset(size, seed, recipes=recipes)
        self.reports = Reports(self.dataset)
        self.faults = FaultBook(seed)
        self.faults.set_latency(latency_ms)
        self.records_limit = records_limit
        self.records_window = records_window
        self._records_calls: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._stats: collections.Counter = collections.Counter()
        self._lock = threading.Lock()

    # -- admin controls ---------------------------------------------------------------
    def reset(self, size: str | None = None, seed: int | None = None) -> None:
        self.dataset = Dataset(size or self.dataset.size, self.dataset.seed if seed is None else seed,
                               recipes=self.dataset.recipes)
        self.reports = Reports(self.dataset)

    def stats(self) -> dict:
        with self._lock:
            return {"total": sum(self._stats.values()), "by_endpoint": dict(self._stats)}

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._stats[endpoint] += 1

    def mutate(self, op: str, kind: str, entity_id: int | None = None,
               fields: dict | None = None, key: dict | None = None) -> Any:
        if kind not in KINDS and kind not in self.dataset.recipes:
            raise ValueError(f"kind must be one of {KINDS + tuple(self.dataset.recipes)}")
        if op == "add":
            return self.dataset.add(kind, fields or {})
        if op == "update":
            return self.dataset.update(kind, int(entity_id), fields or {})
        if op == "delete":
            return {"removed": self.dataset.delete(kind, entity_id, **(key or {}))}
        raise ValueError("op must be add, update or delete")

    def records_throttle(self, token: str) -> float:
        """Seconds to wait before this token may call ``/records`` again (0 = go)."""
        with self._lock:
            calls = self._records_calls[token]
            now = time.monotonic()
            while calls and now - calls[0] >= self.records_window:
                calls.popleft()
            if len(calls) >= self.records_limit:
                return self.records_window - (now - calls[0])
            calls.append(now)
            return 0.0

    # -- API -------------------------------------------------------------------------------
    def route(self, path: str, q: dict[str, str]) -> tuple[int, Any]:
        """Answer one API request: (status, JSON body)."""
        ds = self.dataset
        parts = [p for p in path.split("/") if p]
        with ds.lock:
            if parts == ["networks"]:
                return 200, {"networks": [public(n) for n in ds.networks.values()]}
            if len(parts) == 2 and parts[0] == "networks":
                nid = _int(parts[1])
                net = ds.networks.get(nid)
                if net is None:
                    return 404, {"message": "Not Found"}
                return 200, {"network": public(net) | {
                    "advertiser_count": len(ds.adv_by_network.get(nid, ())),
                    "zone_count": len(ds.zones_by_network.get(nid, ()))}}
            if len(parts) == 3 and parts[0] == "networks" and parts[2] == "highlights":
                return self._highlights(_int(parts[1]))
            if len(parts) == 2 and parts[0] in _SINGLE_ROUTES:
                return self._one(parts[0], _int(parts[1]))
            if parts == ["advertisers"]:
                nid = _int(q.get("network_id"))
                if nid not in ds.networks:
                    return _missing("network_id")
                return 200, {"advertisers": [public(ds.advertisers[a]) for a in ds.adv_by_network[nid]]}
            if parts == ["zones"]:
                nid = _int(q.get("network_id"))
                if nid not in ds.networks:
                    return _missing("network_id")
                return 200, {"zones": [public(ds.zones[z]) for z in ds.zones_by_network[nid]]}
            if parts == ["campaigns"]:
                return self._campaigns(q)
            if parts == ["advertisements"]:
                return self._advertisements(q)
            if parts == ["placements"]:
                cid = _int(q.get("campaign_id"))
                if cid not in ds.campaigns:
                    return _missing("campaign_id")
                # The real API: a bare array, items without campaign_id.
                return 200, [dict(p) for p in ds.placements.get(cid, ())]
            if len(parts) == 1 and parts[0] in ds.recipes:  # a kind the registry declares
                field = ds.recipes[parts[0]].parent_field
                listed = ds.declared_under(parts[0], _int(q.get(field)))
                return _missing(field) if listed is None else (200, {parts[0]: listed})
        if parts == ["records"]:
            return self._records(q)
        return 404, {"message": "Not Found"}

    def _one(self, kind: str, ident: int) -> tuple[int, Any]:
        """A single record (``/advertisers/{id}``, ``/campaigns/{id}``, ``/zones/{id}``):
        404 once it is gone, the only proof of a deletion the API gives.  Advertisers come
        wrapped; campaigns and zones unwrapped as the spec shows them, except on every
        second network, which wraps them as an older published client reads them."""
        ds = self.dataset
        rec = getattr(ds, kind).get(ident)
        if rec is None:
            return 404, {"message": "Not Found"}
        wrapper = _SINGLE_ROUTES[kind]
        if kind != "advertisers" and sorted(ds.networks).index(ds.network_of(kind, ident)) % 2 == 0:
            wrapper = None
        return 200, public(rec) if wrapper is None else {wrapper: public(rec)}

    def _campaigns(self, q: dict[str, str]) -> tuple[int, Any]:
        ds = self.dataset
        has_adv, has_zone = "advertiser_id" in q, "zone_id" in q
        if has_adv == has_zone:
            return 422, {"errors": {"base": ["Provide exactly one of advertiser_id or zone_id"]}}
        if has_adv:
            aid = _int(q["advertiser_id"])
            if aid not in ds.advertisers:
                return 404, {"message": "Not Found"}
            ids = ds.campaigns_by_advertiser.get(aid, [])
        else:
            ids = sorted(ds.campaigns_by_zone.get(_int(q["zone_id"]), ()))
        return 200, {"campaigns": [public(ds.campaigns[c]) for c in ids]}

    def _advertisements(self, q: dict[str, str]) -> tuple[int, Any]:
        ds = self.dataset
        nid = _int(q.get("network_id"))
        if nid not in ds.networks:
            return _missing("network_id")
        ads = [ds.advertisements[a] for a in ds.ads_by_network[nid]]
        if "advertiser_id" in q:
            ads = [a for a in ads if a["_advertiser_id"] == _int(q["advertiser_id"])]
        if "zone_id" in q:
            zid = _int(q["zone_id"])
            placed = {p["advertisement_id"] for rows in ds.placements.values() for p in rows
                      if p["zone_id"] == zid}
            ads = [a for a in ads if a["id"] in placed]
        return 200, {"advertisements": [public(a) for a in ads]}

    def _records(self, q: dict[str, str]) -> tuple[int, Any]:
        try:
            start = dt.date.fromisoformat(q["start_date"])
            end = dt.date.fromisoformat(q["end_date"])
        except (KeyError, ValueError):
            return 422, {"errors": {"start_date": ["start_date and end_date must be YYYY-MM-DD"]}}
        rtype = q.get("type", "")
        if rtype == "custom":
            nid = _int(q.get("network_id"))
            if nid not in self.dataset.networks:
                return _missing("network_id")
            select = [s for s in q.get("select", "count(view)").split(",") if s]
            group = [g for g in q.get("group", "").split(",") if g]
            bad = [s for s in select if s not in SELECT_FIELDS] + [g for g in group if g not in GROUP_FIELDS]
            if bad:
                return 422, {"errors": {"select": [f"unknown: {', '.join(bad)}"]}}
            return 200, {"records": self.reports.custom(nid, select, group, start, end)}
        if rtype not in ("network", "advertiser", "campaign", "advertisement"):
            return 422, {"errors": {"type": ["unknown report type"]}}
        try:
            body = self.reports.report(rtype, _int(q.get("id")), start, end, q.get("summary") == "1")
        except KeyError:
            return 404, {"message": "Not Found"}
        return 200, body

    def _highlights(self, nid: int) -> tuple[int, Any]:
        ds = self.dataset
        if nid not in ds.networks:
            return 404, {"message": "Not Found"}
        ads = [ds.advertisements[a] for a in ds.ads_by_network[nid]]
        best = ads[0] if ads else None
        return 200, {"data": {
            "advertisers_created": len(ds.adv_by_network[nid]),
            "advertisements_created": len(ads),
            "avg_ctr": 0.0012,
            "highest_ctr": {"ctr": 0.004, "ad": public(best) if best else None},
        }}


_SINGLE_ROUTES = {"advertisers": "advertiser", "campaigns": "campaign", "zones": "zone"}


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


def _missing(param: str) -> tuple[int, Any]:
    return 404, {"message": "Not Found", "param": param}


def endpoint_of(path: str) -> str:
    """``/networks/123/highlights`` -> ``/networks/{id}/highlights`` (for counters)."""
    return "/" + "/".join("{id}" if p.isdigit() else p for p in path.split("/") if p)
