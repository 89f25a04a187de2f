"""Webhook notifications: every finished run (or only the ones with problems) POSTs a
JSON summary to ``BS_WEBHOOK_URL``, with a ``text`` field that Slack and Teams incoming
webhooks display as it is.

Short timeouts and a few retries; a failing webhook never fails or delays a sync by more
than those, and its outcome is recorded on the run.  The payload carries run summaries
only: no token, no settings.
"""

from __future__ import annotations

import logging
import time

import requests

from .redact import redact
from .runview import RunView
from .settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = (2.0, 3.0)
ATTEMPTS = 3
PROBLEMS = ("failed", "partial", "cancelled")


def wanted(settings: Settings, run: dict) -> bool:
    if not settings.webhook_url:
        return False
    return settings.webhook_on == "all" or run.get("status") in PROBLEMS or bool(run.get("held_deletions"))


def payload(run: dict) -> dict:
    view = RunView.of(run)
    changes = {k: {key: c.get(key, 0) for key in ("inserted", "updated", "deleted")}
               for k, c in view.counts.items() if any(c.get(key) for key in ("inserted", "updated", "deleted"))}
    errors = [{"scope": e.get("scope"), "plain": e.get("plain"), "cause": e.get("cause")} for e in view.errors[:5]]
    text = (f"BroadStreet mirror: {view.scope} sync {view.status} in {view.duration_s or 0:.0f} s "
            f"(run {view.run_id}, {view.total('inserted')} added, {view.total('updated')} updated, "
            f"{view.total('deleted')} removed")
    text += f", {len(view.errors)} errors: {errors[0]['plain']} for {errors[0]['scope']})" if errors else ")"
    if run.get("held_deletions"):
        text += f"; deletions held back in {len(run['held_deletions'])} scopes, confirm with --allow-deletes"
    return {"run_id": view.run_id, "scope": view.scope, "status": view.status, "trigger": view.trigger,
            "started_by": run.get("started_by"), "duration_s": view.duration_s, "changes": changes,
            "error_count": len(view.errors), "errors": errors,
            "held_deletions": len(run.get("held_deletions") or []), "text": redact(text)}


def send(settings: Settings, run: dict) -> dict:
    """POST the run's summary; the outcome to record on the run (never raises)."""
    body = payload(run)
    last = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            resp = requests.post(settings.webhook_url, json=body, timeout=TIMEOUT)
            if resp.status_code < 400:
                return {"sent": True, "status": resp.status_code, "attempts": attempt}
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        if attempt < ATTEMPTS:
            time.sleep(0.5 * attempt)
    log.warning("webhook for run %s failed: %s", run.get("_id"), last)
    return {"sent": False, "error": redact(last), "attempts": ATTEMPTS}
