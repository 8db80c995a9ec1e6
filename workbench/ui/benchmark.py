"""The Benchmark page's parts: a new comparison (a labelled sheet, the settings, the models) and a comparison's
figures side by side, with what 1,000 rows cost against an API price the user types in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.eval.cost import DEFAULT_PRICES, MAX_PRICE, Prices
from workbench.io.stream import count_rows
from workbench.jobs import compare
from workbench.jobs.comparison_notes import comparison_notes, never_right_note
from workbench.jobs.progress import about, counted, listed_counts, pace
from workbench.models.registry import list_models
from workbench.ui import new_job as steps
from workbench.ui.context import app_settings
from workbench.ui.trade_off_chart import trade_off_chart
from workbench.ui.widgets import STATUS_ICONS, local_time, model_label, user_errors

SELECTED = "comparison-id"
ACTIVE = ("queued", "running")
# A generator answers about one row a second here: a comparison of two should take minutes, not an hour.
DEFAULT_ROWS = {"encoder": 200, "generator": 20}
DEFAULT_LATENCY_ROWS = {"encoder": 50, "generator": 3}
TASK_NOTES = {
    "classify": "labels, descriptions, examples", "route": "queues, descriptions, examples",
    "extract": "the fields and their descriptions", "summarize": "the request for a summary",
    "custom": "the instruction",
}


def new_comparison() -> None:
    """The form: a labelled sheet, the template's settings, the column of right answers, the models, the rows."""
    chosen = steps.choose_input("benchmark")
    if chosen is None:
        st.info("Upload a CSV or Excel file with a column of right answers, or pick a sample file, to begin.")
        return
    with user_errors():
        table = steps.choose_table(chosen)
        frame = steps.preview(chosen, table)
        spec, _ = steps.job_settings(chosen, frame, model_choice=False, page="benchmark")
        if spec is None:
            return
        answers = _choose_answers_column(frame, spec)
        if answers is None:
            return
        kind = spec.model_kind
        models = _choose_models(kind)
        rows, latency_rows = _choose_rows(chosen, table, kind)
        _say_labels_left_out(spec, frame, answers, rows)
        _time_guide(spec.task, models, rows, kind)
        if st.button("Compare", type="primary"):
            data = compare.Sheet(chosen.path, answers, sheet=table.sheet, rows=rows, upload_id=chosen.upload_id,
                                 header_row=table.header_row)
            st.session_state[SELECTED] = compare.start_comparison(app_settings(), spec, data, models, latency_rows)
            st.session_state[STARTED] = True  # the next run shows it (the mode's widget is drawn already in this one)
            st.rerun()


def _choose_answers_column(frame: pd.DataFrame, spec) -> str | None:
    columns = [c for c in frame.columns if c not in spec.text]
    if not columns:
        st.info("A comparison needs a column of right answers beside the text: this sheet has none"
                + (" (or it is chosen as a text column: leave it out of them)." if len(frame.columns) > 1 else ".")
                + " Add one (the right label, summary or answer of each row), or pick a labelled sheet.")
        return None
    likely = likely_answers_column(frame, spec.text, spec.task)
    column = st.selectbox("Column with the right answers", columns, index=columns.index(likely) if likely in columns else 0,
                          help="Labels or queues for classify and route, the right summary or answer for summarize and "
                               'custom, a JSON object of field values ({"name": "Ann"}) for extract.')
    outside = compare.answers_outside_labels(spec, frame, column)
    if outside:
        st.warning(f"{sum(outside.values()):,} right answers in '{column}' (of the first {len(frame):,} rows) are not "
                   f"among the {'queues' if spec.task == 'route' else 'labels'}, so no model can give them: "
                   f"{listed_counts(outside)}. Add them to the settings, or choose another column.")
    return column


def likely_answers_column(frame: pd.DataFrame, text_columns: list[str], task: str) -> str:
    """Labels for classify and route; a written answer is the other column of the most words; extract's is JSON objects."""
    others = [c for c in frame.columns if c not in text_columns] or list(frame.columns)
    if task in ("classify", "route"):
        return steps.likely_label_column(frame, text_columns)
    if task == "extract":
        return max(others, key=lambda c: frame[c].astype(str).str.startswith("{").mean())
    return max(others, key=lambda c: frame[c].astype(str).str.split().str.len().mean())


def _say_labels_left_out(spec, frame: pd.DataFrame, answers: str, rows: int) -> None:
    """Before minutes of work: the first rows of a sheet sorted by its answers hold one or two of its labels."""
    if rows <= len(frame):  # the preview holds them: no reading of the file on every click
        never = compare.labels_without_right_answers(spec, frame.head(rows), answers)
        if never:
            st.warning(never_right_note(never, f"row of the first {rows:,}"))


def _choose_models(kind: str) -> list[str]:
    """Prepared models only: preparing one takes minutes, which would count as its speed."""
    models = [m for m in list_models(app_settings()) if m["kind"] == kind and m["prepared"]]
    if not models:
        st.info(f"No {kind} is prepared yet: prepare one on the Models page first.")
    names = [m["name"] for m in models]
    return st.multiselect(f"Models to compare ({kind}s; the Models page prepares, adds and quantizes them)", names,
                          default=names, format_func=lambda name: model_label(name, models))


def _time_guide(task: str, models: list[str], rows: int, kind: str) -> None:
    """How long each model will take for its rows, from this machine's last job of the template with it."""
    guides = [f"{model} {about(load + rows / speed)} ({pace(speed)} in its last {task} job)"
              for model, (speed, load) in compare.recent_paces(app_settings(), task, models, kind).items()]
    if guides:
        st.caption("Time each model will take for its rows (then the rows answered one at a time), from this "
                   "machine's earlier jobs: " + "; ".join(guides) + ".")


@st.cache_data(max_entries=8)
def _rows_in(path: str, sheet: str | None, header_row: int | None) -> int:
    return count_rows(Path(path), sheet=sheet, header_row=header_row)  # reads the whole file: once, not on every click


def _choose_rows(chosen, table: steps.TablePlace, kind: str) -> tuple[int, int]:
    total = _rows_in(str(chosen.path), table.sheet, table.header_row)
    left, right = st.columns(2)
    rows = left.number_input("Rows to compare on (the sheet's first rows)", 1, total, min(DEFAULT_ROWS[kind], total),
                             persist_state="session", key=f"benchmark-rows-{kind}",
                             help="Each model answers these rows as a job, one model after the other. A generator "
                                  "answers about a row a second on two cores; an encoder hundreds.")
    latency = right.number_input("Rows then answered one at a time, for latency", 0, 200, DEFAULT_LATENCY_ROWS[kind],
                                 persist_state="session", key=f"benchmark-latency-{kind}",
                                 help="A job answers rows in batches; these rows show how long a single row waits. "
                                      f"p95 needs {compare.MIN_P95_ROWS} rows or more: under that none is given.")
    return int(rows), int(latency)


MODE, SHOW, NEW, STARTED = "benchmark-mode", "Comparisons", "New comparison", "comparison-started"


def choose_mode(has_comparisons: bool) -> str:
    """The comparisons, or a new one: apart, so a page refreshed by a running comparison never shuts the form."""
    if not has_comparisons:
        return NEW
    if st.session_state.pop(STARTED, False) or MODE not in st.session_state:
        st.session_state[MODE] = SHOW
    return st.segmented_control("Show", [SHOW, NEW], key=MODE, label_visibility="collapsed") or SHOW


def choose_comparison(comparisons):
    """The comparison shown: the one last chosen or started, else the newest. The box is keyed: unkeyed, with its
    index following the last choice, it was a new widget after each change and dropped the next one."""
    by_id = {c.id: c for c in comparisons}
    if st.session_state.get(SELECTED) not in by_id:
        st.session_state[SELECTED] = comparisons[0].id
    st.session_state[CHOICE] = st.session_state[SELECTED]  # a comparison just started is shown
    chosen = st.selectbox("Comparison", list(by_id), key=CHOICE, format_func=lambda i: _comparison_line(by_id[i]),
                          on_change=lambda: st.session_state.update({SELECTED: st.session_state[CHOICE]}))
    return by_id[chosen]


def _comparison_line(c) -> str:
    return (f"#{c.id} {c.name} · {c.task} · {counted(len(c.models), 'model')} on {c.rows:,} rows · right answers in "
            f"'{c.answers_column}' · {local_time(c.created_at)}")


CHOICE = "comparison-choice"


def prices() -> Prices:
    api_in, api_out, machine = st.columns(3)
    return Prices(
        # Short labels: at 125-150% zoom a longer one wrapped to two lines, and the three boxes sat at different heights.
        api_input_per_million=_price(api_in, "API $ / million prompt tokens", DEFAULT_PRICES.api_input_per_million),
        api_output_per_million=_price(api_out, "API $ / million answer tokens", DEFAULT_PRICES.api_output_per_million),
        machine_per_hour=_price(machine, "This machine, $ / hour", DEFAULT_PRICES.machine_per_hour,
                                help="A cloud machine's hourly price, or its share of hardware and power."),
    )


def _price(column, label: str, default: float, help: str | None = None) -> float:
    """A price input whose value is kept for the session: a widget's own value is dropped when its page is left."""
    kept = f"kept-{label}"
    return column.number_input(label, 0.0, MAX_PRICE, value=st.session_state.get(kept, default), format="%.3f", help=help,
                               key=f"input-{label}", on_change=lambda: st.session_state.update({kept: st.session_state[f"input-{label}"]}))


def comparison_view(comparison, costs: Prices) -> None:
    """Progress and figures, refreshed every 2 s while a model runs (the figures only when a job moved on)."""
    comparison_id = comparison.id
    active = any(j.status in ACTIVE for j in compare.comparison_jobs(app_settings(), comparison_id))

    @st.fragment(run_every=2 if active else None)
    def live() -> None:
        jobs = compare.comparison_jobs(app_settings(), comparison_id)
        for job in jobs:
            _job_line(job)
        with user_errors():
            comparison_figures(comparison, jobs, _table(comparison_id, jobs, costs), costs)
        if active and not any(j.status in ACTIVE for j in jobs):
            st.rerun()  # the whole page: the refresh stops

    live()


def _table(comparison_id: int, jobs, costs: Prices) -> pd.DataFrame:
    """The comparison's table, read again only when a job saved rows or changed status, or the prices changed."""
    state = (comparison_id, costs, tuple((j.id, j.status, j.done_rows, j.failed_rows, str(j.measurements)) for j in jobs))
    kept = st.session_state.get("comparison-table")
    if kept is None or kept[0] != state:
        kept = (state, compare.comparison_table(app_settings(), comparison_id, costs))
        st.session_state["comparison-table"] = kept
    return kept[1]


def _job_line(job) -> None:
    """A model's job as it stands, at the table's speed (loading the model left out)."""
    done = job.done_rows + job.failed_rows
    timing = job.status == "running" and job.total_rows and done >= job.total_rows
    state = "answering rows one at a time, for latency" if timing else job.status
    speed = compare.rows_per_second(job)
    st.caption(f"{STATUS_ICONS.get(job.status, '')} {compare.model_name(job)} (job #{job.id}): {state} · "
               f"{done:,} / {job.total_rows:,} rows" + (f" · {pace(speed)}" if speed else ""))


def comparison_figures(comparison, jobs, table: pd.DataFrame, costs: Prices) -> None:
    if table.empty:
        st.info("This comparison has no jobs.")
        return
    scores = compare.score_columns(table)
    # The lines above name each model's job, status and rows done; the download keeps every column.
    shown = _headline_first(table.drop(columns=["job", "status", "rows", "failed rows", "score", "shared the cores",
                                                compare.TIMED_ROWS, compare.OTHERS_SHARE],
                                       errors="ignore"),
                            scores)
    st.dataframe(shown.astype({c: float for c in shown.columns if c in (*scores, *NUMBERS)}), hide_index=True,
                 width="stretch", column_config=_formats(scores))
    _notes(comparison.id, jobs, table)
    quality = next((c for c in scores if c != "scored rows" and table[c].notna().any()), None)
    if quality and table["rows/s"].notna().any():
        st.altair_chart(trade_off_chart(table, quality))
    _explain(comparison.task)
    st.download_button("Download this table (CSV)", _csv(table, costs), file_name=f"comparison_{comparison.id}.csv",
                       mime="text/csv", on_click="ignore")
    _remove_form(comparison)


def _remove_form(comparison) -> None:
    with st.expander("Remove this comparison from the list"):
        sure = st.checkbox(f"Yes, remove comparison #{comparison.id}. Its jobs stay on the Jobs page, with their answers.",
                           key=f"remove-comparison-{comparison.id}")
        if st.button("Remove", disabled=not sure, key=f"remove-button-{comparison.id}"):
            compare.remove_comparison(app_settings(), comparison.id)
            st.session_state[REMOVED] = f"Comparison #{comparison.id} is off the list; its jobs are still on the Jobs page."
            st.rerun(scope="app")


REMOVED = "comparison-removed"


def notice() -> None:
    """What the last removal did, shown once after the page reloads."""
    if REMOVED in st.session_state:
        st.success(st.session_state.pop(REMOVED))


def _headline_first(shown: pd.DataFrame, scores: list[str]) -> pd.DataFrame:
    """How good, how fast and what it costs come first: the table is wider than the page, and the cost by API, which
    the Home page promises, sat off screen at its right end."""
    # The first score only: at 1,000 px a second (macro-F1) pushed the API's cost off screen again.
    headline = ["model", *[c for c in scores if c != "scored rows"][:1], "rows/s", compare.LOCAL_COST, compare.API_COST]
    first = [c for c in headline if c in shown.columns]
    return shown[first + [c for c in shown.columns if c not in first]]


NUMBERS = ("rows/s", "p50 ms", "p95 ms", "memory MB", compare.LOCAL_COST, compare.API_COST, compare.SAME_ANSWERS)


def _formats(scores: list[str]) -> dict:
    money = {c: st.column_config.NumberColumn(c, format="$%.3g") for c in (compare.LOCAL_COST, compare.API_COST)}
    return {"model": st.column_config.TextColumn("model", pinned=True),  # stays in view when the table scrolls
            **{c: st.column_config.NumberColumn(c, format="%.3f") for c in scores if c != "scored rows"}, **money,
            "scored rows": st.column_config.NumberColumn("scored rows", format="%d"),
            compare.SAME_ANSWERS: st.column_config.NumberColumn(compare.SAME_ANSWERS, format="percent")}


@st.cache_data(max_entries=16)
def _right_answers(data_dir: str, comparison_id: int, jobs_state: tuple) -> compare.RightAnswers:
    """A comparison's file and settings never change: its file is read again only when the rows scored may have
    (a job moved on or stopped), not on every refresh of a running one."""
    return compare.right_answers(app_settings(), comparison_id)


def _notes(comparison_id: int, jobs, table: pd.DataFrame) -> None:
    state = tuple((job.id, job.status, job.done_rows) for job in jobs if job.status not in ACTIVE)
    for note in comparison_notes(jobs, table, _right_answers(str(app_settings().data_dir), comparison_id, state)):
        st.warning(note)


def _explain(task: str) -> None:
    st.caption(
        "**rows/s**: the job's rows over the time it worked on them, loading the model left out (**load s**: the "
        "same for 10 rows as for 100,000). **p50 / p95 ms**: how long a row waits for its answer, from rows answered "
        "one at a time after the job: half of them took less than p50, all but one in 20 less than p95. Both vary by a tenth or more from run to run on a shared "
        "machine: compare models within one comparison, and run it again before trusting a small difference. "
        "**memory**: the job's process at its peak. **$ here**: the time 1,000 rows take at that speed, at the "
        f"machine's price. **$ by API**: each row sent on its own with {TASK_NOTES.get(task, 'the settings')}, "
        "answered as long as the right answers, at about 4 characters a token. **same answers as the first**: rows "
        "where the model's answers are the first model's word for word (a quantization that changes nothing scores "
        "the same).")


def _csv(table: pd.DataFrame, costs: Prices) -> bytes:
    """The table with the prices its costs were worked out at."""
    plain = compare.with_plain_costs(table).rename(columns={"shared the cores": "shared the processor"})
    return compare.with_prices(plain, costs).to_csv(index=False).encode()
