"""Counts the pages show without counting: what the last run stored, else counted now."""

from __future__ import annotations

from pymongo.database import Database

from ..store.summaries import entity_counts_live, placement_tallies_live, stored_summary, stored_tallies


def entity_counts(db: Database) -> dict[str, int]:
    """Documents per entity collection: from the summary the last run stored, else counted now."""
    stored = stored_summary(db, "entity_counts")
    return stored if stored is not None else entity_counts_live(db)


def placement_tallies(db: Database) -> dict[str, dict[int, int]]:
    """Placements per campaign, zone and ad, and what running campaigns use (see
    ``store.summaries.TALLIES``): as the last run stored them, else counted now."""
    return stored_tallies(db) or placement_tallies_live(db)
