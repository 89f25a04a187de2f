"""Streamlit helpers shared by the pages: layout and sidebar, cached queries, charts, tables.

Pages stay thin: they call these and the read models; no pymongo in page files.
"""
