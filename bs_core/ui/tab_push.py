"""Telling every open tab of this server that a sync started or ended, from one thread per
server instead of a poll in every tab.

An idle tab then costs nothing: the thread reads the process-wide stamp (what runs,
which mirror version; :meth:`Runtime.status_stamp`) twice a second and, when it changes,
asks Streamlit to rerun every active session where it is (its page, link and widget
values), on Streamlit's own event loop.  That uses
Streamlit's session manager, which is not a public API: where it is missing (AppTest, or
a Streamlit that changed it), :func:`ensure_pusher` says so and the sidebar falls back to
polling from each tab.
"""

from __future__ import annotations

import logging
import threading

from ..runtime import Runtime
from .reads import MirrorView

log = logging.getLogger(__name__)
CHECK_SECONDS = 0.5  # a start or an end reaches the tabs within this plus one page rerun
_threads: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def _streamlit_runtime():
    """Streamlit's running server runtime, or None (AppTest, bare mode, another API)."""
    try:
        from streamlit import runtime as st_runtime

        if not st_runtime.exists():
            return None
        server = st_runtime.get_instance()
        if not (hasattr(server, "_session_mgr") and hasattr(server, "_get_async_objs")):
            return None
        server._get_async_objs()  # raises until the server's event loop runs
        return server
    except Exception:  # noqa: BLE001 - any surprise here means: poll from the tabs instead
        return None


def ensure_pusher(runtime: Runtime) -> bool:
    """Start this server's pusher once; False when Streamlit offers no way to reach its
    sessions (then each tab polls)."""
    if _streamlit_runtime() is None:
        return False
    with _lock:
        thread = _threads.get(id(runtime))
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_loop, args=(runtime,), name="tab-pusher", daemon=True)
            _threads[id(runtime)] = thread
            thread.start()
    return True


def _loop(runtime: Runtime) -> None:
    last = None
    while not runtime.stopping.is_set():
        try:
            stamp = runtime.status_stamp(max_age=0)  # its own fresh read: no second cache delay
            if last is not None and stamp != last:
                rerun_every_session()
            last = stamp
            if stamp[0] is None and len(stamp) == 2 and stamp[1]:  # no run working: warm the pages
                _warm(runtime, stamp[1])
        except Exception:  # noqa: BLE001 - the pusher must keep running
            log.exception("could not tell the open tabs about a sync")
        runtime.stopping.wait(CHECK_SECONDS)


def _warm(runtime: Runtime, version: str) -> None:
    """Each page's first view, computed in the background when the mirror or a day changed."""
    from . import prewarm
    from .navigation import NAVIGATION

    if not runtime.settings.warm_pages:
        return
    server = _streamlit_runtime()
    if server is not None and hasattr(server, "connect_session") and hasattr(server, "handle_backmsg"):
        pages = prewarm.page_names([path for path, _, _ in NAVIGATION])
        prewarm.warm_if_changed(server, MirrorView(runtime, version), pages)


def rerun_every_session() -> int:
    """Ask Streamlit to rerun every active session (on its event loop); how many."""
    server = _streamlit_runtime()
    if server is None:
        return 0
    loop = server._get_async_objs().eventloop
    sessions = [info.session for info in server._session_mgr.list_active_sessions()]
    for session in sessions:
        loop.call_soon_threadsafe(_rerun_where_it_is, session)
    return len(sessions)


def _rerun_where_it_is(session) -> None:
    """Rerun a session on the page it shows, with its link and its widgets' values.

    ``request_rerun(None)`` would run the default page (the Overview) and drop the
    tab's page, its ``open=`` detail and its filters.  Streamlit's own rerun-on-save
    passes the session's last client state instead; we do the same, as a whole-page
    run (no fragment: the fragment it last ran may be gone)."""
    last = getattr(session, "_client_state", None)
    if last is None:  # a Streamlit without it: a plain rerun still shows the sync
        session.request_rerun(None)
        return
    state = type(last)()
    state.CopyFrom(last)
    state.fragment_id = ""
    state.is_auto_rerun = False
    state.is_history_navigation = False
    session.request_rerun(state)
