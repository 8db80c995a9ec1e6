"""The app on PostgreSQL (§7: `WORKBENCH_DATABASE_URL` lets a team keep its jobs there): a server of the tests' own."""

from __future__ import annotations

import itertools
import os

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from tests.e2e.test_browser import free_port
from tests.postgres import postgres_server
from tests.test_jobs import EMAILS, LABELS, TASK_FILE, ZERO_SHOT
from workbench.config import get_settings
from workbench.db import repo
from workbench.db.migrations import MIGRATIONS, migrate
from workbench.db.session import session_scope
from workbench.eval.job import evaluate
from workbench.io import read_table
from workbench.jobs import review, service, templates
from workbench.jobs.results import export_job, results_frame
from workbench.jobs.runner import run_job
from workbench.tasks.spec import spec_from_dict

pytestmark = pytest.mark.postgres
NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def server_url():
    with postgres_server(free_port()) as url:
        yield url


@pytest.fixture
def pg_settings(server_url, monkeypatch):
    """Settings whose database is a new, empty one on the server: nothing carries over from test to test."""
    name = f"test_{os.getpid()}_{next(NUMBERS)}"
    with psycopg.connect(server_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", server_url.replace("/postgres?", f"/{name}?"))
    return get_settings()


def _run(settings, spec=ZERO_SHOT, loader=None, **options) -> int:
    job_id = service.create_job(settings, spec, EMAILS, **options)
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id, encoder_loader=loader) == "completed"
    return job_id


def test_a_new_database_gets_every_migration_once(pg_settings):
    engine = create_engine(pg_settings.db_url)
    assert migrate(engine) == [m.__name__ for m in MIGRATIONS] and migrate(engine) == []
    assert {"uploads", "templates", "jobs", "results", "reviews", "comparisons"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_database_from_before_unbounded_names_takes_long_names_after_its_migration(pg_settings):
    from sqlalchemy import text

    engine = create_engine(pg_settings.db_url)
    with engine.begin() as conn:  # as m001-m004 left it: names of at most 500 characters
        for migration in MIGRATIONS[:4]:
            migration(conn)
        conn.execute(text("ALTER TABLE jobs ALTER COLUMN name TYPE VARCHAR(500)"))
        conn.execute(text("CREATE TABLE schema_migrations (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP)"))
        conn.execute(text("INSERT INTO schema_migrations (name) VALUES ('m001_initial'), ('m002_job_timing'), "
                          "('m003_reviews'), ('m004_comparisons')"))
    assert migrate(engine) == ["m005_unbounded_names", "m006_runner_host", "m007_header_row"]
    columns = {column["name"]: column["type"] for column in inspect(engine).get_columns("jobs")}
    assert str(columns["name"]) == "TEXT"
    engine.dispose()


def test_a_job_runs_is_reviewed_scored_and_exported(pg_settings, tiny_loader, tmp_path):
    job_id = _run(pg_settings, loader=tiny_loader)
    frame = results_frame(pg_settings, job_id, reviewed=False)
    assert len(frame) == len(read_table(EMAILS)) and set(frame["label"]) <= LABELS
    assert evaluate(frame, "category").rows == len(frame)
    other = next(label for label in sorted(LABELS) if label != frame.at[3, "label"])
    review.save_reviews(pg_settings, job_id, [review.RowReview(3, {"label": other})])
    written = read_table(export_job(pg_settings, job_id, tmp_path / "out.csv"))
    assert written.at[3, "label"] == other and written.at[3, "model_label"] == frame.at[3, "label"]


def test_names_as_long_as_the_user_wrote_them_are_kept(pg_settings, tiny_loader):
    name = "Quarterly triage of the support inbox " * 40  # 1,520 characters: VARCHAR(500) refused it
    job_id = _run(pg_settings, spec=ZERO_SHOT.model_copy(update={"name": name}), loader=tiny_loader, limit=3)
    assert service.get_job(pg_settings, job_id).name == name.strip()  # one line, spaces around it dropped


def test_two_workers_claiming_at_once_never_take_the_same_job(pg_settings):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    jobs = [service.create_job(pg_settings, ZERO_SHOT, EMAILS, limit=2) for _ in range(2)]
    together = Barrier(2)

    def claim(worker: int) -> int | None:
        with session_scope(pg_settings) as session:
            together.wait()  # both look at the queue before either has claimed: the UPDATE's guard decides
            job = repo.claim_next_queued(session, worker)
            return job.id if job else None

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(claim, [1, 2])) == jobs
    with session_scope(pg_settings) as session:
        assert repo.claim_next_queued(session, 3) is None


def test_templates_are_saved_versioned_and_imported(pg_settings):
    imported = templates.import_task_file(pg_settings, "triage.yaml", b"task: classify\ntext: Body\nlabels: [a, b]\n")
    again = templates.save_template(pg_settings, "triage", spec_from_dict({**imported.spec, "labels": ["a", "b", "c"]}))
    assert (imported.version, again.version) == (1, 2)
    assert [t.version for t in templates.list_templates(pg_settings)] == [2, 1]


def test_a_task_files_job_with_its_examples_runs(pg_settings, tiny_loader):
    job_id = service.create_job_from_task_file(pg_settings, TASK_FILE, EMAILS, limit=5)
    with session_scope(pg_settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    assert run_job(pg_settings, job_id, encoder_loader=tiny_loader) == "completed"
    assert service.get_job(pg_settings, job_id).done_rows == 5


def test_connections_the_server_dropped_are_replaced_not_used(pg_settings):
    """A server restart (or failover) ends every connection: the next job to use a pooled one failed, with SQL in
    its message."""
    with session_scope(pg_settings) as session:
        repo.list_jobs(session)
    url = pg_settings.database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with session_scope(pg_settings) as session:
        assert repo.list_jobs(session) == []


def test_a_database_that_is_not_on_the_server_says_to_create_it(pg_settings, monkeypatch):
    from workbench.db.session import database_problem
    from workbench.errors import WorkbenchError

    monkeypatch.setenv("WORKBENCH_DATABASE_URL", pg_settings.database_url.replace("/test_", "/missing_"))
    settings = get_settings()
    with pytest.raises(Exception) as raised:
        with session_scope(settings):
            pass
    assert not isinstance(raised.value, WorkbenchError)
    assert "create that database on the server" in database_problem(settings, raised.value)


def test_a_value_the_server_refuses_is_not_called_a_damaged_database(pg_settings):
    from sqlalchemy import text
    from sqlalchemy.exc import DataError

    from workbench.db.session import database_problem

    with pytest.raises(DataError) as refused:
        with session_scope(pg_settings) as session:
            session.execute(text("SELECT CAST('not a number' AS integer)"))
    message = database_problem(pg_settings, refused.value)
    assert "refused what was to be saved" in message and "damaged" not in message
