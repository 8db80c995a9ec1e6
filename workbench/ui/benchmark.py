"""The Benchmark page's parts: a new comparison (a labelled sheet, the settings, the models) and a comparison's
figures side by side, with what 1,000 rows cost against an API price the user types in."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from workbench.eval.cost import Prices
from workbench.io.stream import count_rows
from workbench.jobs import compare
from workbench.jobs.progress import describe, job_progress
from workbench.models.registry import list_models
from workbench.tasks.registry import get_task_class
from workbench.ui import new_job as steps
from workbench.ui.context import app_settings
from workbench.ui.widgets import STATUS_ICONS, local_time, user_errors

SELECTED = "comparison-id"
DEFAULT_ROWS = 200
ACTIVE = ("queued", "running")
# What a small hosted model charged per million tokens in 2026 (prompt, answer), and a 2-core cloud machine an hour.
DEFAULT_PRICES = Prices(api_input_per_million=0.15, api_output_per_million=0.60, machine_per_hour=0.05)


def new_comparison() -> None:
    """The form: a labelled sheet, the template's settings, the column of right answers, the models, the rows."""
    chosen = steps.choose_input()
    if chosen is None:
        st.info("Upload a CSV or Excel file with a column of right answers, or pick a sample file, to begin.")
        return
    with user_errors():
        sheet = steps.choose_sheet(chosen)
        frame = steps.preview(chosen, sheet)
        spec, _ = steps.job_settings(chosen, frame, model_choice=False)
        if spec is None:
            return
        answers = _choose_answers_column(frame, spec.text)
        models = _choose_models(get_task_class(spec.task).model_kind)
        rows, latency_rows = _choose_rows(chosen, sheet)
        if st.button("Compare", type="primary", disabled=not models):
            data = compare.Sheet(chosen.path, answers, sheet=sheet, rows=rows, upload_id=chosen.upload_id)
            st.session_state[SELECTED] = compare.start_comparison(app_settings(), spec, data, models, latency_rows)
            st.rerun()


def _choose_answers_column(frame: pd.DataFrame, text_columns: list[str]) -> str:
    columns = [c for c in frame.columns if c not in text_columns]
    likely = steps.likely_label_column(frame, text_columns)
    return st.selectbox("Column with the right answers", columns, index=columns.index(likely) if likely in columns else 0,
                        help="Labels or queues for classify and route, the right summary for summarize, a JSON object "
                             'of field values ({"name": "Ann"}) for extract.')


def _choose_models(kind: str) -> list[str]:
    names = [m["name"] for m in list_models(app_settings()) if m["kind"] == kind]
    prepared = [m["name"] for m in list_models(app_settings()) if m["kind"] == kind and m["prepared"]]
    return st.multiselect(f"Models to compare ({kind}s; the Models page adds models and quantizes them other ways)",
                          names, default=prepared or names[:1])


@st.cache_data(max_entries=8)
def _rows_in(path: str, sheet: str | None) -> int:
    return count_rows(Path(path), sheet=sheet)  # reads the whole file: once, not on every click


def _choose_rows(chosen, sheet: str | None) -> tuple[int, int]:
    total = _rows_in(str(chosen.path), sheet)
    left, right = st.columns(2)
    rows = left.number_input("Rows to compare on (the sheet's first rows)", 1, total, min(DEFAULT_ROWS, total),
                             help="Each model answers these rows as a job, one model after the other.")
    latency = right.number_input("Rows then answered one at a time, for latency", 0, 200, compare.DEFAULT_LATENCY_ROWS,
                                 help="A job answers rows in batches; these rows show how long a single row waits.")
    return int(rows), int(latency)


def choose_comparison():
    comparisons = compare.list_comparisons(app_settings())
    if not comparisons:
        return None
    ids = [c.id for c in comparisons]
    chosen = st.session_state.get(SELECTED)
    names = {c.id: f"#{c.id} {c.name} · right answers in '{c.answers_column}' · {local_time(c.created_at)}" for c in comparisons}
    return st.selectbox("Comparison", ids, index=ids.index(chosen) if chosen in ids else 0, format_func=names.get)


def prices() -> Prices:
    api_in, api_out, machine = st.columns(3)
    return Prices(
        api_input_per_million=api_in.number_input("API price, $ per million prompt tokens", 0.0, value=DEFAULT_PRICES.api_input_per_million, format="%.3f"),
        api_output_per_million=api_out.number_input("API price, $ per million answer tokens", 0.0, value=DEFAULT_PRICES.api_output_per_million, format="%.3f"),
        machine_per_hour=machine.number_input("This machine, $ per hour", 0.0, value=DEFAULT_PRICES.machine_per_hour, format="%.3f",
                                              help="A cloud machine's hourly price, or its share of hardware and power."),
    )


def comparison_view(comparison_id: int, costs: Prices) -> None:
    """Progress while the models run (refreshed every 2 s), then the figures; the whole page reruns when done."""
    started_active = any(j.status in ACTIVE for j in compare.comparison_jobs(app_settings(), comparison_id))

    @st.fragment(run_every=2 if started_active else None)
    def live() -> None:
        jobs = compare.comparison_jobs(app_settings(), comparison_id)
        for job in jobs:
            _job_line(job)
        if started_active and not any(j.status in ACTIVE for j in jobs):
            st.rerun()

    live()
    with user_errors():
        comparison_figures(compare.comparison_table(app_settings(), comparison_id, costs))


def _job_line(job) -> None:
    progress = job_progress(job)
    timing = job.status == "running" and progress.fraction >= 1.0
    state = "timing single rows" if timing else job.status
    st.caption(f"{STATUS_ICONS.get(job.status, '')} {compare.model_name(job)} (job #{job.id}): {state} · {describe(progress)}")


def comparison_figures(table: pd.DataFrame) -> None:
    if table.empty:
        st.info("This comparison has no jobs.")
        return
    scores = compare.score_columns(table)
    st.dataframe(table.drop(columns=["score", "shared the cores"], errors="ignore"), hide_index=True, width="stretch",
                 column_config=_formats(scores))
    _notes(table)
    quality = next((c for c in scores if table[c].notna().any()), None)
    if quality and table["rows/s"].notna().any():
        st.altair_chart(_trade_off_chart(table, quality))
    st.caption("Cost here: the time 1,000 rows take at the measured rows/s, at the machine's price per hour. API cost: "
               "each row sent on its own with the template's settings (labels, descriptions, examples), counted at "
               "about 4 characters a token, plus its answers. Latency: rows answered one at a time after the job.")
    st.download_button("Download this table (CSV)", table.to_csv(index=False).encode(), file_name="comparison.csv",
                       mime="text/csv", on_click="ignore")


def _formats(scores: list[str]) -> dict:
    money = {c: st.column_config.NumberColumn(c, format="$%.4f") for c in ("$ per 1,000 rows here", "$ per 1,000 rows by API")}
    speed = {c: st.column_config.NumberColumn(c, format="%.1f") for c in
             ("rows/s", "latency p50 (ms)", "latency p95 (ms)", "peak memory (MB)")}
    return {**{c: st.column_config.NumberColumn(c, format="%.3f") for c in scores}, **money, **speed}


def _notes(table: pd.DataFrame) -> None:
    for _, row in table.iterrows():
        if isinstance(row.get("score"), str):
            st.warning(f"{row['model']}: not scored. {row['score']}")
        if row.get("shared the cores"):
            st.warning(f"{row['model']} ran while another job was running, so its speed and latency are lower than "
                       "alone. Run the comparison again when no other job runs.")


def _trade_off_chart(table: pd.DataFrame, quality: str) -> alt.Chart:
    """Quality against speed: the best models sit top right."""
    points = table[["model", quality, "rows/s"]].dropna()
    base = alt.Chart(points).encode(x=alt.X("rows/s:Q", title="rows per second"), y=alt.Y(f"{quality}:Q", title=quality))
    return base.mark_circle(size=120).encode(tooltip=["model", quality, "rows/s"]) + base.mark_text(dx=8, align="left").encode(text="model")
