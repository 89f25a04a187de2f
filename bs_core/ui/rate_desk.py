"""The ui's one door to writing the store: rates (entered here, kept nowhere else).

The app's database, and the store's rules (versions, history) from ``store/rates.py``.
The import-linter contract that keeps the ui off the store names this module as its one
exception (pyproject.toml)."""

from __future__ import annotations

from pymongo.database import Database

from ..errors import StoreUnavailableError
from ..runtime import Runtime
from ..store import rates


def _db(runtime: Runtime) -> Database:
    db = runtime.db()
    if db is None:
        raise StoreUnavailableError(runtime.db_error() or "the mirror database is unreachable")
    return db


def save_campaign_rate(runtime: Runtime, campaign_id: int, model: str | None, amount=None, capped: bool = False, *,
                       by: str, expected_version: int) -> rates.CampaignRate | None:
    return rates.save_campaign_rate(_db(runtime), campaign_id, model, amount, capped, by=by,
                                    expected_version=expected_version)


def save_rate_card(runtime: Runtime, zone_id: int, cpm, *, by: str, expected_version: int) -> rates.RateCard | None:
    return rates.save_rate_card(_db(runtime), zone_id, cpm, by=by, expected_version=expected_version)
