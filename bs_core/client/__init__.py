"""BroadStreet REST API client (how the API behaves: ``docs/broadstreet-api.md``).

One pooled :class:`requests.Session`; urllib3's ``Retry`` handles backoff with jitter,
``Retry-After`` and connection errors; the ``/records`` throttle (2 requests per 5 s) is
enforced here, shared by every thread of the process.  Every error is typed and carries
the endpoint and status, never the token.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from .. import errors
from ..redact import install_log_redaction
from ..settings import Settings
from ._answers import describe_request, envelope, error_detail, object_of, record_of
from ._ratelimit import IntervalLimiter, shared_limiter
from ._retry import RETRY_STATUSES, PatientRetry

__all__ = ["BroadStreetClient", "PatientRetry", "describe_request"]
log = logging.getLogger(__name__)

CUSTOM_GROUPS = ("network", "zone", "campaign", "advertiser", "advertisement")
REPORT_TYPES = ("network", "advertiser", "campaign", "advertisement")
RECORDS_MARGIN = 0.25  # seconds added to the /records window (see BroadStreetClient.__init__)


class BroadStreetClient:
    """Read-only client for the endpoints a mirror needs (``docs/broadstreet-api.md``)."""

    def __init__(self, settings: Settings, *, pool_size: int | None = None):
        install_log_redaction()
        self.base_url = settings.broadstreet_api_base_url.rstrip("/")
        self._token = settings.broadstreet_api_token
        self.timeout = (settings.connect_timeout, settings.read_timeout)
        self.max_attempts = settings.max_attempts
        retries = max(settings.max_attempts - 1, 0)
        self._retry = PatientRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=settings.backoff_factor,
            backoff_max=30,
            backoff_jitter=settings.backoff_factor / 2,
            respect_retry_after_header=True,
            raise_on_status=False,
            patience=settings.rate_limit_patience,
            observer=self._retrying,
        )
        #: called with (what, cause, next attempt, max attempts, wait s) while a request retries
        self.on_retry: Callable[[str, str, int, int, float], None] | None = None
        size = pool_size or max(settings.sync_concurrency * 2, 10)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=size, max_retries=self._retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Accept"] = "application/json"
        # The window is counted here from when we send, but BroadStreet counts arrivals: a
        # request that reaches it a little late must not let the next window open early
        # (seen on a loaded machine as a 429 in a burst of six report calls).
        self.records_limiter = shared_limiter(
            f"records:{self.base_url}", settings.records_limit, settings.records_window + RECORDS_MARGIN
        )
        self.rate_cap = IntervalLimiter(settings.sync_rate_limit) if settings.sync_rate_limit else None
        self._stats_lock = threading.Lock()
        self._stats: dict[str, dict[str, int]] = defaultdict(
            lambda: {"requests": 0, "retries": 0, "errors": 0}
        )

    def _retrying(self, where: str, cause: str, attempt: int, wait: float) -> None:
        if self.on_retry is not None:
            self.on_retry(describe_request(where), cause, attempt, self.max_attempts, wait)

    def __repr__(self) -> str:
        return f"BroadStreetClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # -- accounting -------------------------------------------------------------
    def request_stats(self) -> dict[str, dict[str, int]]:
        """Requests, retries and errors per endpoint since creation (or last reset)."""
        with self._stats_lock:
            return {k: dict(v) for k, v in self._stats.items()}

    def total_requests(self) -> int:
        with self._stats_lock:
            return sum(v["requests"] for v in self._stats.values())

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    def _count(self, endpoint: str, attempts: int, failed: bool) -> None:
        with self._stats_lock:
            entry = self._stats[endpoint]
            entry["requests"] += attempts
            entry["retries"] += attempts - 1
            entry["errors"] += int(failed)

    # -- transport --------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any], endpoint: str) -> Any:
        if endpoint == "/records":
            self.records_limiter.acquire()
        if self.rate_cap:
            self.rate_cap.acquire()
        query = {k: v for k, v in params.items() if v is not None}
        query["access_token"] = self._token
        url = self.base_url + path
        try:
            resp = self.session.get(url, params=query, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            self._count(endpoint, self.max_attempts, failed=True)
            raise self._transport_error(exc, endpoint) from None
        history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
        attempts = len(history) + 1
        try:
            data = self._decode(resp, endpoint)
        except errors.BroadStreetError:
            self._count(endpoint, attempts, failed=True)
            raise
        self._count(endpoint, attempts, failed=False)
        return data

    def _transport_error(self, exc: Exception, endpoint: str) -> errors.BroadStreetError:
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(exc, requests.exceptions.Timeout) or isinstance(reason, ReadTimeoutError):
            return errors.RequestTimeoutError(
                f"GET {endpoint}: no answer within {self.timeout[1]:g}s "
                f"after {self.max_attempts} attempt(s)",
                endpoint=endpoint,
            )
        kind = type(reason).__name__ if reason is not None else type(exc).__name__
        return errors.TransportError(f"GET {endpoint}: connection failed after {self.max_attempts} attempt(s) ({kind})",
                                     endpoint=endpoint)

    def _decode(self, resp: requests.Response, endpoint: str) -> Any:
        status = resp.status_code
        if status >= 400:
            raise self._status_error(resp, endpoint)
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError):
            ctype = resp.headers.get("Content-Type", "?")
            raise errors.ProtocolError(f"GET {endpoint}: HTTP {status} body is not JSON (Content-Type {ctype})",
                                       endpoint=endpoint, status=status) from None

    def _status_error(self, resp: requests.Response, endpoint: str) -> errors.BroadStreetError:
        status = resp.status_code
        detail = error_detail(resp)
        msg = f"GET {endpoint}: HTTP {status}{': ' + detail if detail else ''}"
        if status in (401, 403):
            cls = errors.AuthError
        elif status == 404:
            cls = errors.NotFoundError
        elif status == 429:
            cls = errors.RateLimitedError
            msg += (f" (gave up after {self.max_attempts} attempts and up to "
                    f"{self._retry.patience:g} s of waiting out Retry-After)")
        elif status >= 500:
            cls = errors.UpstreamServerError
            msg += f" (gave up after {self.max_attempts} attempts)"
        else:
            cls = errors.BroadStreetError
        return cls(msg, endpoint=endpoint, status=status)

    # -- endpoints ---------------------------------------------------------------
    def networks(self) -> list[dict]:
        return envelope(self._get("/networks", {}, "/networks"), "networks", "/networks")

    def network(self, network_id: int) -> dict:
        data = self._get(f"/networks/{int(network_id)}", {}, "/networks/{id}")
        return object_of(data, "network", "/networks/{id}")

    # Single records: a 404 from one of these is the proof that a record is gone.
    def advertiser(self, advertiser_id: int) -> dict:
        return record_of(self._get(f"/advertisers/{int(advertiser_id)}", {}, "/advertisers/{id}"),
                         "advertiser", "/advertisers/{id}")

    def campaign(self, campaign_id: int) -> dict:
        return record_of(self._get(f"/campaigns/{int(campaign_id)}", {}, "/campaigns/{id}"),
                         "campaign", "/campaigns/{id}")

    def zone(self, zone_id: int) -> dict:
        return record_of(self._get(f"/zones/{int(zone_id)}", {}, "/zones/{id}"), "zone", "/zones/{id}")

    def listed(self, name: str, **parent: int) -> list[dict]:
        """A list BroadStreet wraps under its own name: ``GET /NAME?PARENT_FIELD=ID`` ->
        ``{"NAME": [...]}`` (advertisers and zones per network; a kind registered later)."""
        path = f"/{name}"
        return envelope(self._get(path, {k: int(v) for k, v in parent.items()}, path), name, path)

    def advertisers(self, network_id: int) -> list[dict]:
        return self.listed("advertisers", network_id=network_id)

    def zones(self, network_id: int) -> list[dict]:
        return self.listed("zones", network_id=network_id)

    def campaigns(self, *, advertiser_id: int | None = None, zone_id: int | None = None) -> list[dict]:
        if (advertiser_id is None) == (zone_id is None):
            raise ValueError("campaigns() needs exactly one of advertiser_id or zone_id")
        params = {"advertiser_id": advertiser_id, "zone_id": zone_id}
        return envelope(self._get("/campaigns", params, "/campaigns"), "campaigns", "/campaigns")

    def advertisements(
        self, network_id: int, *, advertiser_id: int | None = None, zone_id: int | None = None
    ) -> list[dict]:
        params = {"network_id": int(network_id), "advertiser_id": advertiser_id, "zone_id": zone_id}
        data = self._get("/advertisements", params, "/advertisements")
        return envelope(data, "advertisements", "/advertisements")

    def placements(self, campaign_id: int) -> list[dict]:
        """Placements of a campaign.  The real API answers a bare array (the spec's
        ``{"placement": ...}`` object is wrong); both forms are accepted."""
        data = self._get("/placements", {"campaign_id": int(campaign_id)}, "/placements")
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            for key in ("placements", "placement"):
                inner = data.get(key)
                if isinstance(inner, list):
                    return inner
                if isinstance(inner, dict):
                    return [inner]
        raise errors.ProtocolError(
            f"GET /placements: expected a JSON array, got {type(data).__name__}",
            endpoint="/placements",
        )

    def records(
        self,
        report_type: str,
        object_id: int,
        start_date: dt.date | str,
        end_date: dt.date | str,
        *,
        summary: bool = False,
    ) -> dict:
        """Reporting rows (hourly, or daily with ``summary``) and totals; end date inclusive."""
        if report_type not in REPORT_TYPES:
            raise ValueError(f"report type must be one of {REPORT_TYPES}, got {report_type!r}")
        params = {
            "type": report_type,
            "id": int(object_id),
            "start_date": str(start_date),
            "end_date": str(end_date),
            "summary": 1 if summary else None,
        }
        data = self._get("/records", params, "/records")
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            raise errors.ProtocolError(
                "GET /records: response has no 'records' list", endpoint="/records"
            )
        data.setdefault("totals", {})
        return data

    def custom_records(
        self,
        network_id: int,
        *,
        select: Iterable[str] = ("count(view)", "count(click)", "count(hover)", "count(conversion)"),
        group: Iterable[str] = ("zone",),
        start_date: dt.date | str,
        end_date: dt.date | str,
    ) -> list[dict]:
        group = list(group)
        bad = [g for g in group if g not in CUSTOM_GROUPS]
        if bad:
            raise ValueError(f"custom report group must be among {CUSTOM_GROUPS}, got {bad}")
        params = {
            "type": "custom",
            "network_id": int(network_id),
            "select": ",".join(select),
            "group": ",".join(group),
            "start_date": str(start_date),
            "end_date": str(end_date),
        }
        return envelope(self._get("/records", params, "/records"), "records", "/records")

    def highlights(self, network_id: int) -> dict:
        data = self._get(f"/networks/{int(network_id)}/highlights", {}, "/networks/{id}/highlights")
        return object_of(data, "data", "/networks/{id}/highlights")
