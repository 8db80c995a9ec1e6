"""What the UI and the CLI do with jobs: store uploads, create, try, pause, resume, retry and cancel them (their
answers, tables and downloads: jobs/results.py)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Job, Upload
from workbench.db.session import session_scope
from workbench.errors import InputFileError, JobStateError, TableShapeError, TaskConfigError, WorkbenchError
from workbench.io import list_sheets, read_table
from workbench.io.readers import read_header_row, row_naming
from workbench.io.result_columns import with_results
from workbench.io.rows import check_columns, row_texts
from workbench.io.stream import count_rows
from workbench.jobs.progress import only_failed_rows_left
from workbench.jobs.results import input_of
from workbench.jobs.runner import adaptation_sample
from workbench.models.registry import load_encoder, load_generator, model_snapshot
from workbench.tasks.spec import TaskSpec, load_task_file, one_line_name, spec_from_dict


def store_upload(settings: Settings, filename: str, data: bytes) -> Upload:
    """Keep a copy of the uploaded bytes under the data folder, named by content."""
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise InputFileError(f"'{filename}' is larger than the {settings.max_upload_mb} MB limit. Split it into smaller files.")
    return _stored(settings, filename, hashlib.sha256(data).hexdigest(), len(data), lambda partial: partial.write_bytes(data))


def store_file(settings: Settings, path: Path) -> Upload:
    """Keep a copy of a file given by its path (the command line), as an upload is kept: its job can then be opened,
    reviewed and exported from any folder, also after the file is moved or changed. No size limit: it is the user's
    own disk, and the command line is for the large files."""
    return _stored(settings, Path(path).name, file_digest(path), Path(path).stat().st_size,
                   lambda partial: shutil.copyfile(path, partial))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_input_of(settings: Settings, job_id: int, path: Path) -> bool:
    """Whether the file at `path` holds the job's input: the job reads a copy, so the user's own file is known by
    its content (an export written over it lost the user's file)."""
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        upload = session.get(Upload, job.upload_id) if job.upload_id else None
        size, digest = (upload.size_bytes, upload.sha256) if upload else (None, None)
    path = Path(path)
    return path.is_file() and path.stat().st_size == size and file_digest(path) == digest


def _stored(settings: Settings, filename: str, digest: str, size: int, write) -> Upload:
    # A folder per content, the file under each name it was given: messages about the file then name it as the user
    # does (the same bytes uploaded as "report_q3.xlsx" were named "garbage.xlsx", another session's name).
    folder, stored = settings.uploads_dir / digest[:16], settings.uploads_dir / digest[:16] / stored_name(filename)
    if not stored.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: never read half-written. Named for this upload alone: every browser session is a
        # thread of one process, and two uploading the same file at once shared a name (one's rename then failed).
        partial = folder / f".{uuid.uuid4().hex}.partial"
        _copy_of_same_bytes(folder, partial) or write(partial)
        os.replace(partial, stored)
    with session_scope(settings) as session:
        return repo.add_upload(session, filename, str(stored), digest, size)


def _copy_of_same_bytes(folder: Path, partial: Path) -> bool:
    """The bytes stored already under another name, linked (no second copy on disk) or else copied."""
    other = next((p for p in folder.glob("*") if not p.name.startswith(".")), None)
    if other is None:
        return False
    try:
        os.link(other, partial)
    except OSError:  # a file system without hard links
        shutil.copyfile(other, partial)
    return True


MAX_NAME_BYTES = 200  # file systems allow 255 bytes; a name in CJK characters takes 3 a character


def stored_name(filename: str) -> str:
    """The upload's own name, safe as a file name: no folders or odd characters, not too long, its type kept."""
    name = Path(filename.replace("\\", "/")).name
    suffix = next((s for s in (Path(name).suffix, name) if re.fullmatch(r"\.\w{1,5}", s)), "")  # ".csv": all suffix
    stem = re.sub(r"[^\w .()-]+", "_", name.removesuffix(suffix)).strip(" .")
    while len(stem.encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem or 'upload'}{suffix}"


def create_job(
    settings: Settings, spec: TaskSpec, input_path: Path, sheet: str | None = None,
    limit: int | None = None, upload_id: int | None = None, source: str = "ui",
    runner_pid: int | None = None, comparison_id: int | None = None, header_row: int | None = None,
) -> int:
    """Check the input against the spec and queue a job; returns its id.

    With runner_pid the job is created already running in that process (the CLI runs its own job),
    so the background worker never sees it queued.
    """
    rows = checked_rows(settings, spec, input_path, sheet, limit, header_row)
    _check_second_opinion_model(settings, spec)
    if upload_id is None:  # a path from the command line: the job keeps its own copy, as an upload's job does
        upload = store_file(settings, Path(input_path))
        input_path, upload_id = Path(upload.stored_path), upload.id
    with session_scope(settings) as session:
        job = repo.create_job(
            session, name=one_line_name(spec.name or "") or Path(input_path).name, task=spec.task, spec=spec.pinned().to_dict(),
            model=model_snapshot(settings, spec.model, spec.model_kind), upload_id=upload_id, input_path=str(input_path),
            sheet=sheet or None, header_row=header_row or None, row_limit=limit, source=source, total_rows=rows, comparison_id=comparison_id,
            **_claimed_by(runner_pid),
        )
        return job.id


def _check_second_opinion_model(settings: Settings, spec: TaskSpec) -> None:
    """The generator a classify job asks for a second opinion, checked as its own model is, before a job is made that
    could only fail ("not prepared" said of a model there is not, and with no word of the setting that names it)."""
    if spec.generator is None or spec.model_kind == "generator":
        return
    try:
        model_snapshot(settings, spec.generator, "generator")
    except WorkbenchError as exc:
        raise type(exc)(f"The second opinion's model (`second_opinion_model`): {exc}") from None


def checked_rows(settings: Settings, spec: TaskSpec, input_path: Path, sheet: str | None, limit: int | None,
                 header_row: int | None = None) -> int:
    """The rows a job of this spec would run on this file, once the spec and the file are checked for it."""
    spec.check_new()
    try:
        check_columns(read_table(Path(input_path), sheet=sheet, nrows=1, header_row=header_row), spec.text)
    except TableShapeError as exc:  # a title line with a comma above a CSV's header: "more cells than the header"
        raise TableShapeError(f"{exc}{_header_lower_down(Path(input_path), sheet, spec.text, header_row)}") from None
    except TaskConfigError as exc:
        lower_down = _header_lower_down(Path(input_path), sheet, spec.text, header_row)
        raise TaskConfigError(f"{exc}{lower_down or _other_sheets(Path(input_path), sheet)}") from None
    # reads the file through once, in chunks
    rows = count_rows(Path(input_path), sheet=sheet, nrows=limit, header_row=header_row)
    if not rows:
        raise InputFileError(f"'{Path(input_path).name}' has a header row but only empty rows under it. Add the rows "
                             "to process, or choose the sheet that has them.")
    _check_row_limit(settings, rows)
    return rows


def _header_lower_down(path: Path, sheet: str | None, columns: list[str], header_row: int | None) -> str:
    """Where the columns are named on a row other than the header read (a report's title right above the table)."""
    try:
        number = row_naming(path, sheet, columns)
        if number is None or number == read_header_row(path, sheet, header_row):  # the names are there, yet not found
            return ""
    except (InputFileError, OSError):
        return ""  # the file's own message says what is wrong with it
    return (f" Row {number} holds {'that name' if len(columns) == 1 else 'those names'}: choose it as the header row "
            f"('Column names on row' on the New job page, `--header-row {number}` on the command line).")


def _other_sheets(path: Path, sheet: str | None) -> str:
    """Where a workbook's columns are not on the sheet read, the sheets it has: the data may be on another one."""
    sheets = list_sheets(path)
    if len(sheets) < 2:
        return ""
    read = sheet or sheets[0]
    return (f" That is the sheet '{read}'; the workbook also has {', '.join(repr(s) for s in sheets if s != read)}: "
            "choose the sheet with your data (`--sheet NAME` on the command line).")


def _claimed_by(runner_pid: int | None) -> dict:
    if runner_pid is None:
        return {}
    return {"status": "running", **repo.runner(runner_pid), "started_at": repo.utcnow()}


def latest_job_of(settings: Settings, task_file: Path, input_path: Path) -> Job | None:
    """The newest job run with this task file's settings on a file of this name (Home's demo: open it again
    rather than make another)."""
    settings_dict = load_task_file(task_file).pinned().to_dict()
    return next((job for job in list_jobs(settings)
                 if job.spec == settings_dict and Path(job.input_path).name == Path(input_path).name), None)


def create_job_from_task_file(settings: Settings, task_file: Path, input_path: Path, **options) -> int:
    return create_job(settings, load_task_file(task_file), input_path, **options)


def try_on_rows(settings: Settings, spec: TaskSpec, frame: pd.DataFrame, context: pd.DataFrame | None = None) -> pd.DataFrame:
    """Run the template on a few rows in this process, without creating a job.

    `context` (e.g. the preview's rows) is what the template adapts to, as a job adapts to its first rows (and checks
    its second opinion on: the notes in the result's attrs say what it found). Fine-tuning takes minutes, so a try
    uses the model as it is; the job fine-tunes.
    """
    spec.check_new()
    if spec.config.get("fine_tune"):
        spec = spec_from_dict({**spec.to_dict(), "fine_tune": False})
    task = spec.build(lambda name: load_encoder(settings, name), lambda name: load_generator(settings, name))
    task.setup()
    task.adapt(adaptation_sample(row_texts(context if context is not None else frame, spec.text, settings.max_cell_chars)))
    texts = row_texts(frame, spec.text, settings.max_cell_chars)
    runnable = [t for t in texts if t.error is None]  # as in a job: an empty or over-long row is not run, it says why
    answers = dict(zip((t.index for t in runnable), task.run_batch([t.text for t in runnable]) if runnable else [], strict=True))
    outputs = pd.DataFrame([answers[t.index].outputs if t.index in answers else {} for t in texts],
                           columns=spec.output_columns()).astype(object).fillna("")
    if len(runnable) < len(texts):
        outputs["error"] = [t.error or "" for t in texts]
    tried = with_results(frame, outputs)
    tried.attrs["notes"] = task.notes  # what the template found on the context rows, as a job's page shows them
    return tried


def _check_row_limit(settings: Settings, rows: int) -> None:
    if rows > settings.max_rows:
        raise InputFileError(f"The file has {rows:,} rows; the limit is {settings.max_rows:,}. Split the file or raise the limit.")


def cancel_job(settings: Settings, job_id: int) -> None:
    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, job_id), "cancelled")


def pause_job(settings: Settings, job_id: int) -> None:
    """Stop within about a second (a generative batch stopped mid-way is dropped and run again); resume continues from the
    last saved row."""
    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, job_id), "paused")


def retryable_rows(settings: Settings, job: Job) -> int:
    """The job's failed rows that could answer if run again (not its empty ones); 0 while it runs, and while rows it
    has not reached are left (running again would run those too: resuming is the way)."""
    if not job.failed_rows or job.status in repo.ACTIVE_STATUSES or _rows_not_reached(job):
        return 0
    with session_scope(settings) as session:
        return repo.count_retryable_failures(session, job)


def _rows_not_reached(job: Job) -> bool:
    """A paused or cancelled job's rows it never answered: retrying ran those too, as a resume."""
    return job.done_rows + job.failed_rows < job.total_rows


def retry_failed_rows(settings: Settings, job_id: int, runner_pid: int | None = None) -> int:
    """Run only the rows that failed again (in the background, or claimed at once for runner_pid, so that the worker
    cannot take the job in between); returns how many. Empty rows are not run again: they would fail the same way."""
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        input_of(job)  # a job whose input is gone would only fail
        if _rows_not_reached(job) and job.status not in repo.ACTIVE_STATUSES:
            raise JobStateError(f"Job #{job_id} is {job.status} with {job.total_rows - job.done_rows - job.failed_rows:,} "
                                f"rows not reached yet: resume it (`workbench jobs resume {job_id}`, or Resume on the "
                                "Jobs page), then retry its failed rows once it has finished.")
        if job.status in repo.ACTIVE_STATUSES or not repo.count_retryable_failures(session, job):
            raise JobStateError(f"Job #{job_id} is {job.status} with no failed rows that running again could change "
                                "(empty rows and rows over the length limit fail however often they run: fill them in "
                                "or shorten them in the file, and run a new job).")
        removed = repo.clear_failed_results(session, job)
        repo.set_status(session, job, "queued")
        if runner_pid is not None:  # in the same transaction, whose write lock the worker's claim waits for
            repo.claim_job(session, job_id, runner_pid)
        job.error = None
        return removed


def resume_job(settings: Settings, job_id: int, runner_pid: int | None = None) -> None:
    """Continue a stopped job from its last saved row (in the background, or in runner_pid).

    A job still marked running whose process is gone (killed, power loss) counts as stopped.
    """
    from workbench.jobs.worker import DEATHS, requeue_orphans  # the worker imports the runner, as this module does

    requeue_orphans(settings)
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        input_of(job)  # a job whose input is gone would only fail
        if job.status not in repo.ACTIVE_STATUSES and only_failed_rows_left(job):
            raise JobStateError(f"Every row of job #{job_id} has run and {job.failed_rows:,} failed, so resuming would "
                                f"run nothing: {_what_failed_rows_need(session, job)}")
        if not repo.resume(session, job_id, runner_pid):
            raise JobStateError(f"Job #{job_id} is {job.status}; only a paused, cancelled or failed job can be resumed.")
        # A job that failed for its process dying at one row gets its tries again: the user was told to free memory
        # first, and with the old count one more death failed it at once.
        job.measurements = {key: value for key, value in (job.measurements or {}).items() if key != DEATHS}


def _what_failed_rows_need(session, job: Job) -> str:
    if repo.count_retryable_failures(session, job):
        return (f"retry the failed rows instead (`workbench jobs retry {job.id}`, or the job's Retry button).")
    return "the rows that failed are empty in the file; fill them in and run a new job."


def get_job(settings: Settings, job_id: int) -> Job:
    with session_scope(settings) as session:
        return repo.get_job(session, job_id)


QUEUE_NOTES = {
    "comparison": "Waiting: a comparison on the Benchmark page measures its models alone; this job starts after it.",
    "alone": "Waiting for the running jobs to end: a comparison measures each model alone.",
}


def queue_note(settings: Settings, job: Job) -> str | None:
    """Why a queued job waits: comparisons run alone, and the worker runs `worker_slots` jobs at once."""
    if job.status != "queued":  # the Jobs page asks for every job every 2 s: no query for the others
        return None
    if settings.database_url and not Path(job.input_path).exists():
        return ("Waiting for a machine that can read its input file: another machine made this job, and its copy of "
                "the file is in that machine's data folder. Share the data folder between the machines (see the README).")
    with session_scope(settings) as session:
        held = repo.held_by_comparisons(session, job)
        if held:
            return QUEUE_NOTES[held]
        running, ahead = repo.count_by_status(session).get("running", 0), repo.queued_before(session, job.id)
    return _waiting_note(running, ahead, settings.worker_slots)


def _waiting_note(running: int, ahead: int, slots: int) -> str | None:
    """A third job showed only "0 / 200 rows", as if stuck."""
    if running < slots and not ahead:
        return None  # the worker takes it within a second or two
    before = f"; {ahead:,} queued job{'s' if ahead != 1 else ''} go{'es' if ahead == 1 else ''} first" if ahead else ""
    return (f"Waiting: {running} job{'s' if running != 1 else ''} running, and the app runs {slots} at a time "
            f"(the WORKBENCH_WORKER_SLOTS setting){before}. This one starts when its turn comes.")


def list_jobs(settings: Settings, every: bool = False) -> list[Job]:
    """The newest jobs (repo.LISTED_JOBS), or with `every` all of them, newest first."""
    with session_scope(settings) as session:
        return repo.list_jobs(session, every)


def count_jobs(settings: Settings) -> int:
    with session_scope(settings) as session:
        return repo.count_jobs(session)


class JobsPage(NamedTuple):
    unfinished: list[Job]  # queued, running, paused: all of them
    stopped: list[Job]  # one page of the others
    stopped_count: int  # how many stopped jobs there are in all


def jobs_page(settings: Settings, skip: int, count: int) -> JobsPage:
    """What the Jobs page lists: every unfinished job, and `count` stopped jobs after the newest `skip`."""
    with session_scope(settings) as session:
        return JobsPage(repo.unfinished_jobs(session), repo.stopped_jobs(session, skip, count),
                        repo.count_stopped_jobs(session))
