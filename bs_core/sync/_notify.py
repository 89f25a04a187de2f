"""Webhook notifications: every finished run (or only the ones with problems) POSTs a
JSON summary to ``BS_WEBHOOK_URL``, with a ``text`` field that Slack and Teams incoming
webhooks display as it is.

Short timeouts, a few retries and one total deadline; a failing webhook never fails a sync
or delays it by more than that deadline, and its outcome is recorded on the run.  The payload carries run summaries
only: no token, no settings.
"""

from __future__ import annotations

import logging
import threading
import time

import requests

from ..export.runview import RunView
from ..redact import redact
from ..settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = (2.0, 3.0)
ATTEMPTS = 3
DEADLINE = 10.0  # seconds for every try together
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


def send(settings: Settings, run: dict, stop: threading.Event | None = None) -> dict:
    """POST the run's summary; the outcome to record on the run (never raises).

    Every try together gets at most :data:`DEADLINE` seconds, however slowly the receiver
    answers (a byte every 2 s never trips a read timeout), and ``stop`` (a signal to the
    CLI) cuts the wait short; a send cut off is recorded as failed."""
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.update(_post(settings, run)), name="webhook", daemon=True)
    worker.start()
    deadline = time.monotonic() + DEADLINE
    while worker.is_alive() and time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        worker.join(0.1)
    if worker.is_alive():  # left behind as a daemon thread: it cannot hold the process up
        why = "stopped" if stop is not None and stop.is_set() else f"no complete answer within {DEADLINE:g} s"
        log.warning("webhook for run %s failed: %s", run.get("_id"), why)
        return {"sent": False, "error": why, "attempts": outcome.get("attempts", 1)}
    return outcome


def _post(settings: Settings, run: dict) -> dict:
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
