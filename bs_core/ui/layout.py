"""The frame of every page: settings banner, the sync sidebar, and where data comes from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Callable

import streamlit as st
from pymongo.errors import PyMongoError

from ..dates import today_utc
from ..entities import DETAIL_PAGES, INSTANCE_KINDS
from ..errors import BroadStreetError, SettingsError, StoreUnavailableError
from ..read import first_look, mirror_version, needs_initialisation
from ..read.days import NetworkDays
from ..read.money import rates_stamp
from ..runtime import Runtime
from . import auth, reads
from . import format as fmt
from .app_runtime import app_runtime, app_secrets
from .auth import Access
from .columns import MISSING, columns_for
from .filter_state import keep_filters
from .format import PHASE_LABELS
from .frames import live_frame
from .metrics import page_style, wrapping_row
from .navigation import NAVIGATION
from .reads import MirrorView
from .sync_panel import SyncOptions, still_coming_banner, sync_panel

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PageContext:
    runtime: Runtime
    access: Access  #: who is signed in and whether they may sync
    #: what the page reads the mirror through (None while the database is unreachable)
    mirror: MirrorView | None
    #: "mirror" (normal, and a first start once its first look is in), "live" (first
    #: initialisation before that: entity tables read the API), "down" (database
    #: unreachable: entity tables read the API)
    source: str
    #: draws the sidebar's More sync options, offering the page's selection: called once
    #: the page's filters have read the link (:func:`render`)
    sync_options: SyncOptions | None = None

    @property
    def today(self) -> dt.date:
        return today_utc()

    @property
    def days(self) -> NetworkDays:
        """Each network's own today (``read/days.py``): what complete-day figures cut at."""
        return reads.network_days(self.mirror)


def remember(key: str, default: object) -> str:
    """Seed a filter's default once; the widget then takes its value from session state
    only (passing a default as well makes Streamlit warn once the value is kept)."""
    if key not in st.session_state:
        st.session_state[key] = default
    return key


def page(title: str) -> PageContext:
    """Set up a page: config, banners, sidebar."""
    st.set_page_config(page_title=f"{title} · BroadStreet mirror", page_icon=":material/newspaper:", layout="wide")
    page_style()
    keep_filters()
    try:
        runtime = app_runtime()
        access = auth.gate(runtime.settings, app_secrets())
    except SettingsError as exc:  # a misconfiguration stops the app with one line, no traceback
        log.error("cannot start: %s", exc)
        st.error(f"The dashboard cannot start: {exc}", icon=":material/error:")
        st.stop()
    runtime.ensure_scheduler()
    db = runtime.db()
    if runtime.settings.demo_mode:
        st.info("**Demo mode**: this is simulated data from the bundled BroadStreet simulator. "
                "To mirror your real account, set `BROADSTREET_API_TOKEN` in the environment or in "
                "`.streamlit/secrets.toml` and restart.", icon=":material/science:")
    mirror, source = None, "down"
    if db is not None:
        try:
            runtime.ensure_initialised()
            mirror = MirrorView(runtime, mirror_version(db), rates_stamp(db))
            source = "mirror"
            if needs_initialisation(db):  # a first start: the mirror is read once its first look is in
                early = first_look(db)
                source = "live" if early is None else "mirror"
                if early is not None:
                    still_coming_banner(early)
        except PyMongoError:
            runtime.database_failed()
            mirror = None
    if mirror is None:
        database_down_banner(runtime)
    ctx = PageContext(runtime, access, mirror, source)
    ctx.sync_options = sidebar(ctx)
    st.title(title)
    return ctx


def freshness_line(ctx: PageContext, collection: str) -> str:
    """ "Campaigns on this page were last confirmed with BroadStreet 5 minutes ago (changed 2 days ago)." """
    entry = reads.freshness(ctx.mirror)["collections"].get(collection, {})
    what = {"stats_daily": "Reporting figures"}.get(collection, PHASE_LABELS.get(collection, collection))
    seen, changed = entry.get("last_seen"), entry.get("last_change")
    if seen is None:  # a first sync's first look: no run has ended yet
        return f"{what} on this page come from the first sync, which has not finished yet."
    return (f"{what} on this page were last confirmed with BroadStreet {fmt.relative_time(seen)}"
            f" (last changed {fmt.relative_time(changed)}).")


def database_down_banner(runtime: Runtime) -> None:
    st.error(f"The mirror database is unreachable ({runtime.db_error() or 'no answer'}); entity tables read "
             "BroadStreet directly until it is back. This page checks again every few seconds.",
             icon=":material/cloud_off:")


def live_fragment(run_every: float):
    """``st.fragment(run_every=...)`` for a part of a page that reads the mirror anew on a
    timer.  Such a rerun runs the part alone, outside :func:`render`'s guard: if the
    database stops answering meanwhile, the part says so in one line (the page's own banner
    takes over on the next full run) instead of showing a traceback."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(mirror, *args, **kwargs):
            try:
                return fn(mirror, *args, **kwargs)
            except (PyMongoError, StoreUnavailableError):
                mirror.runtime.database_failed()
                database_down_banner(mirror.runtime)

        return st.fragment(run_every=run_every)(guarded)

    return wrap


def render(title: str, body: Callable[[PageContext], None], *, live: str | None = None,
           target_keys: dict[str, str] | None = None,
           fresh: str | None = None, detail: str | None = None) -> None:
    """Draw a page: the frame, then ``body``, or the live table of entity type ``live``
    while the mirror is not usable.  ``fresh`` names the collection whose freshness the
    page states under its title; ``detail`` the kind of ``open=KIND:ID`` it shows (a
    link opening another kind goes to that kind's page).  If the database stops
    answering while the body draws, the page keeps its sidebar and says so in one line
    instead of a traceback.  ``target_keys`` names the filters whose selection the sidebar
    offers to sync alone, e.g. ``{"network": "f_campaigns_network"}``: read after the body,
    once a link's values are in them."""
    _follow_open_detail(detail)
    ctx = page(title)
    try:
        _frame_and_body(ctx, body, live, fresh)
    finally:  # after st.stop() too: the options are drawn whatever the body did
        ctx.sync_options(_targets(ctx.mirror, target_keys or {}))


def _frame_and_body(ctx: PageContext, body: Callable[[PageContext], None], live: str | None,
                    fresh: str | None) -> None:
    unknown = st.session_state.pop("_unknown_open", None)
    if unknown:
        kinds = ", ".join(f"{k}:ID" for k in DETAIL_PAGES)
        st.warning(fmt.plain(f"This link's open={fmt.short(unknown, 40)} (expected {kinds}) could not be used."),
                   icon=":material/link_off:")
    if live is not None:
        live_fallback(ctx, live)
    elif ctx.mirror is None:
        st.stop()
    try:
        if fresh is not None and ctx.source == "mirror":
            st.caption(freshness_line(ctx, fresh))
        body(ctx)
    except (PyMongoError, StoreUnavailableError):
        ctx.runtime.database_failed()
        database_down_banner(ctx.runtime)
        if live is not None:
            live_fallback(dataclasses.replace(ctx, mirror=None, source="down"), live)


def live_fallback(ctx: PageContext, kind: str) -> None:
    """While the mirror is not usable, show the entity table from the live API (with a
    name search) and stop the page."""
    if ctx.source == "mirror":
        return
    from . import live

    why = "until the mirror is ready" if ctx.source == "live" else "while the mirror database is unreachable"
    st.warning(f"Showing live BroadStreet data (cached for 5 minutes) {why}.", icon=":material/cloud_sync:")
    try:
        df = live.entities(ctx.runtime, kind)
    except BroadStreetError as exc:
        st.warning(f"BroadStreet could not be read either: {exc.plain}.", icon=":material/cloud_off:")
        st.stop()
    # the page's own filters (its link's q= and network=, or what was typed) carry over
    asked = str(st.query_params.get("q") or st.session_state.get(f"f_{kind}_search") or "")
    search = st.text_input("Name contains", key=remember(f"live_search_{kind}", asked[:200]))
    network = st.query_params.get("network") or st.session_state.get(f"f_{kind}_network")
    if not df.empty and str(network or "").isdigit() and "network_id" in df:
        df = df[df["network_id"] == int(network)]
        st.caption(f"Network {int(network)} only, as the page's filter says.")
    if not df.empty and search.strip():
        df = df[df["name_clean"].str.contains(search.strip(), case=False, regex=False)]
    shown = live_frame(df, kind)
    st.dataframe(shown, hide_index=True, placeholder=MISSING, column_config=columns_for(shown))
    st.stop()


def filter_row(*widths: int | str) -> list:
    """Places for filters side by side (a :func:`wrapping_row` aligned on the inputs): on a
    narrow window they wrap instead of cutting a label or a date ("2026-11-2…")."""
    return wrapping_row(*widths, align="bottom")


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
    """The selected network (advertiser) with its name, and the advertiser or campaign whose
    detail is open (``open=campaign:123``), for the sidebar to offer as a targeted sync."""
    out = {}
    chosen = {kind: st.session_state.get(key) for kind, key in keys.items()}
    kind, _, ident = str(st.query_params.get("open") or "").partition(":")
    if kind in INSTANCE_KINDS and ident.isdigit():
        chosen[kind] = int(ident)  # the detail in view is more precise than a filter of its kind
    for kind, ident in chosen.items():
        if mirror is not None and isinstance(ident, int):
            try:
                name = reads.name_of(mirror, f"{kind}s", ident)
            except (PyMongoError, StoreUnavailableError):
                return {}  # the database went away meanwhile: the page says so already
            if name is not None:
                out[kind] = (ident, name)
    return out


def open_detail(kind: str, ident: int) -> None:
    """Open a detail on its own page (from a click callback: the switch happens on the
    rerun that follows, as callbacks cannot switch pages)."""
    st.session_state["_open_detail"] = (kind, ident)


def _follow_open_detail(detail: str | None) -> None:
    """Go to the page of a detail opened by a click, or named by an ``open=KIND:ID`` link
    to a page that shows other details (``/?open=campaign:123`` opens the campaign)."""
    target = st.session_state.pop("_open_detail", None)
    if target is not None:
        kind, ident = target
        st.switch_page(DETAIL_PAGES[kind], query_params={"open": f"{kind}:{ident}"})
    asked = str(st.query_params.get("open") or "")
    kind = asked.partition(":")[0].strip().lower()
    if kind in DETAIL_PAGES and kind != detail:
        # every parameter goes along: the page it lands on uses them, or names the bad ones
        st.switch_page(DETAIL_PAGES[kind], query_params={k: st.query_params[k] for k in st.query_params})
    if asked and kind not in DETAIL_PAGES and detail is None:  # said once the page has its frame
        st.session_state["_unknown_open"] = asked


def sidebar(ctx: PageContext) -> SyncOptions:
    with st.sidebar:
        for path, label, icon in NAVIGATION:
            st.page_link(path, label=label, icon=icon)
        auth.account_box(ctx.access)
        st.divider()
        return sync_panel(ctx.runtime, ctx.mirror.version if ctx.mirror else "down", ctx.access)
