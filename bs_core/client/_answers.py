"""Reading BroadStreet's answers: the envelopes it wraps lists in, its error bodies, and a
request in words for messages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from .. import errors
from ..redact import redact


def envelope(data: Any, key: str, endpoint: str) -> list[dict]:
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data[key]
    got = sorted(data)[:5] if isinstance(data, dict) else type(data).__name__
    raise errors.ProtocolError(
        f"GET {endpoint}: expected {{'{key}': [...]}}, got {got}", endpoint=endpoint
    )


def object_of(data: Any, key: str, endpoint: str) -> dict:
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    raise errors.ProtocolError(f"GET {endpoint}: expected {{'{key}': {{...}}}}", endpoint=endpoint)


def record_of(data: Any, key: str, endpoint: str) -> dict:
    """One record, wrapped (``{"campaign": {...}}``, as an older published client reads
    it) or not (the object itself, as the spec shows single campaigns and zones)."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    if isinstance(data, dict) and "id" in data:
        return data
    raise errors.ProtocolError(f"GET {endpoint}: expected a {key} record", endpoint=endpoint)


def error_detail(resp: requests.Response) -> str:
    """A short, token-free description of an error body."""
    try:
        body = resp.json()
    except ValueError:
        ctype = resp.headers.get("Content-Type", "")
        return "HTML error page" if "html" in ctype or resp.text.lstrip().startswith("<") else ""
    if isinstance(body, dict):
        detail = body.get("message") or body.get("errors") or ""
        return redact(json.dumps(detail) if not isinstance(detail, str) else detail)[:200]
    return ""


_LIST_OF = {"network_id": "network", "advertiser_id": "advertiser", "campaign_id": "campaign", "zone_id": "zone"}


def describe_request(url: str) -> str:
    """A request in words: ``/campaigns?advertiser_id=7`` -> "campaigns of advertiser 7"."""
    parts = urlsplit(url)
    path = parts.path.rsplit("/api/1", 1)[-1].strip("/") or "the API"
    query = parse_qs(parts.query)
    if path == "records":
        return f"reporting for {query.get('type', ['?'])[0]} {query.get('id', query.get('network_id', ['?']))[0]}"
    for field, noun in _LIST_OF.items():
        if field in query:
            return f"{path} of {noun} {query[field][0]}"
    return path
