"""Models (or quantizations of one) compared on a labelled sheet, for the Benchmark page.

A comparison is a job per model, with the same settings on the same rows, each run alone in its turn (the
worker starts nothing beside it), so the speeds and memory are each model's own. Quality is each job scored
against the sheet's column of right answers; latency is single rows answered one at a time after the job;
cost is the machine's time against a hosted API's price for the same rows.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Comparison, Job, utcnow
from workbench.db.session import session_scope
from workbench.errors import TaskConfigError, WorkbenchError
from workbench.eval import cost
from workbench.eval.answers import answers_outside_labels as outside_labels
from workbench.eval.answers import labels_never_right
from workbench.eval.job import evaluate, headline_scores
from workbench.io import read_table
from workbench.io.result_columns import result_names
from workbench.io.rows import row_texts
from workbench.jobs import measure, service
from workbench.jobs.results import reading_spec, results_frame
from workbench.jobs.worker import start_job_process
from workbench.models.registry import list_models, model_snapshot, resolve_name
from workbench.tasks.spec import TaskSpec, spec_from_dict

DEFAULT_LATENCY_ROWS = 20


@dataclass(frozen=True)
class Sheet:
    """The labelled rows the models are compared on."""

    path: Path
    answers_column: str
    sheet: str | None = None
    rows: int | None = None  # the first N rows; None: all
    upload_id: int | None = None
    header_row: int | None = None  # the row naming the columns, when the user chose it


def start_comparison(settings: Settings, spec: TaskSpec, data: Sheet, models: list[str],
                     latency_rows: int = DEFAULT_LATENCY_ROWS) -> int:
    """Queue a job per model; returns the comparison's id. Everything is checked before the first job is queued."""
    models = list(dict.fromkeys(resolve_name(model, spec.model_kind) for model in models))  # "default" is one of them
    rows = _check(settings, spec, data, models)
    name = spec.name or data.path.name
    with session_scope(settings) as session:
        comparison_id = repo.create_comparison(session, name=name, task=spec.task, models=models, rows=rows,
                                               answers_column=data.answers_column, latency_rows=latency_rows).id
    for model in models:
        model_spec = spec.model_copy(update={"model": model, "name": f"{name} · {model}"})
        service.create_job(settings, model_spec, data.path, sheet=data.sheet, limit=data.rows,
                           upload_id=data.upload_id, comparison_id=comparison_id, header_row=data.header_row)
    return comparison_id


def _check(settings: Settings, spec: TaskSpec, data: Sheet, models: list[str]) -> int:
    """Refuses what cannot be compared, before anything is saved; returns the rows the models will answer."""
    _check_models(settings, spec, models)
    # as each job will be checked
    rows = service.checked_rows(settings, spec, data.path, data.sheet, data.rows, data.header_row)
    answers = read_table(data.path, sheet=data.sheet, nrows=data.rows, header_row=data.header_row)
    if data.answers_column not in answers.columns:
        raise TaskConfigError(f"The file has no column '{data.answers_column}'. Its columns are: {', '.join(answers.columns)}.")
    if data.answers_column in spec.text:
        raise TaskConfigError(f"'{data.answers_column}' is a column the model reads; the right answers must be in a "
                              "column of their own.")
    if not (answers[data.answers_column].astype(str).str.strip() != "").any():
        raise TaskConfigError(f"No row has a right answer in '{data.answers_column}': fill it in for the rows to compare on.")
    return rows


def _check_models(settings: Settings, spec: TaskSpec, models: list[str]) -> None:
    """Prepared models of the template's kind: preparing one takes minutes, which would count as its speed."""
    if not models:
        raise TaskConfigError("Choose at least one model to measure.")
    kind = spec.model_kind
    prepared = {m["name"] for m in list_models(settings) if m["prepared"]}
    for model in models:
        model_snapshot(settings, model, kind)  # refuses a model this machine lacks, or of the other kind
        if resolve_name(model, kind) not in prepared:
            raise TaskConfigError(f"The model '{model}' is not prepared. Prepare it on the Models page first: the "
                                  "minutes that takes would count as its speed.")


def answers_outside_labels(spec: TaskSpec, frame: pd.DataFrame, answers_column: str) -> dict[str, int]:
    """The right answers in the column no model of the comparison can give, read as the Job results page reads them
    ("Technical Support" is technical_support; the examples' rows are not scored)."""
    return outside_labels(_as_read(spec, frame), answers_column)


def labels_without_right_answers(spec: TaskSpec, frame: pd.DataFrame, answers_column: str) -> list[str]:
    """The labels (queues) no right answer in the frame names: the comparison's scores would say nothing of them."""
    return labels_never_right(_as_read(spec, frame), answers_column)


def _as_read(spec: TaskSpec, frame: pd.DataFrame) -> pd.DataFrame:
    read = frame.copy(deep=False)
    read.attrs = {"spec": reading_spec(spec.to_dict())}
    return read


# A job of a few rows times its start-up more than its rows: a 1-row comparison at 12.5 rows/s made a later guide say
# 16 s for a sheet that took under one.
MIN_PACE_ROWS = 20


def recent_paces(settings: Settings, task: str, models: list[str], kind: str) -> dict[str, tuple[float, float]]:
    """Per model, rows/s and loading seconds of this machine's latest finished job of this template with it, if it
    ran one: a guide to how long a comparison will take (a generator answers about a row a second, an encoder
    hundreds). Only jobs that ran on a model of `kind` count: an extract job of names fields alone ran on the
    encoder, whatever its `model` says."""
    paces = {}
    for job in service.list_jobs(settings):  # newest first
        model = next((m for m in models if m in (model_name(job), job.spec.get("model"))), None)
        ran_on = (job.model or {}).get("kind", kind)
        if model and model not in paces and job.task == task and ran_on == kind and job.status == "completed" \
                and job.busy_rows >= MIN_PACE_ROWS and rows_per_second(job):
            paces[model] = (rows_per_second(job), measure.load_seconds(job.measurements))
    return paces


def answers_column_of(settings: Settings, job: Job) -> str | None:
    """The column of right answers a comparison's job is scored against; None for other jobs."""
    if job.comparison_id is None:
        return None
    with session_scope(settings) as session:
        return repo.get_comparison(session, job.comparison_id).answers_column


def run_here(settings: Settings, comparison_id: int, on_batch=None, poll_seconds: float = 1.0) -> None:
    """Run a comparison's jobs from this terminal (`workbench compare`), each alone and in turn as the worker would: a
    job waits for running jobs to end; one the background worker took meanwhile is waited for, not run twice.

    Each job runs in a process of its own, as the worker's do: a process's peak memory is the most it ever held, so
    in one process every model after the first was measured at the largest model's peak before it."""
    for job in comparison_jobs(settings, comparison_id):
        if _wait_for_turn(settings, job.id, poll_seconds):
            _run_in_own_process(settings, job.id, on_batch, poll_seconds)


def _run_in_own_process(settings: Settings, job_id: int, on_batch, poll_seconds: float) -> None:
    """Until the job's process ends; `on_batch(job)` as its rows are saved. Ctrl-C here does not reach the process
    (a session of its own): the caller pauses the job, which the process sees within a second."""
    child, shown = start_job_process(settings, job_id, 0, start_new_session=True), None
    while True:
        ended = child.poll() is not None
        job = service.get_job(settings, job_id)
        if on_batch and (job.done_rows, job.failed_rows) != shown:
            on_batch(job)
            shown = (job.done_rows, job.failed_rows)
        if ended:
            return _fail_if_left_running(settings, job_id, child)
        time.sleep(poll_seconds)


def _fail_if_left_running(settings: Settings, job_id: int, child) -> None:
    """A process killed from outside (out of memory) leaves its job "running": the next model's job would wait for it
    for ever, with no worker here to notice."""
    with session_scope(settings) as session:
        repo.finish_if_running(session, job_id, "failed", runner_pid=child.pid, error=(
            f"The model's process stopped without an error of its own (exit code {child.returncode}); the machine may "
            "have run out of memory. Resume the job to try again."))


def pause_comparison(settings: Settings, comparison_id: int) -> list[int]:
    """Pause the comparison's jobs that have not ended; returns their ids."""
    unfinished = [job.id for job in comparison_jobs(settings, comparison_id) if job.status in ACTIVE]
    for job_id in unfinished:
        service.pause_job(settings, job_id)
    return unfinished


def _wait_for_turn(settings: Settings, job_id: int, poll_seconds: float) -> bool:
    """True once this process has claimed the job with no other job running; False if it ended meanwhile (run by
    the worker, or stopped by the user)."""
    while not _claimed_alone(settings, job_id):
        if service.get_job(settings, job_id).status not in ACTIVE:
            return False
        time.sleep(poll_seconds)
    return True


ACTIVE = ("queued", "running")


def _claimed_alone(settings: Settings, job_id: int) -> bool:
    with session_scope(settings) as session:
        repo.hold_write_lock(session, "claims")  # or the worker could claim another job between the check and the claim
        return not repo.others_running(session, job_id) and repo.claim_job(session, job_id, os.getpid())


def list_comparisons(settings: Settings) -> list[Comparison]:
    with session_scope(settings) as session:
        return repo.list_comparisons(session)


def remove_comparison(settings: Settings, comparison_id: int) -> None:
    """Take a comparison off the Benchmark page's list; its jobs stay (Jobs page), with their answers."""
    with session_scope(settings) as session:
        repo.get_comparison(session, comparison_id).removed_at = utcnow()


def comparison_jobs(settings: Settings, comparison_id: int) -> list[Job]:
    with session_scope(settings) as session:
        return repo.comparison_jobs(session, comparison_id)


@dataclass
class Answered:
    """A comparison's job with its results frame and the rows it answered (None and empty before any)."""

    job: Job
    frame: pd.DataFrame | None
    rows: set[int]


def comparison_table(settings: Settings, comparison_id: int, prices: cost.Prices) -> pd.DataFrame:
    """A row per model: how good, how fast, how much memory, what 1,000 rows cost here and through the API, and
    how often its answers are the first model's."""
    with session_scope(settings) as session:
        comparison, answered = repo.get_comparison(session, comparison_id), _answered_jobs(session, comparison_id)
    for one in answered:
        one.frame = results_frame(settings, one.job.id, reviewed=False) if one.rows else None
    first = next((one for one in answered if one.rows), None)
    api = _api_cost(settings, first, comparison.answers_column, prices) if first else None
    common = rows_every_model_answered(answered)
    return pd.DataFrame([{**_model_row(comparison, one, prices, common), SAME_ANSWERS: _same_answers(one, first),
                          API_COST: api} for one in answered])


def _answered_jobs(session, comparison_id: int) -> list[Answered]:
    """The comparison's jobs with the rows each answered (their frames are read later, outside the session)."""
    return [Answered(job, None, repo.answered_rows(session, job.id)) for job in repo.comparison_jobs(session, comparison_id)]


def rows_every_model_answered(answered: list[Answered]) -> set[int] | None:
    """The rows every model holding the others answered: each is scored on these alone. A model stopped part-way (or
    failing rows) was scored on its own rows, and a model paused after the first 40 (the file's easiest, say)
    ranked above one that answered all 200. A model still running holds no one until it stops, or the others'
    scores would move with each of its batches; None while no model has stopped with answers."""
    stopped = [one.rows for one in answered if one.rows and holds_others(one.job)]
    return set.intersection(*stopped) if stopped else None


# A model the user cancelled, or one that failed, is scored on the rows it answered and holds the others to them no
# more: cancelling a slow model after 5 rows left every model scored on those 5.
ON_ITS_OWN = ("cancelled", "failed")


def holds_others(job: Job) -> bool:
    """Whether the other models are scored on the rows this one answered: it has stopped, and not for good."""
    return job.status not in ACTIVE and job.status not in ON_ITS_OWN


def _scored_rows(answered: Answered, common: set[int] | None) -> pd.DataFrame:
    if common is None or not holds_others(answered.job):
        return answered.frame
    return _kept(answered.frame, answered.frame.index.isin(common))


LOCAL_COST, API_COST, SAME_ANSWERS = "$/1,000 rows here", "$/1,000 rows by API", "same answers as the first"
TIMED_ROWS = "rows timed alone"
OTHERS_SHARE = "other programs' CPU %"
# The table's columns other than the scores (which depend on the template: accuracy, ROUGE-L, F1…).
FIGURE_COLUMNS = ("model", "job", "status", "rows", "failed rows", "scored rows", "score", "rows/s", "load s", "p50 ms",
                  "p95 ms", TIMED_ROWS, "memory MB", LOCAL_COST, API_COST, SAME_ANSWERS, "shared the cores", OTHERS_SHARE)


def _model_row(comparison: Comparison, answered: Answered, prices: cost.Prices, common: set[int] | None) -> dict:
    job, measured = answered.job, answered.job.measurements or {}
    speed = rows_per_second(job)
    return {"model": model_name(job), "job": job.id, "status": job.status,
            "rows": f"{job.done_rows + job.failed_rows:,} / {job.total_rows:,}", "failed rows": job.failed_rows,
            **(_scores(_scored_rows(answered, common), comparison.answers_column) if answered.frame is not None else {}),
            "rows/s": _rounded(speed), "load s": _rounded(measure.load_seconds(measured)) if measure.LOAD in measured else None,
            **_latencies(measured),
            "memory MB": measured.get(measure.PEAK_MEMORY), LOCAL_COST: _rounded(cost.local_cost(speed or 0.0, prices)),
            "shared the cores": measure.shared_processor(measured), OTHERS_SHARE: _percent(measure.others_share(measured))}


def with_plain_costs(table: pd.DataFrame) -> pd.DataFrame:
    """The table for a text file or a terminal: a cost of $0.0000245 written so, not as 2.45e-05, which a reader (or a
    spreadsheet opening the CSV as text) takes for a code."""
    plain = {c: table[c].map(lambda v: "" if pd.isna(v) else np.format_float_positional(v, trim="-"))
             for c in (LOCAL_COST, API_COST) if c in table}
    return table.assign(**plain)


def with_prices(table: pd.DataFrame, prices: cost.Prices) -> pd.DataFrame:
    """The table with the prices its costs were worked out at: a file of costs alone could not be read later."""
    return table.assign(api_price_per_million_prompt_tokens=prices.api_input_per_million,
                        api_price_per_million_answer_tokens=prices.api_output_per_million,
                        machine_price_per_hour=prices.machine_per_hour)


def rows_per_second(job: Job) -> float | None:
    """The job's rows over the time it spent on them, loading the model left out: that takes as long for 10 rows
    as for 100,000, and on a small comparison it would be most of the time (adapting to the rows stays in, but not
    adapting again after a pause, which made a resumed job read 30% slower than its model runs)."""
    measured = job.measurements or {}
    seconds = job.busy_seconds - measured.get(measure.LOAD, 0.0) - measured.get(measure.READAPTING, 0.0)
    return job.busy_rows / seconds if job.busy_rows and seconds > 0 else None


# Under 20 rows timed one at a time, the 95th percentile is the slowest row or about it (of 3, always the slowest).
MIN_P95_ROWS = 20


def _latencies(measured: dict) -> dict:
    latencies = measured.get(measure.LATENCY) or []
    p95 = len(latencies) >= MIN_P95_ROWS
    return {"p50 ms": _rounded(np.percentile(latencies, 50)) if latencies else None,
            "p95 ms": _rounded(np.percentile(latencies, 95)) if p95 else None, TIMED_ROWS: len(latencies)}


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _rounded(value) -> float | None:
    """Three significant figures: enough to compare, and $0.000147 is not shown as $0.0001."""
    return None if value is None else float(f"{float(value):.3g}")


def score_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in FIGURE_COLUMNS]


def model_name(job: Job) -> str:
    """The model the job ran with (its manifest, once loaded), else the one its settings ask for."""
    return (job.model or {}).get("name") or job.spec.get("model") or "default"


def _scores(answered: pd.DataFrame, answers_column: str) -> dict:
    """The job's headline scores against the right answers, and the rows they were scored on; or why it cannot be
    scored."""
    try:
        report = evaluate(answered, answers_column)
    except WorkbenchError as exc:
        return {"score": str(exc)}
    return {"scored rows": report.rows, **{name: round(value, 4) for name, value in headline_scores(report).items()}}


def _same_answers(answered: Answered, first: Answered | None) -> float | None:
    """The share of the rows both jobs answered where every answer is the same, empty answers included (a
    quantization that changes nothing scores the same for that reason)."""
    both = sorted(answered.rows & first.rows) if first else []
    columns = _answer_columns(answered.frame, spec_from_dict(answered.job.spec)) if both else []
    if not columns:
        return None
    mine, theirs = (one.frame.loc[both, columns].astype(str) for one in (answered, first))
    return round(float((mine == theirs).all(axis=1).mean()), 4)


def _answer_columns(frame: pd.DataFrame, spec: TaskSpec) -> list[str]:
    answers = spec.answer_choices()
    return [column for name, column in result_names(frame).items() if name in answers]


def _api_cost(settings: Settings, first: Answered, answers_column: str, prices: cost.Prices) -> float:
    """The API's price for these rows: each prompt the row's text with the template's settings (labels, descriptions,
    examples, instruction), each answer as long as the sheet's right answer."""
    spec, frame = spec_from_dict(first.job.spec), first.frame
    # Rows with text only: an empty row (a CSV's blank line) fails as empty and would never be sent.
    texts = [r.text for r in row_texts(frame, spec.text, settings.max_cell_chars) if r.error is None]
    prompt = len(prompt_settings_text(spec)) + float(np.mean([len(t) for t in texts]))
    right = frame[answers_column].astype(str).str.strip()
    return _rounded(cost.api_cost(prompt, float(right[right != ""].str.len().mean()), prices))


# What an API prompt carries of the settings. Not the model's name (the price moved with the first model's) nor the
# settings only this runtime reads (thresholds, batch sizes), which a job's snapshot writes out in full.
PROMPT_SETTINGS = ("labels", "fallback", "examples", "fields", "instruction", "summary")


def prompt_settings_text(spec: TaskSpec) -> str:
    """The settings an API prompt would hold, as lines of their values ("- billing: money" for a label with its
    description): a job's snapshot writes each label out with its empty description, as YAML."""
    lines = [f"{key}:\n{_values_text(spec.config[key])}" for key in PROMPT_SETTINGS
             if spec.config.get(key) not in (None, "", [], {})]
    return "\n".join(lines)


def _values_text(value) -> str:
    if isinstance(value, list):
        return "\n".join(f"- {_values_text(item)}" for item in value)
    if isinstance(value, dict):
        return ": ".join(str(v) for v in value.values() if v not in (None, "", [], {}))
    return str(value)


@dataclass(frozen=True)
class RightAnswers:
    """What the compared rows' right answers cover: answers no model can give, with their rows, and labels none of
    them names."""

    outside: dict[str, int]
    never_right: list[str]


def right_answers(settings: Settings, comparison_id: int) -> RightAnswers:
    """The right answers of the rows the models are scored on, read as its jobs read the file (none for a
    comparison without jobs, or whose rows cannot be scored: the table says why)."""
    with session_scope(settings) as session:
        comparison, answered = repo.get_comparison(session, comparison_id), _answered_jobs(session, comparison_id)
    if not answered:
        return RightAnswers({}, [])
    first, common = answered[0].job, rows_every_model_answered(answered)
    frame = _as_read(spec_from_dict(first.spec), read_table(Path(first.input_path), sheet=first.sheet,
                                                            nrows=first.row_limit, header_row=first.header_row))
    scored = frame if common is None else _kept(frame, frame.index.isin(common))
    try:
        return RightAnswers(outside_labels(scored, comparison.answers_column),
                            labels_never_right(scored, comparison.answers_column))
    except WorkbenchError:  # every labelled row an example: no score, and the table says so
        return RightAnswers({}, [])


def _kept(frame: pd.DataFrame, rows) -> pd.DataFrame:
    kept = frame[rows]
    kept.attrs = frame.attrs
    return kept
