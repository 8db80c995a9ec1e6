"""Ordered schema migrations, applied once each and recorded in schema_migrations."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from workbench.db import schema


def m001_initial(conn: Connection) -> None:
    tables = [schema.Upload.__table__, schema.Template.__table__, schema.Job.__table__, schema.Result.__table__]
    schema.Base.metadata.create_all(conn, tables=tables)


TIMING_COLUMNS = {"busy_seconds": "FLOAT NOT NULL DEFAULT 0", "busy_rows": "INTEGER NOT NULL DEFAULT 0",
                  "seconds_left": "FLOAT"}


def m002_job_timing(conn: Connection) -> None:
    _add_missing_columns(conn, "jobs", TIMING_COLUMNS)


def _add_missing_columns(conn: Connection, table: str, columns: dict[str, str]) -> None:
    # A database made by m001 from today's schema already has the columns; an older one gets them. On
    # PostgreSQL a second process may add them between our check and our ALTER: IF NOT EXISTS lets it.
    present = {column["name"] for column in inspect(conn).get_columns(table)}
    if_missing = "IF NOT EXISTS " if conn.dialect.name == "postgresql" else ""
    for name, kind in columns.items():
        if name not in present:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {if_missing}{name} {kind}"))


def m003_reviews(conn: Connection) -> None:
    schema.Base.metadata.create_all(conn, tables=[schema.Review.__table__])


COMPARISON_COLUMNS = {"comparison_id": "INTEGER", "measurements": "JSON"}


def m004_comparisons(conn: Connection) -> None:
    schema.Base.metadata.create_all(conn, tables=[schema.Comparison.__table__])
    _add_missing_columns(conn, "jobs", COMPARISON_COLUMNS)
    _add_missing_columns(conn, "templates", {"deleted_at": "TIMESTAMP"})
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_jobs_comparison_id ON jobs (comparison_id)"))


# Names and headers as long as users write them. SQLite never checked VARCHAR(500); PostgreSQL refused a task file's
# longer `name:` with a traceback.
UNBOUNDED_TEXT = {"jobs": ["name"], "comparisons": ["name", "answers_column"], "uploads": ["filename"]}


def m005_unbounded_names(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite keeps text of any length whatever the declared type
    for table, columns in UNBOUNDED_TEXT.items():
        for column in columns:
            conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT"))


def m006_runner_host(conn: Connection) -> None:
    _add_missing_columns(conn, "jobs", {"runner_host": "VARCHAR(255)"})


def m007_header_row(conn: Connection) -> None:
    _add_missing_columns(conn, "jobs", {"header_row": "INTEGER"})


MIGRATIONS: list[Callable[[Connection], None]] = [m001_initial, m002_job_timing, m003_reviews, m004_comparisons,
                                                  m005_unbounded_names, m006_runner_host, m007_header_row]


def _applied(conn: Connection) -> set[str]:
    conn.execute(
        text("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
    )
    return {row[0] for row in conn.execute(text("SELECT name FROM schema_migrations"))}


# Any fixed number: PostgreSQL's lock of the migrations, held by one transaction at a time.
MIGRATION_LOCK = 742_310


def _lock_for_migrating(conn: Connection) -> None:
    """One process migrates at a time; the others wait, then find the work done. Python's sqlite3 began no
    transaction before the first INSERT, so two processes read the same empty list of migrations, both created the
    tables, and the slower failed on the migration's record (a flaky test: 1 run in ~10 on a busy machine)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now, waiting out the busy timeout for it
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def migrate(engine: Engine, attempts: int = 3) -> list[str]:
    """Apply the migrations this database has not seen yet; returns their names.

    The app and the worker start together and may both find a new database empty; the loser's
    transaction fails on the migration record and is rolled back, then it finds the work done.
    """
    for attempt in range(attempts):
        try:
            return _apply_pending(engine)
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
    return []


def _apply_pending(engine: Engine) -> list[str]:
    applied_now = []
    with engine.begin() as conn:
        _lock_for_migrating(conn)
        done = _applied(conn)
        for migration in MIGRATIONS:
            if migration.__name__ not in done:
                migration(conn)
                conn.execute(text("INSERT INTO schema_migrations (name) VALUES (:n)"), {"n": migration.__name__})
                applied_now.append(migration.__name__)
    return applied_now
