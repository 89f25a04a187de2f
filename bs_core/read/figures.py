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

from . import delivery
from .days import Today
from .pacing import BEHIND, TOLERANCE, Pacing, pacing


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str  #: as the pages name it, e.g. "Behind pace"
    definition: str  #: what it counts, in a sentence: the KPI's help and the README's definition
    #: the one query: ``of(db, today, network_id)`` -> the rows it counts (None: a sum, see reporting.py)
    of: Callable[[Database, Today, int | None], list[Any]] | None = None


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
    _paced(is_behind, lambda p: (p.pacing if p.pacing is not None else 0.0, p.campaign_id)))
OVER_DELIVERING = Figure(
    "Over-delivering",
    f"Campaigns with a goal more than {TOLERANCE:.0%} past it, or ahead of even delivery by more than "
    f"{TOLERANCE:.0%}, through their network's last complete day.",
    _paced(lambda p: p.status in ("over-delivered", "ahead"), lambda p: (-(p.delivered / p.goal), p.campaign_id)))
QUIET_ZONES = Figure(
    "Quiet zones",
    f"Zones with running campaigns placed in them and no views in the last {delivery.DARK_DAYS} complete days.",
    lambda db, today, network_id=None: delivery.dark_zones(db, today, network_id))
UNSOLD_ZONES = Figure(
    "Unsold zones",
    "Zones no running campaign is placed in.",
    lambda db, today, network_id=None: delivery.unsold_zones(db, network_id))
ENDING_SOON = Figure(
    "Ending soon",
    f"Running campaigns whose end date is within the next {delivery.ENDING_WITHIN_DAYS} days.",
    lambda db, today, network_id=None: delivery.ending_soon(db, today, network_id))
VIEWS = Figure("Views", "Impressions BroadStreet reported for the period's days, each network's days on its "
                        "own clock.")
CLICKS = Figure("Clicks", "Clicks BroadStreet reported for the period's days.")
CTR = Figure("CTR", "Clicks / views over the period, in percent with two decimals.")
COMPLETE_DAY = Figure("Complete day", "A day that has ended on its network's clock: at 05:41 UTC, Dec 1 is complete "
                                      "for a UTC-05:00 network and still under way for a UTC-08:00 one.")

CATALOGUE: tuple[Figure, ...] = (VIEWS, CLICKS, CTR, COMPLETE_DAY, BEHIND_PACE, OVER_DELIVERING, QUIET_ZONES,
                                 UNSOLD_ZONES, ENDING_SOON)


def definitions_table() -> str:
    """The README's table of definitions, made from the catalogue (a test holds them equal)."""
    rows = ["| figure | definition |", "|---|---|"]
    rows += [f"| {f.name} | {f.definition} |" for f in CATALOGUE]
    return "\n".join(rows)
