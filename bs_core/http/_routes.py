"""HTTP sync API, served by the same ``streamlit run`` through ``st.App(routes=...)``.

- ``GET  /api/sync/status``  : the running run, the last success, counts, the last 10 runs.
- ``POST /api/sync/trigger`` : ``{"scope": ..., "allow_deletes": false}`` -> 202 with the run id, 409 when a sync
  runs, 400 for a bad scope or body, 413 for a body over 16 KiB; needs ``Authorization: Bearer <BS_ADMIN_TOKEN>`` (403 when
  that setting is unset, 401 for a wrong token).
- ``GET  /api/sync/trigger`` : the accepted scopes and the current status.
- ``GET  /api/figures``      : every named figure of the catalogue (``read/figures.py``): its count, the
  ids it counts and its definition, each network cut at its own complete days; ``?network=ID``
  for one network (400 for a bad one).  Ids and counts only, no names.
- ``GET  /api/health``       : for a load balancer: 200 ``{"status": "ok"}`` when the app and its
  database answer, 503 with JSON saying what does not otherwise (no authentication, no names).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable

import pymongo
from pymongo.errors import PyMongoError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import read
from ..entities import scope_help
from ..errors import ScopeError, ScopeTargetError, StoreUnavailableError, SyncLockedError
from ..read import RunView, jsonable
from ..runtime import Runtime

MAX_BODY = 16 * 1024  # a trigger body is a few dozen bytes
HEALTH_SECONDS = 1.5  # /api/health answers within this (a load balancer's check allows a few seconds)


def status_payload(runtime: Runtime, page_cache: Callable[[], dict] = dict) -> dict:
    """What ``GET /api/sync/status`` answers.  No secrets and no names: run views carry
    counts and run summaries only.  ``page_cache``: what the app's pages keep computed
    (the ui's ``prewarm.report``, handed in by the app)."""
    try:
        return _status(runtime, page_cache)
    except (PyMongoError, StoreUnavailableError):
        runtime.database_failed()
        return _unreachable(runtime)


def health_payload(runtime: Runtime) -> dict:
    """Whether this app server can serve pages: it answers (this code runs) and its database
    answers a ping within the connection's short timeouts."""
    db = runtime.db()
    if db is None:
        return {"status": "unavailable", "app": "ok", "database": "unreachable"}
    try:
        with pymongo.timeout(HEALTH_SECONDS):
            db.command("ping")
    except PyMongoError as exc:
        runtime.database_failed()
        return {"status": "unavailable", "app": "ok", "database": f"not answering ({type(exc).__name__})"}
    return {"status": "ok", "app": "ok", "database": "ok"}


def figures_payload(runtime: Runtime, network: str | None) -> tuple[dict, int]:
    """What ``GET /api/figures`` answers, and its status code."""
    from ..read.days import network_days
    from ..read.figures import counted

    try:
        network_id = None if network in (None, "") else int(network)
    except ValueError:
        return {"error": f"network={network[:40]!r}: not a network id (a whole number)"}, 400
    db = runtime.db()
    if db is None:
        return {"error": "the database is unreachable", "database": "unreachable"}, 503
    try:
        if network_id is not None and db.networks.find_one({"_id": network_id}, {"_id": 1}) is None:
            return {"error": f"network={network_id}: not in the mirror"}, 400
        days = network_days(db)
        networks = [network_id] if network_id is not None else sorted(dict(days.clocks))
        return jsonable({"network": network_id, "complete_days": days.describe(networks),
                         "figures": counted(db, days, network_id)}), 200
    except (PyMongoError, StoreUnavailableError):
        runtime.database_failed()
        return {"error": "the database is unreachable", "database": "unreachable"}, 503


def _unreachable(runtime: Runtime) -> dict:
    return {"database": "unreachable", "error": runtime.db_error(), "running": None, "last_success": None,
            "counts": None, "held_deletions": None, "recent": []}


def _status(runtime: Runtime, page_cache: Callable[[], dict]) -> dict:
    db = runtime.db()
    if db is None:
        return _unreachable(runtime)
    status = runtime.sync_status()
    running, last = status.running, status.last_success
    return jsonable({
        "database": "ok",
        "demo_mode": runtime.settings.demo_mode,
        "running": RunView.of(running).api() if running else None,
        "last_success": RunView.of(last).api() if last else None,
        "counts": read.entity_counts(db),
        # counts only: the scopes that held them carry names
        "held_deletions": [{k: h[k] for k in ("collection", "count", "since", "run_scope")}
                           for h in read.held_summary(db)],
        "recent": [RunView.of(r).api() for r in read.recent_runs(db, 10)],
        # the pages' first views this server computed ahead of their visitors (ui/prewarm.py)
        "page_cache": page_cache(),
    })


def _authorise(runtime: Runtime, request: Request) -> JSONResponse | None:
    admin = runtime.settings.admin_token
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


def make_routes(get_runtime: Callable[[], Runtime], page_cache: Callable[[], dict] = dict) -> list[Route]:
    """The API's routes; ``get_runtime`` gives the process's runtime on each request,
    ``page_cache`` what the status says of the pages' computed first views."""

    async def sync_status(request: Request) -> JSONResponse:
        payload = await run_in_threadpool(status_payload, get_runtime(), page_cache)
        return JSONResponse(payload, status_code=200 if payload["database"] == "ok" else 503)

    async def sync_trigger(request: Request) -> JSONResponse:
        runtime = get_runtime()
        if request.method == "GET":
            status = await run_in_threadpool(status_payload, runtime, page_cache)
            return JSONResponse({"scopes": scope_help().split(" | "), "usage": 'POST {"scope": "quick"}',
                                 "status": status})
        return await _trigger(runtime, request)

    async def health(request: Request) -> JSONResponse:
        try:  # a load balancer's check must get an answer, whatever the database does
            payload = await asyncio.wait_for(run_in_threadpool(health_payload, get_runtime()), HEALTH_SECONDS)
        except TimeoutError:
            payload = {"status": "unavailable", "app": "ok",
                       "database": f"not answering within {HEALTH_SECONDS:g} s"}
        return JSONResponse(payload, status_code=200 if payload["status"] == "ok" else 503)

    async def figures(request: Request) -> JSONResponse:
        payload, code = await run_in_threadpool(figures_payload, get_runtime(), request.query_params.get("network"))
        return JSONResponse(payload, status_code=code)

    async def not_found(request: Request) -> JSONResponse:
        return JSONResponse({"error": f"no such endpoint: {request.method} {request.url.path}",
                             "endpoints": ["GET /api/health", "GET /api/figures", "GET /api/sync/status", "GET /api/sync/trigger",
                                           "POST /api/sync/trigger"]}, status_code=404)

    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/api/figures", figures, methods=["GET"]),
        Route("/api/sync/status", sync_status, methods=["GET"]),
        Route("/api/sync/trigger", sync_trigger, methods=["GET", "POST"]),
        Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]


def _too_large() -> JSONResponse:
    return JSONResponse({"error": f"body too large: at most {MAX_BODY:,} bytes"}, status_code=413)


async def _trigger(runtime: Runtime, request: Request) -> JSONResponse:
    denied = _authorise(runtime, request)
    if denied is not None:
        return denied
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        return _too_large()
    raw = b""
    async for chunk in request.stream():  # counted as it arrives: a chunked body has no length
        raw += chunk
        if len(raw) > MAX_BODY:
            return _too_large()
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
        body = None
    if (not isinstance(body, dict) or not isinstance(body.get("scope", "quick"), str)
            or not isinstance(body.get("allow_deletes", False), bool)):
        return JSONResponse({"error": 'body must be JSON like {"scope": "quick"} (optional "allow_deletes": true)'},
                            status_code=400)
    scope = body.get("scope", "quick")
    try:
        run_id = await run_in_threadpool(
            lambda: runtime.start_sync(scope, "api", allow_deletes=body.get("allow_deletes", False)))
    except ScopeTargetError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except ScopeError as exc:
        return JSONResponse({"error": str(exc), "scopes": scope_help().split(" | ")}, status_code=400)
    except SyncLockedError as exc:
        running = exc.run.get("_id") if exc.run else None
        return JSONResponse({"error": str(exc), "running_run_id": running}, status_code=409)
    except (StoreUnavailableError, PyMongoError) as exc:
        runtime.database_failed()
        return JSONResponse({"error": f"the mirror database is unreachable ({type(exc).__name__})"},
                            status_code=503)
    return JSONResponse({"run_id": run_id, "scope": scope, "status": "running",
                         "status_url": "/api/sync/status"}, status_code=202)
