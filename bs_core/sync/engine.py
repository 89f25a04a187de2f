"""The sync engine: fetch a scope from BroadStreet, write only what changed, delete only
what a complete fetch proved gone, and record the run.

Dependency order: networks -> per network advertisers, zones, advertisements -> per
advertiser campaigns -> per campaign placements -> reporting stats.  Fetches fan out on a
bounded thread pool; normalisation and bulk writes happen in the calling thread as
results arrive, so the network and the database work at the same time.

Safety: nothing wipes a collection.  A document is deleted only when the complete fetch
of its parent scope succeeded in this run and the document was absent from it; a failed
scope records its error, keeps its documents, and the run ends ``partial``.  Every write
is a whole, correct document, so a run killed at any point leaves a readable mirror.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from pymongo.database import Database

from .. import normalize as norm
from .. import readmodels as rm
from ..client import BroadStreetClient
from ..errors import AuthError, BroadStreetError, NotFoundError, ScopeError
from ..settings import Settings
from ..store import ENTITIES, MirrorWriter, ensure_indexes
from . import stats as stats_mod
from .lock import Lease
from .runs import RunRecorder, new_run_id, reap_dead_runs
from .scopes import Scope, parse_scope

log = logging.getLogger(__name__)
PHASES = ("networks", "advertisers", "zones", "advertisements", "campaigns", "placements", "stats")
# Children removed with a deleted parent (parent collection -> [(child, field)]).
CASCADE = {
    "networks": [(c, "network_id") for c in ("advertisers", "zones", "advertisements", "campaigns",
                                             "placements", "stats_daily", "stats_zones")],
    "advertisers": [("campaigns", "advertiser_id"), ("placements", "_campaign_of_advertiser")],
    "zones": [("placements", "zone_id")],
    "advertisements": [("placements", "advertisement_id")],
    "campaigns": [("placements", "campaign_id")],
}
LARGE_PARENT_SET = 1000  # above this, load a collection's hashes whole instead of by $in


class SyncAbortedError(Exception):
    """Stop the run now (cancelled, lease lost, or a fatal upstream error)."""

    def __init__(self, status: str, message: str, cause: BaseException | None = None):
        self.status = status
        #: the words a user sees: those of the upstream error that stopped the run
        self.plain = getattr(cause, "plain", None) or (
            "The sync was cancelled" if status == "cancelled" else "The sync stopped")
        super().__init__(message)


class SyncEngine:
    """One run.  ``prepare`` takes the lease and records the run (raises
    :class:`~bs_core.errors.SyncLockedError` when another sync holds it); ``execute``
    does the work and always releases the lease."""

    def __init__(self, settings: Settings, db: Database, *, client: BroadStreetClient | None = None,
                 today: dt.date | None = None, listener: Callable[[str, int, int], None] | None = None,
                 cancel: threading.Event | None = None):
        self.settings = settings
        self.db = db
        self.client = client or BroadStreetClient(settings)
        self._requests_before = self.client.request_stats()
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.listener = listener
        self.cancel = cancel or threading.Event()
        self.run_id: str | None = None
        self.scope: Scope | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def prepare(self, scope: str | Scope = "quick", trigger: str = "cli",
                only_if: Callable[[], bool] | None = None) -> str | None:
        """Take the lease and record the run; return its id.

        ``only_if`` is checked while holding the lease: if it says False, the lease is
        released and None returned (how initialisation runs exactly once).
        """
        self.scope = scope if isinstance(scope, Scope) else parse_scope(scope)
        ensure_indexes(self.db)
        self.run_id = new_run_id()
        self.lease = Lease(self.db, self.settings.lease_seconds)
        self.lease.acquire(self.run_id)
        try:
            if only_if is not None and not only_if():
                self.lease.release()
                return None
            reap_dead_runs(self.db, self.run_id)
            self.recorder = RunRecorder(self.db, self.run_id, trigger, str(self.scope), self.lease.owner,
                                        listener=self.listener)
            self.recorder.start()
        except BaseException:
            self.lease.release()
            raise
        self.lease.start_heartbeat()
        self.writer = MirrorWriter(self.db, self.run_id)
        return self.run_id

    def execute(self) -> dict:
        status = "success"
        try:
            self._run_scope(self.scope)
            self.writer.flush()
            if self.recorder.errors:
                status = "partial"
        except SyncAbortedError as exc:
            status = exc.status
            self.recorder.error(exc, "run")
            self._flush_quietly()
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never swallowed
            log.exception("sync %s failed", self.run_id)
            status = "failed"
            self.recorder.error(exc, "run")
            self._flush_quietly()
        finally:
            self.lease.stop_heartbeat()
        counts = {k: v.as_dict() for k, v in self.writer.counts.items()}
        if status in ("success", "partial"):
            try:
                rm.refresh_summaries(self.db, self.run_id, counts)
            except Exception:  # noqa: BLE001 - a summary is derived data; the run stands
                log.warning("could not refresh summaries after run %s", self.run_id)
        try:
            return self.recorder.finish(status, counts=counts, requests=self._requests(),
                                        documents_written=self.writer.documents_written)
        finally:
            self.lease.release()
            self.client.close()

    def _flush_quietly(self) -> None:
        try:
            self.writer.flush()
        except Exception:  # noqa: BLE001 - the original failure is what gets reported
            log.warning("could not flush staged writes of failed run %s", self.run_id)

    def _requests(self) -> dict:
        out = {}
        for endpoint, now in self.client.request_stats().items():
            before = self._requests_before.get(endpoint, {})
            out[endpoint] = {k: v - before.get(k, 0) for k, v in now.items()}
        return out

    def _check(self) -> None:
        if self.cancel.is_set():
            raise SyncAbortedError("cancelled", "the sync was cancelled")
        if self.lease.lost.is_set():
            raise SyncAbortedError("failed", "the sync lost its lease to another run")

    # -- scopes --------------------------------------------------------------------------
    def _run_scope(self, scope: Scope) -> None:
        kind, target = scope.kind, scope.target
        if kind in ("full", "quick"):
            networks = self._networks_phase()
            self._network_children(networks)
            advertisers = self._advertisers_of(networks)
            # Placements follow the campaigns this run fetched: a failed advertiser
            # scope leaves its campaigns and their placements untouched.
            campaigns = self._campaigns_phase(advertisers)
            if kind == "quick":
                campaigns = self._quick_selection(campaigns)
            self._placements_phase(campaigns)
            self._stats_phase(networks)
        elif kind == "network":
            networks = self._networks_phase(only=int(target))
            self._network_children(networks)
            self._placements_phase(self._campaigns_phase(self._advertisers_of(networks)))
            self._stats_phase(networks)
        elif kind == "advertiser":
            adv = self.db.advertisers.find_one({"_id": int(target)}, {"network_id": 1})
            if adv is None:
                raise ScopeError(f"advertiser {target} is not in the mirror; run a full sync first")
            campaigns = self._campaigns_phase([(adv["_id"], adv["network_id"])])
            self._placements_phase(campaigns)
        elif kind == "campaign":
            camp = self.db.campaigns.find_one({"_id": int(target)}, {"network_id": 1})
            if camp is None:
                raise ScopeError(f"campaign {target} is not in the mirror; run a full sync first")
            self._placements_phase([(camp["_id"], camp["network_id"])])
        elif kind == "entity":
            self._entity_scope(str(target))
        elif kind == "stats":
            self._stats_phase(self._networks_in_mirror_or_upstream())
        else:  # parse_scope guarantees this never happens
            raise ScopeError(f"unknown scope {scope}")

    def _entity_scope(self, entity: str) -> None:
        if entity == "networks":
            self._networks_phase()
            return
        networks = self._networks_in_mirror_or_upstream()
        if entity in ("advertisers", "zones", "advertisements"):
            self._network_children(networks, only=entity)
        elif entity == "campaigns":
            self._campaigns_phase(self._advertisers_of(networks))
        elif entity == "placements":
            self._placements_phase(self._campaigns_in_mirror(networks))

    def _networks_in_mirror_or_upstream(self) -> list[int]:
        ids = [d["_id"] for d in self.db.networks.find({}, {"_id": 1})]
        if ids:
            return ids
        try:  # an empty mirror: ask BroadStreet which networks exist (nothing is written)
            return [n["id"] for n in self.client.networks() if isinstance(n.get("id"), int)]
        except AuthError as exc:
            raise SyncAbortedError("failed", str(exc), exc) from None

    # -- phases -------------------------------------------------------------------------
    def _networks_phase(self, only: int | None = None) -> list[int]:
        self.recorder.set_phase("networks", 1)
        try:
            if only is None:
                raw = self.client.networks()
            else:
                one = self.client.network(only)
                raw = [{k: v for k, v in one.items() if k not in ("advertiser_count", "zone_count")}]
        except NotFoundError as exc:
            raise SyncAbortedError("failed", f"network {only} was not found upstream ({exc})", exc) from None
        except BroadStreetError as exc:
            raise SyncAbortedError("failed", f"could not list networks: {exc}", exc) from None
        docs = self._normalize("networks", raw, norm.Context(self.today))
        query = {} if only is None else {"_id": only}
        existing = self.writer.existing("networks", query)
        ids, _ = self.writer.stage("networks", docs, existing)
        if only is None:
            self._delete("networks", set(existing) - ids)
            self.writer.seen_scope("networks", "all")
        self.writer.flush()
        self.recorder.advance("networks")
        return sorted(ids)

    def _network_children(self, networks: list[int], only: str | None = None) -> None:
        self.fetched_advertisers: dict[int, list[dict]] = {}
        for kind in ("advertisers", "zones", "advertisements"):
            if only and kind != only:
                continue
            fetch = {
                "advertisers": self.client.advertisers,
                "zones": self.client.zones,
                "advertisements": self.client.advertisements,
            }[kind]

            def context(nid: int, kind: str = kind) -> norm.Context:
                ctx = norm.Context(self.today, network_id=nid)
                if kind == "advertisements":
                    advs = self.fetched_advertisers.get(nid)
                    if advs is None:  # this run did not fetch them: use the mirror's
                        advs = [{"_id": d["_id"], "name": d.get("name")}
                                for d in self.db.advertisers.find({"network_id": nid}, {"name": 1})]
                    ctx.advertiser_ids_by_name = norm.advertiser_name_index(advs)
                return ctx

            self._fan_out_entities(kind, "network_id", [(n, n) for n in networks],
                                   lambda item, f=fetch: f(item[0]), context)
            self.writer.flush()

    def _advertisers_of(self, networks: list[int]) -> list[tuple[int, int]]:
        """(advertiser, network) pairs for the networks, from the mirror (just updated)."""
        if not networks:
            return []
        cur = self.db.advertisers.find({"network_id": {"$in": networks}}, {"network_id": 1})
        return sorted((d["_id"], d["network_id"]) for d in cur)

    def _campaigns_in_mirror(self, networks: list[int]) -> list[tuple[int, int]]:
        cur = self.db.campaigns.find({"network_id": {"$in": networks}}, {"network_id": 1})
        return sorted((d["_id"], d["network_id"]) for d in cur)

    def _campaigns_phase(self, advertisers: list[tuple[int, int]]) -> list[tuple[int, int]]:
        self.campaign_outcome: dict[int, tuple[int, str, bool]] = {}  # id -> (network, status, changed)

        def on_docs(item: tuple[int, int], docs: list[dict], changed: set) -> None:
            for d in docs:
                self.campaign_outcome[d["_id"]] = (item[1], d["status"], d["_id"] in changed)

        self._fan_out_entities(
            "campaigns", "advertiser_id", advertisers,
            lambda item: self.client.campaigns(advertiser_id=item[0]),
            lambda nid: norm.Context(self.today, network_id=nid), on_docs=on_docs)
        self.writer.flush()
        return sorted((cid, v[0]) for cid, v in self.campaign_outcome.items())

    def _quick_selection(self, campaigns: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Campaigns whose placements a quick sync refetches: running or scheduled, changed
        in this run, or never synced for placements."""
        synced = {d["scope"] for d in self.db.sync_scopes.find({"collection": "placements"}, {"scope": 1})}
        chosen = []
        for cid, nid in campaigns:
            _, status, changed = self.campaign_outcome[cid]
            if status in ("running", "scheduled") or changed or str(cid) not in synced:
                chosen.append((cid, nid))
        return chosen

    def _placements_phase(self, campaigns: list[tuple[int, int]]) -> None:
        def context(item: tuple[int, int]) -> norm.Context:
            return norm.Context(self.today, network_id=item[1], campaign_id=item[0])

        self._fan_out_entities(
            "placements", "campaign_id", [(cid, (cid, nid)) for cid, nid in campaigns],
            lambda item: self.client.placements(item[0]), context)
        self.writer.flush()

    def _fan_out_entities(self, kind: str, parent_field: str, items: list[tuple[int, Any]],
                          fetch: Callable[[tuple], list], context: Callable[[Any], norm.Context],
                          on_docs: Callable | None = None) -> None:
        """Fetch one list per parent and mirror it: stage changes, delete what vanished.

        ``items`` are (parent id, context key) pairs.
        """
        parents = [p for p, _ in items]
        existing = self._existing_by_parent(kind, parent_field, parents)

        def handle(item: tuple[int, Any], raw: list) -> None:
            parent, key = item
            docs = self._normalize(kind, raw, context(key))
            before = existing.get(parent, {})
            ids, changed = self.writer.stage(kind, docs, before)
            self._delete(kind, set(before) - ids)
            self.writer.seen_scope(kind, parent)
            if on_docs:
                on_docs(item, docs, changed)
            if kind == "advertisers":
                self.fetched_advertisers[parent] = [{"_id": d["_id"], "name": d.get("name")} for d in docs]

        self._fan_out(kind, items, fetch, handle, lambda item: f"{kind} of {parent_field[:-3]} {item[0]}")

    def _existing_by_parent(self, kind: str, parent_field: str, parents: list) -> dict:
        if len(parents) > LARGE_PARENT_SET:
            return self.writer.existing(kind, {}, parent_field)
        return self.writer.existing(kind, {parent_field: {"$in": parents}}, parent_field) if parents else {}

    def _fan_out(self, phase: str, items: list, fetch: Callable, handle: Callable,
                 label: Callable[[Any], str]) -> None:
        """Fetch every item on the worker pool; handle results here as they arrive."""
        self.recorder.set_phase(phase, len(items))
        if not items:
            return
        pool = ThreadPoolExecutor(max_workers=self.settings.sync_concurrency, thread_name_prefix=f"sync-{phase}")
        try:
            futures = {pool.submit(self._guarded, fetch, item): item for item in items}
            for future in as_completed(futures):
                self._check()
                item = futures[future]
                try:
                    data = future.result()
                except AuthError as exc:
                    raise SyncAbortedError("failed", str(exc), exc) from None
                except BroadStreetError as exc:
                    self.recorder.error(exc, label(item))
                else:
                    handle(item, data)
                self.recorder.advance(phase)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _guarded(self, fetch: Callable, item: Any) -> Any:
        if self.cancel.is_set() or self.lease.lost.is_set():
            raise SyncAbortedError("cancelled", "stopped before fetching")
        return fetch(item)

    def _normalize(self, kind: str, raw: Iterable, ctx: norm.Context) -> list[dict]:
        docs, skipped = norm.normalize_many(kind, raw, ctx)
        if skipped:
            self.writer.count(kind).skipped += len(skipped)
            self.recorder.skip(skipped)
        return docs

    def _delete(self, kind: str, ids: set) -> None:
        """Delete documents a complete fetch proved gone, and everything under them."""
        if not ids:
            return
        self.writer.stage_deletes(kind, ids)
        for child, field in CASCADE.get(kind, ()):
            if field == "_campaign_of_advertiser":  # placements of the advertiser's campaigns
                camps = [d["_id"] for d in self.db.campaigns.find({"advertiser_id": {"$in": list(ids)}}, {"_id": 1})]
                self.writer.delete_children("placements", "campaign_id", camps)
            else:
                self.writer.delete_children(child, field, ids)

    # -- reporting stats ----------------------------------------------------------------
    def _stats_phase(self, networks: list[int]) -> None:
        days = stats_mod.window(self.today, self.settings.stats_days)
        tasks: list[tuple[int, Any]] = []
        for nid in networks:
            todo = stats_mod.days_to_fetch(days, stats_mod.fetched_days(self.db, nid))
            tasks += [(nid, span) for span in stats_mod.chunks(todo, self.settings.stats_chunk_days)]
            tasks.append((nid, "zones"))
        first, last = days[0], days[-1]

        def fetch(task: tuple[int, Any]) -> list[dict]:
            nid, span = task
            if span == "zones":
                return stats_mod.fetch_zone_totals(self.client, nid, first, last)
            return stats_mod.fetch_daily(self.client, nid, span[0], span[1])

        def handle(task: tuple[int, Any], docs: list[dict]) -> None:
            nid, span = task
            if span == "zones":
                existing = self.writer.existing("stats_zones", {"network_id": nid})
                ids, _ = self.writer.stage("stats_zones", docs, existing)
                self.writer.stage_deletes("stats_zones", set(existing) - ids)
                return
            start, end = (dt.datetime(d.year, d.month, d.day) for d in span)
            existing = self.writer.existing("stats_daily", {"network_id": nid, "date": {"$gte": start, "$lte": end}})
            ids, _ = self.writer.stage("stats_daily", docs, existing)
            self.writer.stage_deletes("stats_daily", set(existing) - ids)
            day = span[0]
            while day <= span[1]:
                self.writer.seen_scope("stats_daily", f"{nid}:{day.isoformat()}")
                day += dt.timedelta(days=1)

        def label(task: tuple[int, Any]) -> str:
            nid, span = task
            return f"zone stats of network {nid}" if span == "zones" else f"stats of network {nid} {span[0]}..{span[1]}"

        self._fan_out("stats", tasks, fetch, handle, label)
        self.writer.flush()


def run_sync(settings: Settings, db: Database, scope: str | Scope = "quick", trigger: str = "cli",
             **engine_args: Any) -> dict:
    """Run one sync to completion and return its run document.

    Raises :class:`~bs_core.errors.SyncLockedError` if another sync is running and
    :class:`~bs_core.errors.ScopeError` for a bad scope (before anything is recorded).
    """
    engine = SyncEngine(settings, db, **engine_args)
    engine.prepare(scope, trigger)
    return engine.execute()


__all__ = ["ENTITIES", "PHASES", "SyncAbortedError", "SyncEngine", "run_sync"]
