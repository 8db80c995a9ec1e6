"""Shared Streamlit pieces; the only part of workbench that imports streamlit."""
