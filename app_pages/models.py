import streamlit as st

from workbench.ui.models import add_form, models_table, notice, prepare_buttons, quantize_form

st.title("Models")
st.caption("Every model runs on this machine. Speed and agreement were measured when the model was prepared: "
           "agreement is how often its answers match the unquantized model's.")
notice()
rows = models_table()
prepare_buttons(rows)
left, right = st.columns(2)
with left:
    add_form()
with right:
    quantize_form(rows)
