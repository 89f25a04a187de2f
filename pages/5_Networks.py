"""Networks: what each network holds in the mirror."""

import streamlit as st

from bs_core.ui import live
from bs_core.ui.data import read
from bs_core.ui.layout import page

ctx = page("Networks")
if ctx.source != "mirror":
    st.warning("Showing live BroadStreet data (cached for 5 minutes) until the mirror is ready.", icon=":material/cloud_sync:")
    st.dataframe(live.entities("networks"), hide_index=True)
    st.stop()

rows = read("network_summaries", ctx.version)
if not rows:
    st.info("No networks in the mirror.")
else:
    st.dataframe(rows, hide_index=True, key="networks_table", column_config={
        "id": st.column_config.NumberColumn("ID", format="%d"),
        "website": st.column_config.LinkColumn("Website"),
        "broadstreet": st.column_config.LinkColumn("BroadStreet", display_text="open"),
    })
