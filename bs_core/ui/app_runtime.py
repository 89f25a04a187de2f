"""The app's settings and its :class:`~bs_core.runtime.Runtime`, held the Streamlit way.

Settings come from the environment, then ``st.secrets`` (``.streamlit/secrets.toml``),
then defaults; one Runtime per distinct settings lives in ``st.cache_resource`` and is
shared by every session, page and HTTP route of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import streamlit as st

from ..errors import SettingsError
from ..runtime import Runtime, stop_all_syncs
from ..settings import Settings, flat_secrets, load_settings, register_secrets

log = logging.getLogger(__name__)


def app_secrets() -> dict:
    """``st.secrets`` as a dict ({} without a secrets file)."""
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


def app_settings() -> Settings:
    """Settings for this app: environment, then ``st.secrets``, then defaults.

    Raises :class:`~bs_core.errors.SettingsError` naming an invalid setting.
    """
    settings = load_settings(secrets=flat_secrets(app_secrets()))
    register_secrets(settings)
    return settings


@st.cache_resource(show_spinner=False)
def _runtime_for(fingerprint: str, _settings: Settings) -> Runtime:
    return Runtime(_settings)


def app_runtime() -> Runtime:
    """The process's runtime for the current settings (built on first use)."""
    settings = app_settings()
    return _runtime_for(settings.fingerprint(), settings)


@contextlib.asynccontextmanager
async def app_lifespan(_app):
    """The server's lifespan: its schedulers (syncs, digests) start with the server, not
    with the first visitor; when it stops (SIGTERM or Ctrl-C to ``streamlit run``), its
    syncs are cancelled and recorded before the process goes.  The server re-raises the
    signal once it has stopped, so the interpreter's own exit hooks may never run."""
    try:
        runtime = await asyncio.to_thread(app_runtime)
        runtime.ensure_scheduler()
        # the tab pusher (which also warms the pages' first views) from the start, not from
        # the first visitor: Streamlit's sessions are reachable once its loop runs
        threading.Thread(target=_push_when_ready, args=(runtime,), name="pusher-start", daemon=True).start()
    except SettingsError as exc:  # the pages say it to every visitor
        log.error("cannot start the schedulers: %s", exc)
    yield None
    await asyncio.to_thread(stop_all_syncs)


def _push_when_ready(runtime: Runtime, tries: int = 120) -> None:
    from .tab_push import ensure_pusher

    for _ in range(tries):
        if runtime.stopping.is_set() or ensure_pusher(runtime):
            return
        runtime.stopping.wait(1.0)
