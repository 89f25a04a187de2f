"""Networks: what each network holds in the mirror."""

import pandas as pd
import streamlit as st

from bs_core.ui import reads
from bs_core.ui.format import dashboard_link
from bs_core.ui.frames import sentence_case
from bs_core.ui.layout import PageContext, render


def body(ctx: PageContext) -> None:
    rows = reads.network_summaries(ctx.mirror)
    if not rows:
        st.info("No networks in the mirror.")
    else:
        rows = [{**{k: v for k, v in r.items() if k != "path"}, "broadstreet": dashboard_link(r.get("path"))}
                for r in rows]
        st.dataframe(sentence_case(pd.DataFrame(rows)), hide_index=True, key="networks_table", column_config={
            "ID": st.column_config.NumberColumn(format="%d"),
            "Website": st.column_config.LinkColumn(),
            "Broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open"),
        })


render("Networks", body, fresh="networks", live="networks")
