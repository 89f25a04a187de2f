"""Plotly figures from read-model rows (pure functions: rows in, figure out; each kept
by ``figure_memo`` for the next view with the same rows)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figure_memo import remembered
from .format import chart_label, chart_text

SCOPE_COLORS = ("#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#57606a", "#0a3069")
RUN_SYMBOLS = {"failed": "x", "partial": "triangle-up", "cancelled": "circle-open"}
STATUS_COLORS = {"running": "#2da44e", "scheduled": "#1f6feb", "ended": "#8c959f", "paused": "#bf8700"}


@remembered
def daily_trend(series: list[dict], today: dt.date | None = None, grain: str = "day") -> go.Figure:
    """Views per day on top; clicks per day below with CTR on its own right-hand axis
    (clicks are ~1% of views: on the views axis they would lie flat at zero).  Today's
    partial day is drawn paler and labelled, so it does not read as a collapse."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, row_heights=[0.55, 0.45],
                        specs=[[{}], [{"secondary_y": True}]],
                        subplot_titles=(f"Views per {grain}", f"Clicks per {grain} and CTR"))
    df = pd.DataFrame(series)
    if df.empty:
        return fig
    days = [d.date() if isinstance(d, dt.datetime) else d for d in df["date"]]
    if grain == "day":
        partial = [d == today for d in days]
        names = [f"{d:%Y-%m-%d}" + (" (today, partial)" if p else "") for d, p in zip(days, partial, strict=True)]
    else:  # a week or month the period cuts is paler and says how many of its days it holds
        partial = [bool(p) for p in df.get("partial", [False] * len(days))]
        names = [_bucket_name(d, grain) + (f" ({n} of {s} days)" if p else "")
                 for d, p, n, s in zip(days, partial, df.get("days", [0] * len(days)),
                                       df.get("span", [0] * len(days)), strict=True)]
    opacity = [0.4 if p else 1.0 for p in partial]
    fig.add_bar(x=df["date"], y=df["views"], name="Views", marker_color="#9ecbff", marker_opacity=opacity,
                customdata=names, hovertemplate="%{customdata}<br>%{y:,} views<extra></extra>", row=1, col=1)
    fig.add_bar(x=df["date"], y=df["clicks"], name="Clicks", marker_color="#1f6feb", marker_opacity=opacity,
                customdata=names, hovertemplate="%{customdata}<br>%{y:,} clicks<extra></extra>", row=2, col=1)
    fig.add_scatter(x=df["date"], y=df["ctr"] * 100, name="CTR %", mode="lines+markers", line_color="#bf3989",
                    customdata=names, hovertemplate="%{customdata}<br>CTR %{y:.2f}%<extra></extra>", row=2, col=1,
                    secondary_y=True)
    if grain == "day" and any(partial):
        fig.add_annotation(x=df["date"].iloc[partial.index(True)], y=1.0, yref="paper", text="today (partial)",
                           showarrow=False, font_size=11, font_color="#57606a", yanchor="bottom")
    elif any(partial):
        fig.add_annotation(x=0, xref="paper", y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                           font_size=11, font_color="#57606a", xanchor="left",
                           text=f"paler: a {grain} the period holds only part of")
    fig.update_yaxes(title_text="Views", tickformat=",d", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="Clicks", tickformat=",d", rangemode="tozero", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title_text="CTR %", tickformat=".2f", rangemode="tozero", row=2, col=1, secondary_y=True,
                     showgrid=False)
    if grain == "day":
        fig.update_xaxes(tickformat="%b %d", row=2, col=1)
    else:  # one label per bucket, never a date repeated by automatic ticks
        ticks = dict(tickmode="array", tickvals=list(df["date"]), ticktext=[_bucket_label(d, grain) for d in days])
        fig.update_xaxes(**ticks, row=2, col=1)
        fig.update_xaxes(tickmode="array", tickvals=list(df["date"]), row=1, col=1)
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10), legend_orientation="h",
                      legend_y=-0.12, bargap=0.15)
    return fig


def _bucket_label(day: dt.date, grain: str) -> str:
    """The axis label of a week ("Nov 23") or month ("Nov 2026")."""
    return f"{day:%b %Y}" if grain == "month" else f"{day:%b %d}"


def _bucket_name(day: dt.date, grain: str) -> str:
    """The hover name of a week ("week of 2026-11-23") or month ("November 2026")."""
    return f"{day:%B %Y}" if grain == "month" else f"week of {day:%Y-%m-%d}"


@remembered
def bar(rows: list[dict], x: str, y: str, title: str, x_title: str, y_title: str = "",
        value_format: str | None = None, subtitle: str | None = None) -> go.Figure:
    """A horizontal bar chart with readable axis titles (never the raw field names), and
    under its title a ``subtitle`` (its period) when given."""
    df = pd.DataFrame(rows)
    if df.empty:
        return go.Figure()
    fig = px.bar(df, x=x, y=y, orientation="h", title=title, text_auto=value_format or True,
                 labels={x: x_title, y: y_title})
    # values level, at the end of each bar, and room for them: never rotated, shrunk or cut
    fig.update_traces(textposition="outside", textangle=0, cliponaxis=False, textfont_size=12)
    fig.update_layout(height=360, margin=dict(l=10, r=30, t=64 if subtitle else 40, b=10),
                      yaxis={"categoryorder": "total ascending"}, uniformtext_minsize=11, uniformtext_mode="show")
    if subtitle:
        fig.update_layout(title_subtitle_text=subtitle, title_subtitle_font_size=12)
    fig.update_yaxes(title_text=y_title or None)
    top = float(df[x].max() or 0)
    fig.update_xaxes(title_text=x_title, range=[0, top * 1.18 or 1], nticks=5, tickangle=0)
    if pd.api.types.is_integer_dtype(df[x]):  # a count: whole-number ticks (no 0.5 campaigns)
        # big counts tick short (400k): "200,000" and "400,000" ran together in a half-width chart
        fig.update_xaxes(tickformat="~s" if top >= 10_000 else ",d", dtick=1 if top <= 8 else None)
    return fig


@remembered
def campaign_timeline(rows: list[dict], today: dt.date, horizon_days: int = 90) -> go.Figure:
    """Running and scheduled campaigns as bars from start to end.  An open-ended campaign
    has no end to draw: its bar is hatched and runs to the chart's right edge (the horizon,
    or the last end date drawn when that is later), with "no end date" in its hover; the
    dashed line is labelled today."""
    if not rows:
        return go.Figure()
    # the edge is decided first: an open-ended bar stopping short of the axis's end would
    # read as a campaign ending there
    edge = max([dt.datetime.combine(today + dt.timedelta(days=horizon_days), dt.time()),
                *(r["ends_on"] for r in rows if r.get("ends_on"))])
    near = dt.datetime.combine(today - dt.timedelta(days=horizon_days), dt.time())
    df = pd.DataFrame([{
        "Campaign": chart_label(r.get("name_clean"), r["_id"], 50),
        "Advertiser": chart_text(r.get("advertiser_name", ""), 50),
        "Start": r.get("starts_on") or near,
        "End": r.get("ends_on") or edge,
        "Ends": r["ends_on"].strftime("%Y-%m-%d") if r.get("ends_on") else "no end date",
        "Status": r.get("status"),
        "Pattern": "no end date" if r.get("ends_on") is None else "ends",
    } for r in rows])
    fig = px.timeline(df, x_start="Start", x_end="End", y="Campaign", color="Status", pattern_shape="Pattern",
                      pattern_shape_map={"ends": "", "no end date": "/"}, color_discrete_map=STATUS_COLORS,
                      hover_data={"Advertiser": True, "Ends": True, "Pattern": False, "End": False})
    now = dt.datetime.combine(today, dt.time())
    fig.add_vline(x=now, line_dash="dash", line_color="#57606a")
    fig.add_annotation(x=now, y=1, yref="paper", text=f"today {today:%b %d}", showarrow=False, yanchor="bottom",
                       font_size=11, font_color="#57606a")
    fig.update_xaxes(range=[df["Start"].min(), edge])
    fig.update_layout(height=max(300, 18 * len(df) + 130), margin=dict(l=10, r=10, t=90, b=10),
                      legend=dict(title_text="", orientation="h", yref="container", y=0.995, yanchor="top", x=0))
    return fig


@remembered
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
        ok = part[part["status"] == "success"]
        for row, field, hover in ((1, "duration", "%{x}<br>%{y:.1f} s"), (2, "requests", "%{x}<br>%{y:,} requests")):
            # the line joins successful runs; a failed, partial or cancelled one is a mark of its own
            fig.add_scatter(x=ok["started"], y=ok[field], name=scope, mode="markers+lines", marker_color=color,
                            legendgroup=scope, showlegend=row == 1, row=row, col=1,
                            hovertemplate=hover + "<br>success<extra>" + scope + "</extra>")
            for status, part_status in part[part["status"] != "success"].groupby("status"):
                fig.add_scatter(x=part_status["started"], y=part_status[field], name=f"{scope} ({status})",
                                mode="markers", marker_symbol=RUN_SYMBOLS.get(status, "x"), marker_size=10,
                                marker_color=color, legendgroup=f"{scope}-{status}", showlegend=row == 1,
                                row=row, col=1, hovertemplate=hover + f"<br>{status}<extra>{scope}</extra>")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=80, b=10), legend_title_text="Scope",
                      legend=dict(orientation="h", yanchor="bottom", y=1.1, x=0))
    return fig


@remembered
def pacing_chart(rows: list[dict], clock: str) -> go.Figure:
    """A campaign's views delivered so far against even delivery of its goal, per flight
    day through yesterday, with the goal as a line."""
    fig = go.Figure()
    df = pd.DataFrame(rows)
    if df.empty:
        return fig
    fig.add_scatter(x=df["date"], y=df["delivered"], name="Delivered so far", mode="lines", line_color="#1f6feb",
                    line_width=3, hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views delivered<extra></extra>")
    if df["expected"].notna().any():
        fig.add_scatter(x=df["date"], y=df["expected"], name="Expected (even delivery)", mode="lines",
                        line_dash="dash", line_color="#57606a",
                        hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views expected<extra></extra>")
    fig.add_hline(y=int(df["goal"].iloc[0]), line_dash="dot", line_color="#cf222e",
                  annotation_text=f"goal {int(df['goal'].iloc[0]):,}", annotation_position="top left")
    fig.update_yaxes(title_text="Views (cumulative)", tickformat=",d", rangemode="tozero")
    fig.update_xaxes(title_text=f"Flight day ({clock})", tickformat="%b %d")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), legend_orientation="h", legend_y=-0.25,
                      title_text=f"Delivered against expected, {rows[0]['date']} to {rows[-1]['date']}")
    return fig


@remembered
def hours_chart(rows: list[dict], period_text: str, clock: str) -> go.Figure:
    """Views by hour of the day (account hours) with CTR on its own axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    df = pd.DataFrame(rows)
    if df.empty:
        return fig
    fig.add_bar(x=df["hour"], y=df["views"], name="Views", marker_color="#9ecbff",
                hovertemplate="%{x}:00<br>%{y:,} views<extra></extra>")
    fig.add_scatter(x=df["hour"], y=df["ctr"] * 100, name="CTR %", mode="lines+markers", line_color="#bf3989",
                    secondary_y=True, hovertemplate="%{x}:00<br>CTR %{y:.2f}%<extra></extra>")
    fig.update_xaxes(title_text=f"Hour of the day ({clock})", dtick=2, range=[-0.5, 23.5])
    fig.update_yaxes(title_text="Views", tickformat=",d", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="CTR %", tickformat=".2f", rangemode="tozero", secondary_y=True, showgrid=False)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), legend_orientation="h", legend_y=-0.3,
                      title_text=f"Views by hour of the day, {period_text}")
    return fig


@remembered
def availability_chart(by_day: list[dict], period_text: str) -> go.Figure:
    """Per day: booked and available views stacked (their sum is the forecast, unless the
    day is over-booked, drawn red), the forecast as a line and its likely range as a band."""
    fig = go.Figure()
    df = pd.DataFrame(by_day)
    if df.empty:
        return fig
    over = df["booked"] > df["forecast"]
    fig.add_scatter(x=df["date"], y=df["high"], mode="lines", line_width=0, showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=df["date"], y=df["low"], mode="lines", line_width=0, fill="tonexty",
                    fillcolor="rgba(31,111,235,0.12)", name="Likely range",
                    customdata=df["high"], hovertemplate="%{x|%Y-%m-%d}<br>likely %{y:,} to %{customdata:,}"
                                                         "<extra></extra>")
    fig.add_bar(x=df["date"], y=df["booked"], name="Booked", marker_color=["#cf222e" if o else "#57606a" for o in over],
                hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views booked<extra></extra>")
    fig.add_bar(x=df["date"], y=df["available"], name="Available", marker_color="#2da44e",
                hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views available<extra></extra>")
    fig.add_scatter(x=df["date"], y=df["forecast"], name="Forecast", mode="lines", line_color="#1f6feb",
                    line_width=2, hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views forecast<extra></extra>")
    if over.any():
        fig.add_annotation(x=0, xref="paper", y=1.0, yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                           font_size=11, font_color="#cf222e", text=f"red: booked above the forecast ({int(over.sum())}"
                                                                     f" day(s))")
    fig.update_yaxes(title_text="Views per day", tickformat=",d", rangemode="tozero")
    fig.update_xaxes(title_text="Day (each network's own)", tickformat="%b %d")
    fig.update_layout(barmode="stack", bargap=0.15, height=380, margin=dict(l=10, r=10, t=50, b=10),
                      legend_orientation="h", legend_y=-0.25,
                      title_text=f"Forecast, booked and available views per day, {period_text}")
    return fig


@remembered
def outlook_chart(history: list[dict], ahead: list[dict], today: dt.date) -> go.Figure:
    """A zone's delivered views per day, then its forecast with the likely range and what
    is booked on it: the forecast read against the history it came from."""
    fig = go.Figure()
    past, future = pd.DataFrame(history), pd.DataFrame(ahead)
    if not past.empty:
        fig.add_scatter(x=past["date"], y=past["views"], name="Delivered", mode="lines", line_color="#57606a",
                        hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views delivered<extra></extra>")
    if not future.empty:
        fig.add_scatter(x=future["date"], y=future["high"], mode="lines", line_width=0, showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=future["date"], y=future["low"], mode="lines", line_width=0, fill="tonexty",
                        fillcolor="rgba(31,111,235,0.12)", name="Likely range", hoverinfo="skip")
        fig.add_scatter(x=future["date"], y=future["forecast"], name="Forecast", mode="lines", line_color="#1f6feb",
                        line_dash="dash", hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views forecast<extra></extra>")
        fig.add_scatter(x=future["date"], y=future["booked"], name="Booked", mode="lines", line_color="#cf222e",
                        line_width=1, hovertemplate="%{x|%Y-%m-%d}<br>%{y:,} views booked<extra></extra>")
    fig.add_vline(x=dt.datetime.combine(today, dt.time()).timestamp() * 1000, line_dash="dot", line_color="#8c959f",
                  annotation_text="today", annotation_position="top")
    first = history[0]["date"] if history else today
    last = ahead[-1]["date"] if ahead else today
    fig.update_yaxes(title_text="Views per day", tickformat=",d", rangemode="tozero")
    fig.update_xaxes(title_text="Day (the zone's network's own)", tickformat="%b %d")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=50, b=10), legend_orientation="h", legend_y=-0.3,
                      title_text=f"Delivered and forecast views per day, {first} to {last}")
    return fig
