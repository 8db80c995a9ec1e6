"""Progress figures a user reads: done / total, rows per second, time left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workbench.db.schema import Job, utcnow


@dataclass(frozen=True)
class Progress:
    done: int
    failed: int
    total: int
    rows_per_second: float | None
    seconds_left: float | None
    # Running with no row saved yet: a generator's first batch takes up to a minute, which "0 / 30 rows" alone
    # makes look like a job that hangs.
    first_batch: bool = False

    @property
    def fraction(self) -> float:
        return min(1.0, (self.done + self.failed) / self.total) if self.total else 0.0


def job_progress(job: Job, now: datetime | None = None) -> Progress:
    rate = _rows_per_second(job, now)
    first_batch = job.status == "running" and not job.done_rows + job.failed_rows
    return Progress(job.done_rows, job.failed_rows, job.total_rows, rate, _time_left(job, rate), first_batch)


def _rows_per_second(job: Job, now: datetime | None) -> float | None:
    """The rows the job's batches ran over the seconds they took, so a job paused overnight, or waiting behind
    another, does not read as slow; for a job whose batches were not timed, the rows over the time since it
    first started."""
    if job.busy_rows and job.busy_seconds:
        return job.busy_rows / job.busy_seconds
    processed = job.done_rows + job.failed_rows
    end = job.finished_at or now or utcnow()
    elapsed = (end - job.started_at).total_seconds() if job.started_at else 0.0
    return processed / elapsed if elapsed > 0 and processed else None


def _time_left(job: Job, rate: float | None) -> float | None:
    """The runner's estimate, which prices the rows left by their length; before its first batch, the rows
    left at the rate so far. None once every row is saved (the job is only closing) or when not running."""
    remaining = job.total_rows - job.done_rows - job.failed_rows
    if remaining <= 0 or job.status != "running":
        return None
    if job.seconds_left is not None:
        return job.seconds_left
    return remaining / rate if rate else None


def describe(progress: Progress) -> str:
    """'120 / 500 rows · 42.0 rows/s · about 9 s left'."""
    parts = [f"{progress.done + progress.failed:,} / {progress.total:,} rows"]
    if progress.failed:
        parts.append(f"{progress.failed:,} failed")
    if progress.rows_per_second:
        parts.append(pace(progress.rows_per_second))
    if progress.seconds_left is not None:
        parts.append(f"{about(progress.seconds_left)} left")
    if progress.first_batch:
        parts.append("answering the first rows (saved a batch at a time)")
    return " · ".join(parts)


UNDER_A_SECOND = "under a second"


def pace(rows_per_second: float) -> str:
    """'42.0 rows/s'; slower than a row a second, the time a row takes ('3.5 s a row'), which '0.3 rows/s' and
    its rounding to '0.0 rows/s' hide."""
    if rows_per_second >= 1:
        return f"{rows_per_second:,.1f} rows/s"
    seconds = 1 / rows_per_second
    return f"{seconds:.1f} s a row" if seconds < 10 else f"{format_duration(seconds)} a row"


def about(seconds: float) -> str:
    """'about 4 min 10 s', or 'under a second' (not 'about under a second')."""
    written = format_duration(seconds)
    return written if written == UNDER_A_SECOND else f"about {written}"


def format_duration(seconds: float) -> str:
    if seconds < 0.5:
        return UNDER_A_SECOND
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# A page that shows a running job's rows reloads them when more are saved, but not more often than this: a reload
# reads every row saved so far, and rows are saved in batches that take ~10 s or more.
TABLE_REFRESH_SECONDS = 15


def answered_rows(job: Job) -> int:
    return job.done_rows + job.failed_rows


def only_failed_rows_left(job: Job) -> bool:
    """Every row was run and some failed: resuming would run nothing, retrying the failed rows is what is left."""
    return job.failed_rows > 0 and answered_rows(job) >= job.total_rows


# ... and a second more for every 1,000 rows of the job: the reload of a 100,000-row job's page takes seconds of a core
# the job runs on (36% of one, reloaded every 15 s, in the scale audit); its progress bar still moves every 2 s.
ROWS_PER_REFRESH_SECOND = 1_000


def table_is_behind(job: Job, answered_when_shown: int, seconds_shown: float) -> bool:
    """Whether rows a page shows (read when it was drawn) are worth reading again: more are saved, and a while passed."""
    return answered_rows(job) > answered_when_shown and seconds_shown >= table_refresh_seconds(job)


def table_refresh_seconds(job: Job) -> float:
    """How often a page reads a running job's rows again."""
    return max(TABLE_REFRESH_SECONDS, job.total_rows / ROWS_PER_REFRESH_SECOND)


def counted(count: int, noun: str) -> str:
    """'1 row', '2 rows', '1,200 rows': a count as a reader says it (nouns that take an 's')."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def listed_counts(counts: dict[str, int], shown: int = 5) -> str:
    """"'billing' (3), 'Billing ' (1) and 2 more": the first few values with their rows, each cut short (a column of
    whole texts picked as the right answers quoted a 100,000-character cell)."""
    named = ", ".join(f"'{_cut(label)}' ({rows:,})" for label, rows in list(counts.items())[:shown])
    return named + (f" and {len(counts) - shown} more" if len(counts) > shown else "")


def _cut(value: str, longest: int = 60) -> str:
    return value if len(value) <= longest else value[: longest - 1].rstrip() + "…"
