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

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
from .runs import PHASES, RunRecorder, new_run_id, reap_dead_runs
from .scopes import Scope, parse_scope

log = logging.getLogger(__name__)
# Children removed with a deleted parent (parent collection -> [(child, field)]).
CASCADE = {
    "networks": [(c, "network_id") for c in ("advertisers", "zones", "advertisements", "campaigns",
                                             "placements", "stats_daily", "stats_zones")],
    "advertisers": [("campaigns", "advertiser_id"), ("placements", "_campaign_of_advertiser")],
    "zones": [("placements", "zone_id")],
    "advertisements": [("placements", "advertisement_id")],
    "campaigns": [("placements", "campaign_id")],
}


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
                self.client.close()
                return None
            reap_dead_runs(self.db, self.run_id, self.settings.lease_seconds)
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
        self.placements_mode = "all"  # which campaigns' placements follow a campaigns fetch
        self._placements_synced: set[str] | None = None  # loaded when a quick sync first asks
        self.existing = _ExistingCache(self.writer)
        tasks: list[_Task] = []
        if kind in ("full", "quick", "network"):
            networks = self._networks_phase(only=int(target) if kind == "network" else None)
            self.placements_mode = "quick" if kind == "quick" else "all"
            self._expect_scope(networks, placements_everywhere=kind != "network")
            for nid in networks:
                tasks += [self._advertisers_task(nid, follow=True), self._zones_task(nid)]
                tasks += self._stats_tasks(nid)
        elif kind == "advertiser":
            adv = self.db.advertisers.find_one({"_id": int(target)}, {"network_id": 1})
            if adv is None:
                raise ScopeError(f"advertiser {target} is not in the mirror; run a full sync first")
            self.existing.scope("campaigns", {"advertiser_id": adv["_id"]})
            self.existing.scope("placements", self._placements_query(
                [d["_id"] for d in self.db.campaigns.find({"advertiser_id": adv["_id"]}, {"_id": 1})]))
            tasks.append(self._campaigns_task(adv["_id"], adv["network_id"]))
        elif kind == "campaign":
            camp = self.db.campaigns.find_one({"_id": int(target)}, {"network_id": 1})
            if camp is None:
                raise ScopeError(f"campaign {target} is not in the mirror; run a full sync first")
            self.existing.scope("placements", {"campaign_id": camp["_id"]})
            tasks.append(self._placements_task(camp["_id"], camp["network_id"]))
        elif kind == "entity":
            tasks = self._entity_tasks(str(target))
        elif kind == "stats":
            for nid in self._networks_in_mirror_or_upstream():
                tasks += self._stats_tasks(nid)
        else:  # parse_scope guarantees this never happens
            raise ScopeError(f"unknown scope {scope}")
        self._run_tasks(tasks)
        self.writer.flush()

    def _entity_tasks(self, entity: str) -> list[_Task]:
        if entity == "networks":
            self._networks_phase()
            return []
        networks = self._networks_in_mirror_or_upstream()
        self._expect_scope(networks, placements_everywhere=True)
        self.placements_mode = None
        if entity == "advertisers":
            return [self._advertisers_task(n, follow=False) for n in networks]
        if entity == "zones":
            return [self._zones_task(n) for n in networks]
        if entity == "advertisements":
            return [self._ads_task(n) for n in networks]
        if entity == "campaigns":
            return [self._campaigns_task(a, n) for a, n in self._advertisers_in_mirror(networks)]
        cur = self.db.campaigns.find({"network_id": {"$in": networks}}, {"network_id": 1})
        return [self._placements_task(d["_id"], d["network_id"]) for d in cur]

    def _expect_scope(self, networks: list[int], placements_everywhere: bool) -> None:
        """Tell the cache which mirrored documents this run may compare against."""
        by_network = {"network_id": {"$in": networks}}
        for kind in ("advertisers", "zones", "advertisements", "campaigns"):
            self.existing.scope(kind, by_network)
        if placements_everywhere and len(networks) == self.db.networks.estimated_document_count():
            self.existing.scope("placements", {})
        else:
            ids = [d["_id"] for d in self.db.campaigns.find(by_network, {"_id": 1})]
            self.existing.scope("placements", self._placements_query(ids))

    @staticmethod
    def _placements_query(campaign_ids: list[int]) -> dict:
        return {"campaign_id": {"$in": campaign_ids}}

    def _networks_in_mirror_or_upstream(self) -> list[int]:
        ids = [d["_id"] for d in self.db.networks.find({}, {"_id": 1})]
        if ids:
            return ids
        try:  # an empty mirror: ask BroadStreet which networks exist (nothing is written)
            return [n["id"] for n in self.client.networks() if isinstance(n.get("id"), int)]
        except AuthError as exc:
            raise SyncAbortedError("failed", str(exc), exc) from None

    def _advertisers_in_mirror(self, networks: list[int]) -> list[tuple[int, int]]:
        cur = self.db.advertisers.find({"network_id": {"$in": networks}}, {"network_id": 1})
        return sorted((d["_id"], d["network_id"]) for d in cur)

    # -- networks (one request, before everything else) ---------------------------------
    def _networks_phase(self, only: int | None = None) -> list[int]:
        self.recorder.start_phase("networks", 1)
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
        existing = self.writer.existing("networks", {} if only is None else {"_id": only})
        ids, _ = self.writer.stage("networks", docs, existing)
        if only is None:
            self._delete("networks", set(existing) - ids)
            self.writer.seen_scope("networks", "all")
        self.writer.flush()
        self.recorder.advance("networks")
        return sorted(ids)

    # -- tasks: one fetch each; handling one may start others -----------------------------
    def _advertisers_task(self, nid: int, follow: bool) -> _Task:
        """A network's advertisers; with ``follow``, then its ads and each advertiser's campaigns."""

        def handle(raw: list) -> list[_Task]:
            docs = self._mirror_list("advertisers", nid, raw, norm.Context(self.today, network_id=nid))
            if not follow:
                return []
            names = norm.advertiser_name_index(docs)
            return [self._ads_task(nid, names)] + [self._campaigns_task(d["_id"], nid) for d in docs]

        def failed() -> list[_Task]:  # keep going with what the mirror knows
            if not follow:
                return []
            return [self._ads_task(nid)] + [self._campaigns_task(a, nid) for a, _ in self._advertisers_in_mirror([nid])]

        return _Task("advertisers", lambda: self.client.advertisers(nid), handle,
                     f"advertisers of network {nid}", on_error=failed)

    def _zones_task(self, nid: int) -> _Task:
        def handle(raw: list) -> list[_Task]:
            self._mirror_list("zones", nid, raw, norm.Context(self.today, network_id=nid))
            return []

        return _Task("zones", lambda: self.client.zones(nid), handle, f"zones of network {nid}")

    def _ads_task(self, nid: int, names: dict[str, list[int]] | None = None) -> _Task:
        def handle(raw: list) -> list[_Task]:
            index = names
            if index is None:  # this run has no fresh advertiser list: use the mirror's
                index = norm.advertiser_name_index(
                    {"_id": d["_id"], "name": d.get("name")}
                    for d in self.db.advertisers.find({"network_id": nid}, {"name": 1}))
            ctx = norm.Context(self.today, network_id=nid, advertiser_ids_by_name=index)
            self._mirror_list("advertisements", nid, raw, ctx)
            return []

        return _Task("advertisements", lambda: self.client.advertisements(nid), handle,
                     f"advertisements of network {nid}")

    def _campaigns_task(self, aid: int, nid: int) -> _Task:
        def handle(raw: list) -> list[_Task]:
            ctx = norm.Context(self.today, network_id=nid)
            docs, changed = self._mirror_list("campaigns", aid, raw, ctx, with_changed=True)
            if self.placements_mode is None:
                return []
            if self.placements_mode == "quick":
                docs = [d for d in docs if self._quick_wants(d, d["_id"] in changed)]
            return [self._placements_task(d["_id"], nid) for d in docs]

        return _Task("campaigns", lambda: self.client.campaigns(advertiser_id=aid), handle,
                     f"campaigns of advertiser {aid}")

    def _quick_wants(self, campaign: dict, changed: bool) -> bool:
        """A quick sync refetches placements of campaigns that are running or scheduled,
        changed in this run, or never synced for placements; a full sync catches the rest."""
        if self._placements_synced is None:
            self._placements_synced = {d["scope"] for d in self.db.sync_scopes.find(
                {"collection": "placements"}, {"scope": 1})}
        return (campaign["status"] in ("running", "scheduled") or changed
                or str(campaign["_id"]) not in self._placements_synced)

    def _placements_task(self, cid: int, nid: int) -> _Task:
        def handle(raw: list) -> list[_Task]:
            ctx = norm.Context(self.today, network_id=nid, campaign_id=cid)
            self._mirror_list("placements", cid, raw, ctx)
            return []

        return _Task("placements", lambda: self.client.placements(cid), handle, f"placements of campaign {cid}")

    def _mirror_list(self, kind: str, parent: int, raw: list, ctx: norm.Context, with_changed: bool = False):
        """Mirror one parent's complete list: stage changes, delete what vanished."""
        docs = self._normalize(kind, raw, ctx)
        before = self.existing.get(kind, parent)
        ids, changed = self.writer.stage(kind, docs, before)
        self._delete(kind, set(before) - ids)
        self.writer.seen_scope(kind, parent)
        return (docs, changed) if with_changed else docs

    # -- the pipeline ----------------------------------------------------------------------
    def _run_tasks(self, tasks: list[_Task]) -> None:
        """Run fetches on the worker pools; handle each result here as it arrives, and
        submit the follow-up fetches it yields at once (no barrier between phases)."""
        if not tasks:
            return
        api = ThreadPoolExecutor(self.settings.sync_concurrency, thread_name_prefix="sync-api")
        reports = ThreadPoolExecutor(1, thread_name_prefix="sync-reports")  # /records waits here
        pending: dict[Future, _Task] = {}

        def submit(task: _Task) -> None:
            self.recorder.grow(task.phase)
            pool = reports if task.phase == "stats" else api
            pending[pool.submit(self._guarded, task.fetch)] = task

        try:
            for task in tasks:
                submit(task)
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    self._check()
                    task = pending.pop(future)
                    try:
                        data = future.result()
                    except AuthError as exc:
                        raise SyncAbortedError("failed", str(exc), exc) from None
                    except BroadStreetError as exc:
                        self.recorder.error(exc, task.label)
                        follow = task.on_error() if task.on_error else []
                    else:
                        follow = task.handle(data)
                    for nxt in follow:
                        submit(nxt)
                    self.recorder.advance(task.phase)
        finally:
            api.shutdown(wait=True, cancel_futures=True)
            reports.shutdown(wait=True, cancel_futures=True)

    def _guarded(self, fetch: Callable[[], Any]) -> Any:
        if self.cancel.is_set() or self.lease.lost.is_set():
            raise SyncAbortedError("cancelled", "stopped before fetching")
        return fetch()

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

    # -- reporting stats -------------------------------------------------------------------
    def _stats_tasks(self, nid: int) -> list[_Task]:
        """Daily rows for missing days and the last two, in chunks; zone totals for the window."""
        days = stats_mod.window(self.today, self.settings.stats_days)
        first, last = days[0], days[-1]
        todo = stats_mod.days_to_fetch(days, stats_mod.fetched_days(self.db, nid))
        tasks = []
        for start, end in stats_mod.chunks(todo, self.settings.stats_chunk_days):

            def handle(docs: list[dict], start: dt.date = start, end: dt.date = end) -> list[_Task]:
                lo, hi = (dt.datetime(d.year, d.month, d.day) for d in (start, end))
                existing = self.writer.existing("stats_daily", {"network_id": nid, "date": {"$gte": lo, "$lte": hi}})
                ids, _ = self.writer.stage("stats_daily", docs, existing)
                self.writer.stage_deletes("stats_daily", set(existing) - ids)
                day = start
                while day <= end:
                    self.writer.seen_scope("stats_daily", f"{nid}:{day.isoformat()}")
                    day += dt.timedelta(days=1)
                return []

            tasks.append(_Task("stats", lambda s=start, e=end: stats_mod.fetch_daily(self.client, nid, s, e),
                               handle, f"stats of network {nid} {start}..{end}"))

        def zones(docs: list[dict]) -> list[_Task]:
            existing = self.writer.existing("stats_zones", {"network_id": nid})
            ids, _ = self.writer.stage("stats_zones", docs, existing)
            self.writer.stage_deletes("stats_zones", set(existing) - ids)
            return []

        tasks.append(_Task("stats", lambda: stats_mod.fetch_zone_totals(self.client, nid, first, last),
                           zones, f"zone stats of network {nid}"))
        return tasks


@dataclasses.dataclass
class _Task:
    """One fetch, and what to do with its result (which may start more fetches)."""

    phase: str
    fetch: Callable[[], Any]
    handle: Callable[[Any], list[_Task]]
    label: str
    on_error: Callable[[], list[_Task]] | None = None


class _ExistingCache:
    """What the mirror holds, per collection and parent, loaded on first use.

    Loading happens in the sync's own thread while the first fetches are in flight.
    """

    PARENT = {"advertisers": "network_id", "zones": "network_id", "advertisements": "network_id",
              "campaigns": "advertiser_id", "placements": "campaign_id"}

    def __init__(self, writer: MirrorWriter):
        self.writer = writer
        self.queries: dict[str, dict] = {}
        self.loaded: dict[str, dict] = {}

    def scope(self, kind: str, query: dict) -> None:
        self.queries[kind] = query

    def get(self, kind: str, parent: Any) -> dict:
        if kind not in self.loaded:
            query = self.queries.get(kind, {self.PARENT[kind]: {"$in": []}})
            self.loaded[kind] = self.writer.existing(kind, query, self.PARENT[kind])
        return self.loaded[kind].pop(parent, {})



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
