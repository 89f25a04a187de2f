"""The frame of every page: settings banner, the sync sidebar, and where data comes from."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from ..dates import today_utc, utcnow
from ..entities import ENTITIES
from ..errors import ScopeError, StoreUnavailableError, SyncLockedError
from ..runtime import Runtime
from ..store.history import mirror_version, needs_initialisation
from ..sync.runs import reap_if_idle
from . import format as fmt
from . import reads
from .app_runtime import app_runtime
from .reads import MirrorView

FILTER_PREFIX = "f_"  # session-state keys of filters that survive page switches
STATUS_POLL_SECONDS = 2


@dataclasses.dataclass
class PageContext:
    runtime: Runtime
    #: what the page reads the mirror through (None while the database is unreachable)
    mirror: MirrorView | None
    #: "mirror" (normal), "live" (first initialisation: entity tables read the API),
    #: "down" (database unreachable: entity tables read the API)
    source: str

    @property
    def today(self) -> dt.date:
        return today_utc()


def keep_filters() -> None:
    """Streamlit forgets a widget's value when its page is left; re-assigning the value
    to session state keeps it, so filters survive switching pages."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(FILTER_PREFIX):
            st.session_state[key] = st.session_state[key]


def remember(key: str, default: object) -> str:
    """Seed a filter's default once; the widget then takes its value from session state
    only (passing a default as well makes Streamlit warn once the value is kept)."""
    if key not in st.session_state:
        st.session_state[key] = default
    return key


def page(title: str, *, target_keys: dict[str, str] | None = None) -> PageContext:
    """Set up a page: config, banners, sidebar.  ``target_keys`` names the filters whose
    selection the sidebar offers to sync alone, e.g. ``{"network": "f_campaigns_network"}``
    (a widget's new value is in session state before the page script draws it)."""
    st.set_page_config(page_title=f"{title} · BroadStreet mirror", page_icon=":material/newspaper:", layout="wide")
    keep_filters()
    runtime = app_runtime()
    runtime.ensure_scheduler()
    db = runtime.db()
    if runtime.settings.demo_mode:
        st.info("**Demo mode**: this is simulated data from the bundled BroadStreet simulator. "
                "To mirror your real account, set `BROADSTREET_API_TOKEN` in the environment or in "
                "`.streamlit/secrets.toml` and restart.", icon=":material/science:")
    mirror = None
    if db is None:
        source = "down"
        st.error(f"The mirror database is unreachable ({runtime.db_error()}); "
                 "tables read BroadStreet directly until it is back.", icon=":material/cloud_off:")
    else:
        runtime.ensure_initialised()
        mirror = MirrorView(runtime, mirror_version(db))
        source = "live" if needs_initialisation(db) else "mirror"
    ctx = PageContext(runtime, mirror, source)
    sidebar(ctx, _targets(mirror, target_keys or {}))
    st.title(title)
    return ctx


def live_fallback(ctx: PageContext, kind: str, columns: list[str] | None = None) -> None:
    """While the mirror is not usable, show the entity table from the live API (with a
    name search) and stop the page."""
    if ctx.source == "mirror":
        return
    from . import live

    st.warning("Showing live BroadStreet data (cached for 5 minutes) until the mirror is ready.",
               icon=":material/cloud_sync:")
    df = live.entities(ctx.runtime, kind)
    search = st.text_input("Name contains", key=f"live_search_{kind}")
    if not df.empty:
        if search.strip():
            df = df[df["name_clean"].str.contains(search.strip(), case=False, regex=False)]
        if columns:
            df = df[columns]
    st.dataframe(df, hide_index=True)
    st.stop()


def network_select(ctx: PageContext, key: str, where=st) -> int | None:
    """A network filter ("All networks" = None)."""
    networks = reads.name_options(ctx.mirror, "networks")
    if st.session_state.get(key) not in (None, *networks):
        st.session_state[key] = None
    return where.selectbox("Network", [None, *networks], key=key, placeholder="All networks",
                           format_func=lambda i: "All networks" if i is None else networks[i])


def advertiser_select(ctx: PageContext, key: str, network: int | None, where=st) -> int | None:
    """An advertiser filter limited to the chosen network ("All advertisers" = None)."""
    advertisers = reads.name_options(ctx.mirror, "advertisers", network)
    if st.session_state.get(key) not in (None, *advertisers):
        st.session_state[key] = None  # it belonged to another network
    return where.selectbox("Advertiser", [None, *advertisers], key=key, placeholder="All advertisers",
                           format_func=lambda i: "All advertisers" if i is None else advertisers[i])


def _targets(mirror: MirrorView | None, keys: dict[str, str]) -> dict[str, tuple[int, str]]:
    out = {}
    for kind, key in keys.items():
        ident = st.session_state.get(key)
        if mirror is not None and isinstance(ident, int):
            name = reads.name_of(mirror, f"{kind}s", ident)
            if name is not None:
                out[kind] = (ident, name)
    return out


def _start(runtime: Runtime, scope: str, allow_deletes: bool = False) -> None:
    try:
        run_id = runtime.start_sync(scope, "button", allow_deletes=allow_deletes)
        st.session_state["sync_notice"] = ("info", f"Sync started ({scope}, run {run_id}).")
    except SyncLockedError as exc:
        st.session_state["sync_notice"] = ("warning", str(exc))
    except (ScopeError, StoreUnavailableError) as exc:
        st.session_state["sync_notice"] = ("error", str(exc))


NAVIGATION = (
    ("streamlit_app.py", "Overview", ":material/dashboard:"),
    ("pages/1_Campaigns.py", ENTITIES["campaigns"].label, ":material/campaign:"),
    ("pages/2_Advertisers.py", ENTITIES["advertisers"].label, ":material/storefront:"),
    ("pages/3_Advertisements.py", ENTITIES["advertisements"].label, ":material/image:"),
    ("pages/4_Zones.py", ENTITIES["zones"].label, ":material/grid_view:"),
    ("pages/5_Networks.py", ENTITIES["networks"].label, ":material/hub:"),
    ("pages/6_Sync_history.py", "Sync history", ":material/history:"),
)


def sidebar(ctx: PageContext, targets: dict[str, tuple[int, str]]) -> None:
    with st.sidebar:
        for path, label, icon in NAVIGATION:
            st.page_link(path, label=label, icon=icon)
        st.divider()
        st.subheader("Sync")
        if st.button("ReSync", key="resync", type="primary", icon=":material/sync:", use_container_width=True,
                     help="Quick sync: everything except placements of campaigns that are over."):
            _start(ctx.runtime, "quick")
        with st.expander("More sync options"):
            choices = {"Full sync (everything)": "full"}
            for kind, (ident, name) in targets.items():
                choices[f"This {kind}: {name}"] = f"{kind}:{ident}"
            choices["Reporting stats only"] = "stats"
            label = st.radio("Scope", list(choices), key="sync_scope_choice", label_visibility="collapsed")
            allow = st.checkbox("Allow large deletions", key="sync_allow_deletes",
                                help="Let through deletions the deletion guard held back in an earlier run, "
                                     "once you have checked in BroadStreet that the items are really gone.")
            if st.button("Run sync", key="resync_scope", use_container_width=True):
                _start(ctx.runtime, choices[label], allow_deletes=allow)
        notice = st.session_state.pop("sync_notice", None)
        if notice:
            getattr(st, notice[0])(notice[1])
        sync_status(ctx.runtime, ctx.mirror.version if ctx.mirror else "down")


@st.fragment(run_every=STATUS_POLL_SECONDS)
def sync_status(runtime: Runtime, seen_version: str) -> None:
    """Live sync state for every session on every page, polled from the database.

    When a run finishes, the mirror version changes and the whole page reruns, so the
    cached queries pick up the new data.
    """
    db = runtime.db()
    if db is None:
        st.caption("Sync status unavailable: database unreachable.")
        return
    view = MirrorView(runtime, seen_version)
    running = reads.running_run(view)
    if running is not None:
        text = fmt.progress_text(running.get("phase"), running.get("progress") or {})
        with st.status(f"Syncing ({running.get('scope')}): {text}", state="running"):
            st.caption(f"Run {running['_id']}, started {fmt.relative_time(running.get('started_at'))} "
                       f"by {running.get('trigger')}")
        st.progress(fmt.progress_fraction(running.get("progress") or {}), text=text)
        if st.button("Cancel sync", key="cancel_sync", icon=":material/cancel:"):
            runtime.cancel_sync()
            st.toast("Cancelling the sync…")
    else:
        reap_if_idle(db, runtime.settings.lease_seconds)
    last = reads.last_success(view)
    finished = last.get("finished_at") if last else None
    st.markdown(f"Last successful sync: **{fmt.relative_time(finished)}**", help=fmt.timestamp(finished))
    stale = runtime.settings.stale_after_minutes
    if finished is not None and utcnow() - finished > dt.timedelta(minutes=stale):
        st.warning(f"The mirror is older than {stale // 60 if stale >= 60 else stale} "
                   f"{'hours' if stale >= 60 else 'minutes'}; press ReSync for fresh data.", icon=":material/schedule:")
    latest = reads.last_finished(view)
    if running is None and latest and latest["status"] in ("failed", "partial", "cancelled"):
        show = st.error if latest["status"] == "failed" else st.warning
        show(fmt.failure_text(latest))
        if st.button("Retry", key="retry_sync", icon=":material/refresh:"):
            _start(runtime, latest.get("scope") or "quick")
            st.rerun(scope="app")
    if mirror_version(db) != seen_version:
        st.rerun(scope="app")
