import streamlit as st

from workbench.ui.models import add_form, builds_section, models_table, prepare_buttons, quantize_form

st.title("Models")
st.caption("Every model runs on this machine. Its speed and agreement were measured when it was prepared.")
builds_section()  # above the table, read before it: a build that ends in between is in the table too
rows = models_table()
prepare_buttons(rows)
left, right = st.columns(2)
with left:
    add_form()
with right:
    quantize_form(rows)
