"""Plotly figures from read-model rows (pure functions: rows in, figure out)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..normalize import labelled
from .format import chart_text

SCOPE_COLORS = ("#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#57606a", "#0a3069")
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
    fig.update_yaxes(title_text="CTR %", secondary_y=True, tickformat=".2f", rangemode="tozero")
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
        "Campaign": chart_text(labelled(r.get("name_clean"), r["_id"]), 50),
        "Advertiser": chart_text(r.get("advertiser_name", ""), 50),
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
    """Duration and requests of recent finished runs over time, one colour per scope kind
    (a full sync and a one-campaign sync are not comparable)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Duration (seconds)", "API requests"))
    df = pd.DataFrame([{"started": r["started_at"], "duration": r.get("duration_s") or 0,
                        "requests": r.get("requests_total", 0), "scope": str(r.get("scope", "")).split(":")[0],
                        "status": r.get("status")} for r in runs])
    if df.empty:
        return fig
    for i, (scope, part) in enumerate(sorted(df.groupby("scope"), key=lambda kv: kv[0])):
        color = SCOPE_COLORS[i % len(SCOPE_COLORS)]
        fig.add_scatter(x=part["started"], y=part["duration"], name=scope, mode="markers+lines",
                        marker_color=color, legendgroup=scope, row=1, col=1,
                        hovertext=part["status"], hovertemplate="%{x}<br>%{y:.1f} s<br>%{hovertext}")
        fig.add_scatter(x=part["started"], y=part["requests"], name=scope, mode="markers+lines",
                        marker_color=color, legendgroup=scope, showlegend=False, row=2, col=1,
                        hovertemplate="%{x}<br>%{y:,} requests")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="Scope",
                      legend_orientation="h")
    return fig
