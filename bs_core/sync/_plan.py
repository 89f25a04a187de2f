"""Planning: which fetches a scope needs, and which fetches follow from each result.

The walk is derived from the entity registry: a fetched list of one entity type is
followed by the lists of its children (``entities.children``) for each document, and a
sibling declared ``after`` it.  The network list comes first and alone: nothing under a
network is fetched before that network is in the mirror.  A list whose documents refer
to other lists of the network (placements name zones and advertisements) waits until
those lists are handled, so that its documents are never written before theirs.
"""

from __future__ import annotations

import datetime as dt

from pymongo.database import Database

from .. import normalize as norm
from ..client import BroadStreetClient
from ..entities import BY_SINGULAR, ENTITIES, EntityType, children, network_as_listed
from ..errors import AuthError, NotFoundError, ScopeError, SyncAbortedError
from ..settings import Settings
from ..store import MirrorWriter
from ..store.scopes import scopes_seen
from . import _stats as stats
from ._mirroring import Mirroring
from ._pipeline import Task
from .scopes import Scope

ACTIVE_STATUSES = ("running", "scheduled")


class Planner:
    """Builds the tasks of one run; its handlers mirror each result and plan what follows."""

    def __init__(self, settings: Settings, db: Database, client: BroadStreetClient, mirroring: Mirroring,
                 writer: MirrorWriter, today: dt.date):
        self.settings = settings
        self.db = db
        self.client = client
        self.mirroring = mirroring
        self.writer = writer
        self.today = today
        self.quick = False  # a quick sync skips some children (entities.quick_only_active_parents)
        self.follow = True  # False for entity:NAME, which fetches one entity type only
        self._fetched_before: dict[str, set[str]] = {}  # parent scopes ever fetched, per entity
        self._advertiser_names: dict[int, dict[str, list[int]]] = {}  # this run's, per network
        # network-level lists this run fetches, those handled, and tasks waiting on them
        self._planned: set[tuple[str, int]] = set()
        self._handled: set[tuple[str, int]] = set()
        self._parked: dict[int, list[tuple[EntityType, Task]]] = {}

    def plan(self, scope: Scope) -> list[Task]:
        kind, target = scope.kind, scope.target
        if kind in ("full", "quick", "network"):
            self.quick = kind == "quick"
            return [self._networks_task(only=int(target) if kind == "network" else None)]
        if kind == "entity":
            return self._entity_tasks(ENTITIES[str(target)])
        if kind == "stats":
            return [t for nid in self._networks_in_mirror_or_upstream() for t in self._stats_tasks(nid)]
        return self._instance_tasks(ENTITIES[BY_SINGULAR[kind]], int(target))

    # -- what the run may compare against (and so delete from) --------------------------
    def _expect_networks(self, networks: list[int], everywhere: bool) -> None:
        """Every entity under these networks; ``everywhere`` when they are all the mirror's."""
        whole = everywhere and len(networks) == self.db.networks.estimated_document_count()
        queries: dict[str, dict] = {}
        for entity in ENTITIES.values():
            if entity.parent is None:
                continue
            if entity.indexed_by_network:
                queries[entity.name] = {"network_id": {"$in": networks}}
            elif whole:
                queries[entity.name] = {}
            else:  # through its parents (placements have no network_id index)
                parents = [d["_id"] for d in self.db[entity.parent].find(queries[entity.parent], {"_id": 1})]
                queries[entity.name] = {entity.parent_field: {"$in": parents}}
            self.mirroring.existing.expect(entity.name, queries[entity.name])

    def _expect_subtree(self, entity: EntityType, ids: list) -> None:
        for child in children(entity.name):
            query = {child.parent_field: {"$in": ids}}
            self.mirroring.existing.expect(child.name, query)
            if children(child.name):
                self._expect_subtree(child, [d["_id"] for d in self.db[child.name].find(query, {"_id": 1})])

    # -- scopes ----------------------------------------------------------------------------
    def _networks_task(self, only: int | None, follow: bool = True) -> Task:
        def fetch() -> list[dict]:
            if only is None:
                return self.client.networks()
            try:
                one = self.client.network(only)
            except NotFoundError as exc:
                raise SyncAbortedError("failed", f"network {only} was not found upstream ({exc})", exc) from None
            return [network_as_listed(one)]

        def handle(raw: list) -> list[Task]:
            networks = self.mirroring.mirror_networks(raw, norm.Context(self.today), only)
            if not follow:
                return []
            self._expect_networks(list(networks), everywhere=only is None)
            return [t for nid, name in networks.items()
                    for t in self._children_of(ENTITIES["networks"], nid, nid, name) + self._stats_tasks(nid)]

        return Task("networks", fetch, handle, "networks", fatal=True, first=True)

    def _instance_tasks(self, entity: EntityType, ident: int) -> list[Task]:
        """``advertiser:ID`` / ``campaign:ID``: the lists under one mirrored document."""
        doc = self.db[entity.name].find_one({"_id": ident}, {"network_id": 1, "name_clean": 1})
        if doc is None:
            raise ScopeError(f"{entity.singular} {ident} is not in the mirror; run a full sync first")
        self._expect_subtree(entity, [ident])
        return self._children_of(entity, ident, doc["network_id"], doc.get("name_clean"))

    def _entity_tasks(self, entity: EntityType) -> list[Task]:
        """``entity:NAME``: one entity type's lists under every mirrored parent, nothing below."""
        self.follow = False
        if entity.parent is None:
            return [self._networks_task(only=None, follow=False)]
        networks = self._networks_in_mirror_or_upstream()
        self._expect_networks(networks, everywhere=True)
        parent = ENTITIES[entity.parent]
        query = {"network_id": {"$in": networks}} if parent.parent else {"_id": {"$in": networks}}
        found = self.db[parent.name].find(query, {"network_id": 1, "name_clean": 1})
        return [self._fetch_task(entity, d["_id"], d.get("network_id", d["_id"]), d.get("name_clean"))
                for d in sorted(found, key=lambda d: d["_id"])]

    def _networks_in_mirror_or_upstream(self) -> list[int]:
        ids = [d["_id"] for d in self.db.networks.find({}, {"_id": 1})]
        if ids:
            return ids
        try:  # an empty mirror: ask BroadStreet which networks exist (nothing is written)
            return [n["id"] for n in self.client.networks() if isinstance(n.get("id"), int)]
        except AuthError as exc:
            raise SyncAbortedError("failed", str(exc), exc) from None

    def _stats_tasks(self, network_id: int) -> list[Task]:
        return stats.stats_tasks(self.client, self.mirroring, network_id, self.today, self.settings)

    # -- fetches and what follows them -----------------------------------------------------
    def _children_of(self, entity: EntityType, ident: int, network_id: int, name: str | None) -> list[Task]:
        """The lists under one document, except siblings that wait for another (``after``)."""
        if entity.parent is None:  # a network: every list under it is part of this run
            self._planned.update((child.name, network_id) for child in children(entity.name))
        return [self._fetch_task(child, ident, network_id, name)
                for child in children(entity.name) if child.after is None]

    def _fetch_task(self, entity: EntityType, parent: int, network_id: int, parent_name: str | None) -> Task:
        """Fetch ``entity``'s list under ``parent`` (named in errors by ``parent_name``)."""
        label = f"{entity.name} of {ENTITIES[entity.parent].singular} {norm.labelled(parent_name, parent)}"

        def handle(raw: list) -> list[Task]:
            docs, changed = self.mirroring.mirror_list(entity, parent, raw,
                                                       self._context(entity, parent, network_id), label)
            if entity.name == "advertisers":
                self._advertiser_names[network_id] = norm.advertiser_name_index(docs)
            if not self.follow:
                return []
            below = [self._fetch_task(child, d["_id"], network_id, d.get("name_clean"))
                     for child in children(entity.name) for d in docs if self._wants(child, d, d["_id"] in changed)]
            return self._gate(below, network_id) + self._after_handling(entity, parent, network_id, parent_name)

        def failed() -> list[Task]:  # its subtree keeps what the mirror holds; siblings go on
            return self._after_handling(entity, parent, network_id, parent_name) if self.follow else []

        return Task(entity.name, lambda: entity.fetch(self.client, parent), handle, label, on_error=failed,
                    first=entity.first_look)

    def _after_handling(self, entity: EntityType, parent: int, network_id: int,
                        parent_name: str | None) -> list[Task]:
        """What a handled list releases: siblings declared ``after`` it, and tasks that
        waited for the network's lists it completes."""
        siblings = [self._fetch_task(sib, parent, network_id, parent_name)
                    for sib in ENTITIES.values() if sib.after == entity.name]
        if entity.parent != "networks":
            return siblings
        self._handled.add((entity.name, network_id))
        parked, self._parked[network_id] = self._parked.get(network_id, []), []
        return self._gate(siblings, network_id) + self._gate_pairs(parked, network_id)

    def _gate(self, tasks: list[Task], network_id: int) -> list[Task]:
        return self._gate_pairs([(ENTITIES[t.phase], t) for t in tasks], network_id)

    def _gate_pairs(self, pairs: list[tuple[EntityType, Task]], network_id: int) -> list[Task]:
        """The tasks that may start now; the others wait for the lists their documents refer to."""
        ready = []
        for entity, task in pairs:
            waits = [r for r in entity.refers_to if r != entity.parent and (r, network_id) in self._planned
                     and (r, network_id) not in self._handled]
            if waits:
                self._parked.setdefault(network_id, []).append((entity, task))
            else:
                ready.append(task)
        return ready

    def _context(self, entity: EntityType, parent: int, network_id: int) -> norm.Context:
        ctx = norm.Context(self.today, network_id=network_id, **entity.parent_context(parent))
        if entity.name == "advertisements":  # ads name their advertiser: resolve it by name
            ctx.advertiser_ids_by_name = self._advertiser_names.get(network_id) or self._mirrored_names(network_id)
        return ctx

    def _mirrored_names(self, network_id: int) -> dict[str, list[int]]:
        """The advertiser name index from the mirror (this run has no fresh advertiser list)."""
        return norm.advertiser_name_index(
            {"_id": d["_id"], "name": d.get("name")} for d in self.db.advertisers.find({"network_id": network_id},
                                                                                        {"name": 1}))

    def _wants(self, child: EntityType, parent_doc: dict, changed: bool) -> bool:
        """A quick sync refetches such a child list only under parents that are running or
        scheduled, changed in this run, or never fetched; a full sync catches the rest."""
        if not (self.quick and child.quick_only_active_parents):
            return True
        if child.name not in self._fetched_before:
            self._fetched_before[child.name] = scopes_seen(self.db, child.name)
        return (parent_doc.get("status") in ACTIVE_STATUSES or changed
                or str(parent_doc["_id"]) not in self._fetched_before[child.name])
