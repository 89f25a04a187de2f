"""The Overview in Chromium (issue 32): seconds from navigation until its figures and all
of its charts have drawn, three ways, after a full sync and with the pages warmed.

    python bench/overview_browser_bench.py [--size large] [--repeat 5]

- ``new_tab``: the Overview opened in a new tab of a browser whose cache already holds
  Streamlit's scripts (an analyst's bookmark in the morning). Every new tab parses and runs
  Streamlit's lazily loaded components again (plotly.js alone is 4.7 MB).
- ``in_app``: the Overview chosen in the sidebar of a tab already open on Campaigns; the
  tab's first choice loads the chart components, the later ones reuse them.
- ``floor``: a bare Streamlit page that reads nothing and draws what the Overview draws
  (the same component kinds and seven charts from the same chart builders, on made-up
  rows), opened in new tabs the same way: what Streamlit and plotly cost here before any
  of the app's work.

Timings are taken inside the page (``performance.now()``, from the navigation's start).
Prints one JSON line per way.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import throwaway_database
from first_view_bench import ROOT, app_env, chromium, ready, served
from pages_bench import sync_into
from sync_bench import simulator_process

CHARTS = 7  #: plotly charts on the Overview with every section filled
#: marks the first moment each thing is in the page: its figures (a KPI) and all charts drawn
MARKS = """
window.__marks = {};
const mark = (k) => { if (!(k in window.__marks)) window.__marks[k] = performance.now() / 1000; };
new MutationObserver(() => {
  if ([...document.querySelectorAll('[data-testid=stMetricLabel]')].some(e => e.textContent.trim() === 'Running campaigns')) mark('figures');
  const drawn = document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg');
  if (new Set([...drawn].map(e => e.closest('[data-testid=stPlotlyChart]'))).size >= CHARTS) mark('charts');
}).observe(document, {subtree: true, childList: true});
""".replace("CHARTS", str(CHARTS))
ALL_DRAWN = "window.__marks && 'charts' in window.__marks && 'figures' in window.__marks"

#: the floor: what the Overview draws, with no reads (rows made up, charts from the same builders)
FLOOR_APP = textwrap.dedent('''
    import datetime as dt
    import pandas as pd
    import streamlit as st
    from bs_core.ui import charts

    today = dt.date(2026, 12, 1)
    days = [today - dt.timedelta(days=30 - i) for i in range(30)]
    series = [{"date": dt.datetime.combine(d, dt.time()), "views": 9000 + 37 * i, "clicks": 90 + i,
               "ctr": (90 + i) / (9000 + 37 * i)} for i, d in enumerate(days)]
    hours = [{"hour": h, "views": 1000 + 40 * h, "ctr": 0.01 + h / 10000} for h in range(24)]
    tops = [{"label": f"Campaign number {i} of the spring season ({1000 + i})", "v": 100 * (i + 1)}
            for i in range(10)]
    timeline = [{"_id": i, "name_clean": f"Campaign {i} with a long enough name", "status": "running",
                 "advertiser_name": f"Advertiser {i}", "starts_on": dt.datetime(2026, 10, 1),
                 "ends_on": dt.datetime(2026, 12, 2) + dt.timedelta(days=i)} for i in range(60)]
    st.title("Overview")
    a, b, c = st.columns(3)
    a.selectbox("Network", ["All networks"]); b.selectbox("Advertiser", ["All advertisers"])
    c.date_input("Reporting period", (days[0], days[-1]))
    st.toggle("Complete days only", True)
    for row in range(2):
        for i, col in enumerate(st.columns(5)):
            col.metric("Running campaigns" if row == 1 and i == 0 else f"Figure {row}{i}", f"{1234 * i:,}",
                       delta="+5.0%" if row == 0 else None)
    st.plotly_chart(charts.daily_trend(series, today), key="trend")
    st.plotly_chart(charts.hours_chart(hours, "a month", "UTC"), key="hours")
    st.download_button("Download (CSV)", "a,b", "x.csv")
    left, right = st.columns(2)
    left.plotly_chart(charts.bar(tops, "v", "label", "Top by views", "Views"), key="a")
    right.plotly_chart(charts.bar(tops, "v", "label", "Top by CTR", "CTR %"), key="b")
    st.dataframe(pd.DataFrame({"Name": [f"Campaign {i}" for i in range(100)], "Views": range(100)}),
                 hide_index=True, on_select="rerun", selection_mode="single-row")
    st.plotly_chart(charts.campaign_timeline(timeline, today), key="timeline")
    left, right = st.columns(2)
    left.plotly_chart(charts.bar(tops, "v", "label", "Top advertisers", "Campaigns"), key="c")
    right.plotly_chart(charts.bar(tops, "v", "label", "Placements per zone", "Placements"), key="d")
''')


def drawn(page) -> dict:
    page.wait_for_function(ALL_DRAWN, timeout=120_000)
    return {k: round(v, 2) for k, v in page.evaluate("window.__marks").items()}


def new_tabs(context, url: str, repeat: int) -> list[dict]:
    out = []
    for _ in range(repeat):
        page = context.new_page()
        page.goto(url)
        out.append(drawn(page))
        page.wait_for_timeout(1000)  # the run has ended before the next tab opens
        page.close()
    return out


def in_app(context, base: str, repeat: int) -> list[float]:
    """Seconds from a click on "Overview" in the sidebar of a tab open on Campaigns."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(base + "/Campaigns")
    expect(page.get_by_text(re.compile(r"^Campaigns 1–")).first).to_be_visible(timeout=120_000)
    out = []
    for _ in range(repeat):
        page.evaluate("window.__marks = {}; window.__clicked = performance.now() / 1000")
        page.get_by_test_id("stSidebar").get_by_role("link", name="Overview").click()
        marks = drawn(page)
        out.append(round(marks["charts"] - page.evaluate("window.__clicked"), 2))
        page.wait_for_timeout(1000)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Campaigns").click()
        expect(page.get_by_text(re.compile(r"^Campaigns 1–")).first).to_be_visible(timeout=120_000)
        page.wait_for_timeout(1000)
    page.close()
    return out


def summary(way: str, size: str, marks: list[dict] | None = None, seconds: list[float] | None = None,
            **more) -> str:
    charts = seconds if seconds is not None else [m["charts"] for m in marks]
    line = {"way": way, "size": size, "charts_drawn_s": charts, "median_s": round(statistics.median(charts), 2)}
    if marks:
        line["figures_shown_s"] = [m["figures"] for m in marks]
    return json.dumps(line | more)


def bench(size: str, repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    with simulator_process(size, 0) as root, throwaway_database(f"overview_browser_{size}") as db, \
            tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        sync_into(db, root + "/api/1")
        browser = chromium(pw)
        context = browser.new_context(viewport={"width": 1400, "height": 1300})
        context.add_init_script(MARKS)
        env = app_env(root, db, tmp)
        with served(env, Path(tmp) / "streamlit.log") as base:
            ready(base, warm=True)
            new_tabs(context, base + "/", 1)  # the browser's cache now holds Streamlit's scripts
            print(summary("new_tab", size, new_tabs(context, base + "/", repeat)), flush=True)
            # the tab's first choice loads the chart components: said apart from the later ones
            first, *later = in_app(context, base, repeat + 1)
            print(summary("in_app", size, seconds=later, first_in_the_tab_s=first), flush=True)
        floor = Path(tmp) / "floor_app.py"
        floor.write_text(FLOOR_APP)
        with served(env | {"PYTHONPATH": str(ROOT)}, Path(tmp) / "floor.log", script=str(floor)) as base:
            ready(base, warm=False, health_only=True)
            new_tabs(context, base + "/", 1)
            print(summary("floor", size, new_tabs(context, base + "/", repeat)), flush=True)
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="large", choices=["tiny", "demo", "large"])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bench(args.size, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
