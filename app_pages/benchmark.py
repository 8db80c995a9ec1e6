import streamlit as st

from workbench.ui import benchmark

st.title("Benchmark")
st.caption("Compare models, or quantizations of one model, on a sheet with right answers: how good, how fast, how "
           "much memory, and what 1,000 rows cost here against a hosted API.")

comparison_id = benchmark.choose_comparison()
if comparison_id is not None:
    benchmark.comparison_view(comparison_id, benchmark.prices())
with st.expander("New comparison", expanded=comparison_id is None):
    benchmark.new_comparison()
