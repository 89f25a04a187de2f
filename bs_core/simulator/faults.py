"""Fault injection rules for the simulator: what goes wrong, where, and how often."""

from __future__ import annotations

import dataclasses
import random
import threading
from typing import Any

FAULT_KINDS = ("status", "malformed", "hang", "drop", "latency")


@dataclasses.dataclass
class Fault:
    """One rule.  It matches requests whose API path equals ``path`` (``*`` = any) and
    whose query contains every ``query`` item; it fires for the next ``times`` matches
    (None = always), each with probability ``fraction``."""

    kind: str = "status"
    path: str = "*"
    query: dict[str, str] = dataclasses.field(default_factory=dict)
    status: int = 503
    retry_after: str | None = None
    html: bool = False
    body: Any = None  # a JSON body to send instead of the default error message
    times: int | None = None
    fraction: float = 1.0
    hang_seconds: float = 30.0
    latency_ms: float = 0.0
    id: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        self.query = {str(k): str(v) for k, v in (self.query or {}).items()}

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if self.path != "*" and self.path != path:
            return False
        return all(query.get(k) == v for k, v in self.query.items())


class FaultBook:
    """The active rules, and the global latency (with jitter) of every API response."""

    def __init__(self, seed: int = 0):
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._next_id = 1
        self.latency_ms = 0.0
        self.jitter_ms = 0.0

    def add(self, **spec: Any) -> Fault:
        fault = Fault(**spec)
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.latency_ms = self.jitter_ms = 0.0

    def rules(self) -> list[dict]:
        with self._lock:
            return [dataclasses.asdict(f) for f in self._rules]

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        self.latency_ms, self.jitter_ms = float(latency_ms), float(jitter_ms)

    def base_delay(self) -> float:
        """Seconds of global latency for one response."""
        if not self.latency_ms and not self.jitter_ms:
            return 0.0
        with self._lock:
            jitter = self._rng.uniform(-self.jitter_ms, self.jitter_ms)
        return max(self.latency_ms + jitter, 0.0) / 1000

    def pick(self, path: str, query: dict[str, str]) -> Fault | None:
        """The first rule that fires for this request (consuming one of its ``times``)."""
        with self._lock:
            for fault in list(self._rules):
                if not fault.matches(path, query):
                    continue
                if fault.fraction < 1.0 and self._rng.random() >= fault.fraction:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._rules.remove(fault)
                return fault
        return None
