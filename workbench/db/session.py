"""Engine and session factory; sessions are owned by the caller at the edges."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DatabaseError, DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workbench.config import Settings
from workbench.db.migrations import migrate
from workbench.errors import StorageError


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the UI read while the worker writes; busy_timeout rides out short write locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    engine = _created(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _enable_sqlite_pragmas)
    migrate(engine)
    return engine


# Seconds a database server may take to answer a new connection: one that never answers (a firewall dropping the
# packets) held every page and command without a word.
CONNECT_TIMEOUT = 10


def _created(url: str) -> Engine:
    """The engine, or what to change: a team's PostgreSQL address needs its driver, which the app does not install."""
    try:
        return create_engine(url, **_server_options(url))
    except ModuleNotFoundError as exc:
        raise StorageError(f"The database address in WORKBENCH_DATABASE_URL needs the Python package '{exc.name}', "
                           "which is not installed. The app keeps its jobs in its own SQLite file (leave the setting "
                           "unset) or in PostgreSQL: postgresql+psycopg://user:password@host/database.") from None
    except (ArgumentError, ValueError):  # ValueError: a port that is no number ("host:5432x")
        raise StorageError("WORKBENCH_DATABASE_URL is not a database address the app can use. Write it as "
                           "postgresql+psycopg://user:password@host:port/database, or leave it unset.") from None


def _server_options(url: str) -> dict:
    """For a database server: a connection the server dropped (a restart, a failover) is replaced before use, not
    handed to a job that then failed on it; and a server that does not answer is given up on, and said."""
    if url.startswith("sqlite"):
        return {}
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}


def database_problem(settings: Settings, exc: DatabaseError) -> str:
    """What is wrong with the database, in words, and what to do. A database the app cannot read (not a database
    file, another program's, tables missing) is no matter of disk space or a server; a value it refused is neither."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if isinstance(exc, OperationalError) and not _not_this_apps(reason):
        return f"The app's database could not be used ({reason}). {database_advice(settings, reason)}"
    if not _not_this_apps(reason) and isinstance(exc, DataError | IntegrityError):
        return (f"The app's database refused what was to be saved ({reason}). Nothing was saved; the database is "
                "fine. Check the names and texts just given for unusual characters, then try again.")
    where = "in WORKBENCH_DATABASE_URL" if settings.database_url else f"file {settings.data_dir / 'workbench.db'}"
    return (f"The app's database {where} cannot be read: it is damaged, or was made by another program. Move it away "
            "(the app then starts a new, empty one) or put back a copy from a backup.")


def _not_this_apps(reason: str) -> bool:
    return any(words in reason for words in ("no such table", "no such column", "not a database", "malformed")) \
        or re.search(r'(?:relation|column) "[^"]+" (?:of relation "[^"]+" )?does not exist', reason) is not None


# What a server's refusal means to whoever set the address: the address's parts to check.
_SERVER_ADVICE = (
    ("password authentication failed", "Check the user name and password in WORKBENCH_DATABASE_URL."),
    ("does not exist", "Check the database's name in WORKBENCH_DATABASE_URL, or create that database on the server "
                       "(or ask its administrator to)."),
    ("resolve host", "Check the server's name in WORKBENCH_DATABASE_URL."),
    ("translate host name", "Check the server's name in WORKBENCH_DATABASE_URL."),
    ("timeout expired", "The server did not answer within {timeout} s: check that it is running and that this "
                        "machine may reach it."),
)
_ESCAPES = ("A password holding @, :, / or # is written with %40, %3A, %2F or %23 in its place "
            "(p@ss is p%40ss).")


def database_advice(settings: Settings, reason: str = "") -> str:
    """What to check when the database cannot be used: its server's address, or the folder its SQLite file is in."""
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        advice = next((words for cause, words in _SERVER_ADVICE if cause in reason),
                      "Check that the server in WORKBENCH_DATABASE_URL is running and the address is right, then "
                      "try again.")
        return advice.format(timeout=CONNECT_TIMEOUT) + (f" {_ESCAPES}" if "host" in reason or "password" in reason else "")
    if settings.database_url:
        return "Check that the folder of the database file named in WORKBENCH_DATABASE_URL exists and can be written."
    return f"Check that the data folder ({settings.data_dir}) can be written and the disk has space, then try again."


def session_factory(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(engine_for(settings.db_url), expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = session_factory(settings)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
