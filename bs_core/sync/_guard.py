"""The deletion guard: BroadStreet has no tombstones, so a document is deleted when a
complete list no longer contains it; an empty or truncated answer would then wipe the
mirror.  Like rsync's ``--max-delete``, large deletions are held back unless confirmed.

Fetch, then decide, then delete: lists only *propose* deletions while the run fetches;
once every list is in, and the missing records with a route of their own were asked
about (``proof.py``), :meth:`DeletionGuard.decide` judges them all together, against the
mirror as it was before the run, however BroadStreet split the lists:

- a network, advertiser, campaign or zone is deleted only when its own route answered
  404 (proven); one that could not be proven is held;
- an ad or a placement (no such route) is weighed with what it takes along: one whose
  subtree is at least ``min_docs`` documents is held; so are a list's deletions when,
  cascades included, they are at least ``min_docs`` documents and ``share`` of what the
  mirror holds under that parent; and one kind's deletions when, over every list of the
  run, they are at least ``min_docs`` documents and ``kind_share`` of that kind;
- every deletion, proven or not, is held when the run's deletions, cascades included,
  would exceed ``run_share`` of the whole mirror (an account swapped for another proves
  every old record gone);
- an id held by an earlier run stays held (``store/held.py``) until confirmed with
  ``--allow-deletes`` or until it comes back upstream.

Held deletions delete nothing; the run ends ``partial`` with an error saying what was
held and how to confirm.
"""

from __future__ import annotations

import dataclasses
import threading

from pymongo.database import Database

from ..entities import ENTITIES, ENTITY_NAMES
from ..errors import DeletionsHeldError
from ..settings import Settings
from ..store.held import held_ids
from ..store.lookups import cascades

IDS_KEPT = 50  # per held deletion, in the run record


@dataclasses.dataclass
class ProposedDeletion:
    """What one complete list lacks: ``ids`` of ``holding`` mirrored under ``scope``."""

    collection: str
    scope: str  #: e.g. "zones of network Metro (123)"
    ids: set
    holding: int
    proven: set = dataclasses.field(default_factory=set)  #: ids whose own route answered 404
    unproven: str = ""  #: why the others could not be proven (a kind with its own route)


@dataclasses.dataclass
class HeldDeletion:
    collection: str
    scope: str
    holding: int
    ids: set = dataclasses.field(repr=False)  #: every id held (all of them go to ``store/held.py``)
    reason: str = ""

    def record(self) -> dict:
        """As the run record keeps it: the count and the first :data:`IDS_KEPT` ids."""
        return {"collection": self.collection, "scope": self.scope, "count": len(self.ids),
                "holding": self.holding, "ids": sorted(self.ids, key=str)[:IDS_KEPT], "reason": self.reason}


class DeletionGuard:
    def __init__(self, settings: Settings, db: Database, run_scope: str, allow: bool = False):
        self.share = settings.delete_guard_share
        self.min_docs = settings.delete_guard_min
        self.run_share = settings.delete_guard_run_share
        self.kind_share = settings.delete_guard_kind_share
        self.db = db
        self.run_scope = run_scope
        self.allow = allow
        # the mirror as it was before the run: a run's deletions are never judged
        # against a mirror its own inserts made larger
        self.before = {name: db[name].estimated_document_count() for name in ENTITY_NAMES}
        self.already_held = held_ids(db)  #: ids earlier runs held, per collection
        self.returned: dict[str, set] = {}  #: held ids that came back upstream in this run
        self.proposals: list[ProposedDeletion] = []
        self.held: list[HeldDeletion] = []
        self._sizes: dict = {}
        self._going: list[tuple[str, str, list]] = []  #: (collection, field, ids) that proven deletions take
        self._lock = threading.Lock()

    def propose(self, collection: str, scope: str, present: set, gone: set, holding: int) -> None:
        """One complete list of ``collection`` under ``scope``: ``present`` its ids, ``gone``
        the mirrored ids it lacks (of ``holding`` mirrored there)."""
        with self._lock:
            back = self.already_held.get(collection, set()) & present
            if back:
                self.returned.setdefault(collection, set()).update(back)
            if gone:
                self.proposals.append(ProposedDeletion(collection, scope, set(gone), holding))

    def decide(self) -> tuple[list[ProposedDeletion], list[tuple[HeldDeletion, DeletionsHeldError]]]:
        """Judge every proposal of the run: (the permitted ones, the held ones with the
        error to record for each)."""
        proposals = [p for p in self.proposals if p.ids]
        if self.allow:
            return proposals, []
        permitted: list[ProposedDeletion] = []
        proven: list[ProposedDeletion] = []
        provable: list[ProposedDeletion] = []
        weighed: list[ProposedDeletion] = []
        held: list[tuple[ProposedDeletion, str]] = []
        for p in proposals:  # ids an earlier run held stay held
            sticky = p.ids & self.already_held.get(p.collection, set())
            if sticky:
                held.append((dataclasses.replace(p, ids=sticky), "held by an earlier run and not yet confirmed"))
            rest = dataclasses.replace(p, ids=p.ids - sticky)
            if not rest.ids:
                continue
            (provable if ENTITIES[p.collection].fetch_one is not None else weighed).append(rest)
        for p in provable:
            self._by_proof(p, proven, held)
        self._going = [(c.collection, c.field, parents) for p in proven
                       for c, parents in cascades(self.db, p.collection, p.ids)]
        for p in weighed:
            self._by_weight(p, permitted, held)
        permitted = self._per_kind(permitted, held)
        permitted = self._whole_run(proven + permitted, held)
        out = [(h, self._error(h)) for h in (self._held(p, reason) for p, reason in held)]
        self.held = [h for h, _ in out]
        return permitted, out

    def _by_proof(self, p: ProposedDeletion, proven: list, held: list) -> None:
        """A kind with its own route: deleted when proven, held otherwise."""
        gone = p.ids & p.proven
        if gone:
            proven.append(dataclasses.replace(p, ids=gone))
        if p.ids - gone:
            held.append((dataclasses.replace(p, ids=p.ids - gone),
                         p.unproven or "BroadStreet did not confirm they are gone"))

    def _by_weight(self, p: ProposedDeletion, permitted: list, held: list) -> None:
        """A kind without its own route: weighed with what each deletion takes along."""
        sizes = self._subtree_sizes(p.collection, p.ids)
        heavy = {i for i, size in sizes.items() if size >= self.min_docs}
        if heavy:
            most = max(sizes[i] for i in heavy)
            held.append((dataclasses.replace(p, ids=heavy),
                         f"each takes {self.min_docs} or more documents along (up to {most:,}); BroadStreet has "
                         f"no route to prove such a record gone"))
        rest = dataclasses.replace(p, ids=p.ids - heavy)
        weight = sum(sizes[i] for i in rest.ids)
        if not rest.ids:
            return
        if weight >= self.min_docs and p.holding and len(rest.ids) / p.holding >= self.share:
            held.append((rest, f"{len(rest.ids) / p.holding:.0%} of them, {weight:,} documents with what goes with "
                               f"them; the guard holds {self.share:.0%} or more of a list"))
        else:
            permitted.append(rest)

    def _per_kind(self, permitted: list[ProposedDeletion], held: list) -> list[ProposedDeletion]:
        by_kind: dict[str, int] = {}
        weight: dict[str, int] = {}
        for p in permitted:
            by_kind[p.collection] = by_kind.get(p.collection, 0) + len(p.ids)
            weight[p.collection] = weight.get(p.collection, 0) + sum(self._subtree_sizes(p.collection, p.ids).values())
        too_many = {}
        for kind, count in by_kind.items():
            mirrored = self.before.get(kind, 0)
            if weight[kind] >= self.min_docs and mirrored and count / mirrored >= self.kind_share:
                too_many[kind] = (f"with the other lists of this run, {count:,} of the mirror's {mirrored:,} {kind} "
                                  f"({count / mirrored:.0%}); the guard holds {self.kind_share:.0%} or more of a kind")
        held.extend((p, too_many[p.collection]) for p in permitted if p.collection in too_many)
        return [p for p in permitted if p.collection not in too_many]

    def _whole_run(self, permitted: list[ProposedDeletion], held: list) -> list[ProposedDeletion]:
        size = sum(self.before.values())
        if not permitted or not size:
            return permitted
        impact = sum(len(p.ids) + self._cascade_size(p.collection, p.ids) for p in permitted)
        if impact / size <= self.run_share:
            return permitted
        reason = (f"with what goes with them, this run would delete {impact / size:.0%} of the mirror; "
                  f"the guard holds more than {self.run_share:.0%}")
        held.extend((p, reason) for p in permitted)
        return []

    def _held(self, p: ProposedDeletion, reason: str) -> HeldDeletion:
        return HeldDeletion(p.collection, p.scope, p.holding, p.ids, reason)

    def _error(self, h: HeldDeletion) -> DeletionsHeldError:
        return DeletionsHeldError(
            f"held back deleting {len(h.ids):,} of the {h.holding:,} {h.collection} the mirror holds for {h.scope} "
            f"({h.reason}); nothing in that scope was deleted. If BroadStreet really removed them, confirm with "
            f"`python -m bs_core sync --scope {self.run_scope} --allow-deletes` (or Confirm deletions in the "
            f"sidebar, or \"allow_deletes\": true in POST /api/sync/trigger)")

    def _subtree_sizes(self, collection: str, ids: set) -> dict:
        """Per id, the documents its deletion takes: itself and what names it directly (an
        ad's placements), less what a proven deletion takes anyway (the placements of a
        deleted advertiser's campaigns).  Memoised: the list and kind checks weigh the same ids."""
        key = (collection, frozenset(ids))
        if key not in self._sizes:
            sizes = dict.fromkeys(ids, 1)
            for cascade in ENTITIES[collection].cascade:
                if cascade.via is None and ids:
                    match = {cascade.field: {"$in": sorted(ids)}}
                    going = [{field: {"$in": parents}} for kind, field, parents in self._going
                             if kind == cascade.collection and parents]
                    if going:
                        match["$nor"] = going
                    for row in self.db[cascade.collection].aggregate([
                            {"$match": match},
                            {"$group": {"_id": f"${cascade.field}", "n": {"$sum": 1}}}]):
                        sizes[row["_id"]] = sizes.get(row["_id"], 1) + row["n"]
            self._sizes[key] = sizes
        return self._sizes[key]

    def _cascade_size(self, collection: str, ids: set) -> int:
        """How many documents go with ``ids`` (counted on indexed fields, but for networks)."""
        return sum(self.db[cascade.collection].count_documents({cascade.field: {"$in": parents}})
                   for cascade, parents in cascades(self.db, collection, ids))
