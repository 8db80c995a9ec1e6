"""A job's answers as the user gets them: beside the input rows (table, downloads), or alone once the input is gone."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Job
from workbench.db.session import session_scope
from workbench.errors import InputFileError, WorkbenchError
from workbench.io import read_table, write_table
from workbench.io.readers import file_kind, uses_decimal_comma
from workbench.io.result_columns import with_results
from workbench.io.stream import CHUNK_ROWS, iter_frames
from workbench.io.workbook_export import add_result_columns, kept_whole
from workbench.io.writers import TEXT_OUTPUTS, unwritable, write_text_chunks, write_xlsx_chunks
from workbench.jobs import review
from workbench.tasks.spec import spec_from_dict


def _job(settings: Settings, job_id: int) -> Job:
    with session_scope(settings) as session:
        return repo.get_job(session, job_id)


# A job's rows it has not reached, said in its results: in a download, an empty extract or summarize cell would
# otherwise read as "nothing found", and evaluation would score it so.
NOT_ANSWERED = "Not answered: the job was {status} before this row. Resume it to answer the rest."
NOT_ANSWERED_YET = "Not answered yet: the job is {status}."
STOPPED = ("paused", "cancelled", "failed")


def _unfinished(job: Job) -> bool:
    return job.done_rows + job.failed_rows < job.total_rows


def _not_answered(job: Job) -> str:
    return (NOT_ANSWERED if job.status in STOPPED else NOT_ANSWERED_YET).format(status=job.status)


def input_of(job: Job) -> Path:
    """The job's input file (the copy the app keeps), or a message that says it is gone and what that means."""
    path = Path(job.input_path)
    if not path.exists() and not path.is_absolute():
        raise InputFileError(
            f"Job #{job.id} was made by an earlier version of the app, which kept its input file's path as it was typed "
            f"({path}), from the folder the command ran in; it is not there from this folder ({Path.cwd()}). Run "
            f"`workbench` from the folder the job was run from to read its rows; its {job.done_rows:,} saved answers "
            "can be downloaded alone, by row number, from anywhere.")
    if not path.exists():
        raise InputFileError(f"The copy of job #{job.id}'s input file ({path.name}) is gone from the app's data folder "
                             f"({path.parent}), so its rows cannot be read: it cannot run further, and its {job.done_rows:,} "
                             "saved answers can only be downloaded alone, by row number. Run a new job on the file to "
                             "have both.")
    return path


def results_frame(settings: Settings, job_id: int, reviewed: bool = True,
                  rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The input rows with the template's output columns added (empty where a row has no result yet); `reviewed`:
    the reviewers' corrections in place of the model's answers, and a `reviewed` column (once a row is reviewed).
    `rows`: the job's input rows (input_rows), when the caller has them already."""
    job = _job(settings, job_id)
    frame = input_rows(job) if rows is None else rows
    return _with_results_of(settings, job, frame, _trail(settings, job) if reviewed else None)


def input_rows(job: Job) -> pd.DataFrame:
    """The rows of the job's input file, read as the job read them (the rows it counted), not as read_table reads a
    first stretch of the file."""
    chunks = list(iter_frames(input_of(job), sheet=job.sheet, nrows=job.row_limit, header_row=job.header_row))
    if chunks:
        return pd.concat(chunks)
    return read_table(input_of(job), sheet=job.sheet, nrows=0, header_row=job.header_row)


def result_chunks(settings: Settings, job_id: int) -> Iterator[pd.DataFrame]:
    """results_frame a chunk of rows at a time, so exporting 100,000 rows needs no more memory than 2,000."""
    job = _job(settings, job_id)
    trailed = _trail(settings, job)  # for the whole job: every chunk gets the same columns
    for frame in iter_frames(input_of(job), sheet=job.sheet, nrows=job.row_limit, header_row=job.header_row):
        yield _with_results_of(settings, job, frame, trailed)


def _trail(settings: Settings, job: Job) -> list[str] | None:
    return review.job_trail(settings, job.id, spec_from_dict(job.spec))


def _with_results_of(settings: Settings, job: Job, frame: pd.DataFrame, trailed: list[str] | None = None) -> pd.DataFrame:
    """The rows of `frame` with their results; `trailed`: the job is reviewed, and these answers keep the model's
    value beside a correction (review.with_reviews)."""
    rows = (int(frame.index[0]), int(frame.index[-1]))
    with session_scope(settings) as session:
        results = repo.job_answers(session, job.id, rows=rows)
        reviews = repo.job_reviews(session, job.id, rows) if trailed is not None else None
    spec = spec_from_dict(job.spec)
    columns = spec.output_columns()
    outputs = _answers(results, columns).set_axis([r.row_index for r in results]).reindex(index=frame.index)
    if job.failed_rows or _unfinished(job):
        outputs["error"] = _errors(job, results, frame.index)
    combined = with_results(frame, outputs.astype(object).where(outputs.notna(), ""))
    combined.attrs["spec"] = reading_spec(job.spec)
    return combined if reviews is None else review.with_reviews(combined, spec, reviews, rows[0], trailed)


def _errors(job: Job, results: list, rows: pd.Index) -> pd.Series:
    """Each row's error: a failed row's own, or that the job has not answered it (yet)."""
    errors = pd.Series({r.row_index: r.error for r in results}, dtype=object).reindex(rows)
    if not _unfinished(job):
        return errors
    return errors.where(errors.index.isin([r.row_index for r in results]), _not_answered(job))


def reading_spec(spec: dict) -> dict:
    """What the results' readers need of the job's settings (evaluation: field types, the examples' texts; the
    label chart: label names); small, as pandas copies a frame's attrs with every operation on it."""
    labels = [label["name"] if isinstance(label, dict) else label for label in spec.get("labels") or []]
    return {"text": spec.get("text"), "labels": labels, "fallback": spec.get("fallback"),
            "fields": [{"name": f.get("name"), "type": f.get("type", "text")} for f in spec.get("fields") or []],
            "day_first": bool(spec.get("day_first")),  # evaluation reads the right answers' dates as the job did
            # A list, not a set: Streamlit writes a shown frame's attrs as JSON.
            "example_texts": sorted({e.get("text") for e in spec.get("examples") or [] if isinstance(e, dict)})}


def _answers(results: list, columns: list[str]) -> pd.DataFrame:
    """The saved results' outputs, a row each. Object cells keep each answer's own type: a column of numbers and empty
    answers would turn 5531 into 5531.0 (written so in a CSV). A list of rows keeps them; a dict of rows does not."""
    return pd.DataFrame([r.outputs for r in results], columns=columns, dtype=object)


def saved_outputs(settings: Settings, job_id: int, row: int) -> dict:
    """Everything the template saved with one row's answer, beyond the output columns too (route's nearest queue of a
    row it sent to the fallback)."""
    with session_scope(settings) as session:
        saved = repo.job_answers(session, job_id, rows=(row, row))
        return dict(saved[0].outputs or {}) if saved else {}


def answers_alone(settings: Settings, job: Job) -> pd.DataFrame:
    """The job's saved answers without its rows (whose file is gone), each with its row's number in the file; a
    person's corrections in place of the model's answers, as in any download (they were left out)."""
    with session_scope(settings) as session:
        answered = pd.Index([r.row_index for r in repo.job_answers(session, job.id)])
    if answered.empty:
        return pd.DataFrame(columns=["row", *spec_from_dict(job.spec).output_columns()])
    answers = _with_results_of(settings, job, pd.DataFrame(index=answered), _trail(settings, job))
    answers.insert(0, "row", answers.index + 1)
    return answers.reset_index(drop=True)


def _result_columns(settings: Settings, job_id: int) -> pd.DataFrame:
    """Only the result columns, one row per input row: the workbook itself already holds the inputs. Its rows are not
    read for them: the job counted them (total_rows) as iter_frames reads them, and row n's results are row n's.
    Reading a 100,000-row workbook's rows took 20-50 s of its download."""
    job = _job(settings, job_id)
    trailed = _trail(settings, job)
    # names the result columns must not take
    header = read_table(input_of(job), sheet=job.sheet, nrows=1, header_row=job.header_row).iloc[:0]
    chunks = [_with_results_of(settings, job, _blank_rows(header, first, job.total_rows), trailed)
              for first in range(0, job.total_rows, CHUNK_ROWS)] or [_with_results_of(settings, job, header, trailed)]
    return pd.concat([chunk[chunk.attrs["result_columns"]] for chunk in chunks], ignore_index=True)


def _blank_rows(header: pd.DataFrame, first: int, total: int) -> pd.DataFrame:
    """Rows first… of a chunk (at most CHUNK_ROWS, none past `total`), with the input's columns left empty."""
    return header.reindex(range(first, min(first + CHUNK_ROWS, total))).fillna("")


def copies_values_only(settings: Settings, job_id: int, path: Path) -> bool:
    """Whether the job's download to `path` is a large workbook's copy of values (workbook_export.VALUES_ONLY_NOTE)."""
    job = _job(settings, job_id)
    if path.suffix.lower() != ".xlsx" or not Path(job.input_path).exists() or file_kind(input_of(job)) != "excel":
        return False
    return not kept_whole(input_of(job), job.total_rows, len(spec_from_dict(job.spec).output_columns()))


def export_job(settings: Settings, job_id: int, path: Path) -> Path:
    """CSV or XLSX of the job's rows with their results; a workbook input comes back as itself, plus results. Written
    to a file beside it and renamed into place at the end: an export stopped half-way (killed, the disk full) left a
    file of the first rows that read as whole, over the good one."""
    path = Path(path)
    if path.suffix.lower() not in (*TEXT_OUTPUTS, ".xlsx"):
        raise unwritable(path)
    partial = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix}")
    try:
        _write_export(settings, _job(settings, job_id), partial)
        os.replace(partial, path)
        return path
    except OSError as exc:
        raise WorkbenchError(
            f"Cannot write '{path}': {exc.strerror or exc}. "
            "Check that the folder exists and the file is not open in another program."
        ) from None
    finally:
        partial.unlink(missing_ok=True)


def _write_export(settings: Settings, job, path: Path) -> None:
    if not Path(job.input_path).exists():  # its rows are gone, its answers are not: those alone, by row number
        write_table(answers_alone(settings, job), path)
    elif path.suffix.lower() in TEXT_OUTPUTS:
        write_text_chunks(result_chunks(settings, job.id), path)
    elif path.suffix.lower() == ".xlsx" and file_kind(input_of(job)) == "excel":
        add_result_columns(input_of(job), job.sheet, _result_columns(settings, job.id), path, job.header_row)
    else:
        write_xlsx_chunks(result_chunks(settings, job.id), path, decimal_comma=uses_decimal_comma(input_of(job)))
