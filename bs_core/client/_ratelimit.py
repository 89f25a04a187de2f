"""A sliding-window rate limiter shared by all threads of a process."""

from __future__ import annotations

import collections
import threading
import time


class SlidingWindowLimiter:
    """Allow at most ``limit`` acquisitions in any ``window`` seconds.

    ``acquire`` blocks until a slot is free.  The BroadStreet ``/records`` endpoint
    allows 2 requests per 5 seconds; enforcing that on our side means a burst of
    report calls waits instead of drawing 429s.
    """

    def __init__(self, limit: int, window: float, clock=time.monotonic, sleep=time.sleep):
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._stamps: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a slot is free; return the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return waited
                delay = self.window - (now - self._stamps[0]) + 0.01
            self._sleep(delay)
            waited += delay


class IntervalLimiter:
    """Space acquisitions at least ``1/rate`` seconds apart (a global request-rate cap)."""

    def __init__(self, rate_per_second: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate_per_second
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


_shared: dict[tuple, SlidingWindowLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(key: str, limit: int, window: float) -> SlidingWindowLimiter:
    """One limiter per (key, limit, window) for the whole process."""
    with _shared_lock:
        k = (key, limit, window)
        if k not in _shared:
            _shared[k] = SlidingWindowLimiter(limit, window)
        return _shared[k]
