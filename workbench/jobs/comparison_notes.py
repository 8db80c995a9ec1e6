"""What a reader of a comparison's figures must know beside them, for the Benchmark page and `workbench compare`:
which rows the scores are on, which models failed and why, what the right answers cover, whether a speed is its own.
"""

from __future__ import annotations

import pandas as pd

from workbench.db.schema import Job
from workbench.jobs.compare import (
    ACTIVE,
    MIN_P95_ROWS,
    ON_ITS_OWN,
    OTHERS_SHARE,
    TIMED_ROWS,
    RightAnswers,
    holds_others,
    model_name,
)
from workbench.jobs.measure import BUSY_SHARE
from workbench.jobs.progress import counted, listed_counts

# Under 25 rows a model's accuracy moves by 4 points or more with each row (a 1-row comparison gave every model 1.000).
FEW_ROWS = 25
LABELS_LISTED = 8


def comparison_notes(jobs: list[Job], table: pd.DataFrame, answers: RightAnswers) -> list[str]:
    """Every note, the ones that change how the scores read first."""
    return [*_answers_notes(answers), *_rows_notes(jobs, table), *_failure_notes(jobs), *_figure_notes(table)]


def _answers_notes(answers: RightAnswers) -> list[str]:
    notes = []
    if answers.outside:
        notes.append(f"{sum(answers.outside.values()):,} right answers are not among this comparison's labels or "
                     f"queues, so no model could give them: {listed_counts(answers.outside)}. The scores count them as wrong.")
    if answers.never_right:
        notes.append(never_right_note(answers.never_right, "compared row"))
    return notes


def never_right_note(labels: list[str], rows: str) -> str:
    """Labels no right answer of the rows names, e.g. the first 200 rows of a sheet sorted by its answers."""
    return (f"No {rows} has {_names(labels)} as its right answer: the scores say nothing of how the models do on "
            f"{'it' if len(labels) == 1 else 'them'}. If the sheet is sorted by its answers, compare on more rows, or "
            "on a sheet whose first rows mix them.")


def _rows_notes(jobs: list[Job], table: pd.DataFrame) -> list[str]:
    notes = []
    short = [job for job in jobs if holds_others(job) and job.done_rows and job.done_rows + job.failed_rows < job.total_rows]
    if short:  # rows not run yet (failed rows have their own note)
        fewest = min(short, key=lambda job: job.done_rows)
        notes.append(f"{model_name(fewest)} answered {fewest.done_rows:,} of {fewest.total_rows:,} rows "
                     f"({fewest.status}): every model is scored on the rows all of them answered, so the scores compare "
                     f"like with like. Resume job #{fewest.id} on the Jobs page to score them on more.")
    most = max((job.done_rows for job in jobs), default=0)
    for job in jobs:
        if job.status in ON_ITS_OWN and 0 < job.done_rows < most:
            notes.append(f"{model_name(job)} was {job.status} after {job.done_rows:,} of {job.total_rows:,} rows: its "
                         "score is on those rows only, the others' on all they answered, so it does not compare like "
                         f"with like. Resume job #{job.id} on the Jobs page to score it on the same rows.")
    stopped = table[~table["status"].isin(ACTIVE)] if "status" in table else table  # a running job's count grows
    scored = pd.to_numeric(stopped.get("scored rows", pd.Series(dtype=float)), errors="coerce").min()
    if pd.notna(scored) and scored < FEW_ROWS:
        notes.append(f"Scored on {counted(int(scored), 'row')} only: each row moves a score by {1 / scored:.2f}, so "
                     "models a few rows apart are not told apart. Compare on 100 rows or more to tell models a few "
                     "points apart.")
    return notes


def _failure_notes(jobs: list[Job]) -> list[str]:
    notes = []
    for job in jobs:
        if job.status == "failed":
            notes.append(f"{model_name(job)} stopped with an error (job #{job.id}): {job.error or 'no reason was saved.'}")
        if job.failed_rows:
            notes.append(f"{model_name(job)} could not answer {counted(job.failed_rows, 'row')} (job #{job.id} on Job "
                         f"results says why){_left_out(job)}.")
    return notes


def _left_out(job: Job) -> str:
    """Whether the rows a model failed are out of every model's score: only a model the others are held to."""
    return ": they are left out of every model's score" if holds_others(job) and job.done_rows else ""


def _figure_notes(table: pd.DataFrame) -> list[str]:
    notes = _p95_notes(table)
    for _, row in table.iterrows():
        if isinstance(row.get("score"), str):
            notes.append(f"{row['model']}: not scored. {row['score']}")
        if row.get("shared the cores"):
            notes.append(_shared_note(row))
    return notes


def _shared_note(row: pd.Series) -> str:
    share = row.get(OTHERS_SHARE)
    if pd.notna(share) and share > BUSY_SHARE * 100:
        return (f"Other programs kept {share:.0f}% of the processor busy while {row['model']} ran, so its speed and "
                "latency are lower than alone. Compare again once they are done (or closed).")
    return (f"{row['model']} ran while another job was running, so its speed and latency are lower than alone. Run the "
            "comparison again when no other job runs.")


def _p95_notes(table: pd.DataFrame) -> list[str]:
    timed = pd.to_numeric(table.get(TIMED_ROWS, pd.Series(dtype=float)), errors="coerce")
    few = timed[(timed > 0) & (timed < MIN_P95_ROWS)]
    if few.empty:
        return []
    rows = int(few.min())
    return [f"Only {counted(rows, 'row')} {'was' if rows == 1 else 'were'} answered one at a time, so no p95 ms is given "
            f"(of {rows}, it would be the slowest). Compare again with {MIN_P95_ROWS} or more rows answered one at a "
            "time for latency."]


def _names(labels: list[str]) -> str:
    """"'a'", "'a' or 'b'", "'a', 'b' or 3 more"."""
    quoted = [f"'{label}'" for label in labels[:LABELS_LISTED]]
    if len(labels) > LABELS_LISTED:
        quoted.append(f"{len(labels) - LABELS_LISTED:,} more")
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
