"""The named figures: each defined once, with its help text and the one query behind it.

An analyst reads "Behind pace: 77" on the Overview and expects the list under it, the
digest and ``report`` to say 77 too.  So a figure that counts campaigns or zones is a
:class:`Figure` here: the Overview's KPI and its help, Delivery health's list, the digest
and the README's definitions all come from it.  Figures that sum reporting rows (views,
clicks, CTR) are defined here in words; their sums live in ``reporting.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from ..store.rates import anything_priced, campaign_rates
from . import delivery, inventory
from .days import NetworkDays, Today
from .pacing import BEHIND, TOLERANCE, Pacing, pacing
from .revenue import at_risk


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str  #: as the pages name it, e.g. "Behind pace"
    definition: str  #: what it counts, in a sentence: the KPI's help and the README's definition
    #: the one query: ``of(db, today, network_id)`` -> the rows it counts (None: a sum, see reporting.py)
    of: Callable[[Database, Today, int | None], list[Any]] | None = None
    kind: str = ""  #: what its rows are: "campaign" or "zone" ("" for a sum)

    @property
    def key(self) -> str:
        """ "behind-pace": its name in links (``/Campaigns?figure=behind-pace``), files and the API."""
        return self.name.lower().replace(" ", "-")

    def ids(self, db: Database, today: Today, network_id: int | None = None) -> list[int]:
        """The ids of the rows it counts, in its order."""
        assert self.of is not None, f"{self.name} is a sum, not a count"
        return [r.campaign_id if isinstance(r, Pacing) else r["_id"] for r in self.of(db, today, network_id)]


def _paced(keep: Callable[[Pacing], bool], order: Callable[[Pacing], Any]):
    def of(db: Database, today: Today, network_id: int | None = None) -> list[Pacing]:
        return sorted((p for p in pacing(db, today, network_id) if keep(p)), key=order)

    return of


def is_behind(p: Pacing) -> bool:
    return p.campaign_status == "running" and p.status in BEHIND


BEHIND_PACE = Figure(
    "Behind pace",
    f"Running campaigns with a goal whose views, through their network's last complete day, are under "
    f"{1 - TOLERANCE:.0%} of what even delivery expects by now, or whose last 7 days' rate would miss the goal "
    f"(at risk). Paused and ended campaigns are not counted.",
    _paced(is_behind, lambda p: (p.pacing if p.pacing is not None else 0.0, p.campaign_id)), "campaign")
OVER_DELIVERING = Figure(
    "Over-delivering",
    f"Campaigns with a goal more than {TOLERANCE:.0%} past it, or ahead of even delivery by more than "
    f"{TOLERANCE:.0%}, through their network's last complete day.",
    _paced(lambda p: p.status in ("over-delivered", "ahead"), lambda p: (-(p.delivered / p.goal), p.campaign_id)),
    "campaign")
QUIET_ZONES = Figure(
    "Quiet zones",
    f"Zones with running campaigns placed in them and no views in the last {delivery.DARK_DAYS} complete days.",
    lambda db, today, network_id=None: delivery.dark_zones(db, today, network_id), "zone")
UNSOLD_ZONES = Figure(
    "Unsold zones",
    "Zones no running campaign is placed in.",
    lambda db, today, network_id=None: delivery.unsold_zones(db, network_id), "zone")
NOT_DELIVERING = Figure(
    "Not delivering",
    "Running campaigns with no views today or yesterday, each on its network's own clock.",
    lambda db, today, network_id=None: delivery.silent_campaigns(db, today, network_id), "campaign")
ENDING_SOON = Figure(
    "Ending soon",
    f"Running campaigns whose end date is within the next {delivery.ENDING_WITHIN_DAYS} days.",
    lambda db, today, network_id=None: delivery.ending_soon(db, today, network_id), "campaign")
OVER_BOOKED_ZONES = Figure(
    "Over-booked zones",
    f"Zones whose booked views (the goals still to deliver, spread over the flights' remaining days) exceed their "
    f"forecast on some day of the next {inventory.OVER_BOOKED_AHEAD} days, each network's own days.",
    lambda db, today, network_id=None: inventory.over_booked_zones(
        db, today if isinstance(today, NetworkDays) else NetworkDays(today), network_id), "zone")
VIEWS = Figure("Views", "Impressions BroadStreet reported for the period's days, each network's days on its "
                        "own clock.")
CLICKS = Figure("Clicks", "Clicks BroadStreet reported for the period's days.")
CTR = Figure("CTR", "Clicks / views over the period, in percent with two decimals.")
COMPLETE_DAY = Figure("Complete day", "A day that has ended on its network's clock: at 05:41 UTC, Dec 1 is complete "
                                      "for a UTC-05:00 network and still under way for a UTC-08:00 one.")

CATALOGUE: tuple[Figure, ...] = (VIEWS, CLICKS, CTR, COMPLETE_DAY, BEHIND_PACE, OVER_DELIVERING, NOT_DELIVERING,
                                 QUIET_ZONES, UNSOLD_ZONES, OVER_BOOKED_ZONES, ENDING_SOON)


COUNTED: tuple[Figure, ...] = tuple(f for f in CATALOGUE if f.of is not None)
CAMPAIGN_FIGURES: tuple[Figure, ...] = tuple(f for f in COUNTED if f.kind == "campaign")


def by_key(key: str) -> Figure:
    """The counted figure named ``key`` ("behind-pace"); KeyError names the keys there are."""
    for figure in COUNTED:
        if figure.key == key:
            return figure
    raise KeyError(f"{key!r} is not a figure (one of {', '.join(f.key for f in COUNTED)})")


def counted(db: Database, today: Today, network_id: int | None = None) -> dict[str, dict]:
    """Every counted figure: ``{key: {name, kind, count, ids, definition}}``, the HTTP API's
    ``/api/figures`` and ``report figures``."""
    out = {}
    for figure in COUNTED:
        ids = figure.ids(db, today, network_id)
        out[figure.key] = {"name": figure.name, "kind": figure.kind, "count": len(ids), "ids": ids,
                           "definition": figure.definition}
    return out


def definitions_table() -> str:
    """The README's table of definitions, made from the catalogue (a test holds them equal)."""
    rows = ["| figure | definition |", "|---|---|"]
    rows += [f"| {f.name} | {f.definition} |" for f in CATALOGUE]
    return "\n".join(rows)


def behind_pace(db: Database, today: Today, network_id: int | None = None) -> list[Pacing]:
    """The catalogue's "Behind pace", the furthest behind first."""
    return BEHIND_PACE.of(db, today, network_id)


def over_delivering(db: Database, today: Today, network_id: int | None = None) -> list[Pacing]:
    """The catalogue's "Over-delivering", the furthest over first."""
    return OVER_DELIVERING.of(db, today, network_id)


def behind_ids(db: Database, today: Today) -> set[int]:
    return set(BEHIND_PACE.ids(db, today))


def risks(db: Database, today: Today, network_id: int | None = None) -> dict[int, float]:
    """Money at risk of each behind-pace campaign with a known amount (``revenue.at_risk``)."""
    if not anything_priced(db):
        return {}
    behind = BEHIND_PACE.of(db, today, network_id)
    rates = campaign_rates(db, [p.campaign_id for p in behind])
    out = {}
    for p in behind:
        risk = at_risk(rates.get(p.campaign_id), p.goal, p.projected)
        if risk is not None:
            out[p.campaign_id] = risk
    return out
