import streamlit as st

from workbench.jobs import compare
from workbench.ui import benchmark
from workbench.ui.context import app_settings

st.title("Benchmark")
st.caption("Compare models, or smaller and faster versions of one model, on a sheet with right answers: how good, "
           "how fast, how much memory, and what 1,000 rows cost here against a paid online AI service.")

benchmark.notice()
comparisons = compare.list_comparisons(app_settings())
if benchmark.choose_mode(bool(comparisons)) == benchmark.NEW:
    benchmark.new_comparison()
else:
    comparison = benchmark.choose_comparison(comparisons)
    benchmark.comparison_view(comparison, benchmark.prices())
