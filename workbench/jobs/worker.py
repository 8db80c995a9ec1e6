"""The background worker: a process of its own that runs queued jobs, so closing the browser stops nothing.

Started by `workbench serve` and, if it is not alive, by the app itself. One worker per data folder
(a pid file guards it); it runs up to WORKBENCH_WORKER_SLOTS jobs at once (2 by default), each in a
process of its own. It re-queues jobs whose runner died, so they continue where they stopped.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from workbench.config import SPINNING_VARIABLE, THREADS_VARIABLE, Settings, get_settings
from workbench.db import repo
from workbench.db.schema import Job, utcnow
from workbench.db.session import session_scope
from workbench.errors import JobStateError
from workbench.jobs.runner import run_job
from workbench.processes import modified_at, pid_alive

POLL_SECONDS = 1.0


def pid_file(settings: Settings) -> Path:
    """This machine's worker: machines sharing a data folder (and a database) each run one, and a pid written by
    another machine means nothing here (its pid alive here kept this one from starting any worker)."""
    return settings.data_dir / f"worker.{re.sub(r'[^A-Za-z0-9_.-]', '_', socket.gethostname())}.pid"


def worker_running(settings: Settings) -> bool:
    return _recorded_worker(settings) is not None


def _recorded_worker(settings: Settings) -> int | None:
    """The worker process the pid file names, if it is alive; else one an earlier version of the app started, still
    running after an upgrade (its file had no machine's name: a second worker started beside it, and four jobs ran
    at once on two cores)."""
    legacy = _alive_in(settings.data_dir / LEGACY_PID_FILE)
    # A pid in the old file may be another machine's (it named none): only a worker of this app counts.
    return _alive_in(pid_file(settings)) or (legacy if legacy and _runs_the_worker(legacy) else None)


# Where versions before 2026-11-30 recorded their worker.
LEGACY_PID_FILE = "worker.pid"


def _runs_the_worker(pid: int) -> bool:
    """Whether process `pid` runs this app's worker (Linux's /proc tells; elsewhere it is taken to)."""
    try:
        return b"workbench.jobs.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not Path("/proc/self").exists()


def _alive_in(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid, modified_at(path)) else None


def _other_worker(settings: Settings) -> int | None:
    """A live worker other than this process (ensure_worker names the process it starts before it runs)."""
    pid = _recorded_worker(settings)
    return pid if pid not in (None, os.getpid()) else None


def ensure_worker(settings: Settings) -> bool:
    """Start the worker in its own session if none is alive; returns True when one was started."""
    if worker_running(settings):
        return False
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(settings.data_dir)}
    with open(settings.data_dir / "worker.log", "ab") as log:  # the worker keeps its own copy; this one is closed
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.jobs.worker"], stdout=log, stderr=log, env=env, start_new_session=True
        )
    # Written at once, not when the worker is up, so a second page load does not start another one.
    pid_file(settings).write_text(str(process.pid))
    return True


def requeue_orphans(settings: Settings) -> list[int]:
    """Jobs marked running whose process is gone go back to the queue, unless their process keeps dying at the same
    row: then they fail, with what to do."""
    with session_scope(settings) as session:
        candidates = repo.orphan_candidates(session, shared=bool(settings.database_url))
        orphans = [job for job in candidates if not pid_alive(job.runner_pid, job.updated_at)]
        return [job.id for job in orphans if _requeue_or_give_up(session, job)]


# A process killed by the system (out of memory) on one batch would otherwise be started again and again, for ever.
MAX_DEATHS_AT_ONE_ROW = 3
DEATHS = "process_deaths"  # in the job's measurements: how many times its process died, and at which row


def _requeue_or_give_up(session, job: Job) -> bool:
    """False if the job was changed since it was read (cancelled, or resumed by another process): that change stands."""
    reached = job.done_rows + job.failed_rows
    before = (job.measurements or {}).get(DEATHS) or {}
    deaths = before.get("count", 0) + 1 if before.get("at_row") == reached else 1
    error = None if deaths < MAX_DEATHS_AT_ONE_ROW else (
        f"The job's process stopped {deaths} times at row {reached + 1:,} without an error of its own, so it was not "
        "started again. The machine likely ran out of memory: close other programs, or split the file, then resume the "
        "job. worker.log in the app's data folder may say more.")
    try:  # the status first, guarded on the dead runner; the count of deaths only if it moved
        repo.set_status(session, job, "failed" if error else "queued", error=error, same_runner=True)
    except JobStateError:
        return False
    job.measurements = {**(job.measurements or {}), DEATHS: {"count": deaths, "at_row": reached}}
    return True


def run_next(settings: Settings) -> bool:
    """Run the oldest queued job, if any; returns whether there was one."""
    with session_scope(settings) as session:
        job = repo.claim_next_queued(session, os.getpid())
        job_id = job.id if job else None
    if job_id is None:
        return False
    run_job(settings, job_id)
    return True


def serve_forever(settings: Settings) -> None:
    """Run queued jobs, up to `settings.worker_slots` at once, each in a process of its own."""
    other = _other_worker(settings)
    if other:  # two workers would each fill their slots, and each job would take every core as if alone
        raise JobStateError(f"A worker already runs for this data folder (process {other}); it runs the queued "
                            "jobs. Stop it first to start another.")
    pid_file(settings).write_text(str(os.getpid()))
    # Every job process until it ends, by job: a job paused and resumed at once has its old process still stopping
    # (set-up is not interrupted), which must count against the slots and must end before a new one starts; keyed
    # by job alone, resuming six times ran seven processes of one job.
    running: list[tuple[int, subprocess.Popen]] = []
    unusable_since: float | None = None
    while True:
        running = [(job_id, child) for job_id, child in running if child.poll() is None]
        try:
            # A job left "running" by a process that died (a killed CLI run, a crashed job process) goes
            # back to the queue and continues from its last committed row.
            requeue_orphans(settings)
            requeue_unhanded(settings)
            # Read only while a slot looks free: every second, for each running job, a process is looked up.
            left_running = _left_by_another_worker(settings, {child.pid for _, child in running}) \
                if len(running) < settings.worker_slots else 0
            while len(running) + left_running < settings.worker_slots and (
                    job_id := _claim_next(settings, frozenset(j for j, _ in running))) is not None:
                running.append((job_id, start_job_process(settings, job_id, len(running) + left_running)))
            unusable_since = _database_back(unusable_since)
        except OperationalError as exc:  # the database locked or not writable for a while: the worker waits, not dies
            unusable_since = _database_unusable(unusable_since, exc)
        time.sleep(POLL_SECONDS)


def _left_by_another_worker(settings: Settings, mine: set[int]) -> int:
    """Worker jobs still running in processes this worker did not start: a worker killed and started again left its
    job processes running, and the new one ran as many again beside them (4 jobs on 2 cores, each threaded as if
    alone). Command-line runs are not the worker's and do not count."""
    with session_scope(settings) as session:
        jobs = repo.orphan_candidates(session, shared=bool(settings.database_url))
        return sum(job.source != "cli" and job.runner_pid not in mine and job.runner_pid != os.getpid()
                   and pid_alive(job.runner_pid, job.updated_at) for job in jobs)


def _database_unusable(since: float | None, exc: OperationalError) -> float:
    """Said once in worker.log, not every second: queued jobs wait, and the log says why."""
    if since is None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} The database cannot be used ({exc.orig}); queued jobs wait until "
              "it can.", file=sys.stderr, flush=True)
    return since or time.monotonic()


def _database_back(since: float | None) -> None:
    if since is not None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} The database can be used again after "
              f"{time.monotonic() - since:.0f} s.", file=sys.stderr, flush=True)


def _claim_next(settings: Settings, still_stopping: frozenset[int]) -> int | None:
    with session_scope(settings) as session:
        job = repo.claim_next_queued(session, os.getpid(), still_stopping | inputs_elsewhere(settings, session))
        return job.id if job else None


def inputs_elsewhere(settings: Settings, session) -> frozenset[int]:
    """In a shared database, the queued jobs whose input copy this machine cannot read: another machine made them
    in a data folder of its own, and run here they would only fail as "input file gone". They wait for a worker
    that can read them. In the app's own SQLite file a missing input is the job's failure, said as such."""
    if not settings.database_url:
        return frozenset()
    return frozenset(job_id for job_id, path in repo.queued_inputs(session) if not Path(path).exists())


def start_job_process(settings: Settings, job_id: int, others_running: int, **popen) -> subprocess.Popen:
    """A process for one job; the job names it as its runner, so its death is noticed."""
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(settings.data_dir), **job_thread_settings(settings, others_running)}
    child = subprocess.Popen([sys.executable, "-m", "workbench.jobs.worker", "--job", str(job_id)], env=env, **popen)
    try:
        with session_scope(settings) as session:
            # Named after it started: its start is before updated_at, which tells it from a later process given its pid.
            session.execute(update(Job).where(Job.id == job_id).values(**repo.runner(child.pid), updated_at=utcnow()))
    except OperationalError:
        child.kill()  # never named, it would only wait and leave; the job goes back to the queue (requeue_unhanded)
        raise
    return child


def requeue_unhanded(settings: Settings) -> list[int]:
    """Jobs this worker claimed but could not hand to a process of their own (the database failed in between): still
    "running" under the worker itself, which is alive, so requeue_orphans never saw them."""
    with session_scope(settings) as session:
        unhanded = [job for job in repo.orphan_candidates(session, shared=True) if job.runner_pid == os.getpid()]
        return [job.id for job in unhanded if _requeued(session, job)]


def _requeued(session, job: Job) -> bool:
    try:
        repo.set_status(session, job, "queued", same_runner=True)
    except JobStateError:  # cancelled or paused meanwhile: that stands
        return False
    return True


def job_thread_settings(settings: Settings, others_running: int) -> dict[str, str]:
    """ONNX threads and spinning for one job process; explicit WORKBENCH_THREADS / _SPINNING settings win.

    A job that starts alone takes every core (1.4x the rows/s of one core for the generator); one that
    starts beside another takes its share, and where jobs may share the cores no thread spins while it
    waits, or each job's idle threads would keep stealing the other's cores (docs/benchmarks.md).
    """
    cores = os.cpu_count() or 1
    threads = cores if others_running == 0 else max(1, cores // settings.worker_slots)
    spinning = "1" if settings.worker_slots == 1 else "0"
    return {THREADS_VARIABLE: os.environ.get(THREADS_VARIABLE) or str(threads),
            SPINNING_VARIABLE: os.environ.get(SPINNING_VARIABLE) or spinning}


def run_claimed(settings: Settings, job_id: int) -> None:
    """The job process: wait until the worker has named it as the runner, then run the job. Never named (its worker
    died first, and another worker gave the job to a process of its own): it leaves the job to that one, as two
    processes running one job each write its rows."""
    deadline = time.monotonic() + CLAIM_WAIT_SECONDS
    while get_runner_pid(settings, job_id) != os.getpid():
        if time.monotonic() > deadline:
            print(f"Job #{job_id} was not handed to this process (pid {os.getpid()}); leaving it to its runner.",
                  file=sys.stderr, flush=True)
            return
        time.sleep(0.05)
    run_job(settings, job_id)


CLAIM_WAIT_SECONDS = 30


def get_runner_pid(settings: Settings, job_id: int) -> int | None:
    with session_scope(settings) as session:
        return repo.get_job(session, job_id).runner_pid


if __name__ == "__main__":
    if sys.argv[1:2] == ["--job"]:
        run_claimed(get_settings(), int(sys.argv[2]))
    else:
        try:
            serve_forever(get_settings())
        except JobStateError as exc:
            sys.exit(str(exc))
