"""Sync history: recent runs, their durations and requests over time, and one run in detail."""

import pandas as pd
import streamlit as st

from bs_core.ui import charts, reads
from bs_core.ui import format as fmt
from bs_core.ui.frames import runs_frame
from bs_core.ui.layout import page

ctx = page("Sync history")
if ctx.mirror is None:
    st.stop()

limit = st.selectbox("Runs to show", [20, 50, 200], key="f_history_limit")
recent = reads.recent_runs(ctx.mirror, limit)  # not cached: a running run changes by the second
if not recent:
    st.info("No sync has run yet.")
    st.stop()

st.dataframe(runs_frame(recent), hide_index=True, key="runs_table", column_config={
    "started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
    "duration (s)": st.column_config.NumberColumn(format="%.1f"),
})
finished = [r for r in recent if r.get("status") != "running"]
if len(finished) > 1:
    st.plotly_chart(charts.run_history(finished), key="run_history")

st.subheader("Run detail")
labels = {r["_id"]: f"{r['_id']} · {r.get('trigger')} · {r.get('scope')} · {r.get('status')}" for r in recent}
chosen = st.selectbox("Run", list(labels), format_func=labels.get, key="history_run")
run = reads.get_run(ctx.mirror, chosen)
cols = st.columns(4)
cols[0].metric("Status", run["status"])
cols[1].metric("Duration", f"{run.get('duration_s') or 0:.1f} s")
cols[2].metric("API requests", f"{run.get('requests_total', 0):,}")
cols[3].metric("Documents written", f"{run.get('documents_written', 0):,}")
st.caption(f"Started {fmt.timestamp(run.get('started_at'))} by {run.get('trigger')}; "
           f"finished {fmt.timestamp(run.get('finished_at'))}")

st.markdown("**Phases**")
phases = [{"phase": fmt.PHASE_LABELS.get(p, p), "done": v.get("done", 0), "total": v.get("total", 0),
           "seconds": v.get("seconds")} for p, v in (run.get("progress") or {}).items()]
st.dataframe(pd.DataFrame(phases), hide_index=True, key="phases_table")
st.markdown("**Changes per entity**")
counts = [{"entity": k, **v} for k, v in sorted((run.get("counts") or {}).items())]
st.dataframe(pd.DataFrame(counts), hide_index=True, key="counts_table")
st.markdown("**Requests per endpoint**")
reqs = [{"endpoint": k, **v} for k, v in sorted((run.get("requests") or {}).items())]
st.dataframe(pd.DataFrame(reqs), hide_index=True, key="requests_table")
errors = run.get("errors") or []
if errors:
    st.markdown(f"**Errors ({len(errors)})**")
    st.dataframe(pd.DataFrame(errors)[["scope", "type", "plain", "message"]], hide_index=True, key="errors_table")
skipped = run.get("skipped") or []
if skipped:
    st.markdown(f"**Skipped upstream records ({len(skipped)})**")
    st.dataframe(pd.DataFrame(skipped), hide_index=True, key="skipped_table")
