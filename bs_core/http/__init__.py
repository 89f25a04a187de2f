"""The HTTP API (``/api/...``): Starlette routes with no Streamlit in them, served by the
same ``streamlit run`` through ``st.App(routes=...)``; an adapter like ``cli/``."""

from ._routes import HEALTH_SECONDS, figures_payload, health_payload, make_routes, status_payload

__all__ = ["HEALTH_SECONDS", "figures_payload", "health_payload", "make_routes", "status_payload"]
