"""HTTP sync API, served by the same ``streamlit run`` through ``st.App(routes=...)``.

- ``GET  /api/sync/status``  : the running run, the last success, counts, the last 10 runs.
- ``POST /api/sync/trigger`` : ``{"scope": ...}`` -> 202 with the run id, 409 when a sync
  runs, 400 for a bad scope; needs ``Authorization: Bearer <BS_ADMIN_TOKEN>`` (403 when
  that setting is unset, 401 for a wrong token).
- ``GET  /api/sync/trigger`` : the accepted scopes and the current status.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import ScopeError, StoreUnavailableError, SyncLockedError
from .runtime import get_runtime
from .sync import runs
from .sync.scopes import SCOPE_HELP


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.datetime | dt.date) else str(v)))


def _run_view(run: dict) -> dict:
    keys = ("trigger", "scope", "status", "started_at", "finished_at", "duration_s", "phase", "progress",
            "counts", "requests_total", "documents_written")
    view = {"run_id": run["_id"], **{k: run.get(k) for k in keys}}
    view["errors"] = [{k: e.get(k) for k in ("type", "scope", "message", "plain")} for e in run.get("errors", [])]
    return view


def status_payload() -> dict:
    """What ``GET /api/sync/status`` answers.  No secrets: run views carry no settings."""
    from . import readmodels

    runtime = get_runtime()
    db = runtime.db()
    if db is None:
        return {"database": "unreachable", "error": runtime.db_error(), "running": None,
                "last_success": None, "counts": None, "recent": []}
    running = runs.running_run(db)
    last = runs.last_success(db)
    return _jsonable({
        "database": "ok",
        "demo_mode": runtime.settings.demo_mode,
        "running": _run_view(running) if running else None,
        "last_success": _run_view(last) if last else None,
        "counts": readmodels.entity_counts(db),
        "recent": [_run_view(r) for r in runs.recent_runs(db, 10)],
    })


async def sync_status(request: Request) -> JSONResponse:
    payload = await run_in_threadpool(status_payload)
    return JSONResponse(payload, status_code=200 if payload["database"] == "ok" else 503)


def _authorise(request: Request) -> JSONResponse | None:
    admin = get_runtime().settings.admin_token
    if not admin:
        return JSONResponse({"error": "triggering is disabled: set BS_ADMIN_TOKEN (environment or "
                                      ".streamlit/secrets.toml) and send it as 'Authorization: Bearer <token>'"},
                            status_code=403)
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), admin.encode()):
        return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return None


async def sync_trigger(request: Request) -> JSONResponse:
    if request.method == "GET":
        status = await run_in_threadpool(status_payload)
        return JSONResponse({"scopes": SCOPE_HELP.split(" | "), "usage": 'POST {"scope": "quick"}', "status": status})
    denied = _authorise(request)
    if denied is not None:
        return denied
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("scope", "quick"), str):
        return JSONResponse({"error": 'body must be JSON like {"scope": "quick"}'}, status_code=400)
    scope = body.get("scope", "quick")
    try:
        run_id = await run_in_threadpool(get_runtime().start_sync, scope, "api")
    except ScopeError as exc:
        return JSONResponse({"error": str(exc), "scopes": SCOPE_HELP.split(" | ")}, status_code=400)
    except SyncLockedError as exc:
        running = exc.run.get("_id") if exc.run else None
        return JSONResponse({"error": str(exc), "running_run_id": running}, status_code=409)
    except StoreUnavailableError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    return JSONResponse({"run_id": run_id, "scope": scope, "status": "running",
                         "status_url": "/api/sync/status"}, status_code=202)


ROUTES = [
    Route("/api/sync/status", sync_status, methods=["GET"]),
    Route("/api/sync/trigger", sync_trigger, methods=["GET", "POST"]),
]
