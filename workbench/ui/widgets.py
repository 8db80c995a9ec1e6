"""Widgets several pages share: job progress, results, downloads, errors."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DatabaseError

from workbench.db.repo import ACTIVE_STATUSES
from workbench.db.session import database_problem
from workbench.errors import NothingToScoreYet, WorkbenchError
from workbench.eval.answers import label_names
from workbench.io.result_columns import result_names
from workbench.io.workbook_export import VALUES_ONLY_NOTE
from workbench.jobs import measure, service, templates
from workbench.jobs.deletion import delete_job
from workbench.jobs.progress import counted, describe, job_progress, only_failed_rows_left
from workbench.jobs.results import copies_values_only, export_job
from workbench.jobs.review import WRITTEN_ANSWERS
from workbench.models.registry import snapshot_names
from workbench.ui.context import app_settings

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_ICONS = {"queued": "⏳", "running": "▶️", "paused": "⏸️", "completed": "✅", "failed": "❌", "cancelled": "⏹️"}


@contextmanager
def user_errors():
    """Show a WorkbenchError as a message the user can act on, not a traceback."""
    try:
        yield
    except NothingToScoreYet as exc:  # a job at its first rows: nothing has gone wrong
        st.info(plain(str(exc)))
    except WorkbenchError as exc:
        st.error(plain(str(exc)))
    except DatabaseError as exc:  # read-only, the disk full, locked too long by another process, damaged
        st.error(plain(database_problem(app_settings(), exc)))


def plain(message: str, code: bool = False) -> str:
    """A message shown as written: Streamlit reads messages as Markdown, where the `*` of "*.safetensors" made italics
    and two `$` a formula. Our messages' backticks stay (they mark commands and names); a user's text (`code`: a job's
    name) has its backticks shown too."""
    if code:
        return _escaped(message, "`")
    parts = re.split(r"(`[^`]*`)", message)  # odd parts are code, where Markdown reads nothing
    return "".join(part if n % 2 else _escaped(part) for n, part in enumerate(parts))


def _escaped(text: str, more: str = "") -> str:
    text = text.replace("\\", "\\\\")
    for mark in "*_$~[]#" + more:
        text = text.replace(mark, "\\" + mark)
    return text


def job_header(job) -> None:
    st.subheader(f"{STATUS_ICONS.get(job.status, '')} Job #{job.id}: {plain(job.name, code=True)}")
    compared = f" · one model of comparison #{job.comparison_id} (Benchmark page)" if job.comparison_id else ""
    st.caption(f"Task: {job.task}{_file_of(job)} · model: {snapshot_names(job.model)} · status: {job.status} · "
               f"created {local_time(job.created_at)}{compared}{_origin(job)}")


def _file_of(job) -> str:
    """The input file, where the job's own name does not say it (a name the user gave it)."""
    file_name = Path(job.input_path).name
    return "" if not file_name or job.name.startswith(file_name) else f" · file: {plain(file_name, code=True)}"


def _origin(job) -> str:
    """A job started by `workbench run` runs in that terminal's process, not in the app's worker: said, so that a
    job that stops when its terminal closes is not a mystery."""
    return " · started from the command line" if job.source == "cli" else ""


def local_time(stored: datetime) -> str:
    """A stored time (UTC) as the clock on the user's wall reads it: jobs on the same file tell apart by it."""
    return stored.replace(tzinfo=UTC).astimezone().strftime("%d %b %Y, %H:%M")


def job_progress_bar(job) -> None:
    progress = job_progress(job)
    st.progress(progress.fraction, text=describe(progress))
    if note := service.queue_note(app_settings(), job):
        st.caption(note)
    for note in measure.notes(job.measurements):
        st.caption(note)  # what the template found on the job's rows (classify: whether the second opinion is used)
    if job.error:
        st.error(job.error)


def job_controls(job) -> None:
    """The buttons that make sense for the job's status: pause, resume, cancel, retry failed rows."""
    buttons = [(label, action) for label, action, statuses in CONTROLS if job.status in statuses
               and not (action is service.resume_job and only_failed_rows_left(job))]
    if retryable := service.retryable_rows(app_settings(), job):
        buttons.append((f"Retry {counted(retryable, 'failed row')}", service.retry_failed_rows))
    for column, (label, action) in zip(st.columns(max(len(buttons), 1) + 2), buttons, strict=False):
        if column.button(label, key=f"{label}-{job.id}", help=CONTROL_HELP.get(label)):
            _act(action, job.id)


CONTROLS = (
    ("Pause", service.pause_job, ("queued", "running")),
    ("Resume", service.resume_job, ("paused", "cancelled", "failed")),
    ("Cancel job", service.cancel_job, ("queued", "running", "paused")),
)


CONTROL_HELP = {"Pause": "Stops within a few seconds; the rows saved so far are kept. Rows being answered at that "
                         "moment are answered again when you resume.",
                "Cancel job": "Stops the job; the rows saved so far are kept and can be downloaded. Resume continues "
                              "it from there."}


def _act(action, job_id: int) -> None:
    with user_errors():
        action(app_settings(), job_id)
        st.rerun()


def model_label(name: str, models: list[dict]) -> str:
    """A model's name with its quantization, which a name like 'all-MiniLM-L6-v2-none' does not say."""
    preset = next((m.get("quantization", {}).get("preset") for m in models if m["name"] == name), None)
    return f"{name} ({'float32, not quantized' if preset == 'none' else preset})" if preset else name


def answer_column(frame: pd.DataFrame, name: str) -> str | None:
    """The output column `name` (or `name_result` when the input already had such a column)."""
    return result_names(frame).get(name)


def result_summary(frame: pd.DataFrame, job, model: pd.DataFrame | None = None) -> None:
    """Headline numbers: rows answered, rows to review, failures, average confidence.

    Rows answered and failed come from the job's counters: extract, summarize and custom give no confidence
    to count by, and the input file may have an `error` column of its own. The average confidence is the model's
    (`model`: its own answers): a corrected row has none in `frame`, and the figure moved with every review."""
    model = frame if model is None else model
    confidence_column, review = answer_column(model, "confidence"), answer_column(frame, "needs_review")
    confidence = pd.to_numeric(model[confidence_column], errors="coerce") if confidence_column else pd.Series(dtype=float)
    cells = st.columns(4)
    # The total in the label: "44,800 / 44,800" was cut to "44,800 / 4…" in a quarter of a laptop's width.
    cells[0].metric(f"Rows answered, of {len(frame):,}", f"{job.done_rows:,}")
    # A reviewed row's flag is off in a frame with reviews (jobs/review.with_reviews).
    cells[1].metric("Need review", f"{int((frame[review] == True).sum()):,}" if review else "–")  # noqa: E712
    cells[2].metric("Failed rows", f"{job.failed_rows:,}")
    cells[3].metric("Average confidence", f"{confidence.mean():.2f}" if confidence.notna().any() else "–")


def typed_answers(frame: pd.DataFrame, answers: list[str]) -> pd.DataFrame:
    """Answer columns of flags or numbers as such, a row without an answer (failed, or not run yet) empty: the
    results keep "" there for the download, and a column of numbers and "" could not be drawn as numbers (the table
    fell back to showing the flags as text and marked the cells red)."""
    typed = frame.copy()
    for column in answers:
        values = frame[column].replace("", None)
        given = values.dropna()
        if len(given) and given.map(lambda v: isinstance(v, bool)).all():
            typed[column] = values.astype("boolean")
        elif len(given) and given.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all():
            typed[column] = pd.to_numeric(values)
    return typed


PROBLEM_COLUMNS = ("error", "extraction_errors")


def results_table(frame: pd.DataFrame) -> None:
    """The template's answers first, then the input columns, then the rows' problems where there are any; confidence
    drawn as a bar, written answers wide."""
    answers = frame.attrs.get("result_columns", [])
    # The rows' problems after the input's columns, and not at all while no row has one: a wide empty `error` column,
    # or extract's `extraction_errors`, pushed the texts the answers are checked against off a laptop's screen.
    problems = [column for column in (answer_column(frame, name) for name in PROBLEM_COLUMNS) if column]
    shown = [column for column in answers if column not in problems]
    inputs = [column for column in frame.columns if column not in answers]
    filled = [column for column in problems if (frame[column].astype(str).str.strip() != "").any()]
    ordered = typed_answers(frame[[*shown, *inputs, *filled]], shown)
    config = {column: st.column_config.TextColumn(column, width="large")
              for column in filter(None, (answer_column(frame, name) for name in WRITTEN_ANSWERS))}
    confidence = answer_column(frame, "confidence")
    if confidence:
        # Blue: the theme's red read as a warning on a row the model was sure of (1.00).
        config[confidence] = st.column_config.ProgressColumn(confidence, min_value=0.0, max_value=1.0, format="%.2f",
                                                             help=_confidence_help(frame), color="blue")
    st.dataframe(ordered, width="stretch", hide_index=True, column_config=config or None,
                 placeholder="")  # an answer left empty is an empty cell, as in the download (not a grey "None")


def _confidence_help(frame: pd.DataFrame) -> str:
    """What the number means; for a row route sent to its fallback queue, it is the nearest queue's ("Other · 0.77"
    read as sure of Other)."""
    fallback = (frame.attrs.get("spec") or {}).get("fallback")
    about_fallback = (f" For a row in '{fallback}' it is the confidence in the nearest queue, which was not close "
                      "enough to send it there.") if fallback else ""
    return "How sure the model is of its answer, from 0 to 1 (blank once a person reviewed the row)." + about_fallback


def written_answers_in_full(frame: pd.DataFrame) -> None:
    """A few rows' summaries or custom answers whole, under their table: a table cell cuts them after a line, and
    judging them before running on every row is what "Try on 5 rows" is for."""
    for name in WRITTEN_ANSWERS:
        column = answer_column(frame, name)
        if column:
            with st.container(border=True):
                for position, answer in enumerate(frame[column], start=1):
                    lines = "  \n".join(plain(str(answer)).splitlines())  # a bullet a line, as in the download
                    st.markdown(f"**Row {position}** · {column}:  \n{lines or '*(empty)*'}")


def label_chart(frame: pd.DataFrame, column: str) -> None:
    counts = label_counts(frame, column)
    if counts.any():
        st.bar_chart(counts, horizontal=True)


def confidence_chart(frame: pd.DataFrame) -> None:
    counts = confidence_counts(frame)
    if counts.any():
        st.subheader("Confidence")
        st.bar_chart(counts)


def confidence_counts(frame: pd.DataFrame) -> pd.Series:
    """Rows per tenth of confidence (0.0–0.1 … 0.9–1.0): where the answers the model was unsure of lie."""
    column = answer_column(frame, "confidence")
    values = pd.to_numeric(frame[column], errors="coerce").dropna() if column else pd.Series(dtype=float)
    tenths = (values.clip(0, 1) * 10).astype(int).clip(upper=9)
    names = [f"{t / 10:.1f}–{(t + 1) / 10:.1f}" for t in range(10)]
    return tenths.value_counts().reindex(range(10), fill_value=0).set_axis(names).rename("rows")


def label_counts(frame: pd.DataFrame, column: str) -> pd.Series:
    """Rows per label, every label of the job's settings included (a route's fallback queue too): a label no row got is
    worth seeing."""
    counts = frame[column][frame[column] != ""].value_counts().rename("rows")
    named = [str(label) for label in label_names(frame)]
    return counts.reindex(list(dict.fromkeys([*named, *counts.index])), fill_value=0)


def download_buttons(job, xlsx_section: Callable | None = None) -> None:
    """CSV and XLSX downloads side by side; `xlsx_section` draws the XLSX side instead (a large job's, prepared
    first: ui/prepared_download.py)."""
    left, right = st.columns(2)
    _download_button(left, job, "csv", "text/csv")
    if xlsx_section is None:
        _download_button(right, job, "xlsx", XLSX_MIME)
    else:
        with right:
            xlsx_section(job)
    if _copied_without_formatting(job):
        right.caption(VALUES_ONLY_NOTE)


def _copied_without_formatting(job) -> bool:
    """Whether the job's XLSX download copies a large workbook's values rather than the workbook itself."""
    path = Path(job.input_path)
    return path.exists() and _values_only(job.id, path.stat().st_mtime_ns, job.total_rows)


@st.cache_data(max_entries=32, show_spinner=False)
def _values_only(job_id: int, stamp: int, rows: int) -> bool:  # the input's stamp and the rows: keys of the cache
    try:
        return copies_values_only(app_settings(), job_id, Path("download.xlsx"))
    except Exception:  # noqa: BLE001 (a damaged workbook: the download itself says what is wrong)
        return False


def _download_button(column, job, suffix: str, mime: str) -> None:
    # Built when clicked, not on every rerun: the file always holds the rows done by then. The click
    # must not rerun the page: a rerun replaces the file's handle, and a busy server could drop the
    # handle the click is still asking for (no file, and the same again on every click).
    column.download_button(f"Download {suffix.upper()}", _exporter(job.id, suffix), file_name=download_name(job, suffix),
                           mime=mime, key=f"download-{suffix}-{job.id}", width="stretch", on_click="ignore")


def download_name(job, suffix: str, what: str = "results") -> str:
    """"march_tickets_results_job3.xlsx": named after the job (its file, unless the user named it), so several
    downloads can be told apart ("job_3.xlsx" could not)."""
    return f"{file_stem(Path(job.name).stem, 'job')}_{what}_job{job.id}.{suffix}"


def file_stem(name: str, fallback: str) -> str:
    """A name safe as a file name on every system: letters, digits, '-' and '_' (`fallback` if none is left)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or fallback


# Why the last download built on a click failed, by (job, suffix): the browser says only "Failed to generate file for
# download", so the job's page says why (download_failures) until a download of that file works.
_FAILED_DOWNLOADS: dict[tuple[int, str], str] = {}


def _exporter(job_id: int, suffix: str):
    def export() -> bytes:
        try:
            data = written_bytes(lambda path: export_job(app_settings(), job_id, path), f"job_{job_id}.{suffix}")
        except WorkbenchError as exc:
            _FAILED_DOWNLOADS[(job_id, suffix)] = str(exc)
            raise
        _FAILED_DOWNLOADS.pop((job_id, suffix), None)
        return data
    return export


def download_failures(job_id: int) -> None:
    """Why a download of the job failed in the browser, said on its page (its live part shows it within seconds)."""
    for (failed_job, suffix), reason in list(_FAILED_DOWNLOADS.items()):
        if failed_job == job_id:
            st.error(plain(f"The {suffix.upper()} download failed: {reason}"))


def written_bytes(write, file_name: str) -> bytes:
    """The bytes `write(path)` puts in a file of its own, for a download. One file per download: two downloads of one
    job at once wrote the same file and gave a corrupt workbook (7 of 9 in an audit)."""
    with tempfile.TemporaryDirectory(dir=app_settings().exports_dir) as folder:
        return write(Path(folder) / file_name).read_bytes()


# What the last action on another page did, shown once on the Jobs page.
JOBS_NOTICE = "jobs-notice"


def delete_section(job) -> None:
    """Deleting a stopped job, behind an expander and a button that names it: it cannot be undone."""
    if job.status in ACTIVE_STATUSES:
        return
    with st.expander("Delete this job"):
        st.write("Deletes the job's answers and reviews, and the copy of its input file this app keeps (unless another "
                 "job reads it). Download what you need first: this cannot be undone. Your own files elsewhere on "
                 "this machine are not touched.")
        if st.button(f"Delete job #{job.id}", type="primary", key=f"delete-{job.id}"):
            with user_errors():
                delete_job(app_settings(), job.id)
                st.session_state[JOBS_NOTICE] = f"Deleted job #{job.id} with its answers and reviews."
                st.session_state.pop("job_id", None)
                st.query_params.pop("job", None)
                st.switch_page("app_pages/jobs.py")


def saved_ids() -> set[int]:
    """The saved template versions' numbers: a save that gives back one of them stored nothing new (the same
    settings)."""
    return {template.id for template in templates.list_templates(app_settings())}
