"""Sync history: recent runs, their durations and requests over time, one run in detail,
and the digests sent (or not)."""

import pandas as pd
import streamlit as st

from bs_core.dates import utcnow
from bs_core.ui import charts, reads
from bs_core.ui import format as fmt
from bs_core.ui.columns import MISSING
from bs_core.ui.frames import runs_frame, sentence_case
from bs_core.ui.layout import PageContext, live_fragment, render
from bs_core.ui.metrics import MetricRow


def body(ctx: PageContext) -> None:
    held_now(ctx.mirror)
    history(ctx.mirror)
    digests(ctx.mirror)
    data_health(ctx)


def digests(mirror) -> None:
    """Digest attempts (python -m bs_core digest send, or BS_DIGEST_SCHEDULE): what went
    where, or why not; a failed one is tried again at the next scheduled time."""
    sent = reads.recent_digests(mirror, 20)
    if not sent:
        return
    st.subheader("Digests")
    rows = [{"finished (UTC)": d.get("finished_at"), "trigger": d.get("trigger"), "status": d.get("status"),
             "for": f"advertiser {d['advertiser_id']}" if d.get("advertiser_id") else "the whole account",
             "day": d.get("day"), "recipients": d.get("recipients", 0),
             "channels": ", ".join(f"{name} {'sent' if c.get('sent') else 'failed'}"
                                   for name, c in (d.get("channels") or {}).items()) or "—",
             "error": "; ".join(c.get("error", "") for c in (d.get("channels") or {}).values() if c.get("error"))}
            for d in sent]
    st.dataframe(sentence_case(pd.DataFrame(rows)), hide_index=True, placeholder=MISSING, key="digests_table", column_config={
        "Finished (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def held_now(mirror) -> None:
    """Deletions the guard holds, run after run, until confirmed or back upstream."""
    held = reads.held_deletions(mirror)
    if not held:
        return
    st.subheader("Deletions held back")
    st.caption("BroadStreet's lists no longer contain these documents, but deleting them would remove a large "
               "part of the mirror, so they are kept until you confirm. Check in BroadStreet; if they are really "
               "gone, run the sync shown with Allow large deletions (sidebar, More sync options) or "
               "`python -m bs_core sync --scope SCOPE --allow-deletes`. An id that comes back is released.")
    rows = [{"collection": h["collection"], "held": h["count"], "held since (UTC)": h["since"],
             "confirm with a sync of": h["run_scope"], "for example": "; ".join(h["scopes"])} for h in held]
    st.dataframe(sentence_case(pd.DataFrame(rows)), hide_index=True, placeholder=MISSING, key="held_now_table", column_config={
        "Held since (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def data_health(ctx: PageContext) -> None:
    """The same checks as ``python -m bs_core verify``, on demand."""
    st.subheader("Data health")
    st.caption("Orphans, stored summaries against live counts, content hashes and reporting coverage "
               "(`python -m bs_core verify` runs the same checks; add `--upstream` to compare with BroadStreet).")
    if not st.button("Check the mirror", key="verify_mirror", icon=":material/health_and_safety:"):
        return
    with st.spinner("Checking every document…"):
        report = reads.verify_mirror(ctx.mirror)
    if report.sound:
        st.success("The mirror is sound: no orphans, summaries and hashes agree, no reporting gaps.")
    else:
        st.error(f"The mirror has {len(report.problems)} problem(s). A full sync repairs most of them.")
    rows = [{"kind": "problem", "check": f.check, "finding": f.text, "examples": ", ".join(map(str, f.sample))}
            for f in report.problems]
    rows += [{"kind": "note", "check": f.check, "finding": f.text, "examples": ", ".join(map(str, f.sample))}
             for f in report.notes]
    if rows:
        st.dataframe(sentence_case(pd.DataFrame(rows)), hide_index=True, placeholder=MISSING, key="health_table")


@live_fragment(run_every=2)
def history(mirror) -> None:
    """Read anew every 2 s: a running run's progress, duration and errors move."""
    limit = st.selectbox("Runs to show", [20, 50, 200], key="f_history_limit")
    recent = reads.recent_runs(mirror, limit)
    if not recent:
        st.info("No sync has run yet.")
        return

    st.dataframe(runs_frame(recent), hide_index=True, placeholder=MISSING, key="runs_table", column_config={
        "Started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "Duration (s)": st.column_config.NumberColumn(format="%.1f"),
    })
    finished = [r for r in recent if r.get("status") != "running"]
    if len(finished) > 1:
        st.plotly_chart(charts.run_history(finished), key="run_history")

    st.subheader("Run detail")
    labels = {r["_id"]: f"{r['_id']} · {r.get('trigger')} · {r.get('scope')} · {r.get('status')}" for r in recent}
    follow_newest(recent[0]["_id"])
    chosen = st.selectbox("Run", list(labels), format_func=labels.get, key="history_run")
    run_detail(reads.get_run(mirror, chosen) or recent[0])


def follow_newest(newest: str) -> None:
    """The detail shows the newest run, a new one as soon as it starts, unless the user
    picked another run (then it stays on theirs)."""
    state = st.session_state
    if state.get("_history_newest") != newest:
        if state.get("history_run") in (None, state.get("_history_newest")):
            state["history_run"] = newest
        state["_history_newest"] = newest


def run_detail(run: dict) -> None:
    running = run["status"] == "running"
    took = (utcnow() - run["started_at"]).total_seconds() if running else (run.get("duration_s") or 0)
    row = MetricRow()
    row.add("Status", run["status"])
    row.add("Running for" if running else "Duration", f"{took:.1f} s")
    row.add("API requests", f"{run.get('requests_total', 0):,}" if not running else "at the end")
    row.add("Documents written", f"{run.get('documents_written', 0):,}" if not running else "…")
    st.caption(f"Started {fmt.timestamp(run.get('started_at'))} by {run.get('trigger')}; "
               + ("still running" if running else f"finished {fmt.timestamp(run.get('finished_at'))}"))
    if run.get("held_deletions"):
        st.markdown("**Deletions held back by the guard**")
        st.dataframe(sentence_case(pd.DataFrame(run["held_deletions"])), hide_index=True, placeholder=MISSING, key="held_table")
    if run.get("deleted"):
        st.markdown("**Deleted ids** (up to 200 per collection)")
        deleted = [{"collection": k, "deleted": v.get("count"), "IDs": ", ".join(map(str, v.get("ids", [])))}
                   for k, v in run["deleted"].items()]
        st.dataframe(sentence_case(pd.DataFrame(deleted)), hide_index=True, placeholder=MISSING, key="deleted_table")

    st.markdown("**Phases**")
    phases = [{"phase": fmt.PHASE_LABELS.get(p, p), "done": v.get("done", 0), "total": v.get("total", 0),
               "seconds": v.get("seconds")} for p, v in (run.get("progress") or {}).items()]
    st.dataframe(sentence_case(pd.DataFrame(phases)), hide_index=True, placeholder=MISSING, key="phases_table")
    st.markdown("**Changes per entity**")
    counts = [{"entity": fmt.COLLECTION_LABELS.get(k, k), **v} for k, v in sorted((run.get("counts") or {}).items())]
    st.dataframe(sentence_case(pd.DataFrame(counts)), hide_index=True, placeholder=MISSING, key="counts_table")
    st.markdown("**Requests per endpoint**")
    reqs = [{"endpoint": k, **v} for k, v in sorted((run.get("requests") or {}).items())]
    st.dataframe(sentence_case(pd.DataFrame(reqs)), hide_index=True, placeholder=MISSING, key="requests_table")
    errors = run.get("errors") or []
    if errors:
        st.markdown(f"**Errors ({len(errors)})**")
        frame = pd.DataFrame(errors).reindex(columns=["scope", "plain", "cause", "type", "message"])
        st.dataframe(sentence_case(frame), hide_index=True, placeholder=MISSING, key="errors_table")
    skipped = run.get("skipped") or []
    if skipped:
        st.markdown(f"**Skipped upstream records ({len(skipped)})**")
        st.dataframe(sentence_case(pd.DataFrame(skipped)), hide_index=True, placeholder=MISSING, key="skipped_table")


render("Sync history", body)
