"""Engine and session factory; sessions are owned by the caller at the edges."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from workbench.config import Settings
from workbench.db.migrations import migrate


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
    engine = create_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _enable_sqlite_pragmas)
    migrate(engine)
    return engine


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
