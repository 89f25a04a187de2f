"""The sidebar's sync section: ReSync and the other sync options, the running sync's
progress (what it waits on during retries) with Cancel, a summary when it ends, how
fresh the mirror is, and the last failure in words with Retry.

Every session on every page sees a sync that any process runs, within seconds, at almost
no cost while nothing runs: the panel is drawn with the page, and one thread per server
(:mod:`.tab_push`) reruns every open tab when the process-wide stamp (what runs, which
mirror version; two database reads a second per server) changes.  Where Streamlit offers
no way to reach its sessions, a tiny fragment (:func:`_watch`) in each tab compares that
stamp with what the page drew instead.  While a run works, its progress is a fragment of
its own that polls.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import streamlit as st
from pymongo.errors import PyMongoError

from .. import read
from ..dates import utcnow
from ..entities import BY_SINGULAR, INSTANCE_KINDS
from ..errors import ScopeError, StoreUnavailableError, SyncLockedError
from ..normalize import labelled
from ..runtime import Runtime, SyncStatus
from . import format as fmt
from . import reads
from .auth import Access
from .tab_push import ensure_pusher

STATUS_POLL_SECONDS = 2  # progress of a running sync
WATCH_SECONDS = 2  # an idle tab's check of the shared stamp (a start or an end shows within this + 1 s)
REDRAW_SECONDS = 300  # an idle tab redraws now and then anyway ("12 minutes ago" moves on)
WATCHED = "sync_watched_run"  # session key: the run this session saw running, to announce its end
DONE = "sync_done"  # session key: (level, what the last watched run changed, shown until)
DONE_SECONDS = 30
ALLOW = "sync_allow_deletes"  # session key: the "Allow large deletions" box
ALLOW_USED = "sync_allow_used"  # session key: a run just started with it; untick it
OPTIONS_OPEN = "sync_options_open"  # session key: More sync options is open


SyncOptions = Callable[[dict[str, tuple[int, str]]], None]


def sync_panel(runtime: Runtime, seen_version: str, access: Access) -> SyncOptions:
    """Draw the sync section; return the function that draws its More sync options in the
    place kept for them, given the page's selection (``{"network": (id, name)}``): the
    page calls it once its filters have read the link, so a link's network is offered."""
    st.subheader("Sync")
    if not access.operator:
        st.caption(fmt.plain(f"You can follow syncs here; starting or cancelling them is for "
                             f"{access.who_can_sync()}."))
    return _panel(runtime, seen_version, access)


def _panel(runtime: Runtime, seen_version: str, access: Access) -> SyncOptions:
    """The sync state as of this page run.  When a run starts or ends anywhere, the watch
    (or the progress fragment) reruns the page, so cached queries show the new data."""
    db = runtime.db()
    if db is None:
        options = _controls(runtime, busy=True, access=access)
        st.caption("Sync status unavailable: the mirror database is unreachable.")
        if not ensure_pusher(runtime):
            _watch(runtime, ("down",), time.monotonic())
        return options
    options = _no_options
    try:
        status = runtime.sync_status()
        running = status.running
        _announce_end(db, running)
        options = _controls(runtime, busy=running is not None, access=access)
        progress = _slot()
        if running is not None:
            with progress.container():
                _progress(runtime, running["_id"], access)
        _freshness(runtime, db, status)
        _last_failure(runtime, status, access)
        _held(runtime, reads.MirrorView(runtime, seen_version), access, busy=running is not None)
    except (PyMongoError, StoreUnavailableError):
        runtime.database_failed()
        st.caption("Sync status unavailable: the mirror database stopped answering.")
        if not ensure_pusher(runtime):
            _watch(runtime, ("down",), time.monotonic())
        return options
    watch = _slot()
    if running is None and not ensure_pusher(runtime):  # no push from the server: this tab polls
        with watch.container():
            _watch(runtime, ((None, seen_version)), time.monotonic())
    return options


def _no_options(targets: dict[str, tuple[int, str]]) -> None:
    """(The database stopped answering before the options had a place.)"""


def _slot():
    """A place for a part of the panel that only some states show.  The panel draws the
    same places in every state, so when a run starts or ends each is replaced at once;
    otherwise the last state's lines ("never", a Cancel button) would stay beside the
    new ones ("just now") until the whole page has rerun."""
    return st.empty()


@st.fragment(run_every=WATCH_SECONDS)
def _watch(runtime: Runtime, drawn: tuple, drawn_at: float) -> None:
    """An idle tab's poll: the shared stamp against what this page drew (no query of its
    own, nothing drawn); the page reruns when a run started or ended anywhere."""
    if runtime.status_stamp() != drawn or time.monotonic() - drawn_at > REDRAW_SECONDS:
        st.rerun(scope="app")


@st.fragment(run_every=STATUS_POLL_SECONDS)
def _progress(runtime: Runtime, run_id: str, access: Access) -> None:
    """The running sync's progress, polled while it runs; the page reruns when it ends."""
    db = runtime.db()
    running = read.running_run(db) if db is not None else None
    if running is None or running["_id"] != run_id:
        st.rerun(scope="app")  # it ended (or another began): redraw the page with its data
    _running(runtime, running, access)


def _controls(runtime: Runtime, busy: bool, access: Access) -> SyncOptions:
    why = "A sync is running; wait for it or cancel it." if busy else None
    if not access.operator:
        busy, why = True, f"Only {access.who_can_sync()} can start syncs."
    if st.button("ReSync", key="resync", type="primary", icon=":material/sync:", use_container_width=True,
                 disabled=busy, help=why or "Quick sync: everything except placements of campaigns that are over."):
        _start(runtime, "quick", access=access)
    place = st.empty()

    def options(targets: dict[str, tuple[int, str]]) -> None:
        # keyed and tracked: choosing a scope reruns the page, and the panel stays open
        with place.container(), st.expander("More sync options", key=OPTIONS_OPEN, on_change="rerun"):
            choices = {"quick": "Quick sync (as ReSync)", "full": "Full sync (everything)"}
            for kind, (ident, name) in targets.items():
                choices[f"{kind}:{ident}"] = f"This {kind}: {fmt.plain(fmt.short(name))}"
            choices["stats"] = "Reporting stats only"
            full_names = "; ".join(f"{kind}: {name}" for kind, (_, name) in targets.items())
            scope = st.radio("Scope", list(choices), format_func=choices.get, key="sync_scope_choice",
                             label_visibility="collapsed", help=fmt.plain(full_names) if full_names else None)
            if st.session_state.pop(ALLOW_USED, False):  # a confirmation is for one run, not the next
                st.session_state[ALLOW] = False
            allow = st.checkbox("Allow large deletions", key=ALLOW,
                                help="Let through deletions the deletion guard held back in an earlier run, "
                                     "once you have checked in BroadStreet that the items are really gone.")
            if st.button("Run sync", key="resync_scope", use_container_width=True, disabled=busy, help=why):
                _start(runtime, scope, allow_deletes=allow, access=access)

    notice, said = st.session_state.pop("sync_notice", None), _slot()
    if notice:
        getattr(said, notice[0])(fmt.plain(notice[1]))
    done, ended = st.session_state.get(DONE), _slot()
    if done and time.monotonic() < done[2]:  # the end of a run stays said for a while
        getattr(ended, done[0])(fmt.plain(done[1]))
    return options


def _start(runtime: Runtime, scope: str, *, access: Access, allow_deletes: bool = False) -> None:
    if not access.operator:  # the buttons are disabled; this is the server's own check
        return
    try:
        run_id = runtime.start_sync(scope, "button", allow_deletes=allow_deletes, started_by=access.email)
    except SyncLockedError as exc:
        st.session_state["sync_notice"] = ("warning", str(exc))
    except (ScopeError, StoreUnavailableError) as exc:
        st.session_state["sync_notice"] = ("error", str(exc))
    else:
        st.session_state[WATCHED] = run_id
        st.session_state["sync_notice"] = ("info", f"Sync started ({scope}, run {run_id})"
                                           + (" with large deletions allowed." if allow_deletes else "."))
        st.session_state[ALLOW_USED] = allow_deletes
    st.rerun()  # draw the sync as running at once (in every part of the page)


def _running(runtime: Runtime, running: dict, access: Access) -> None:
    st.session_state.setdefault(WATCHED, running["_id"])
    progress = running.get("progress") or {}
    text = fmt.progress_text(running.get("phase"), progress)  # said once, on the bar: two lines could disagree
    status = st.status(f"Syncing ({running.get('scope')})", state="running", expanded=False)
    status.caption(fmt.plain(f"Run {running['_id']}, started {fmt.relative_time(running.get('started_at'))} "
                             f"by {running.get('started_by') or running.get('trigger')}"))
    st.progress(fmt.progress_fraction(progress), text=text)
    waiting = fmt.waiting_text(running.get("waiting"))
    if waiting:
        st.caption(fmt.plain(waiting))
    if st.button("Cancel sync", key="cancel_sync", icon=":material/cancel:", use_container_width=True,
                 disabled=not access.operator):
        runtime.cancel_sync()
        st.toast("Cancelling the sync…")


def _announce_end(db, running: dict | None) -> None:
    """When the run this session watched has ended, say what it changed (once)."""
    watched = st.session_state.get(WATCHED)
    if not watched or (running is not None and running["_id"] == watched):
        return
    run = read.get_run(db, watched)
    if run is None or run.get("status") == "running":
        return
    st.session_state.pop(WATCHED)
    icon = ":material/check_circle:" if run["status"] == "success" else ":material/warning:"
    st.toast(fmt.plain(fmt.change_summary(run)), icon=icon)
    st.session_state[DONE] = ("success" if run["status"] == "success" else "warning", fmt.change_summary(run),
                              time.monotonic() + DONE_SECONDS)


def _freshness(runtime: Runtime, db, status: SyncStatus) -> None:
    """When the whole mirror was last refreshed, and a targeted run since then.  A partial
    full or quick run refreshed all but what it names, so it counts, said as partial."""
    last, latest = status.last_success, status.last_finished
    partial = (latest is not None and latest.get("status") == "partial" and latest.get("scope") in ("full", "quick")
               and (last is None or (latest.get("finished_at") or last["finished_at"]) > last["finished_at"]))
    if partial:
        last = latest
    finished = last.get("finished_at") if last else None
    st.markdown(f"Last full or quick sync: **{fmt.relative_time(finished)}**"
                + (" (partial: what failed keeps its earlier data)" if partial else ""), help=fmt.timestamp(finished))
    targeted, line = read.last_targeted(db), _slot()
    if targeted is not None and (finished is None or (targeted.get("finished_at") or finished) > finished):
        line.caption(fmt.plain(f"{_scope_words(db, targeted.get('scope', ''))} synced "
                               f"{fmt.relative_time(targeted.get('finished_at'))}; the rest is as of the line above."))
    stale, old = runtime.settings.stale_after_minutes, _slot()
    if finished is not None and utcnow() - finished > dt.timedelta(minutes=stale):
        old.warning(f"The mirror is older than {stale // 60 if stale >= 60 else stale} "
                   f"{'hours' if stale >= 60 else 'minutes'}; press ReSync for fresh data.", icon=":material/schedule:")


def _scope_words(db, scope: str) -> str:
    """ "Advertiser Lakeside Bakery (104137)" for ``advertiser:104137``."""
    kind, _, target = scope.partition(":")
    if target.isdigit() and kind in INSTANCE_KINDS:
        return f"{kind.capitalize()} {labelled(read.name_of(db, BY_SINGULAR[kind], int(target)), target)}"
    return {"stats": "Reporting stats", "entity": f"All {target}"}.get(kind, scope)


def _last_failure(runtime: Runtime, status: SyncStatus, access: Access) -> None:
    latest, place = status.last_finished, _slot()
    if status.running is not None or not latest or latest["status"] not in ("failed", "partial", "cancelled"):
        return
    with place.container():
        show = st.error if latest["status"] == "failed" else st.warning
        show(fmt.plain(fmt.failure_text(latest)))
        if st.button("Retry", key="retry_sync", icon=":material/refresh:", disabled=not access.operator):
            _start(runtime, latest.get("scope") or "quick", access=access)


def _held(runtime: Runtime, mirror: reads.MirrorView, access: Access, busy: bool) -> None:
    """Deletions the guard holds, until confirmed or back upstream, with the button that
    confirms them: the scope the holding run had, its deletions allowed, once.  They change
    only when a run ends, so this cached read costs a poll nothing."""
    held, place = reads.held_deletions(mirror), _slot()
    if not held:
        return
    parts = ", ".join(f"{h['count']:,} {h['collection']}" for h in held)
    since = min(h["since"] for h in held)
    scope = held[0]["run_scope"]
    with place.container():
        st.warning(fmt.plain(f"Deletions held back since {fmt.relative_time(since)}: {parts}. BroadStreet no "
                             f"longer lists them. If they are really gone, press Confirm deletions (a {scope} "
                             f"sync with these deletions allowed); if they come back, the hold ends by itself."),
                   icon=":material/front_hand:")
        if st.button("Confirm deletions", key="confirm_held", icon=":material/delete_forever:",
                     use_container_width=True, disabled=busy or not access.operator,
                     help=None if access.operator else f"Only {access.who_can_sync()} can confirm deletions."):
            _start(runtime, scope, allow_deletes=True, access=access)


def still_coming_banner(run: dict) -> None:
    """A first start's pages read the mirror before the first sync ends: say what is not
    in it yet, so a count of zones or a placement chart is not taken for the whole."""
    point = run["first_look"]
    since = point["reporting_from"]  # a YYYY-MM-DD day
    names = [fmt.PHASE_LABELS.get(name, name).lower() for name in point.get("still_coming", [])]
    names.append(f"reporting before {since}")
    what = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
    if run.get("status") == "running":
        st.info(f"The first sync is still running: networks, advertisers, campaigns and reporting since {since} "
                f"are in the mirror; {what} are still coming, so figures that need them are incomplete until "
                "it ends.", icon=":material/hourglass_top:")
    else:
        st.warning(f"The first full sync stopped before {what} were in the mirror; figures that need them "
                   "are incomplete. It starts again on its own (or press ReSync).", icon=":material/hourglass_top:")
