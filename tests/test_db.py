import sys

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from workbench.db import repo
from workbench.db.migrations import MIGRATIONS, migrate
from workbench.db.session import engine_for, session_scope
from workbench.errors import JobStateError, NotFoundError

STATUSES = ["queued", "running", "paused", "completed", "failed", "cancelled"]
ALLOWED = {
    ("queued", "running"), ("queued", "cancelled"), ("queued", "paused"),
    ("running", "completed"), ("running", "failed"), ("running", "cancelled"), ("running", "queued"),
    ("running", "paused"), ("paused", "queued"), ("paused", "cancelled"),
    ("failed", "queued"), ("cancelled", "queued"), ("completed", "queued"),
}
FORBIDDEN = sorted({(a, b) for a in STATUSES for b in STATUSES} - ALLOWED)


def _job(session, status="queued", **fields):
    job = repo.create_job(session, name="emails.csv", task="classify", spec={"task": "classify"},
                          input_path="/tmp/emails.csv", total_rows=3, **fields)
    job.status = status
    session.flush()
    return job


def _row(index, status="ok"):
    return {"row_index": index, "outputs": {"label": "billing"} if status == "ok" else {}, "confidence": 0.9,
            "status": status, "error": None if status == "ok" else "boom", "latency_ms": 1.0}


def test_fresh_database_gets_every_migration_once(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert migrate(engine) == [m.__name__ for m in MIGRATIONS]
    assert {"uploads", "templates", "jobs", "results", "schema_migrations"} <= set(inspect(engine).get_table_names())
    assert migrate(engine) == []
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT name FROM schema_migrations ORDER BY name"))]
    assert names == sorted(m.__name__ for m in MIGRATIONS)


def test_migrate_twice_keeps_the_data(settings):
    with session_scope(settings) as session:
        job_id = _job(session).id
    assert migrate(engine_for(settings.db_url)) == []
    with session_scope(settings) as session:
        assert repo.get_job(session, job_id).name == "emails.csv"


def test_a_database_from_before_job_timing_gets_the_columns_and_keeps_its_jobs(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:  # what m001 made before jobs recorded their busy seconds
        migrate_first_only(conn)
        conn.execute(text("INSERT INTO jobs (name, task, spec, model, input_path, source, status, total_rows, done_rows,"
                          " failed_rows, created_at, updated_at) VALUES ('old', 'classify', '{}', '{}', '/tmp/x.csv',"
                          " 'ui', 'completed', 3, 3, 0, '2026-01-01', '2026-01-01')"))
    assert migrate(engine) == ["m002_job_timing", "m003_reviews", "m004_comparisons", "m005_unbounded_names",
                              "m006_runner_host", "m007_header_row"]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, done_rows, busy_seconds, busy_rows, seconds_left, comparison_id, "
                                 "measurements, header_row FROM jobs")).all()
    assert rows == [("old", 3, 0.0, 0, None, None, None, None)]


def migrate_first_only(conn) -> None:
    MIGRATIONS[0](conn)
    conn.execute(text("ALTER TABLE jobs DROP COLUMN busy_seconds"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN seconds_left"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN busy_rows"))
    conn.execute(text("DROP INDEX ix_jobs_comparison_id"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN comparison_id"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN measurements"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN runner_host"))
    conn.execute(text("ALTER TABLE jobs DROP COLUMN header_row"))
    conn.execute(text("ALTER TABLE templates DROP COLUMN deleted_at"))
    conn.execute(text("CREATE TABLE schema_migrations (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP)"))
    conn.execute(text("INSERT INTO schema_migrations (name) VALUES ('m001_initial')"))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(settings):
    with engine_for(settings.db_url).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize("before,after", sorted(ALLOWED))
def test_allowed_transitions(settings, before, after):
    with session_scope(settings) as session:
        job = repo.set_status(session, _job(session, before), after, error="why" if after == "failed" else None)
        assert job.status == after
        assert (job.started_at is not None) == (after == "running")
        assert (job.finished_at is not None) == (after in ("completed", "failed", "cancelled"))
        assert job.error == ("why" if after == "failed" else None)


@pytest.mark.parametrize("before,after", FORBIDDEN)
def test_forbidden_transitions_raise(settings, before, after):
    with session_scope(settings) as session:
        job = _job(session, before)
        with pytest.raises(JobStateError, match=f"Job #{job.id} is {before}; it cannot become {after}"):
            repo.set_status(session, job, after)
        assert repo.current_status(session, job.id) == before


def test_session_scope_rolls_back_on_error(settings):
    with pytest.raises(JobStateError):
        with session_scope(settings) as session:
            job_id = _job(session, "completed").id
            repo.set_status(session, repo.get_job(session, job_id), "running")
    with session_scope(settings) as session:
        assert repo.list_jobs(session) == []


def test_finish_if_running_ends_a_running_job(settings):
    with session_scope(settings) as session:
        job_id = _job(session, "running", runner_pid=1234).id
    with session_scope(settings) as session:
        assert repo.finish_if_running(session, job_id, "failed", "out of memory") == "failed"
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        assert (job.status, job.error, job.runner_pid) == ("failed", "out of memory", None)
        assert job.finished_at is not None


def test_finish_if_running_never_overwrites_a_cancel(settings):
    with session_scope(settings) as session:
        job_id = _job(session, "running", runner_pid=1234).id
    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, job_id), "cancelled")
    with session_scope(settings) as session:
        assert repo.finish_if_running(session, job_id, "completed") == "cancelled"
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        assert (job.status, job.runner_pid) == ("cancelled", None)


def test_finish_if_running_rejects_a_status_a_run_cannot_end_in(settings):
    with session_scope(settings) as session:
        job_id = _job(session, "running").id
        with pytest.raises(JobStateError, match="cannot become running"):
            repo.finish_if_running(session, job_id, "running")
        assert repo.current_status(session, job_id) == "running"


def test_claim_next_queued_takes_the_oldest_and_never_twice(settings):
    with session_scope(settings) as session:
        cancelled, first, second = (_job(session, s).id for s in ("cancelled", "queued", "queued"))
    with session_scope(settings) as session:
        job = repo.claim_next_queued(session, runner_pid=111)
        assert (job.id, job.status, job.runner_pid) == (first, "running", 111)
        assert job.started_at is not None
    with session_scope(settings) as session:
        assert repo.claim_next_queued(session, runner_pid=222).id == second
        assert repo.claim_next_queued(session, runner_pid=333) is None
        assert not repo.claim_job(session, first, runner_pid=333)
    with session_scope(settings) as session:
        assert repo.get_job(session, first).runner_pid == 111
        assert repo.current_status(session, cancelled) == "cancelled"
        assert repo.count_by_status(session) == {"running": 2, "cancelled": 1}


def test_a_job_whose_last_process_is_still_stopping_waits_for_it(settings):
    with session_scope(settings) as session:
        resumed, other = (_job(session, "queued").id for _ in range(2))
    with session_scope(settings) as session:
        assert repo.claim_next_queued(session, runner_pid=111, passed_over=frozenset({resumed})).id == other
        assert repo.claim_next_queued(session, runner_pid=111, passed_over=frozenset({resumed})) is None
    with session_scope(settings) as session:
        assert repo.claim_next_queued(session, runner_pid=111).id == resumed  # once that process has ended


def test_claim_keeps_the_first_start_time_on_resume(settings):
    with session_scope(settings) as session:
        job_id = _job(session).id
        assert repo.claim_job(session, job_id, 1)
        started = repo.get_job(session, job_id).started_at
        repo.set_status(session, repo.get_job(session, job_id), "queued")
        assert repo.claim_job(session, job_id, 2)
        session.expire_all()
        assert repo.get_job(session, job_id).started_at == started


def test_save_results_counts_rows_and_remembers_their_indexes(settings):
    with session_scope(settings) as session:
        job = _job(session, "running")
        repo.save_results(session, job, [_row(0), _row(2, "failed")])
        repo.save_results(session, job, [_row(1)])
        job_id = job.id
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        assert (job.done_rows, job.failed_rows) == (2, 1)
        assert repo.processed_row_indexes(session, job_id) == {0, 1, 2}
        results = repo.job_results(session, job_id)
        assert [(r.row_index, r.status, r.outputs) for r in results] == [
            (0, "ok", {"label": "billing"}), (1, "ok", {"label": "billing"}), (2, "failed", {})]


def test_a_row_cannot_be_saved_twice(settings):
    with pytest.raises(IntegrityError):
        with session_scope(settings) as session:
            job = _job(session, "running")
            repo.save_results(session, job, [_row(0)])
            repo.save_results(session, job, [_row(0)])


def test_results_are_kept_per_job(settings):
    with session_scope(settings) as session:
        one, two = _job(session, "running"), _job(session, "running")
        repo.save_results(session, one, [_row(0), _row(1)])
        repo.save_results(session, two, [_row(5)])
        repo.clear_results(session, one.id)
        assert repo.processed_row_indexes(session, one.id) == set()
        assert repo.processed_row_indexes(session, two.id) == {5}


def test_unknown_job_says_how_to_find_one(settings):
    with session_scope(settings) as session:
        with pytest.raises(NotFoundError, match="There is no job #42. The Jobs page"):
            repo.get_job(session, 42)


def test_templates_are_versioned_by_name(settings):
    with session_scope(settings) as session:
        repo.save_template(session, "triage", "classify", {"labels": ["a", "b"]})
        repo.save_template(session, "triage", "classify", {"labels": ["a", "b", "c"]})
        repo.save_template(session, "sentiment", "classify", {"labels": ["pos", "neg"]})
    with session_scope(settings) as session:
        rows = [(t.name, t.version, len(t.spec["labels"])) for t in repo.list_templates(session)]
    assert rows == [("sentiment", 1, 2), ("triage", 2, 3), ("triage", 1, 2)]


def _migrate_in_another_process(url: str) -> list[str]:
    from sqlalchemy import create_engine

    from workbench.db.migrations import migrate

    return migrate(create_engine(url))


def test_processes_starting_together_on_a_new_database_all_succeed(tmp_path):
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'race.db'}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        try:  # a worker that dies at start is replaced for ever: fail, not hang
            applied = pool.map_async(_migrate_in_another_process, [url] * 4).get(timeout=120)
        except multiprocessing.TimeoutError:
            main = sys.modules["__main__"]
            pytest.fail(f"the spawn pool gave no answer in 120 s; its workers re-run __main__, which is "
                        f"{getattr(main, '__file__', main)!r}: did an earlier test leave it replaced?")
    assert sorted(len(names) for names in applied) == [0, 0, 0, len(MIGRATIONS)]  # one process applied them all


def test_a_job_run_again_is_no_longer_finished(settings):
    with session_scope(settings) as session:
        job = repo.set_status(session, _job(session, "running"), "completed")
        assert job.finished_at is not None
        assert repo.set_status(session, job, "queued").finished_at is None  # a retry of its failed rows
