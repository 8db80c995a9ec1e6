"""The `workbench` command: a thin mapping from commands to workbench functions."""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import astuple
from pathlib import Path

import click
from sqlalchemy.exc import DatabaseError, OperationalError

from workbench.config import get_settings
from workbench.db import repo
from workbench.db.session import database_problem
from workbench.errors import WorkbenchError
from workbench.eval.answers import BY_FIELD, answers_outside_labels, example_rows
from workbench.eval.cost import DEFAULT_PRICES, MAX_PRICE, Prices
from workbench.eval.job import evaluate, report_dict
from workbench.eval.reviewed import evaluate_reviewed
from workbench.io.notes import input_notes, language_note
from workbench.io.readers import MAX_HEADER_ROW, file_kind, opening_sheet, read_table
from workbench.io.workbook_export import VALUES_ONLY_NOTE
from workbench.io.writers import check_not_overwriting, check_output, write_table
from workbench.jobs import compare, measure, review, service
from workbench.jobs.comparison_notes import comparison_notes
from workbench.jobs.deletion import delete_job
from workbench.jobs.progress import counted, describe, job_progress
from workbench.jobs.results import copies_values_only, export_job, results_frame
from workbench.jobs.runner import run_job
from workbench.jobs.worker import ensure_worker, requeue_orphans, serve_forever, worker_running
from workbench.models import registry
from workbench.models.quantize import PRESETS
from workbench.tasks.spec import examples_file_of, load_task_file

APP_FILE = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def user_errors(command):
    """Show a WorkbenchError as a one-line message and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except WorkbenchError as exc:
            raise click.ClickException(str(exc)) from None
        except DatabaseError as exc:  # read-only, the disk full, locked too long by another process, damaged
            raise click.ClickException(database_problem(get_settings(), exc)) from None

    return wrapper


class Number(click.ParamType):
    """A number within bounds, refused in words ("-1 is not in the range x>=1" was click's)."""

    name = "number"

    def __init__(self, kind: type, low: float, high: float | None = None, what: str = "a number"):
        self.kind, self.low, self.high, self.what = kind, low, high, what

    def convert(self, value, param, ctx):
        try:
            number = self.kind(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not math.isfinite(number) or number < self.low or (self.high is not None and number > self.high):
            low, high = _plain(self.low), _plain(self.high)
            bounds = f"from {low} to {high}" if self.high is not None else f"{low} or more"
            self.fail(f"must be {self.what}, {bounds}; it is '{value}'.", param, ctx)
        return number


def _plain(bound: float | None) -> str:
    return f"{int(bound):,}" if bound is not None and float(bound).is_integer() else str(bound)  # not "1000000.0"


ROWS = Number(int, 1, what="a whole number of rows")


# The row that names the columns, for a file whose header the reader does not find (a title right above it).
header_row_option = click.option(
    "--header-row", type=Number(int, 1, MAX_HEADER_ROW, "a row number"), default=None,
    help="The row that holds the column names, numbered as your spreadsheet program numbers rows "
         "(default: found by itself).")


@click.group()
def cli() -> None:
    """SLM Workbench: small language models over your spreadsheets, on this machine."""


@cli.command()
@click.argument("task_file", type=click.Path(path_type=Path))
@click.argument("input_file", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Result file (.csv, .tsv or .xlsx).")
@click.option("--sheet", default=None, help="Sheet of an Excel workbook (default: the one it opens on).")
@click.option("--limit", type=ROWS, default=None, help="Only the first N rows.")
@header_row_option
@user_errors
def run(task_file: Path, input_file: Path, output: Path, sheet: str | None, limit: int | None,
        header_row: int | None) -> None:
    """Run TASK_FILE over every row of INPUT_FILE and write OUTPUT."""
    settings = get_settings()
    check_output(output, made_from=input_file)
    if sheet and file_kind(input_file) != "excel":
        raise WorkbenchError(f"--sheet is for Excel workbooks: '{input_file.name}' has a single table. Leave it out.")
    spec = load_task_file(task_file)  # first: it says when the two files were given the other way round
    check_not_overwriting(output, examples_file_of(task_file))
    sheet = sheet or opening_sheet(input_file)
    # Before the job is made: a job made first stayed "running" under this process when preparing failed or was
    # stopped, and the background worker then ran it.
    _prepare_on_first_use(settings, spec.model, spec.model_kind,
                          check_first=lambda: service.checked_rows(settings, spec, input_file, sheet, limit, header_row))
    job_id = service.create_job(settings, spec, input_file, sheet=sheet, limit=limit, source="cli", runner_pid=os.getpid(),
                                header_row=header_row)
    click.echo(f"Job #{job_id}: {spec.task} over {input_file.name}", err=True)
    for note in [*input_notes(input_file, sheet), *_language_notes(input_file, sheet, header_row, spec.text)]:
        click.echo(f"Note: {note}", err=True)  # macros ignored, formulas without saved values, another language
    # Loading the model and reading the first rows can take a minute or two before the first batch's line.
    click.echo("Setting up: loading the model and reading the first rows…", err=True, nl=False)
    status = _run_until_interrupted(settings, job_id)
    click.echo("", err=True)
    _print_job_notes(settings, job_id)
    _report_end(settings, job_id, status, output)


# Rows read to tell the file's language, as the New job page's preview does.
LANGUAGE_SAMPLE_ROWS = 200


def _language_notes(input_file: Path, sheet: str | None, header_row: int | None, columns: list[str]) -> list[str]:
    """The New job page's warning that the rows do not look English: `workbench run` said nothing, and the models'
    answers on German or French rows are mostly wrong with a high confidence."""
    frame = read_table(input_file, sheet=sheet, nrows=LANGUAGE_SAMPLE_ROWS, header_row=header_row)
    return [note] if (note := language_note(frame, columns)) else []


def _prepare_on_first_use(settings, model: str, kind: str, check_first=lambda: None) -> None:
    """A bundled model is prepared the first time a job needs it: here with a progress bar, not minutes of silence
    inside the job. `check_first`: the job's input, checked before that minute (a bad file was said after it)."""
    name = registry.resolve_name(model, kind)
    if name in registry.BUNDLED and not registry.is_prepared(registry.model_dir(settings, name)):
        check_first()
        _with_progress_bar(f"Preparing {name}, once", lambda progress: registry.prepare(settings, name, progress=progress))
        click.echo("", err=True)


def _run_until_interrupted(settings, job_id: int) -> str:
    """Run the job here; Ctrl-C pauses it (the background worker would otherwise take it over and run on)."""
    try:
        return run_job(settings, job_id, on_batch=_print_progress)
    except KeyboardInterrupt:
        service.pause_job(settings, job_id)
        click.echo("", err=True)  # off the progress line
        raise click.ClickException(f"Stopped: job #{job_id} is paused with the rows saved so far. "
                                   f"`workbench jobs resume {job_id}` continues it, here or from the Jobs page.") from None


def _print_progress(job) -> None:
    click.echo(f"\r{describe(job_progress(job)):<72}", err=True, nl=False)  # over the set-up line


def _report_end(settings, job_id: int, status: str, output: Path) -> None:
    job = service.get_job(settings, job_id)
    if status != "completed":
        raise WorkbenchError(f"Job #{job_id} {status}: {job.error or 'stopped before the end'}")
    try:
        export_job(settings, job_id, output)
    except WorkbenchError as exc:
        raise WorkbenchError(f"Job #{job_id} completed and its answers are saved, but the file could not be written: "
                             f"{exc} Then: workbench jobs export {job_id} -o FILE") from None
    click.echo(f"Done: {job.done_rows:,} rows, {job.failed_rows:,} failed -> {output}", err=True)
    _say_values_only(settings, job_id, output)


def _say_values_only(settings, job_id: int, output: Path) -> None:
    if copies_values_only(settings, job_id, output):
        click.echo(f"Note: {VALUES_ONLY_NOTE} To keep its look, copy the result columns into it.", err=True)


@cli.command("compare")
@click.argument("task_file", type=click.Path(path_type=Path))
@click.argument("input_file", type=click.Path(path_type=Path))
@click.option("--answers", required=True, help="The column of right answers.")
@click.option("--model", "models", multiple=True, required=True, help="A prepared model to compare (repeat the option).")
@click.option("--rows", type=ROWS, default=None, help="Only the first N rows.")
@click.option("--latency-rows", type=Number(int, 0, what="a whole number of rows"), default=compare.DEFAULT_LATENCY_ROWS,
              help="Rows answered one at a time after each job, for latency.")
@click.option("--sheet", default=None, help="Sheet of an Excel workbook (default: the one it opens on).")
@click.option("--prices", nargs=3, type=Number(float, 0, MAX_PRICE, what="a price in dollars"), default=astuple(DEFAULT_PRICES), show_default=True,
              help="API $ per million prompt tokens, $ per million answer tokens, this machine's $ per hour.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Also write the table (.csv, .tsv or .xlsx).")
@header_row_option
@user_errors
def compare_models(task_file: Path, input_file: Path, answers: str, models: tuple[str, ...], rows: int | None,
                   latency_rows: int, sheet: str | None, prices: tuple[float, float, float], output: Path | None,
                   header_row: int | None) -> None:
    """Compare MODELs on INPUT_FILE's labelled rows with TASK_FILE's settings (the Benchmark page's comparison)."""
    settings = get_settings()
    if output:  # before the models' minutes of work, and never over the labelled sheet itself
        check_output(output, made_from=input_file)
    data = compare.Sheet(input_file, answers, sheet=sheet or opening_sheet(input_file), rows=rows, header_row=header_row)
    comparison_id = compare.start_comparison(settings, load_task_file(task_file), data, list(models), latency_rows)
    jobs = compare.comparison_jobs(settings, comparison_id)
    click.echo(f"Comparison #{comparison_id}: {counted(len(jobs), 'model')}"
               + (", one after another" if len(jobs) > 1 else ""), err=True)
    _compare_until_interrupted(settings, comparison_id)
    table = compare.comparison_table(settings, comparison_id, Prices(*prices))
    click.echo("", err=True)
    click.echo(compare.with_plain_costs(table).drop(columns=["score"], errors="ignore").to_string(index=False))
    if output:  # first: the minutes of work are in it
        written = table if output.suffix.lower() == ".xlsx" else compare.with_plain_costs(table)
        write_table(compare.with_prices(written, Prices(*prices)), output, sheet_name="comparison")
    for note in comparison_notes(compare.comparison_jobs(settings, comparison_id), table,
                                 compare.right_answers(settings, comparison_id)):
        click.echo(f"Note: {note}", err=True)


def _compare_until_interrupted(settings, comparison_id: int) -> None:
    """Run the comparison here; Ctrl-C pauses its unfinished jobs (the background worker would run them on)."""
    try:
        compare.run_here(settings, comparison_id, on_batch=_print_progress)
    except KeyboardInterrupt:
        paused = compare.pause_comparison(settings, comparison_id)
        raise click.ClickException(
            f"Stopped: comparison #{comparison_id}'s unfinished jobs are paused ({', '.join(f'#{i}' for i in paused)}). "
            "`workbench jobs resume ID` continues one, here or from the Jobs page.") from None


def _requeue_orphans_if_writable(settings) -> None:
    """A killed `workbench run` read "running" here until a worker noticed; where the database cannot be written (the
    disk full), the jobs are still listed, as they are."""
    try:
        requeue_orphans(settings)
    except OperationalError:
        pass


@cli.group()
def jobs() -> None:
    """List, inspect, cancel and export jobs."""


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "every_job", is_flag=True, help=f"Every job, not only the newest {repo.LISTED_JOBS}.")
@user_errors
def jobs_list(as_json: bool, every_job: bool) -> None:
    settings = get_settings()
    _requeue_orphans_if_writable(settings)
    rows = [_job_row(job) for job in service.list_jobs(settings, every_job)]
    _say_older_jobs(settings, len(rows))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"#{row['id']:<5} {row['status']:<10} {row['task']:<10} {row['done']:>7}/{row['total']:<7} {row['name']}")
    _say_who_runs_queued_jobs(settings, rows)


def _say_older_jobs(settings, listed: int) -> None:
    total = service.count_jobs(settings)
    if total > listed:
        click.echo(f"The newest {listed:,} of {total:,} jobs are listed: `workbench jobs list --all` lists every one, "
                   "`workbench jobs show ID` shows one.", err=True)


def _say_who_runs_queued_jobs(settings, rows: list[dict]) -> None:
    if any(row["status"] == "queued" for row in rows) and not worker_running(settings):
        click.echo("Queued jobs run once the app runs (`workbench serve`, or `workbench worker` alone); "
                   "`workbench jobs resume ID` runs one in this terminal now.", err=True)


def _job_row(job) -> dict:
    return {"id": job.id, "name": job.name, "task": job.task, "status": job.status, "done": job.done_rows,
            "failed": job.failed_rows, "total": job.total_rows, "started_from": job.source,
            "created_at": job.created_at.isoformat()}


@jobs.command("show")
@click.argument("job_id", type=int)
@click.option("--answers", default=None, help="A column of right answers in the input: adds accuracy, macro-F1, "
                                              "per-label precision and recall and the confusion matrix (classify, "
                                              "route), ROUGE (summarize) or per-field precision/recall/F1 (extract).")
@click.option("--by-field", is_flag=True, help="extract: the right values are in the input's columns named as the "
                                               "fields (instead of --answers with one column of JSON objects).")
@click.option("--reviewed", is_flag=True, help="Score the model on the rows people reviewed, their answers taken as "
                                               "the right ones (mostly rows the model was unsure of: harder than most).")
@user_errors
def jobs_show(job_id: int, answers: str | None, by_field: bool, reviewed: bool) -> None:
    _requeue_orphans_if_writable(get_settings())
    job = service.get_job(get_settings(), job_id)
    shown = {**_job_row(job), "progress": describe(job_progress(job)), "error": job.error,
             "input": job.input_path, "spec": job.spec, "model": registry.snapshot_names(job.model),
             "reviewed_rows": review.review_count(get_settings(), job_id), "measured": job.measurements or {}}
    answers = BY_FIELD if by_field else answers
    model = results_frame(get_settings(), job_id, reviewed=False) if answers or reviewed else None
    if answers:  # the model's answers are scored, not the reviewers' corrections
        shown["evaluation"] = {**report_dict(evaluate(model, answers)),
                               "examples_left_out": int(example_rows(model).sum()),
                               "right_answers_outside_the_labels": answers_outside_labels(model, answers)}
    if reviewed:
        with_reviews = review.with_job_reviews(get_settings(), job_id, model, job.spec)
        shown["evaluation_on_reviewed_rows"] = report_dict(evaluate_reviewed(model, with_reviews))
    click.echo(json.dumps(shown, indent=2))


@jobs.command("delete")
@click.argument("job_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
@user_errors
def jobs_delete(job_id: int, yes: bool) -> None:
    """Delete a stopped job: its answers, reviews and the copy of its input file kept in the data folder (unless
    another job reads it). Your own file is not touched."""
    if not yes:
        click.confirm(f"Delete job #{job_id} with its answers and reviews? This cannot be undone", abort=True)
    removed = delete_job(get_settings(), job_id)
    click.echo(f"Deleted job #{job_id}" + (f" and {counted(removed, 'stored input file')}." if removed else "."))


@jobs.command("resume")
@click.argument("job_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Also write the result file.")
@user_errors
def jobs_resume(job_id: int, output: Path | None) -> None:
    """Continue a paused, cancelled or failed job here, from its last saved row."""
    settings = get_settings()
    service.resume_job(settings, job_id, runner_pid=os.getpid())
    _run_here(settings, job_id, output)


@jobs.command("retry")
@click.argument("job_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Also write the result file.")
@user_errors
def jobs_retry(job_id: int, output: Path | None) -> None:
    """Run only the rows of a job that failed, again."""
    settings = get_settings()
    retried = service.retry_failed_rows(settings, job_id, runner_pid=os.getpid())  # claimed here: no worker takes it
    click.echo(f"Retrying {counted(retried, 'failed row')}", err=True)
    _run_here(settings, job_id, output)


@jobs.command("pause")
@click.argument("job_id", type=int)
@user_errors
def jobs_pause(job_id: int) -> None:
    """Stop a job within about a second (a batch stopped mid-way runs again on resume); `jobs resume` continues it."""
    service.pause_job(get_settings(), job_id)
    click.echo(f"Job #{job_id} paused.")


def _print_job_notes(settings, job_id: int) -> None:
    """What the template found on the job's rows (classify: whether the generator's second opinion is used)."""
    for note in measure.notes(service.get_job(settings, job_id).measurements):
        click.echo(f"Note: {note}", err=True)


def _run_here(settings, job_id: int, output: Path | None) -> None:
    click.echo(f"Job #{job_id}: running", err=True)
    status = _run_until_interrupted(settings, job_id)
    click.echo("", err=True)
    _print_job_notes(settings, job_id)
    if output:
        _report_end(settings, job_id, status, output)
    elif status != "completed":
        raise WorkbenchError(f"Job #{job_id} {status}: {service.get_job(settings, job_id).error or 'stopped before the end'}")
    else:
        click.echo(f"Job #{job_id} completed.", err=True)


@jobs.command("cancel")
@click.argument("job_id", type=int)
@user_errors
def jobs_cancel(job_id: int) -> None:
    service.cancel_job(get_settings(), job_id)
    click.echo(f"Job #{job_id} cancelled.")


@jobs.command("export")
@click.argument("job_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@user_errors
def jobs_export(job_id: int, output: Path) -> None:
    settings = get_settings()
    check_output(output)
    if service.is_input_of(settings, job_id, output):
        raise WorkbenchError(f"'{output.name}' holds job #{job_id}'s input: writing the results over it would lose your "
                             "file. Choose another output name.")
    click.echo(f"Wrote {export_job(settings, job_id, output)}")
    _say_values_only(settings, job_id, output)
    if not Path(service.get_job(settings, job_id).input_path).exists():
        click.echo(f"Note: job #{job_id}'s input file is not there, so the file holds its answers alone, each with its "
                   "row's number in the input file.", err=True)


@cli.group()
def models() -> None:
    """List and prepare models."""


@models.command("list")
@user_errors
def models_list() -> None:
    """Every model: bundled or added, prepared or not, with its measured speed and agreement."""
    rows = registry.list_models(get_settings())
    width = max(len(row["name"]) for row in rows) + 1  # names users add can be long
    for row in rows:
        click.echo(f"{row['name']:<{width}} {row['kind']:<10} {_model_state(row)}")


# The manifest's agreements (models/measure.py, models/original.py), as `models list` names them.
AGREEMENTS = {"agreement_with_unquantized": "unquantized", "agreement_with_original": "original"}


def _model_state(row: dict) -> str:
    if not row["prepared"]:
        return row.get("problem") or "not prepared"
    measured = row.get("measurements") or {}
    agreement = ", ".join(f"agreement with {whom} {measured[key]}" for key, whom in AGREEMENTS.items() if key in measured)
    parts = [f"{row['size_bytes'] / 1e6:.1f} MB", row["quantization"]["preset"], registry.measured_speed(row), agreement,
             row["source"], registry.model_note(row)]
    return "ready, " + ", ".join(p for p in parts if p)


@models.command("prepare")
@click.argument("name", required=False)
@user_errors
def models_prepare(name: str | None) -> None:
    """Export and quantize a bundled model (all of them when no NAME is given)."""
    for each in [name] if name else list(registry.BUNDLED):
        folder = _with_progress_bar(f"Preparing {each}", lambda progress, each=each: registry.prepare(
            get_settings(), each, progress=progress))
        click.echo(f"Ready: {folder}")


@models.command("add")
@click.argument("source")
@click.option("--name", default=None, help="Name to use in task files (default: from the source).")
@click.option("--kind", type=click.Choice(["encoder", "generator"]), default=None, help="Default: from config.json.")
@click.option("--quantization", type=click.Choice(list(PRESETS)), default=None, help="Default: the kind's default.")
@user_errors
def models_add(source: str, name: str | None, kind: str | None, quantization: str | None) -> None:
    """Add a model from a Hugging Face folder, a .gguf file or a hub id (org/name, needs internet)."""
    folder = _with_progress_bar(f"Adding {source}", lambda progress: registry.add_model(
        get_settings(), source, name=name, kind=kind, preset=quantization, progress=progress))
    click.echo(f"Ready: {folder}")


@models.command("quantize")
@click.argument("name")
@click.option("--preset", type=click.Choice(list(PRESETS)), required=True)
@click.option("--name", "new_name", default=None, help="Name of the new model (default: NAME-PRESET).")
@user_errors
def models_quantize(name: str, preset: str, new_name: str | None) -> None:
    """Make NAME-PRESET: the model NAME quantized another way, measured against the unquantized one."""
    folder = _with_progress_bar(f"Quantizing {name}", lambda progress: registry.quantize_model(
        get_settings(), name, preset, progress=progress, new_name=new_name))
    click.echo(f"Ready: {folder}")


def _with_progress_bar(label: str, work):
    """Run work(progress) with a progress bar on stderr that shows the current step."""
    with _details_in_file(get_settings()), click.progressbar(length=100, label=label, file=sys.stderr) as bar:
        def progress(fraction: float, message: str) -> None:
            bar.label = message
            bar.update(int(fraction * 100) - bar.pos)

        return work(progress)


# Where a model build on the command line leaves what its libraries said, in the data folder.
BUILD_DETAILS = "model-builds.log"


@contextmanager
def _details_in_file(settings):
    """The app's logged details of a build (a library's traceback) go to a file, not to the terminal before the plain
    message: no logging is set up here, so Python printed them as they came. A failure says where they are."""
    path = settings.data_dir / BUILD_DETAILS
    handler = logging.FileHandler(path, delay=True)  # made at the first record: no empty file for a build that went well
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger, level = logging.getLogger("workbench"), logging.getLogger("workbench").level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # the sources' checks log a library's words at INFO
    try:
        yield
    except WorkbenchError as exc:
        if handler.stream is None:  # nothing was written
            raise
        raise WorkbenchError(f"{exc} The details are in {path}.") from exc
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()


@cli.command()
@user_errors
def worker() -> None:
    """Run the background worker in the foreground."""
    serve_forever(get_settings())


@cli.command()
@click.option("--port", default=8501, show_default=True)
@user_errors
def serve(port: int) -> None:
    """Start the background worker and the web app."""
    settings = get_settings()
    ensure_worker(settings)
    # Streamlit refuses bigger uploads before our own check sees them, so both follow WORKBENCH_MAX_UPLOAD_MB.
    command = [sys.executable, "-m", "streamlit", "run", str(APP_FILE), "--server.port", str(port),
               "--server.maxUploadSize", str(settings.max_upload_mb)]
    # From the project folder, so Streamlit reads our .streamlit/config.toml (upload limit, no telemetry).
    raise SystemExit(subprocess.call(command, cwd=APP_FILE.parent))


if __name__ == "__main__":
    cli()
