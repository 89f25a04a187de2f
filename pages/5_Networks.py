"""Networks: what each network holds in the mirror."""

import streamlit as st

from bs_core.ui import reads
from bs_core.ui.format import dashboard_link
from bs_core.ui.layout import PageContext, render


def body(ctx: PageContext) -> None:
    rows = reads.network_summaries(ctx.mirror)
    if not rows:
        st.info("No networks in the mirror.")
    else:
        rows = [{**{k: v for k, v in r.items() if k != "path"}, "broadstreet": dashboard_link(r.get("path"))}
                for r in rows]
        st.dataframe(rows, hide_index=True, key="networks_table", column_config={
            "id": st.column_config.NumberColumn("ID", format="%d"),
            "website": st.column_config.LinkColumn("Website"),
            "broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open"),
        })


render("Networks", body, fresh="networks", live="networks")
