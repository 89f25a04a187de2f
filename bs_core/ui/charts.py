"""Plotly figures from read-model rows (pure functions: rows in, figure out)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

STATUS_COLORS = {"running": "#2da44e", "scheduled": "#1f6feb", "ended": "#8c959f", "paused": "#bf8700"}


def daily_trend(series: list[dict]) -> go.Figure:
    """Views and clicks per day (bars, line) with CTR on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    df = pd.DataFrame(series)
    if df.empty:
        return fig
    fig.add_bar(x=df["date"], y=df["views"], name="Views", marker_color="#9ecbff")
    fig.add_scatter(x=df["date"], y=df["clicks"], name="Clicks", mode="lines+markers", line_color="#1f6feb")
    fig.add_scatter(x=df["date"], y=df["ctr"] * 100, name="CTR %", mode="lines", line_dash="dot",
                    line_color="#bf3989", secondary_y=True)
    fig.update_yaxes(title_text="Views / clicks", secondary_y=False)
    fig.update_yaxes(title_text="CTR %", secondary_y=True)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), legend_orientation="h")
    return fig


def bar(rows: list[dict], x: str, y: str, title: str, fmt: str | None = None) -> go.Figure:
    df = pd.DataFrame(rows)
    if df.empty:
        return go.Figure()
    fig = px.bar(df, x=x, y=y, orientation="h", title=title, text_auto=fmt or True)
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), yaxis={"categoryorder": "total ascending"})
    return fig


def campaign_timeline(rows: list[dict], today: dt.date, horizon_days: int = 90) -> go.Figure:
    """Running and scheduled campaigns as bars from start to end (open-ended ones fade out
    at the horizon)."""
    if not rows:
        return go.Figure()
    far = dt.datetime.combine(today + dt.timedelta(days=horizon_days), dt.time())
    near = dt.datetime.combine(today - dt.timedelta(days=horizon_days), dt.time())
    df = pd.DataFrame([{
        "Campaign": f"{r.get('name_clean', '')} ({r['_id']})",
        "Advertiser": r.get("advertiser_name", ""),
        "Start": r.get("starts_on") or near,
        "End": r.get("ends_on") or far,
        "Status": r.get("status"),
        "Open-ended": r.get("ends_on") is None,
    } for r in rows])
    fig = px.timeline(df, x_start="Start", x_end="End", y="Campaign", color="Status",
                      color_discrete_map=STATUS_COLORS, hover_data=["Advertiser", "Open-ended"])
    fig.add_vline(x=dt.datetime.combine(today, dt.time()), line_dash="dash", line_color="#57606a")
    fig.update_layout(height=max(300, 18 * len(df) + 80), margin=dict(l=10, r=10, t=30, b=10))
    return fig


def run_history(runs: list[dict]) -> go.Figure:
    """Duration and requests of recent runs over time."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    df = pd.DataFrame([{"started": r["started_at"], "duration": r.get("duration_s") or 0,
                        "requests": r.get("requests_total", 0), "status": r.get("status")} for r in runs])
    if df.empty:
        return fig
    fig.add_bar(x=df["started"], y=df["duration"], name="Duration (s)", marker_color="#9ecbff")
    fig.add_scatter(x=df["started"], y=df["requests"], name="API requests", mode="lines+markers",
                    line_color="#1f6feb", secondary_y=True)
    fig.update_yaxes(title_text="seconds", secondary_y=False)
    fig.update_yaxes(title_text="requests", secondary_y=True)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), legend_orientation="h")
    return fig
