"""Networks: what each network holds in the mirror, and its views, clicks and CTR over a
period."""

import pandas as pd
import streamlit as st

from bs_core.ui import reads, urlstate
from bs_core.ui.columns import MISSING
from bs_core.ui.format import dashboard_link
from bs_core.ui.frames import sentence_case
from bs_core.ui.layout import PageContext, filter_row, render
from bs_core.ui.period import coverage_line, period_picker
from bs_core.ui.tables import csv_button

PERIOD = "f_networks_period"


def body(ctx: PageContext) -> None:
    rows = reads.network_summaries(ctx.mirror)
    if not rows:
        st.info("No networks in the mirror.")
        return
    params = urlstate.period_params(PERIOD)
    urlstate.read_url("networks", params)
    c1, c2 = filter_row(240, 420)
    notes = st.container()
    coverage = reads.stats_coverage(ctx.mirror)
    period = period_picker(coverage, PERIOD, c1, label="Views and clicks over", today=ctx.today, notes=notes)
    c2.caption(coverage_line(coverage, ctx.today))
    urlstate.write_url("networks", params)
    figures = reads.network_figures(ctx.mirror, *period) if period else {}
    # {} when nothing is priced; keyed on the rates too: they change without a sync
    money = reads.earnings_by(ctx.mirror, ctx.days, "networks", *period) if period else {}
    when = f" {period[0]} to {period[1]}" if period else ""
    table = []
    for r in rows:
        f = figures.get(r.get("id", r.get("_id")), {})
        shown = {k: v for k, v in r.items() if k not in ("path", "id")}
        figures_of = {f"views{when}": f.get("views", 0), f"clicks{when}": f.get("clicks", 0),
                      f"CTR{when}": f.get("ctr", 0.0)} if period else {}
        if money:
            earned = money.get(r.get("id", r.get("_id")))
            figures_of |= {f"earned{when}": None if earned is None else round(earned.earned, 2),
                           f"eCPM{when}": None if earned is None or earned.ecpm is None else round(earned.ecpm, 2)}
        table.append({"name": shown.pop("name", ""), **figures_of, **shown, "ID": r.get("id", r.get("_id")),
                      "broadstreet": dashboard_link(r.get("path"))})
    config = {"ID": st.column_config.NumberColumn(format="%d"), "Website": st.column_config.LinkColumn(),
              "Broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open")}
    if period:  # the CSV's headers carry the period; on screen the caption says it once
        config |= {f"Views{when}": st.column_config.NumberColumn("Views", format="localized"),
                   f"Clicks{when}": st.column_config.NumberColumn("Clicks", format="localized"),
                   f"CTR{when}": st.column_config.NumberColumn("CTR", format="percent", step=0.0001)}
        if money:
            currency = ctx.runtime.settings.currency
            config |= {f"Earned{when}": st.column_config.NumberColumn(f"Earned ({currency})", format="%.2f"),
                       f"eCPM{when}": st.column_config.NumberColumn(f"eCPM ({currency})", format="%.2f")}
        st.caption(f"Views, clicks and CTR{', earned and eCPM' if money else ''}:{when} ({coverage.clock})."
                   + (" Earned: what priced campaigns' delivery earns, each network through its own yesterday; "
                      "eCPM: per 1,000 views of priced campaigns." if money else ""))
    frame = sentence_case(pd.DataFrame(table))
    st.dataframe(frame, hide_index=True, placeholder=MISSING, key="networks_table", column_config=config)
    csv_button("Download the networks (CSV)", lambda: frame, "networks.csv", key="networks_csv")


render("Networks", body, fresh="networks", live="networks")
