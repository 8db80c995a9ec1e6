"""Tables, in SQLAlchemy 2.0 typed style."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Upload(Base):
    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    task: Mapped[str] = mapped_column(String(40))
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A deleted version is kept out of every list, not removed: its number is never given to another version, so a
    # task file downloaded as "v2" always names the same settings.
    deleted_at: Mapped[datetime | None]


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)  # a task file's `name:`, or the file's: as long as the user wrote it
    task: Mapped[str] = mapped_column(String(40))
    # The spec is a snapshot of the template as it ran, so later edits never change history.
    spec: Mapped[dict[str, Any]]
    model: Mapped[dict[str, Any]] = mapped_column(default=dict)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    input_path: Mapped[str] = mapped_column(Text)
    sheet: Mapped[str | None] = mapped_column(String(200))
    # The row that names the columns, when the user chose it (a report's title above the table); None: found.
    header_row: Mapped[int | None]
    row_limit: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(20), default="ui")
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # The process running the job, so a restarted worker can tell a dead run from a live one.
    runner_pid: Mapped[int | None]
    # The machine of that process: a pid means something only there (a team's workers share one PostgreSQL).
    runner_host: Mapped[str | None] = mapped_column(String(255))
    total_rows: Mapped[int] = mapped_column(default=0)
    done_rows: Mapped[int] = mapped_column(default=0)
    failed_rows: Mapped[int] = mapped_column(default=0)
    # Seconds spent running batches, and the rows they ran: the job's speed without the time it sat paused or
    # queued (rows saved before a job recorded these, or that failed before running, are not in busy_rows).
    busy_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    busy_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    # The runner's estimate after its last batch, from the lengths of the rows still to run (jobs/estimate.py).
    seconds_left: Mapped[float | None]
    error: Mapped[str | None] = mapped_column(Text)
    # The comparison (Benchmark page) the job is one model of. No foreign key: m001 creates this table from
    # today's schema, before m004 creates `comparisons`.
    comparison_id: Mapped[int | None] = mapped_column(index=True)
    # What the runner measured: peak_memory_mb of its process, shared_cores (another job ran meanwhile),
    # latency_ms of single rows (comparisons only).
    measurements: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comparison(Base):
    """Models compared on one labelled sheet with one template: a job per model (jobs.comparison_id)."""

    __tablename__ = "comparisons"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(String(40))
    models: Mapped[list[Any]]
    rows: Mapped[int]  # the sheet's first rows the models answer
    answers_column: Mapped[str] = mapped_column(Text)  # a column's header, which a sheet does not limit
    # Rows of the sheet each model answers one at a time after its job, for latency (0: none).
    latency_rows: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]  # taken off the Benchmark page's list; its jobs stay jobs


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("job_id", "row_index"), Index("ix_results_job", "job_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row_index: Mapped[int]
    outputs: Mapped[dict[str, Any]]
    confidence: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(20), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None]


class Review(Base):
    """A person's check of one row's answers: the answers they corrected (empty when the model's were right).

    Kept apart from the model's results, so nothing the model wrote is lost, the evaluation still scores the
    model, and a correction can be taken back."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("job_id", "row_index"), Index("ix_reviews_job", "job_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row_index: Mapped[int]
    corrections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
