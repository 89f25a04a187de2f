"""Retries: urllib3's ``Retry`` with patience for 429s, and each retry reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from urllib3.util.retry import RequestHistory, Retry

from ..redact import redact

RETRY_STATUSES = (429, 500, 502, 503, 504)


class PatientRetry(Retry):
    """urllib3's Retry, except that a 429 with a positive ``Retry-After`` is waited out
    without using up an attempt, until such waits add up to ``patience`` seconds; after
    that a 429 counts like any failed attempt.  (A storm of rate limits is BroadStreet
    asking us to slow down, not a failure.)"""

    def __init__(self, *args: Any, patience: float = 0.0, waited: float = 0.0,
                 observer: Callable[[str, str, int, float], None] | None = None,
                 next_wait: float | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.patience = patience
        self.waited = waited
        #: told of every retry: (path and query without the token, cause, next attempt, wait s)
        self.observer = observer
        self.next_wait = next_wait  #: the wait this retry was made for (a capped Retry-After)

    def new(self, **kw: Any) -> PatientRetry:
        kw.setdefault("patience", self.patience)
        kw.setdefault("waited", self.waited)
        kw.setdefault("observer", self.observer)
        return super().new(**kw)

    def _capped(self, response) -> float | None:
        """``Retry-After`` (seconds or an HTTP date), capped by the patience left: a date in
        2099 or "3600" never holds a request past ``BS_RATE_LIMIT_PATIENCE_SECONDS``."""
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, max(self.patience - self.waited, 0.0))

    def get_retry_after(self, response) -> float | None:
        """What urllib3 sleeps before the next try: the capped wait this retry was made for."""
        return self.next_wait if self.next_wait is not None else self._capped(response)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if response is not None and response.status == 429 and self.respect_retry_after_header:
            wait = self._capped(response) or 0.0
            if wait > 0 and self.waited + wait <= self.patience:
                history = self.history + (RequestHistory(method, url, error, 429, None),)
                return self._observed(self.new(history=history, waited=self.waited + wait, next_wait=wait), url,
                                      response, error, wait)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = (retry.get_retry_after(response) if response is not None else None) or retry.get_backoff_time()
        return self._observed(retry, url, response, error, wait)

    def _observed(self, retry: PatientRetry, url: str | None, response, error, wait: float) -> PatientRetry:
        if self.observer is not None:
            cause = f"HTTP {response.status}" if response is not None else type(error).__name__
            where = redact(str(url or ""))
            self.observer(where, cause, len(retry.history) + 1, wait)
        return retry
