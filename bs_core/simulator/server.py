"""The BroadStreet simulator as a real HTTP server (stdlib ``ThreadingHTTPServer``).

``/api/1/...`` serves the read endpoints of ``docs/broadstreet-api.md`` with the real envelopes and quirks,
token-checked, with the ``/records`` throttle.  ``/_sim/...`` is the admin API (no token,
loopback only): dataset counts, request stats, fault injection and mutations.  The same
controls are methods of :class:`Simulator` for in-process tests.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import API_PREFIX, Simulator, endpoint_of

_ERROR_HTML = (b"<!DOCTYPE html><html><head><title>We're sorry, but something went wrong"
               b"</title></head><body><h1>Service Unavailable</h1></body></html>")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; avoid 40 ms stalls
    server_version = "BroadStreetSimulator/1.0"
    sim: Simulator  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def _send(self, status: int, body: Any = None, raw: bytes | None = None,
              ctype: str = "application/json; charset=utf-8", headers: dict | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _split(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return parts.path, query

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path, query = self._split()
        if path.startswith("/_sim/"):
            return self._admin("GET", path, {})
        if not path.startswith(API_PREFIX + "/"):
            return self._send(404, {"message": "Not Found"})
        self._api(path[len(API_PREFIX):], query)

    def do_POST(self) -> None:  # noqa: N802
        path, _ = self._split()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return self._send(400, {"error": "body must be JSON"})
        if not path.startswith("/_sim/"):
            return self._send(405, {"message": "read-only simulator"})
        self._admin("POST", path, body)

    def do_DELETE(self) -> None:  # noqa: N802
        path, _ = self._split()
        self._admin("DELETE", path, {})

    # -- API ------------------------------------------------------------------------------
    def _api(self, path: str, query: dict[str, str]) -> None:
        sim = self.sim
        endpoint = endpoint_of(path)
        sim.count(endpoint)
        token = query.pop("access_token", "")
        delay = sim.faults.base_delay()
        fault = sim.faults.pick(path, query)
        if fault and fault.kind == "latency":
            delay += fault.latency_ms / 1000
            fault = None
        if delay:
            time.sleep(delay)
        if token != sim.token:
            return self._send(401, {"message": "Unauthorized"})
        if fault is not None:
            return self._fault(fault)
        if path == "/records":
            wait = sim.records_throttle(token)
            if wait > 0:
                return self._send(429, {"message": "Too Many Requests"},
                                  headers={"Retry-After": str(max(1, math.ceil(wait)))})
        status, body = sim.route(path, query)
        self._send(status, body)

    def _fault(self, fault) -> None:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.html:
                return self._send(fault.status, raw=_ERROR_HTML, ctype="text/html", headers=headers)
            body = fault.body if fault.body is not None else {"message": "Injected failure"}
            return self._send(fault.status, body, headers=headers)
        if fault.kind == "malformed":
            return self._send(200, raw=b'{"campaigns": [{"id": 1, "name": ', ctype="application/json")
        if fault.kind == "hang":
            time.sleep(fault.hang_seconds)
            self.close_connection = True
            return
        if fault.kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- admin ----------------------------------------------------------------------------
    def _admin(self, method: str, path: str, body: dict) -> None:
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            return self._send(403, {"error": "admin API is loopback-only"})
        sim = self.sim
        try:
            if method == "GET" and path == "/_sim/dataset":
                return self._send(200, sim.dataset.counts())
            if method == "GET" and path == "/_sim/stats":
                return self._send(200, sim.stats())
            if method == "POST" and path == "/_sim/stats/reset":
                sim.reset_stats()
                return self._send(200, sim.stats())
            if method == "GET" and path == "/_sim/faults":
                return self._send(200, {"faults": sim.faults.rules(),
                                        "latency_ms": sim.faults.latency_ms,
                                        "jitter_ms": sim.faults.jitter_ms})
            if method == "POST" and path == "/_sim/faults":
                fault = sim.faults.add(**body)
                return self._send(201, {"id": fault.id})
            if (method == "DELETE" and path == "/_sim/faults") or path == "/_sim/faults/clear":
                sim.faults.clear()
                return self._send(200, {"faults": []})
            if method == "POST" and path == "/_sim/latency":
                sim.faults.set_latency(body.get("latency_ms", 0), body.get("jitter_ms", 0))
                return self._send(200, {"latency_ms": sim.faults.latency_ms,
                                        "jitter_ms": sim.faults.jitter_ms})
            if method == "POST" and path == "/_sim/mutate":
                result = sim.mutate(body.get("op", ""), body.get("kind", ""), body.get("id"),
                                    body.get("fields"), body.get("key"))
                return self._send(200, {"result": result})
            if method == "POST" and path == "/_sim/reset":
                sim.reset(body.get("size"), body.get("seed"))
                return self._send(200, sim.dataset.counts())
        except (TypeError, ValueError, KeyError) as exc:
            return self._send(400, {"error": str(exc)})
        self._send(404, {"error": f"no admin route {method} {path}"})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that hung up (timed out or was killed): not our problem
        super().handle_error(request, client_address)


class SimulatorServer:
    """Run a :class:`Simulator` on ``host:port`` (port 0 = any free port) in a thread."""

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1", port: int = 0):
        self.sim = sim or Simulator()
        handler = type("Handler", (_Handler,), {"sim": self.sim})
        self.httpd = _QuietServer((host, port), handler)
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``BROADSTREET_API_BASE_URL`` should be set to."""
        return self.root_url + API_PREFIX

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="bs-simulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
