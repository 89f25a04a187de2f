"""Sign-in: who may see the dashboard and who may start or cancel syncs.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` (Streamlit's OpenID Connect
sign-in, ``st.login``), every page requires sign-in; ``BS_ALLOWED_EMAILS`` decides who
gets in and ``BS_OPERATORS`` who may sync (both: addresses and ``@domain`` entries).
Without ``[auth]`` the app is open to whoever reaches its port, so it binds to 127.0.0.1
by default and warns when it listens on another address.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import streamlit as st

from ..errors import SettingsError
from ..setting_values import email_matches
from ..settings import Settings

log = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_PROVIDER_FIELDS = ("client_id", "client_secret", "server_metadata_url")


@dataclasses.dataclass(frozen=True)
class Access:
    enabled: bool  #: sign-in is configured
    email: str | None  #: the signed-in user's address
    operator: bool  #: may start and cancel syncs
    operators: tuple[str, ...] = ()

    def who_can_sync(self) -> str:
        return ", ".join(self.operators) if self.operators else "every signed-in user"


OPEN = Access(enabled=False, email=None, operator=True)


def auth_section(secrets: Mapping[str, Any]) -> dict | None:
    """The ``[auth]`` section, checked; None when sign-in is not configured.

    Raises :class:`SettingsError` naming the first missing field.
    """
    section = secrets.get("auth")
    if section is None:
        return None
    section = dict(section)
    for field in ("redirect_uri", "cookie_secret"):
        if not section.get(field):
            raise SettingsError(f"[auth] in .streamlit/secrets.toml is missing {field}")
    providers = {k: v for k, v in section.items() if isinstance(v, Mapping)}
    for name, provider in [("[auth]", section)] if not providers else [(f"[auth.{k}]", v) for k, v in providers.items()]:
        for field in _PROVIDER_FIELDS:
            if not provider.get(field):
                raise SettingsError(f"{name} in .streamlit/secrets.toml is missing {field}")
    return section


def gate(settings: Settings, secrets: Mapping[str, Any]) -> Access:
    """Decide what this session may do; draws the sign-in or refusal screen and stops the
    page when it may not see it."""
    if auth_section(secrets) is None:
        _warn_if_exposed()
        return OPEN
    if not st.user.is_logged_in:
        st.title("BroadStreet mirror")
        st.write("Sign in to see your BroadStreet reporting.")
        if st.button("Sign in", key="sign_in", type="primary", icon=":material/login:"):
            st.login(_provider(secrets))
        st.stop()
    email = str(st.user.get("email") or "").strip().lower()
    if settings.allowed_emails and not email_matches(email, settings.allowed_emails):
        st.title("BroadStreet mirror")
        st.error(f"You are signed in as {email or 'an account without an e-mail address'}, which may not see "
                 "this dashboard. Ask its administrator to add you, or sign in with another account.",
                 icon=":material/block:")
        if st.button("Sign out", key="sign_out_refused", icon=":material/logout:"):
            st.logout()
        st.stop()
    operator = not settings.operators or email_matches(email, settings.operators)
    return Access(enabled=True, email=email, operator=operator, operators=settings.operators)


def account_box(access: Access) -> None:
    """In the sidebar: who is signed in, and a sign-out button."""
    if not access.enabled:
        return
    st.caption(f"Signed in as {access.email}")
    if st.button("Sign out", key="sign_out", icon=":material/logout:", use_container_width=True):
        st.logout()


def _provider(secrets: Mapping[str, Any]) -> str | None:
    """The named provider when ``[auth]`` holds several (the first), else None."""
    providers = [k for k, v in dict(secrets["auth"]).items() if isinstance(v, Mapping)]
    return providers[0] if providers else None


def _warn_if_exposed() -> None:
    address = st.get_option("server.address")
    if address in LOOPBACK:
        return
    if not st.session_state.get("_exposed_logged"):
        log.warning("the dashboard listens on %s without sign-in: anyone who reaches it sees every figure "
                    "and can start syncs; configure [auth] or put it behind an authenticating proxy",
                    address or "every interface")
        st.session_state["_exposed_logged"] = True
    st.sidebar.warning(f"This dashboard listens on {address or 'every network interface'} without sign-in. "
                       "Configure `[auth]` (see the README's Sign-in section) or put it behind an "
                       "authenticating proxy.", icon=":material/lock_open:")
