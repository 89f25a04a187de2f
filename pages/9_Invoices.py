"""Invoices: a month's billing per advertiser, per campaign: the month's views and clicks in
each network's own days, the rate and the amount by its model, with totals.

The rows are ``report invoice``'s (one definition); the workbook is the CLI's (a summary and
a sheet per advertiser). Printing the page prints the invoice alone (a print stylesheet
hides the sidebar and the controls)."""

import datetime as dt

import pandas as pd
import streamlit as st

from bs_core.export.tables import advertiser_sheet, by_advertiser, invoice_summary
from bs_core.read.money import anything_priced
from bs_core.read.reports import ReportError, ReportQuery
from bs_core.ui import format as fmt
from bs_core.ui import reads, urlstate
from bs_core.ui.layout import PageContext, advertiser_select, filter_row, network_select, render
from bs_core.ui.metrics import MetricRow
from bs_core.ui.tables import invoice_buttons

INVOICES_DRAWN = 20  #: advertisers' own invoices drawn on the page (the largest first)
PRINT_STYLE = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stElementToolbar"], .stButton, .stDownloadButton, .stSelectbox, [data-testid="stAlert"] {
    display: none !important;
  }
  [data-testid="stMain"] { margin: 0 !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
}
</style>"""


def months(first: dt.date | None, last: dt.date) -> list[str]:
    """ "YYYY-MM" from ``last``'s month back to ``first``'s, newest first."""
    out, month = [], last.replace(day=1)
    while first is not None and month >= first.replace(day=1):
        out.append(f"{month:%Y-%m}")
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return out


def _month(text: str) -> str:
    dt.datetime.strptime(text.strip(), "%Y-%m")  # ValueError names the bad value to the URL layer
    return text.strip()


def body(ctx: PageContext) -> None:
    db = ctx.mirror.database()
    st.html(PRINT_STYLE)
    if not anything_priced(db):
        st.info("No campaign is priced yet: set rates on the Rates page (or `python -m bs_core rates import "
                "FILE`), and each month's invoice appears here.", icon=":material/receipt_long:")
        st.page_link("pages/8_Rates.py", label="Open Rates", icon=":material/sell:")
        return
    params = [*urlstate.owner_params(lambda *a: reads.name_options(ctx.mirror, *a), "f_invoices_network",
                                     "f_invoices_advertiser"),
              urlstate.Param("month", "f_invoices_month", _month)]
    urlstate.read_url("invoices", params)
    coverage = reads.stats_coverage(ctx.mirror)
    newest = max(ctx.days.last_complete(db.networks.distinct("_id")).values(), default=ctx.today)
    offered = months(coverage.first, newest)
    if not offered:
        st.info("The mirror holds no reporting days yet: the first sync brings them.")
        return
    complete = [m for m in offered if m < f"{newest:%Y-%m}"]
    if st.session_state.get("f_invoices_month") not in offered:
        st.session_state["f_invoices_month"] = complete[0] if complete else offered[0]
    c1, c2, c3 = filter_row(160, 200, 240)
    month = c1.selectbox("Month", offered, key="f_invoices_month",
                         format_func=lambda m: m + ("" if m in complete else " (to date)"))
    network = network_select(ctx, "f_invoices_network", c2)
    advertiser = advertiser_select(ctx, "f_invoices_advertiser", network, c3)
    urlstate.write_url("invoices", params)
    currency = ctx.runtime.settings.currency
    try:  # keyed on the rates as well as the mirror: rates change without a sync
        rows = reads.report(ctx.mirror, ReportQuery("invoice", network_id=network, advertiser_id=advertiser, month=month,
                                      currency=currency), ctx.days)
    except ReportError as exc:
        st.warning(fmt.plain(str(exc)), icon=":material/event_busy:")
        return
    first = dt.date.fromisoformat(month + "-01")
    days = ctx.days.describe([network] if network is not None else db.networks.distinct("_id"))
    st.caption(f"Invoice for {first:%B %Y}: each campaign's views and clicks in its network's own days "
               f"({days if month not in complete else 'every day of the month'}), amounts in {currency}."
               + (f" The mirror's reporting begins on {coverage.first}: earlier days are not counted."
                  if coverage.first and coverage.first > first else ""))
    if not rows:
        st.info("No priced campaign delivered or earned in this month for this selection.")
        return
    groups = by_advertiser(rows)
    summary = invoice_summary(groups)  # the advertisers' own sheets only for those drawn below
    totals = summary.iloc[-1]
    row = MetricRow()  # every figure names its month
    row.add(f"Total ({currency}), {first:%b %Y}", f"{totals['Amount']:,.2f}", help="Every advertiser shown")
    row.add(f"Advertisers, {first:%b %Y}", f"{len(summary) - 1:,}", help="Advertisers billed in the month")
    row.add(f"Campaigns, {first:%b %Y}", f"{int(totals['Campaigns']):,}",
            help="Priced campaigns that delivered or earned in the month")
    row.add(f"Views, {first:%b %Y}", f"{int(totals['Views']):,}", help="Each network's own days")
    invoice_buttons(rows, month)
    st.caption("To print the invoice alone, use the browser's Print: the sidebar and the controls are left out.")
    money = st.column_config.NumberColumn(f"Amount ({currency})", format="%.2f")
    count = st.column_config.NumberColumn(format="localized")
    config = {"Campaign ID": st.column_config.NumberColumn(format="%d", width=100), "Views": count,
              "Clicks": count, "Rate": st.column_config.NumberColumn(format="%.2f"), "Amount": money}
    if len(groups) > INVOICES_DRAWN:  # one table of advertisers; their own invoices for the largest
        st.subheader(f"Advertisers, {first:%B %Y}", anchor=False)
        st.dataframe(summary, hide_index=True, placeholder="", key="invoice_summary",
                     column_config={"Advertiser ID": st.column_config.NumberColumn(format="%d"), "Views": count,
                                    "Clicks": count, "Amount": money})
        st.caption(f"Below: the {INVOICES_DRAWN} largest of {len(groups):,} invoices. Choose an advertiser above to see "
                   "any one alone; the Excel download has a sheet for each.")
    found = list(groups.values())
    for index in sorted(range(len(found)), key=lambda i: -float(summary["Amount"].iloc[i]))[:INVOICES_DRAWN]:
        head = summary.iloc[index]
        # a campaign deleted upstream may have lost its advertiser: its rows are still billed
        ident = f"Advertiser {int(head['Advertiser ID'])}" if pd.notna(head["Advertiser ID"]) else "No advertiser"
        st.subheader(fmt.plain(head["Advertiser"] or ident), anchor=False)
        st.caption(f"{ident}: {int(head['Campaigns'])} campaign(s), {int(head['Views']):,} views, "
                   f"{head['Amount']:,.2f} {currency} in {first:%B %Y}.")
        st.dataframe(advertiser_sheet(found[index]), hide_index=True, column_config=config, placeholder="",
                     key=f"invoice_{index}")

render("Invoices", body, fresh="stats_daily",
       target_keys={"network": "f_invoices_network", "advertiser": "f_invoices_advertiser"})
