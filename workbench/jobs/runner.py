"""Run one job: read its rows, run the template batch by batch, commit each batch's results.

Job state lives in the database. The status (and which process owns the run) is re-read before every
batch, and at most once a second inside a generative batch (models/interrupt.py), so a pause or cancel
from the UI or the CLI stops the run within about a second once its model is running; rows that already
have a result are skipped, so a run that was interrupted continues where it stopped.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from sqlalchemy.exc import DatabaseError, OperationalError

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Job
from workbench.db.session import database_problem, session_scope
from workbench.errors import RowsFailed, WorkbenchError
from workbench.io.rows import RowText, row_texts
from workbench.io.stream import iter_frames
from workbench.jobs import measure
from workbench.jobs.estimate import BatchCosts
from workbench.jobs.memory import MemoryReturn
from workbench.models import interrupt
from workbench.models.registry import load_encoder, load_generator
from workbench.tasks.base import RowOutput, Task
from workbench.tasks.spec import spec_from_dict

OnBatch = Callable[[Job], None]


def run_job(settings: Settings, job_id: int, on_batch: OnBatch | None = None, encoder_loader=None,
            generator_loader=None) -> str:
    """Run a job that is already marked running; returns its final status."""
    loader = encoder_loader or (lambda name: load_encoder(settings, name))
    generator = generator_loader or (lambda name: load_generator(settings, name))
    owner = _runner_pid(settings, job_id)  # a pause and a quick resume may hand the job to another process
    measure.watch_processor()
    try:
        task, pending, costs = _prepare(settings, job_id, loader, generator, owner)
        memory = MemoryReturn()
        for batch, rest_of_window in pending:
            if not _still_running(settings, job_id, owner):
                break
            job = _run_batch(settings, job_id, task, batch, costs, rest_of_window, owner)
            memory.after_batch()
            if on_batch:
                on_batch(job)
        else:  # every row answered (not paused or cancelled)
            _time_single_rows(settings, job_id, task, owner)
    except interrupt.Interrupted:
        pass  # paused or cancelled mid-batch: that batch's rows are run again on resume
    except WorkbenchError as exc:
        return _finish(settings, job_id, owner, "failed", str(exc))
    except DatabaseError as exc:  # the server went away mid-job: said in words, not as SQL and its parameters
        traceback.print_exc()
        return _finish(settings, job_id, owner, "failed", f"{database_problem(settings, exc)} Then resume the job: "
                       "it goes on from its last saved row.")
    except Exception as exc:  # a bug must not leave the job "running" forever
        traceback.print_exc()  # for whoever fixes it: worker.log, or the terminal of `workbench run`
        return _finish(settings, job_id, owner, "failed", _unexpected_failure(exc))
    return _finish(settings, job_id, owner, *_outcome(settings, job_id))


def _unexpected_failure(exc: Exception) -> str:
    """What a user can do about a failure the app did not foresee; the traceback goes to the log, not the page."""
    return (f"The job stopped on a problem the app did not expect ({type(exc).__name__}: {exc}). Resume it to try "
            "again from where it stopped; if it stops the same way, send worker.log from the app's data folder (or "
            "what the terminal printed, for `workbench run`) to whoever looks after this app.")


def _outcome(settings: Settings, job_id: int) -> tuple[str, str | None]:
    """Completed, unless every row failed: then the job failed, with the first row's reason."""
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        if job.done_rows or not job.failed_rows:
            return "completed", None
        first = repo.first_row_error(session, job_id)
    return "failed", f"Every row failed. The first error: {first}"


def _prepare(settings: Settings, job_id: int, loader, generator_loader,
             owner: int | None) -> tuple[Task, Iterator[tuple], BatchCosts]:
    """The task, set up and adapted, the batches of rows still to run, read from the file as they go, each with what
    is left of its window after it, and the costs of the rows answered while adapting (for the time left)."""
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        job.seconds_left = None  # an estimate from an earlier run; this run makes its own after its first batch
        done = repo.processed_row_indexes(session, job_id)
    spec = spec_from_dict(job.spec)
    loaded = []
    task = spec.build(lambda name: _remember(loaded, loader(name)), lambda name: _remember(loaded, generator_loader(name)))
    started = time.perf_counter()
    # Set-up and adapting can run a model for a while (classify's second opinion checks itself on 200 rows), so a
    # pause or cancel stops them too.
    with interrupt.stop_when(lambda: not _still_running(settings, job_id, owner), STATUS_CHECK_SECONDS):
        task.setup()
        loading = time.perf_counter() - started
        sample = adaptation_sample(chain.from_iterable(_row_chunks(settings, job)))
        task.adapt(sample)
    adapting = time.perf_counter() - started - loading
    _count_setup_time(settings, job_id, owner, loading + adapting, loading, task.notes)
    _record_model(settings, job_id, owner, loaded)
    windows = (_length_sorted([r for r in chunk if r.index not in done]) for chunk in _row_chunks(settings, job))
    limits = BatchLimits(task.batch_size, task.first_batch_size or task.batch_size, task.batch_chars)
    return task, _run_batches(windows, limits), _costs(task, sample, adapting)


def _costs(task: Task, sample: list[str], adapting: float) -> BatchCosts:
    """The time left is priced by the batches run; rows the task answered while adapting (classify embeds its first
    5,000) cost their share of the adapting, not the instants their batches then take: priced by those, a 100,000-row
    job read "about 3 s left" with 35 minutes to go (trust audit)."""
    costs = BatchCosts()
    if sample and task.knows(sample):
        costs.add(len(sample), sum(map(len, sample)), adapting)
    return costs


def _row_chunks(settings: Settings, job: Job) -> Iterator[list[RowText]]:
    """The job's rows as the model reads them, a window of the file at a time."""
    columns = spec_from_dict(job.spec).text
    for frame in iter_frames(Path(job.input_path), sheet=job.sheet, nrows=job.row_limit, chunk_rows=SORT_WINDOW,
                             header_row=job.header_row):
        yield row_texts(frame, columns, settings.max_cell_chars)


@dataclass(frozen=True)
class BatchLimits:
    """How much a batch holds: `rows`, the run's first `first_rows` (so that the first rows show early), and at most
    `chars` characters, the first batch its share of them (a row longer than that is a batch alone)."""

    rows: int
    first_rows: int
    chars: int | None = None

    def after_the_first(self) -> BatchLimits:
        return BatchLimits(self.rows, self.rows, self.chars)

    def of_a_batch(self, first: bool) -> tuple[int, int | None]:
        rows = self.first_rows if first else self.rows
        return rows, self.chars and self.chars * rows // self.rows


def _run_batches(windows: Iterator[list[RowText]], limits: BatchLimits) -> Iterator[tuple]:
    """The batches of every window; the run's first batch is the smaller, whichever window it is in (a resumed run
    starts where the last one stopped)."""
    for window in windows:
        yield from _batches(window, limits)
        if window:
            limits = limits.after_the_first()


ADAPT_SAMPLE_ROWS = 5000


def adaptation_sample(rows: Iterable[RowText], size: int = ADAPT_SAMPLE_ROWS) -> list[str]:
    """The job's first readable rows: the same sample on every run, so a resumed job answers alike.

    Only as many rows are read as the sample needs, however long the file.
    """
    return list(islice((r.text for r in rows if r.error is None), size))


def _time_single_rows(settings: Settings, job_id: int, task: Task, owner: int | None) -> None:
    """A comparison's job, its rows answered, answers its first rows again one at a time for their latency (once:
    a job resumed after that keeps the figures it has)."""
    if not _still_running(settings, job_id, owner):
        return  # paused or cancelled after its last batch: the next model may be starting already
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        wanted = repo.get_comparison(session, job.comparison_id).latency_rows if job.comparison_id else 0
        if not wanted or measure.LATENCY in (job.measurements or {}):
            return
    texts = adaptation_sample(chain.from_iterable(_row_chunks(settings, job)), wanted)
    task.forget_seen_rows()  # timed as rows arriving one by one, not as rows already embedded while adapting
    with interrupt.stop_when(lambda: not _still_running(settings, job_id, owner), STATUS_CHECK_SECONDS):
        latencies = measure.single_row_latencies(task.run_batch, texts)
    with session_scope(settings) as session:
        if not repo.hold_for_saving(session, job_id, owner):
            return
        job = repo.get_job(session, job_id)
        job.measurements = {**measure.after_batch(job.measurements, repo.others_running(session, job_id)),
                            measure.LATENCY: latencies}


def _count_setup_time(settings: Settings, job_id: int, owner: int | None, seconds: float, loading: float,
                      notes: list[str]) -> None:
    """Loading the model and adapting to the job's rows is work the job waits for, so rows/s counts it: a
    classify job's rows are embedded while adapting, and its batches alone read as 89,000 rows/s. The loading part
    is kept apart too: it is the same for 10 rows as for 100,000, so a comparison leaves it out of a model's speed,
    and so is adapting again in a resumed run (its first rows are answered already: no work on rows, only the pause's
    cost). The template's notes of this run replace the last run's (a resumed job sets up on the same rows)."""
    with session_scope(settings) as session:
        if not repo.hold_for_saving(session, job_id, owner):
            return  # paused and resumed in another process meanwhile: the figures are that run's to write
        job = repo.get_job(session, job_id)
        job.busy_seconds += seconds
        job.measurements = measure.after_setup(job.measurements, loading, seconds - loading, notes)


def _remember(loaded: list, model):
    loaded.append(model)
    return model


def _record_model(settings: Settings, job_id: int, owner: int | None, loaded: list) -> None:
    """Snapshot the manifest of the model the job really runs with, and of any other it uses (an extract job's
    choice fields are classified by the encoder beside the generator)."""
    manifests = list({m.manifest.name: m.manifest.model_dump() for m in loaded}.values())
    if manifests:
        with session_scope(settings) as session:
            if repo.hold_for_saving(session, job_id, owner):  # or another run, resumed elsewhere, records its own
                repo.get_job(session, job_id).model = {**manifests[0], "other_models": manifests[1:]}


SORT_WINDOW = 2048
# How often model work inside a batch asks whether the job was paused or cancelled (one small database read).
STATUS_CHECK_SECONDS = 1.0


def _length_sorted(window: list[RowText]) -> list[RowText]:
    """Rows of similar length share a batch, so little compute goes to padding.

    Sorting happens within a window of nearby rows (a chunk of the file), so progress still moves
    through the file in order and results are committed for a contiguous stretch of it at a time.
    """
    return sorted(window, key=lambda r: len(r.text))


def _batches(rows: list[RowText], limits: BatchLimits) -> Iterator[tuple[list[RowText], tuple[int, int]]]:
    """The window's batches within `limits`, each with the rows and characters of the window after it (for the time
    left)."""
    chars_from = [0] * (len(rows) + 1)  # chars_from[i]: characters of rows[i:]
    for i in reversed(range(len(rows))):
        chars_from[i] = chars_from[i + 1] + len(rows[i].text)
    start = 0
    while start < len(rows):
        end = _batch_end(rows, start, *limits.of_a_batch(first=start == 0))
        yield rows[start:end], (len(rows) - end, chars_from[end])
        start = end


def _batch_end(rows: list[RowText], start: int, size: int, chars: int | None) -> int:
    """Where the batch from `start` ends: after `size` rows, or before the row that takes it over `chars`."""
    end, held = min(start + size, len(rows)), 0
    for position in range(start, end):
        held += len(rows[position].text)
        if chars is not None and held > chars and position > start:
            return position
    return end


def _runner_pid(settings: Settings, job_id: int) -> int | None:
    with session_scope(settings) as session:
        return repo.run_state(session, job_id)[1]


def _still_running(settings: Settings, job_id: int, owner: int | None) -> bool:
    """Running, and by this run: paused and resumed meanwhile, the job belongs to the process that claimed it."""
    with session_scope(settings) as session:
        return repo.run_state(session, job_id) == ("running", owner)


def _run_batch(settings: Settings, job_id: int, task: Task, batch: list[RowText], costs: BatchCosts,
               rest_of_window: tuple[int, int], owner: int | None) -> Job:
    started = time.perf_counter()
    runnable = [r for r in batch if r.error is None]
    with interrupt.stop_when(lambda: not _still_running(settings, job_id, owner), STATUS_CHECK_SECONDS):
        outputs, one_by_one = _outputs_or_errors(task, runnable)
    seconds = time.perf_counter() - started if runnable else 0.0  # rows failed before running: nothing timed
    texts = [r.text for r in runnable]
    # A batch re-run row by row is no guide to how long the next batches take, nor is one answered while adapting.
    if not one_by_one and not task.knows(texts):
        costs.add(len(runnable), sum(map(len, texts)), seconds)
    records = [_record(r, outputs.get(r.index), seconds * 1000 / max(len(runnable), 1)) for r in batch]
    waits = iter(SAVE_RETRY_SECONDS)
    while True:
        try:
            return _saved(settings, job_id, owner, records, seconds, len(runnable), costs, rest_of_window)
        except OperationalError as exc:
            if disk_full(exc):  # waiting does not free space: 42 s of retries, then two tracebacks
                raise WorkbenchError(DISK_FULL) from None
            wait = next(waits, None)
            if wait is None:
                raise
            time.sleep(wait)  # another writer held the database past its busy timeout: the batch's answers are kept


DISK_FULL = ("The disk holding the app's data folder is full: this batch's answers could not be saved. The rows saved "
             "before it are kept. Free some space, then resume the job.")


def disk_full(exc: OperationalError) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's "No space left on device"."""
    said = str(exc.orig).lower()
    return "disk is full" in said or "no space left" in said


# A batch's answers (minutes of a generator's work) are saved again after these waits when the database stays locked
# past its 10 s busy timeout (a large job's deletion, a slow disk), instead of failing the job.
SAVE_RETRY_SECONDS = (2.0, 10.0, 30.0)


def _saved(settings: Settings, job_id: int, owner: int | None, records: list[dict], seconds: float, timed: int,
           costs: BatchCosts, rest_of_window: tuple[int, int]) -> Job:
    with session_scope(settings) as session:
        if not repo.hold_for_saving(session, job_id, owner):
            raise interrupt.Interrupted  # resumed by another process meanwhile, which runs these rows itself
        job = repo.get_job(session, job_id)
        repo.save_results(session, job, records, seconds, timed)
        job.measurements = measure.after_batch(job.measurements, repo.others_running(session, job_id))
        job.seconds_left = costs.seconds_left(job.total_rows - job.done_rows - job.failed_rows, *rest_of_window)
        return job


def _outputs_or_errors(task: Task, rows: list[RowText]) -> tuple[dict[int, RowOutput | str], bool]:
    """Outputs by row; if the batch fails, each row is tried alone so one bad row fails only itself (then True)."""
    if not rows:
        return {}, False
    try:
        return dict(zip((r.index for r in rows), task.run_batch([r.text for r in rows]), strict=True)), False
    except RowsFailed as failed:  # those rows fail alone; the others are answered together again
        rest = [row for position, row in enumerate(rows) if position not in failed.errors]
        if len(rest) == len(rows):  # it named no row of this batch: each is tried alone
            return {r.index: _run_one(task, r) for r in rows}, True
        answered = _outputs_or_errors(task, rest)[0]
        return {**answered, **{rows[position].index: error for position, error in failed.errors.items()}}, True
    except Exception:
        return {r.index: _run_one(task, r) for r in rows}, True


def _run_one(task: Task, row: RowText) -> RowOutput | str:
    """The row's output, or why it has none: our own errors say what to do as they are ("The text is too long…")."""
    try:
        return task.run_batch([row.text])[0]
    except WorkbenchError as exc:
        return str(exc)
    except Exception as exc:
        return f"The model could not answer this row ({type(exc).__name__}: {exc})."


def _record(row: RowText, output: RowOutput | str | None, latency_ms: float) -> dict:
    if isinstance(output, RowOutput):
        return {"row_index": row.index, "outputs": output.outputs, "confidence": output.confidence,
                "status": "ok", "error": None, "latency_ms": latency_ms}
    error = row.error or output or "No output"
    return {"row_index": row.index, "outputs": {}, "confidence": None, "status": "failed",
            "error": error, "latency_ms": None}


def _finish(settings: Settings, job_id: int, owner: int | None, status: str, error: str | None = None) -> str:
    """The job's end saved; where the disk is full it cannot be, so it is said here (the job, left "running" under a
    process that has ended, goes back to the queue once there is space)."""
    try:
        with session_scope(settings) as session:
            return repo.finish_if_running(session, job_id, status, error, runner_pid=owner)
    except OperationalError as exc:
        if not disk_full(exc):
            raise
        print(error or DISK_FULL, file=sys.stderr, flush=True)
        return status
