"""The one JSON encoding of the CLI and the HTTP API: datetimes as ISO 8601 with their
UTC offset (the mirror stores naive UTC), anything else unknown as its string."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def dumps(obj: Any, *, sort_keys: bool = True) -> str:
    return json.dumps(obj, default=_default, sort_keys=sort_keys)


def jsonable(obj: Any) -> Any:
    """``obj`` with every value JSON can carry as it is (for frameworks that encode)."""
    return json.loads(dumps(obj, sort_keys=False))
