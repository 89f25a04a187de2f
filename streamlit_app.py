"""Overview page of the BroadStreet mirror dashboard."""

import streamlit as st

st.set_page_config(page_title="BroadStreet mirror", layout="wide")
st.title("BroadStreet mirror")
st.write("The dashboard is being built.")
