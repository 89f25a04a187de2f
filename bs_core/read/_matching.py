"""Query pieces every read model builds on: equality filters and a literal name search.

Below ``paging`` and ``pacing`` both, so neither imports the other for them."""

from __future__ import annotations

import re
from typing import Any


def literal_search(text: str) -> dict:
    """Case-insensitive substring match where regex metacharacters (``.*``, ``$ne``) are literal."""
    return {"$regex": re.escape(text.strip()), "$options": "i"}


def field_match(search: str = "", **equal: Any) -> dict:
    """A query from equality filters (None = any) and a literal name search."""
    q: dict[str, Any] = {field: value for field, value in equal.items() if value is not None}
    if search.strip():
        q["name_clean"] = literal_search(search)
    return q
