"""Models (or quantizations of one) compared on a labelled sheet, for the Benchmark page.

A comparison is a job per model, with the same settings on the same rows, each run alone in its turn (the
worker starts nothing beside it), so the speeds and memory are each model's own. Quality is each job scored
against the sheet's column of right answers; latency is single rows answered one at a time after the job;
cost is the machine's time against a hosted API's price for the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Comparison, Job
from workbench.db.session import session_scope
from workbench.errors import TaskConfigError, WorkbenchError
from workbench.eval import cost
from workbench.eval.job import evaluate, headline_scores
from workbench.io import read_table
from workbench.io.rows import row_texts
from workbench.jobs import measure, service
from workbench.jobs.progress import job_progress
from workbench.models.registry import DEFAULT_MODEL, list_models, model_snapshot
from workbench.tasks.registry import get_task_class
from workbench.tasks.spec import TaskSpec, spec_from_dict, task_file_text

DEFAULT_LATENCY_ROWS = 20


@dataclass(frozen=True)
class Sheet:
    """The labelled rows the models are compared on."""

    path: Path
    answers_column: str
    sheet: str | None = None
    rows: int | None = None  # the first N rows; None: all
    upload_id: int | None = None


def start_comparison(settings: Settings, spec: TaskSpec, data: Sheet, models: list[str],
                     latency_rows: int = DEFAULT_LATENCY_ROWS) -> int:
    """Queue a job per model; returns the comparison's id. Everything is checked before the first job is queued."""
    models = list(dict.fromkeys(models))
    _check(settings, spec, data, models)
    name = spec.name or data.path.name
    with session_scope(settings) as session:
        comparison_id = repo.create_comparison(session, name, data.answers_column, latency_rows).id
    for model in models:
        model_spec = spec.model_copy(update={"model": model, "name": f"{name} · {model}"})
        service.create_job(settings, model_spec, data.path, sheet=data.sheet, limit=data.rows,
                           upload_id=data.upload_id, comparison_id=comparison_id)
    return comparison_id


def _check(settings: Settings, spec: TaskSpec, data: Sheet, models: list[str]) -> None:
    if not models:
        raise TaskConfigError("Choose at least one model to measure.")
    kind = get_task_class(spec.task).model_kind
    known = {DEFAULT_MODEL} | {m["name"] for m in list_models(settings)}
    for model in models:
        if model not in known:
            raise TaskConfigError(f"There is no model '{model}'. The Models page lists the models there are.")
        model_snapshot(settings, model, kind)  # refuses a model of the other kind
    answers = read_table(data.path, sheet=data.sheet, nrows=data.rows)
    if data.answers_column not in answers.columns:
        raise TaskConfigError(f"The file has no column '{data.answers_column}'. Its columns are: {', '.join(answers.columns)}.")
    if data.answers_column in spec.text:
        raise TaskConfigError(f"'{data.answers_column}' is a column the model reads; the right answers must be in a "
                              "column of their own.")
    if not (answers[data.answers_column].astype(str).str.strip() != "").any():
        raise TaskConfigError(f"No row has a right answer in '{data.answers_column}': fill it in for the rows to compare on.")


def list_comparisons(settings: Settings) -> list[Comparison]:
    with session_scope(settings) as session:
        return repo.list_comparisons(session)


def comparison_jobs(settings: Settings, comparison_id: int) -> list[Job]:
    with session_scope(settings) as session:
        return repo.comparison_jobs(session, comparison_id)


def comparison_table(settings: Settings, comparison_id: int, prices: cost.Prices) -> pd.DataFrame:
    """A row per model: how good, how fast, how much memory, what 1,000 rows cost here and through the API."""
    with session_scope(settings) as session:
        comparison = repo.get_comparison(session, comparison_id)
        jobs = repo.comparison_jobs(session, comparison_id)
    return pd.DataFrame([_model_row(settings, comparison, job, prices) for job in jobs])


def _model_row(settings: Settings, comparison: Comparison, job: Job, prices: cost.Prices) -> dict:
    progress = job_progress(job)
    measured = job.measurements or {}
    latencies = measured.get(measure.LATENCY) or []
    answered = service.results_frame(settings, job.id, reviewed=False) if job.done_rows else None
    return {"model": model_name(job), "job": job.id, "status": job.status,
            "rows": f"{progress.done + progress.failed:,} / {progress.total:,}",
            **(_scores(answered, comparison.answers_column) if answered is not None else {}),
            "rows/s": progress.rows_per_second,
            "latency p50 (ms)": float(np.percentile(latencies, 50)) if latencies else None,
            "latency p95 (ms)": float(np.percentile(latencies, 95)) if latencies else None,
            "peak memory (MB)": measured.get(measure.PEAK_MEMORY),
            "$ per 1,000 rows here": cost.local_cost(progress.rows_per_second or 0.0, prices),
            "$ per 1,000 rows by API": _api_cost(settings, answered, spec_from_dict(job.spec), prices) if answered is not None else None,
            "shared the cores": bool(measured.get(measure.SHARED_CORES))}


# The table's columns other than the scores (which depend on the template: accuracy, ROUGE-L, F1…).
FIGURE_COLUMNS = ("model", "job", "status", "rows", "score", "rows/s", "latency p50 (ms)", "latency p95 (ms)",
                  "peak memory (MB)", "$ per 1,000 rows here", "$ per 1,000 rows by API", "shared the cores")


def score_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in FIGURE_COLUMNS]


def model_name(job: Job) -> str:
    """The model the job ran with (its manifest, once loaded), else the one its settings ask for."""
    return (job.model or {}).get("name") or job.spec.get("model") or "default"


def _scores(answered: pd.DataFrame, answers_column: str) -> dict:
    """The job's headline scores against the right answers, or why it cannot be scored."""
    try:
        report = evaluate(answered, answers_column)
    except WorkbenchError as exc:
        return {"score": str(exc)}
    return {name: round(value, 4) for name, value in headline_scores(report).items()}


def _api_cost(settings: Settings, answered: pd.DataFrame, spec: TaskSpec, prices: cost.Prices) -> float:
    """The API's price for these rows: each prompt is the row's text with the template's settings (labels,
    descriptions, examples), each answer the template's answer columns."""
    prompt = len(task_file_text(spec)) + np.mean([len(r.text) for r in row_texts(answered, spec.text, settings.max_cell_chars)])
    columns = [c for c in answered.attrs["result_columns"] if c.removesuffix(service.RESULT_SUFFIX) in spec.answer_choices()]
    answer = answered[columns].astype(str).apply(lambda row: sum(map(len, row)), axis=1).mean() if columns else 0.0
    return cost.api_cost(float(prompt), float(answer), prices)
