"""One view of a sync run, from its ``sync_runs`` document, for the CLI, the HTTP API and
the pages.  Each shows the fields of its documented format from this same view."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

API_ERRORS = 3  # errors per run in the HTTP API's answers


@dataclasses.dataclass(frozen=True)
class RunView:
    run_id: str
    trigger: str | None
    scope: str | None
    status: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_s: float | None
    phase: str | None
    progress: dict
    counts: dict
    requests_total: int
    documents_written: int
    errors: list[dict]
    started_by: str | None = None

    @classmethod
    def of(cls, run: dict) -> RunView:
        return cls(
            run_id=run["_id"], trigger=run.get("trigger"), scope=run.get("scope"), status=run.get("status"),
            started_at=run.get("started_at"), finished_at=run.get("finished_at"), duration_s=run.get("duration_s"),
            phase=run.get("phase"), progress=run.get("progress") or {}, counts=run.get("counts") or {},
            requests_total=run.get("requests_total", 0), documents_written=run.get("documents_written", 0),
            errors=list(run.get("errors") or []), started_by=run.get("started_by"),
        )

    def total(self, key: str) -> int:
        """One change count (``inserted``, ``updated``, ...) summed over every entity."""
        return sum(c.get(key, 0) for c in self.counts.values())

    def cli(self) -> dict[str, Any]:
        """The CLI's JSON (README "Command line"): requests as a total."""
        return {
            "run_id": self.run_id, "status": self.status, "scope": self.scope, "trigger": self.trigger,
            "duration_s": self.duration_s, "requests": self.requests_total,
            "documents_written": self.documents_written, "counts": self.counts,
            "errors": self._errors("type", "scope", "message"),
        }

    def api(self) -> dict[str, Any]:
        """The HTTP API's run (README "HTTP sync API"): with times, phase and progress, and
        the error count with the first few errors' kinds."""
        keys = ("trigger", "scope", "status", "started_at", "finished_at", "duration_s", "phase", "progress",
                "counts", "requests_total", "documents_written")
        # no names: error scopes and messages name advertisers and campaigns; the API says
        # what kind of failure, and the run detail (signed in) says where
        return {"run_id": self.run_id, **{k: getattr(self, k) for k in keys}, "error_count": len(self.errors),
                "errors": self._errors("type", "plain", "cause")[:API_ERRORS]}

    def running(self) -> dict[str, Any]:
        """A running run as ``status`` reports it."""
        return {"run_id": self.run_id, "scope": self.scope, "trigger": self.trigger,
                "started_at": self.started_at, "phase": self.phase, "progress": self.progress}

    def _errors(self, *fields: str) -> list[dict]:
        return [{k: e.get(k) for k in fields} for e in self.errors]
