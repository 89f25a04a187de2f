"""Every page's first view computed before anyone asks: when the mirror changes (a sync
ended) or a network's day turns, this server runs each page once, with its default
filters, in a session of its own that no browser watches.

The page's own code runs there, so the cached reads it leaves (``reads.py``, keyed on the
mirror version and each network's day) are exactly those an analyst's first visit asks
for: that visit reads ready figures instead of computing them (on ``large`` a cold
Delivery health took 2.6 s, the Overview 3 s).  Views with other filters are still
computed on first use.

A session is opened through Streamlit's runtime (``connect_session``, a client that drops
every message, a rerun of one page), which is not a public API: where it is missing (AppTest,
bare mode, a Streamlit that changed it), nothing is warmed and pages compute on first
view as before.  With sign-in configured the warm session is signed out, so the pages stop
at the sign-in screen and only what precedes it is warmed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState

from . import reads

log = logging.getLogger(__name__)
PAGE_SECONDS = 120  #: the longest one page's warm run is waited for
_state: dict = {"key": None, "thread": None, "last": None}
_lock = threading.Lock()


def page_names(paths: list[str]) -> list[str]:
    """``pages/7_Delivery_health.py`` -> ``Delivery_health`` (Streamlit's URL name of a
    page of ``pages/``), and the main script -> "" (the Overview)."""
    out = []
    for path in paths:
        p = Path(path)
        out.append("" if p.parent.name != "pages" else p.stem.lstrip("0123456789").lstrip("_"))
    return out


class _Unwatched:
    """A session client that drops what the page draws and notes when its run ended."""

    def __init__(self) -> None:
        self.finished = threading.Event()

    def write_forward_msg(self, msg) -> None:
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == msg.FINISHED_SUCCESSFULLY:
            self.finished.set()

    @property
    def client_context(self):
        return None


def _on_loop(loop, fn):
    """``fn()`` on Streamlit's event loop (its session calls are not thread-safe); its result."""
    async def call():
        return fn()

    return asyncio.run_coroutine_threadsafe(call(), loop).result(PAGE_SECONDS)


def warm(server, names: list[str], stopping: threading.Event | None = None) -> dict[str, float]:
    """Run each page once (default filters, no link) in an unwatched session; seconds each.
    Stops between pages once ``stopping`` is set (the server is going)."""
    loop = server._get_async_objs().eventloop
    took = {}
    for name in names:
        if stopping is not None and stopping.is_set():
            break
        client = _Unwatched()
        started = time.monotonic()
        session = _on_loop(loop, lambda c=client: server.connect_session(client=c, user_info={}))
        try:
            msg = BackMsg()
            msg.rerun_script.CopyFrom(ClientState(page_name=name, query_string=""))
            _on_loop(loop, lambda m=msg, s=session: server.handle_backmsg(s, m))
            if not client.finished.wait(PAGE_SECONDS):
                log.warning("warming page %r took over %d s; moving on", name or "Overview", PAGE_SECONDS)
        finally:
            _on_loop(loop, lambda s=session: server.close_session(s))
        took[name or "Overview"] = round(time.monotonic() - started, 2)
    return took


def warm_if_changed(server, view: reads.MirrorView, names: list[str]) -> bool:
    """Warm the pages in a thread of their own when the mirror version or a network's day
    differs from the last warmed (one warm at a time; a newer one follows it)."""
    days = reads.network_days(view)
    key = (view.version, days.todays, days.utc_today)
    with _lock:
        thread = _state["thread"]
        if key == _state["key"] or (thread is not None and thread.is_alive()):
            return False
        _state["key"] = key
        thread = threading.Thread(target=_run, args=(server, view.version, names, view.runtime.stopping),
                                  name="page-warmer", daemon=True)
        _state["thread"] = thread
        thread.start()
    return True


def _run(server, version: str, names: list[str], stopping: threading.Event) -> None:
    started, before = time.monotonic(), reads.reads_computed()
    try:
        took = warm(server, names, stopping)
    except Exception as exc:  # noqa: BLE001 - warming is an optimisation: pages compute on first view instead
        # one line, no traceback: a server stopping mid-warm is expected, not a fault
        log.warning("could not warm the pages for mirror version %s: %s", version, type(exc).__name__)
        return
    last = {"version": version, "pages": took, "seconds": round(time.monotonic() - started, 2),
            "reads_computed": reads.reads_computed() - before}
    _state["last"] = last
    log.info("warmed %d pages for mirror version %s in %.1f s (%d reads computed)", len(took), version,
             last["seconds"], last["reads_computed"])


def report() -> dict:
    """The last warm (version, seconds per page, reads computed) and the reads this server
    computed since it started: what ``/api/sync/status`` says of the page cache."""
    return {"last_warm": _state["last"], "reads_computed": reads.reads_computed()}
