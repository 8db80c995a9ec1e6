"""Repository functions: each takes a session and never commits (the caller owns the unit of work)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workbench.db.schema import Comparison, Job, Result, Review, Template, Upload, utcnow
from workbench.errors import JobStateError, NotFoundError
from workbench.io.rows import EMPTY_ROW, OVER_LENGTH_LIMIT, TOO_LONG_FOR_THE_MODEL

# Which status a job may move to from each status; anything else is a bug or a race and raises.
JOB_TRANSITIONS: dict[str, set[str]] = {
    "queued": {"running", "cancelled", "paused"},
    "running": {"completed", "failed", "cancelled", "queued", "paused"},
    "paused": {"queued", "cancelled"},
    "completed": {"queued"},  # only to retry its failed rows
    "failed": {"queued"},
    "cancelled": {"queued"},
}
ACTIVE_STATUSES = ("queued", "running")
# A deleted job's row, emptied, kept only for its number (delete_job).
DELETED = "deleted"


def add_upload(session: Session, filename: str, stored_path: str, sha256: str, size_bytes: int) -> Upload:
    return _added(session, Upload(filename=filename, stored_path=stored_path, sha256=sha256, size_bytes=size_bytes))


def create_job(session: Session, **fields: Any) -> Job:
    return _added(session, Job(**fields))


def _added(session: Session, row):
    session.add(row)
    session.flush()  # gives the row its id
    return row


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    return _found(job if job is None or job.status != DELETED else None,
                  f"There is no job #{job_id}. The Jobs page (or `workbench jobs list`) shows the jobs there are.")


def _found(row, missing: str):
    if row is None:
        raise NotFoundError(missing)
    return row


# The jobs a list shows, newest first: a page of 320 jobs took 7-8 s to draw.
LISTED_JOBS = 200


def list_jobs(session: Session, every: bool = False) -> list[Job]:
    """The newest LISTED_JOBS jobs, newest first; with `every`, all of them."""
    query = select(Job).where(Job.status != DELETED).order_by(Job.id.desc())
    return list(session.scalars(query if every else query.limit(LISTED_JOBS)))


def count_jobs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Job).where(Job.status != DELETED)) or 0


# Jobs someone is waiting on or may come back to: the Jobs page shows them all, above the stopped ones.
UNFINISHED_STATUSES = (*ACTIVE_STATUSES, "paused")


def unfinished_jobs(session: Session) -> list[Job]:
    """Every queued, running or paused job, newest first."""
    return list(session.scalars(select(Job).where(Job.status.in_(UNFINISHED_STATUSES)).order_by(Job.id.desc())))


def _stopped(query):
    return query.where(Job.status != DELETED, Job.status.not_in(UNFINISHED_STATUSES))


def stopped_jobs(session: Session, skip: int, count: int) -> list[Job]:
    """One page of the completed, failed and cancelled jobs, newest first."""
    query = _stopped(select(Job)).order_by(Job.id.desc()).offset(skip).limit(count)
    return list(session.scalars(query))


def count_stopped_jobs(session: Session) -> int:
    return session.scalar(_stopped(select(func.count()).select_from(Job))) or 0


# PostgreSQL advisory lock keys, one per kind of read-then-write (migrations.py has its own).
WRITE_LOCKS = {"templates": 7_341_002, "claims": 7_341_003}


def hold_write_lock(session: Session, purpose: str) -> None:
    """Take the write lock before reading what a write depends on, held to the session's end. Python's sqlite3 begins
    a transaction only at the first INSERT or UPDATE, so two sessions could read the same "latest version" or "nothing
    running" and both write: two templates saved at once under one name failed with a traceback, and a comparison's
    job started beside another. On PostgreSQL it is an advisory lock per purpose."""
    dialect = session.get_bind().dialect.name
    connection = session.connection()
    if dialect == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # a write already holds it
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits out the busy timeout for the lock
    elif dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCKS[purpose]})


def set_status(session: Session, job: Job, status: str, error: str | None = None, same_runner: bool = False) -> Job:
    """Move the job from the status it was read with to `status`. A guarded UPDATE: a change another process made
    since (a cancel, a run's end, a deletion, another run's claim where `same_runner`) is never written over, and
    JobStateError says what the job is now. Python's sqlite3 takes no lock for the read, so the check alone let a
    Pause pressed as a run ended turn the failed run "paused", and a Cancel bring a deleted job back."""
    if status not in JOB_TRANSITIONS.get(job.status, set()):
        raise JobStateError(f"Job #{job.id} is {job.status}; it cannot become {status}.")
    now = utcnow()
    values = {"status": status, "updated_at": now, "error": error,
              **({"started_at": now} if status == "running" and job.started_at is None else {}),
              # A job run again is no longer finished (a retry of its failed rows, a requeue).
              "finished_at": now if status in ("completed", "failed", "cancelled") else None if status in
              ("queued", "running") else job.finished_at}
    as_read = (Job.id == job.id, Job.status == job.status, *((Job.runner_pid == job.runner_pid,) if same_runner else ()))
    guarded = update(Job).where(*as_read).values(**values).execution_options(synchronize_session=False)
    if session.execute(guarded).rowcount != 1:
        raise JobStateError(f"Job #{job.id} was changed meanwhile (it is now {current_status(session, job.id)}); it "
                            f"cannot become {status}. Look at it again.")
    for key, value in values.items():  # the object as the row now is, with nothing left to write
        set_committed_value(job, key, value)
    return job


def finish_if_running(session: Session, job_id: int, status: str, error: str | None = None,
                      runner_pid: int | None = None) -> str:
    """End a run; a guarded UPDATE so a cancel that landed meanwhile is never overwritten, nor (given the run's
    runner_pid) a newer run of the job, claimed by another process after a pause and a resume."""
    if status not in JOB_TRANSITIONS["running"]:
        raise JobStateError(f"A running job cannot become {status}.")
    now = utcnow()
    ours = (Job.id == job_id, *((Job.runner_pid == runner_pid,) if runner_pid is not None else ()))
    session.execute(update(Job).where(*ours, Job.status == "running")
                    .values(status=status, error=error, finished_at=now, updated_at=now))
    session.execute(update(Job).where(*ours).values(runner_pid=None))
    return current_status(session, job_id)


def current_status(session: Session, job_id: int) -> str:
    """Read the status straight from the database, past any cached object."""
    return session.execute(select(Job.status).where(Job.id == job_id)).scalar_one()


def run_state(session: Session, job_id: int) -> tuple[str, int | None]:
    """The status and the process running the job, and nothing else: asked every second of a run, it must not
    load the job's settings (a spec with thousands of examples)."""
    status, runner_pid = session.execute(select(Job.status, Job.runner_pid).where(Job.id == job_id)).one()
    return status, runner_pid


def claim_next_queued(session: Session, runner_pid: int, passed_over: frozenset[int] = frozenset()) -> Job | None:
    """Move the oldest queued job to running; the guarded UPDATE makes two workers never share one.

    A comparison's job runs alone, in its turn: its speed and memory are the figures it is there for. While
    one runs nothing starts, and while one waits for the running jobs to end, the jobs queued after it wait too.
    A job in `passed_over` waits: one paused and resumed while its last process has not ended yet, or one whose input
    this machine cannot read (worker.inputs_elsewhere).
    """
    hold_write_lock(session, "claims")  # or a comparison's job claimed between this read and the claim runs beside it
    running = _running_comparison_ids(session)
    for job_id, comparison_id in session.execute(select(Job.id, Job.comparison_id).where(Job.status == "queued").order_by(Job.id)):
        if job_id in passed_over:
            continue
        if _must_wait(running, comparison_id):
            return None  # and so do the jobs queued after it
        if claim_job(session, job_id, runner_pid):
            return session.get(Job, job_id, populate_existing=True)
    return None


def _running_comparison_ids(session: Session) -> list[int | None]:
    """The comparison of every running job (None for a job of no comparison)."""
    return list(session.scalars(select(Job.comparison_id).where(Job.status == "running")).all())


def _must_wait(running: list[int | None], comparison_id: int | None) -> str | None:
    """Why a queued job may not start now: "comparison" while a comparison's job runs; "alone" for a comparison's
    job while any job runs."""
    if any(c is not None for c in running):
        return "comparison"
    return "alone" if running and comparison_id is not None else None


def held_by_comparisons(session: Session, job: Job) -> str | None:
    """Why a queued job waits where the queue alone would not make it (claim_next_queued's rule): "comparison" also
    when a comparison's job queued ahead of it waits its turn."""
    queued_ahead = (Job.status == "queued") & (Job.id < job.id) & Job.comparison_id.is_not(None)
    if session.scalar(select(func.count()).where(queued_ahead)):
        return "comparison"
    return _must_wait(_running_comparison_ids(session), job.comparison_id)


def queued_inputs(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Job.id, Job.input_path).where(Job.status == "queued")).tuples())


def queued_before(session: Session, job_id: int) -> int:
    return session.scalar(select(func.count()).where(Job.status == "queued", Job.id < job_id))


def others_running(session: Session, job_id: int) -> bool:
    return session.scalar(select(func.count()).where(Job.status == "running", Job.id != job_id)) > 0


RESUMABLE = ("queued", "paused", "cancelled", "failed")


def resume(session: Session, job_id: int, runner_pid: int | None = None) -> bool:
    """Put a stopped job back in the queue, or straight into running for runner_pid; False if it cannot."""
    values = {"status": "running", **runner(runner_pid)} if runner_pid else {"status": "queued"}
    resumed = session.execute(
        update(Job).where(Job.id == job_id, Job.status.in_(RESUMABLE))
        .values(error=None, finished_at=None, updated_at=utcnow(), **values)
    )
    return resumed.rowcount == 1


def runner(pid: int) -> dict[str, Any]:
    """A job's runner: a process of this machine."""
    return {"runner_pid": pid, "runner_host": socket.gethostname()}


def orphan_candidates(session: Session, shared: bool) -> list[Job]:
    """Running jobs whose runner this machine can check. In a `shared` database (a server several machines may use):
    its own, as another machine's pids mean nothing here (a worker there took them over and back, each thinking the
    other's process dead), and those of before hosts were kept. In its own SQLite file every one: the machine's name
    may have changed since (a renamed laptop), which left a dead run "running" for good."""
    query = select(Job).where(Job.status == "running")
    if shared:
        query = query.where(or_(Job.runner_host == socket.gethostname(), Job.runner_host.is_(None)))
    return list(session.scalars(query).all())


def claim_job(session: Session, job_id: int, runner_pid: int) -> bool:
    """Mark one queued job as running in this process; False if someone else got it first."""
    now = utcnow()
    claimed = session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", **runner(runner_pid), updated_at=now, started_at=func.coalesce(Job.started_at, now))
    )
    return claimed.rowcount == 1


def save_results(session: Session, job: Job, rows: Iterable[dict[str, Any]], seconds: float = 0.0,
                 timed_rows: int = 0) -> None:
    """Store one batch of row results and advance the job's counters (rows, and the seconds the batch took
    to run `timed_rows` of them) in the same transaction."""
    rows = list(rows)
    session.add_all(Result(job_id=job.id, **row) for row in rows)
    job.done_rows += sum(1 for row in rows if row["status"] == "ok")
    job.failed_rows += sum(1 for row in rows if row["status"] != "ok")
    job.busy_seconds += seconds
    job.busy_rows += timed_rows
    job.updated_at = utcnow()
    session.flush()


def hold_for_saving(session: Session, job_id: int, runner_pid: int | None) -> bool:
    """Whether the run of runner_pid still holds the job, its write lock taken in the same statement: a batch finished
    after a pause and a resume in another process must not be saved, as the new run has listed its rows to do too
    (saving both broke the one result a row rule). None: a run that claimed no process (tests)."""
    if runner_pid is None:
        return True
    held = update(Job).where(Job.id == job_id, Job.runner_pid == runner_pid).values(updated_at=utcnow())
    return session.execute(held).rowcount == 1


def processed_row_indexes(session: Session, job_id: int) -> set[int]:
    return set(session.scalars(select(Result.row_index).where(Result.job_id == job_id)))


def first_row_error(session: Session, job_id: int) -> str | None:
    query = select(Result.error).where(Result.job_id == job_id, Result.status != "ok").order_by(Result.row_index)
    return session.scalars(query.limit(1)).first()


def job_results(session: Session, job_id: int, rows: tuple[int, int] | None = None) -> list[Result]:
    """The job's results in row order; `rows` (first, last) keeps only that stretch of the file."""
    return list(session.scalars(_in_row_order(select(Result), job_id, rows)))


class Answer(NamedTuple):
    row_index: int
    outputs: dict[str, Any] | None
    error: str | None


def job_answers(session: Session, job_id: int, rows: tuple[int, int] | None = None) -> list[Answer]:
    """As job_results, only each row's number, outputs and error, as plain rows: for 100,000 rows, building the
    results' full objects took 2.8 s of the Job results page's 6 s. The outputs are read as text and decoded in one
    piece: decoded one row at a time they took 0.9 of the remaining 1.1 s."""
    query = select(Result.row_index, cast(Result.outputs, Text), Result.error)
    found = session.execute(_in_row_order(query, job_id, rows)).all()
    outputs = json.loads("[" + ",".join(text or "null" for _, text, _ in found) + "]")
    return [Answer(row, output, error) for (row, _, error), output in zip(found, outputs, strict=True)]


def _in_row_order(query, job_id: int, rows: tuple[int, int] | None):
    """The query's results of the job, in row order; `rows` (first, last) keeps only that stretch of the file."""
    query = query.where(Result.job_id == job_id)
    if rows is not None:
        query = query.where(Result.row_index.between(*rows))
    return query.order_by(Result.row_index)


def clear_results(session: Session, job_id: int) -> None:
    session.execute(delete(Review).where(Review.job_id == job_id))  # a review is of answers that are gone
    session.execute(delete(Result).where(Result.job_id == job_id))


def answered_row(session: Session, job_id: int, row_index: int) -> Result | None:
    """The row's result if the model answered it (not failed, not yet run)."""
    return session.scalar(select(Result).where(Result.job_id == job_id, Result.row_index == row_index,
                                               Result.status == "ok"))


def answered_outputs(session: Session, job_id: int, rows: list[int]) -> dict[int, dict[str, Any]]:
    """The model's answers of the given rows, in one query ({} for a row without an answer)."""
    query = select(Result.row_index, Result.outputs).where(Result.job_id == job_id, Result.status == "ok",
                                                           Result.row_index.in_(rows))
    return {row: {} for row in rows} | dict(session.execute(query).tuples().all())


def answered_rows(session: Session, job_id: int) -> set[int]:
    return set(session.scalars(select(Result.row_index).where(Result.job_id == job_id, Result.status == "ok")))


def save_review(session: Session, job_id: int, row_index: int, corrections: dict[str, Any]) -> None:
    """Record (or replace) a person's review of one row, in one statement: two reviewers saving the same row at once
    (the review queue shows everyone the same first rows) each had the row missing, and the second's insert failed."""
    values = {"job_id": job_id, "row_index": row_index, "corrections": corrections, "reviewed_at": utcnow()}
    upsert = _insert_for(session)(Review).values(**values)
    session.execute(upsert.on_conflict_do_update(index_elements=[Review.job_id, Review.row_index],
                                                 set_={"corrections": corrections, "reviewed_at": values["reviewed_at"]}))


def _insert_for(session: Session):
    """The INSERT of this database's dialect, which can say what to do with a row that is already there."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def remove_review(session: Session, job_id: int, row_index: int) -> None:
    session.execute(delete(Review).where(Review.job_id == job_id, Review.row_index == row_index))


def count_reviews(session: Session, job_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Review).where(Review.job_id == job_id)) or 0


def job_reviews(session: Session, job_id: int, rows: tuple[int, int] | None = None) -> dict[int, dict[str, Any]]:
    """Each reviewed row's corrections (empty: the answers were right); `rows` (first, last) as in job_results."""
    query = select(Review.row_index, Review.corrections).where(Review.job_id == job_id)
    if rows is not None:
        query = query.where(Review.row_index.between(*rows))
    return {row_index: corrections for row_index, corrections in session.execute(query)}


def clear_failed_results(session: Session, job: Job) -> int:
    """Forget the rows that failed and could do otherwise, so the next run tries them again; returns how many."""
    removed = session.execute(delete(Result).where(*_retryable(job))).rowcount
    job.failed_rows = max(job.failed_rows - removed, 0)
    return removed


def count_retryable_failures(session: Session, job: Job) -> int:
    return session.scalar(select(func.count()).select_from(Result).where(*_retryable(job))) or 0


def _retryable(job: Job) -> tuple:
    """A failed row, unless it is empty, over the length limit or too long for the model: those fail the same way
    however often they run."""
    error = func.coalesce(Result.error, "")
    return (Result.job_id == job.id, Result.status != "ok", error.not_like(f"{EMPTY_ROW}%"),
            error.not_like(f"{OVER_LENGTH_LIMIT}%"), error.not_like(f"{TOO_LONG_FOR_THE_MODEL}%"))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).where(Job.status != DELETED).group_by(Job.status))
    return {status: count for status, count in rows}


def save_template(session: Session, name: str, task: str, spec: dict[str, Any]) -> Template:
    """Save a new version of the named template; earlier versions stay."""
    latest = session.scalar(select(func.max(Template.version)).where(Template.name == name)) or 0
    return _added(session, Template(name=name, task=task, spec=spec, version=latest + 1))


def list_templates(session: Session) -> list[Template]:
    kept = select(Template).where(Template.deleted_at.is_(None))
    return list(session.scalars(kept.order_by(Template.name, Template.version.desc())))


def create_comparison(session: Session, **fields: Any) -> Comparison:
    return _added(session, Comparison(**fields))


def get_comparison(session: Session, comparison_id: int) -> Comparison:
    return _found(session.get(Comparison, comparison_id),
                  f"There is no comparison #{comparison_id}. The Benchmark page lists the comparisons there are.")


def list_comparisons(session: Session) -> list[Comparison]:
    return list(session.scalars(select(Comparison).where(Comparison.removed_at.is_(None)).order_by(Comparison.id.desc())))


def comparison_jobs(session: Session, comparison_id: int) -> list[Job]:
    kept = (Job.comparison_id == comparison_id, Job.status != DELETED)
    return list(session.scalars(select(Job).where(*kept).order_by(Job.id)))


def delete_job(session: Session, job: Job) -> None:
    """The job's answers, reviews and everything it said about its input. Its row stays, emptied, so its number is
    never given to another job: SQLite gives the next job the highest number in use plus one, and a bookmark or a
    note about job #22 would then show another job. The status is changed first, guarded as set_status guards it: a
    job resumed meanwhile is not deleted under its run."""
    now = utcnow()
    if session.execute(update(Job).where(Job.id == job.id, Job.status == job.status).values(status=DELETED, updated_at=now)
                       .execution_options(synchronize_session=False)).rowcount != 1:
        raise JobStateError(f"Job #{job.id} was changed meanwhile (it is now {current_status(session, job.id)}); "
                            "look at it again before deleting it.")
    for table in (Result, Review):
        session.execute(delete(table).where(table.job_id == job.id))
    set_committed_value(job, "status", DELETED)
    job.name, job.spec, job.model, job.input_path = "", {}, {}, ""
    job.sheet = job.error = job.measurements = job.runner_pid = job.upload_id = None
    session.flush()


def jobs_reading(session: Session, stored_path: str) -> int:
    return session.scalar(select(func.count()).select_from(Job).where(Job.input_path == stored_path)) or 0


def unused_uploads(session: Session, before: datetime) -> list[Upload]:
    """Uploads no job reads, stored before `before` (a newer one may be on a New job page, about to become a job)."""
    read = select(Job.input_path)
    return list(session.scalars(select(Upload).where(Upload.stored_path.not_in(read), Upload.created_at < before)))


def forget_uploads_of(session: Session, stored_path: str) -> None:
    session.execute(delete(Upload).where(Upload.stored_path == stored_path))
