"""Rates: what each campaign is sold for, and each zone's rate card, edited in a table.

Rates exist only in this product (BroadStreet's API has none): every save names the
version it read, so a save over someone else's newer one is refused with who and when;
every change goes to the history. Only operators may save (checked here on the server,
not only by the disabled editor)."""

import pandas as pd
import streamlit as st

from bs_core.errors import MirrorError
from bs_core.read.money import card_rows, rate_rows
from bs_core.read.revenue import MODEL_HELP, MODELS
from bs_core.ui import format as fmt
from bs_core.ui import rate_desk
from bs_core.ui.layout import PageContext, advertiser_select, filter_row, network_select, render

MODEL_CHOICES = ["", *MODELS]


def body(ctx: PageContext) -> None:
    db = ctx.mirror.database()
    currency = ctx.runtime.settings.currency
    c1, c2, c3 = filter_row(200, 240, 240)
    network = network_select(ctx, "f_rates_network", c1)
    advertiser = advertiser_select(ctx, "f_rates_advertiser", network, c2)
    search = c3.text_input("Name contains", key="f_rates_search", placeholder="e.g. spring")[:200]
    editor = ctx.access.operator
    st.caption(f"Amounts in {currency} (BS_CURRENCY). " + ("Edit a cell, then save." if editor else
               f"Only {ctx.access.who_can_sync()} can change rates."))
    campaigns_tab, zones_tab = st.tabs(["Campaign rates", "Zone rate cards"])
    for line in st.session_state.pop("rates_said", []):  # what the last save did
        kind, _, text = line.partition(": ")
        if kind == "saved":
            st.success(text, icon=":material/check_circle:")
        else:  # names who changed it: data, never Markdown
            st.warning(fmt.plain(text), icon=":material/block:")
    with campaigns_tab:
        key = editor_key("rates_editor", (network, advertiser, search))
        rows, total = held_rows(key, lambda: rate_rows(db, network, advertiser, search))
        st.caption(_shown(len(rows), total, "campaigns") + " Models: " + "; ".join(
            f"{m}: {h}" for m, h in MODEL_HELP.items()) + ". Capped: views past the goal are not billed.")
        _campaign_editor(ctx, key, rows, currency, editor)
    with zones_tab:
        key = editor_key("cards_editor", (network, search))
        cards, total = held_rows(key, lambda: card_rows(db, network, search))
        st.caption(_shown(len(cards), total, "zones") + " A zone's CPM prices the views of campaigns without a "
                   "rate of their own.")
        _card_editor(ctx, key, cards, currency, editor)


def editor_key(base: str, filters: tuple) -> str:
    """The editor's key: a new one (no edits) when the filters change or after a save."""
    state = st.session_state
    if state.get(f"{base}_filters") != filters:
        state[f"{base}_filters"] = filters
        state[f"{base}_gen"] = state.get(f"{base}_gen", 0) + 1
    return f"{base}_{state.setdefault(f'{base}_gen', 1)}"


def held_rows(key: str, read) -> tuple[list[dict], int]:
    """The rows as the editor first showed them: its edits are by position, and each save
    names the version the user saw (a rate saved by someone else meanwhile is refused)."""
    state = st.session_state
    if f"{key}_rows" not in state:
        state[f"{key}_rows"] = read()
    return state[f"{key}_rows"]


def _shown(shown: int, total: int, noun: str) -> str:
    if shown < total:
        return f"The first {shown:,} of {total:,} {noun} (filter to reach the others)."
    return f"{total:,} {noun}."


def _campaign_editor(ctx: PageContext, key: str, rows: list[dict], currency: str, editor: bool) -> None:
    if not rows:
        st.info("No campaign matches these filters.")
        return
    df = pd.DataFrame([{"ID": r["campaign_id"], "Campaign": r["name"], "Advertiser": r["advertiser"],
                        "Status": r["status"], "Model": r["model"], "Amount": r["amount"],
                        "Capped": r["capped"], "Changed by": r["updated_by"],
                        "Changed": fmt.timestamp(r["updated_at"]) if r["updated_at"] else ""} for r in rows])
    st.data_editor(df, key=key, hide_index=True, placeholder="—", disabled=True if not editor else
                   ["ID", "Campaign", "Advertiser", "Status", "Changed by", "Changed"],
                   column_config={
                       "ID": st.column_config.NumberColumn(format="%d", width=80),
                       "Campaign": st.column_config.TextColumn(width=220),
                       "Model": st.column_config.SelectboxColumn(options=MODEL_CHOICES, width=100,
                                                                 help="blank: no rate of its own"),
                       "Amount": st.column_config.NumberColumn(min_value=0.0, format="%.2f", width=100,
                                                               help=f"in {currency}: per 1,000 views (cpm), per "
                                                                    "click (cpc), per flight (flat), per month"),
                       "Capped": st.column_config.CheckboxColumn(help="delivery past the goal is not billed")})
    if st.button("Save campaign rates", key="rates_save", type="primary", disabled=not editor):
        _save(ctx, key, "rates_editor", rows, _campaign_change)


def _card_editor(ctx: PageContext, key: str, rows: list[dict], currency: str, editor: bool) -> None:
    if not rows:
        st.info("No zone matches these filters.")
        return
    df = pd.DataFrame([{"ID": r["zone_id"], "Zone": r["name"], "Network": r["network"], "CPM": r["cpm"],
                        "Changed by": r["updated_by"],
                        "Changed": fmt.timestamp(r["updated_at"]) if r["updated_at"] else ""} for r in rows])
    st.data_editor(df, key=key, hide_index=True, placeholder="—", disabled=True if not editor else
                   ["ID", "Zone", "Network", "Changed by", "Changed"],
                   column_config={"ID": st.column_config.NumberColumn(format="%d", width=80),
                                  "CPM": st.column_config.NumberColumn(min_value=0.0, format="%.2f", width=100,
                                                                       help=f"in {currency} per 1,000 views; "
                                                                            "blank: no rate card")})
    if st.button("Save rate cards", key="cards_save", type="primary", disabled=not editor):
        _save(ctx, key, "cards_editor", rows, _card_change)


def _campaign_change(runtime, row: dict, edits: dict, who: str) -> None:
    model = edits.get("Model", row["model"] or "")
    amount = edits.get("Amount", row["amount"])
    capped = edits.get("Capped", row["capped"])
    if not model:
        rate_desk.save_campaign_rate(runtime, row["campaign_id"], None, by=who, expected_version=row["version"])
    elif amount is None or pd.isna(amount):
        raise MirrorError("give an amount with the model (or clear the model)")
    else:
        rate_desk.save_campaign_rate(runtime, row["campaign_id"], model, amount, bool(capped), by=who,
                                   expected_version=row["version"])


def _card_change(runtime, row: dict, edits: dict, who: str) -> None:
    cpm = edits.get("CPM", row["cpm"])
    rate_desk.save_rate_card(runtime, row["zone_id"], None if cpm is None or pd.isna(cpm) else cpm, by=who,
                           expected_version=row["version"])


def _save(ctx: PageContext, key: str, base: str, rows: list[dict], change) -> None:
    """Apply the editor's edited rows, one rate at a time, then start a fresh editor; what
    was saved and what was refused is said on the next run."""
    if not ctx.access.operator:  # the editor is disabled; this is the server's own check
        st.error(f"Only {ctx.access.who_can_sync()} can change rates; nothing was saved.")
        return
    edited = (st.session_state.get(key) or {}).get("edited_rows", {})
    if not edited:
        st.info("Nothing was changed.")
        return
    who = ctx.access.email or "app"
    saved, said = 0, []
    for index, edits in sorted(edited.items(), key=lambda kv: int(kv[0])):
        row = rows[int(index)]
        ident = row.get("campaign_id", row.get("zone_id"))
        try:
            change(ctx.runtime, row, edits, who)
            saved += 1
        except MirrorError as exc:
            said.append(f"refused: {ident}: {exc}")
    if saved:
        said.insert(0, f"saved: {saved:,} rate(s) saved.")
    st.session_state["rates_said"] = said
    st.session_state[f"{base}_gen"] = st.session_state.get(f"{base}_gen", 1) + 1  # fresh rows, no edits
    st.rerun()


render("Rates", body)
