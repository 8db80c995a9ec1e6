import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_DIR
from workbench.cli import cli
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import ModelNotReadyError
from workbench.io import read_table
from workbench.jobs import runner

TASK_FILE = str(SAMPLE_DIR / "support_emails.task.yaml")
EMAILS = str(SAMPLE_DIR / "support_emails.csv")


@pytest.fixture
def invoke(tiny_encoder, monkeypatch):
    # The runner loads the encoder by name from the settings; the tiny one stands in for the bundled model.
    monkeypatch.setattr(runner, "load_encoder", lambda _settings, _name=None: tiny_encoder)

    def call(*args: str):
        return CliRunner().invoke(cli, list(args))

    return call


def _assert_user_error(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert message in result.stderr


def _jobs(invoke) -> list[dict]:
    result = invoke("jobs", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _run(invoke, task_file: str, output):
    result = invoke("run", task_file, EMAILS, "-o", str(output), "--limit", "4")
    assert result.exit_code == 0, result.output
    return result, output


@pytest.fixture
def finished_job(invoke, tmp_path):
    return _run(invoke, TASK_FILE, tmp_path / "out.csv")


@pytest.fixture
def quick_job(invoke, tmp_path):
    """A finished zero-shot job: faster than the sample task, which fits on its examples first."""
    task_file = _write(tmp_path / "quick.yaml", "task: classify\ntext: [Subject, Body]\nlabels: [billing, shipping]\n")
    return _run(invoke, str(task_file), tmp_path / "out.csv")


def test_run_says_when_the_rows_do_not_look_english(invoke, tmp_path):
    """The New job page warned of it; `workbench run` said nothing."""
    german = tmp_path / "mails.csv"
    rows = ["Rechnung,Ich wurde für meine Bestellung zweimal belastet und möchte mein Geld zurück",
            "Paket,Mein Paket ist nicht angekommen und die Sendungsverfolgung zeigt nichts an"]
    german.write_text("\n".join(["Subject,Body", *rows * 4]) + "\n", encoding="utf-8")  # enough words to tell
    task = _write(tmp_path / "t.yaml", "task: classify\ntext: [Subject, Body]\nlabels: [billing, shipping]\n")
    result = invoke("run", str(task), str(german), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0 and "Note: These rows do not look like English." in result.stderr
    assert "do not look like English" not in _run(invoke, str(task), tmp_path / "english.csv")[0].stderr


def test_run_writes_every_input_column_plus_the_results(finished_job):
    result, output = finished_job
    assert "Job #1: classify over support_emails.csv" in result.stderr
    assert "Done: 4 rows, 0 failed" in result.stderr
    assert result.stdout == ""
    written = read_table(output)
    source = read_table(SAMPLE_DIR / "support_emails.csv", nrows=4)
    assert list(written.columns) == [*source.columns, "label", "confidence", "needs_review"]
    assert written["Subject"].tolist() == source["Subject"].tolist()
    assert all(label in {"billing", "technical_support", "account_access", "shipping", "returns", "feedback"}
               for label in written["label"])


def test_the_cli_job_is_listed_shown_and_exported(finished_job, invoke, tmp_path):
    jobs = _jobs(invoke)
    assert [(j["id"], j["status"], j["done"], j["failed"], j["total"], j["task"]) for j in jobs] == [
        (1, "completed", 4, 0, 4, "classify")]
    assert "#1" in invoke("jobs", "list").stdout

    shown = invoke("jobs", "show", "1")
    assert shown.exit_code == 0
    details = json.loads(shown.stdout)
    assert details["progress"].startswith("4 / 4 rows")
    assert details["model"] == "tiny-encoder"
    assert details["spec"]["text"] == ["Subject", "Body"]
    assert details["measured"]["peak_memory_mb"] > 0 and details["measured"]["shared_cores"] is False

    exported = invoke("jobs", "export", "1", "-o", str(tmp_path / "again.xlsx"))
    assert exported.exit_code == 0
    assert read_table(tmp_path / "again.xlsx")["label"].tolist() == read_table(finished_job[1])["label"].tolist()


def test_cancel_a_finished_job_is_refused(quick_job, invoke):
    _assert_user_error(invoke("jobs", "cancel", "1"), "Job #1 is completed; it cannot become cancelled.")


@pytest.mark.parametrize("command", [("jobs", "show", "99"), ("jobs", "cancel", "99"), ("jobs", "export", "99", "-o", "x.csv")])
def test_unknown_job(invoke, command):
    _assert_user_error(invoke(*command), "There is no job #99.")


@pytest.mark.parametrize(
    "make_input,message",
    [
        (lambda folder: folder / "missing.csv", "does not exist"),
        (lambda folder: _write(folder / "old.xls", "x"), "Old .xls files are not supported"),
        (lambda folder: _write(folder / "empty.csv", ""), "'empty.csv' is empty"),
        (lambda folder: _write(folder / "cols.csv", "Title,Text\na,b\n"), "The file has no columns 'Subject', 'Body'"),
    ],
)
def test_a_bad_input_file_gives_a_clear_message(invoke, tmp_path, make_input, message):
    result = invoke("run", TASK_FILE, str(make_input(tmp_path)), "-o", str(tmp_path / "out.csv"))
    _assert_user_error(result, message)
    assert not (tmp_path / "out.csv").exists()
    assert _jobs(invoke) == []


def test_swapped_arguments_are_explained(invoke, tmp_path):
    result = invoke("run", str(SAMPLE_DIR / "support_emails.xlsx"), TASK_FILE, "-o", str(tmp_path / "out.csv"))
    _assert_user_error(result, "is a data file, not a task file: the task file (.yaml) comes first")


def test_an_unknown_output_format_is_refused_before_running(invoke, tmp_path):
    _assert_user_error(invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.pdf")), "choose a .csv, .tsv or .xlsx output file")
    assert _jobs(invoke) == []


def test_a_missing_output_folder_is_refused_before_running(invoke, tmp_path):
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "nope" / "out.csv"))
    _assert_user_error(result, "the folder")
    assert "does not exist" in result.stderr
    assert _jobs(invoke) == []


def test_results_are_never_written_over_the_input_file(invoke, tmp_path):
    mine = _write(tmp_path / "mine.csv", Path(EMAILS).read_text(encoding="utf-8"))
    _assert_user_error(invoke("run", TASK_FILE, str(mine), "-o", str(tmp_path / "." / "mine.csv")), "is the input file")
    assert mine.read_text(encoding="utf-8") == Path(EMAILS).read_text(encoding="utf-8") and _jobs(invoke) == []


def test_results_are_never_written_over_the_task_files_examples(invoke, tmp_path):
    examples = _write(tmp_path / "examples.csv", "text,category\nrefund please,billing\nlogin fails,technical_support\n")
    task = _write(tmp_path / "task.yaml", "task: classify\ntext: [Subject, Body]\nlabels: [billing, technical_support]\n"
                  "examples: {file: examples.csv, text: text, label: category}\n")
    result = invoke("run", str(task), EMAILS, "-o", str(examples))
    _assert_user_error(result, "'examples.csv' is the task file's examples file: writing the results over it")
    assert examples.read_text(encoding="utf-8").startswith("text,category") and _jobs(invoke) == []


def test_export_to_a_missing_folder_is_a_message(quick_job, invoke, tmp_path):
    _assert_user_error(invoke("jobs", "export", "1", "-o", str(tmp_path / "nope" / "out.xlsx")), "Cannot write")


def test_an_output_that_cannot_be_written_is_found_before_the_job_runs(invoke, tmp_path):
    (tmp_path / "out.csv").mkdir()  # a folder where the file should go
    _assert_user_error(invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv")), "Cannot write")
    assert _jobs(invoke) == []  # no job made: nothing ran for minutes first


def test_an_export_never_writes_over_the_jobs_input_file(invoke, tmp_path):
    mine = _write(tmp_path / "mine.csv", Path(EMAILS).read_text(encoding="utf-8"))
    quick = _write(tmp_path / "quick.yaml", "task: classify\ntext: [Subject, Body]\nlabels: [billing, shipping]\n")
    assert invoke("run", str(quick), str(mine), "-o", str(tmp_path / "out.csv"), "--limit", "2").exit_code == 0
    _assert_user_error(invoke("jobs", "export", "1", "-o", str(mine)), "holds job #1's input")
    assert mine.read_text(encoding="utf-8") == Path(EMAILS).read_text(encoding="utf-8")


def test_a_sheet_asked_of_a_csv_file_is_a_message(invoke, tmp_path):
    _assert_user_error(invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "o.csv"), "--sheet", "May"), "--sheet is for")
    assert _jobs(invoke) == []


@pytest.mark.parametrize("name,value,message", [
    ("WORKBENCH_MAX_CELL_CHARS", "abc", "WORKBENCH_MAX_CELL_CHARS must be a whole number"),
    ("WORKBENCH_THREADS", "two", "WORKBENCH_THREADS must be a whole number"),  # was a job failing "unexpectedly"
    ("WORKBENCH_START_WORKER", "maybe", "WORKBENCH_START_WORKER must be 1 or 0"),
])
def test_a_setting_that_is_not_what_it_should_be_is_a_message(invoke, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    _assert_user_error(invoke("jobs", "list"), message)


def test_folder_settings_read_a_home_folder_and_an_empty_one_is_unset(monkeypatch, tmp_path):
    from workbench.config import Settings

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", "~/wb")
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", " ")
    settings = Settings()
    assert settings.data_dir == tmp_path / "wb" and settings.models_dir == tmp_path / "wb" / "models"
    monkeypatch.setenv("WORKBENCH_DATA_DIR", "")
    assert Settings().data_dir == tmp_path / ".slm-workbench"
    for word, started in (("false", False), ("OFF", False), ("yes", True), ("", True)):
        monkeypatch.setenv("WORKBENCH_START_WORKER", word)
        assert Settings().start_worker is started


def test_a_local_path_that_is_not_there_is_not_looked_up_on_the_hub(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    _assert_user_error(invoke("models", "add", "models/missing"), "There is no folder or file 'models/missing' in ")


def test_a_cli_job_is_never_offered_to_the_background_worker(invoke, monkeypatch, tmp_path, settings):
    offered = []

    def check_queue(job):
        with session_scope(settings) as session:
            offered.append(repo.claim_next_queued(session, runner_pid=999))

    monkeypatch.setattr("workbench.cli._print_progress", check_queue)
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"), "--limit", "2")
    assert result.exit_code == 0, result.output
    assert offered and offered == [None] * len(offered)


def test_a_failed_run_exits_non_zero_and_writes_nothing(invoke, monkeypatch, tmp_path):
    def not_ready(_settings, _name=None):
        raise ModelNotReadyError("The model 'default' is not prepared.")

    monkeypatch.setattr(runner, "load_encoder", not_ready)
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"), "--limit", "2")
    _assert_user_error(result, "Job #1 failed: The model 'default' is not prepared.")
    assert not (tmp_path / "out.csv").exists()
    assert _jobs(invoke)[0]["status"] == "failed"


@pytest.mark.parametrize("option,value,message", [
    ("--limit", "0", "'--limit': must be a whole number of rows, 1 or more; it is '0'."),
    ("--limit", "abc", "'--limit': must be a whole number of rows, 1 or more; it is 'abc'."),
])
def test_limit_must_be_positive(invoke, tmp_path, option, value, message):
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"), option, value)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("price", ["-1", "nan", "inf", "1e308"])
def test_a_price_that_is_no_price_is_refused(invoke, price):
    """nan and inf passed (nan < 0 is false), and the table's cost cells came out empty or inf."""
    result = invoke("compare", TASK_FILE, EMAILS, "--answers", "x", "--model", "a", "--prices", price, "0.6", "0.05")
    assert result.exit_code == 2
    assert f"'--prices': must be a price in dollars, from 0 to 1,000,000; it is '{price}'." in result.stderr


def _write(path, content: str):
    path.write_text(content)
    return path


def test_a_cancelled_job_resumes_from_the_command_line(invoke, settings, tmp_path, monkeypatch):
    from workbench.jobs import service
    from workbench.tasks.classify import ClassifyTask

    monkeypatch.setattr(ClassifyTask, "batch_size", 2)
    monkeypatch.setattr("workbench.cli._print_progress", lambda job: service.cancel_job(settings, job.id))
    invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"), "--limit", "6")
    assert _jobs(invoke)[0]["status"] == "cancelled" and _jobs(invoke)[0]["done"] == 2
    monkeypatch.setattr("workbench.cli._print_progress", lambda job: None)
    result = invoke("jobs", "resume", "1", "-o", str(tmp_path / "resumed.csv"))
    assert result.exit_code == 0, result.output
    job = _jobs(invoke)[0]
    assert (job["status"], job["done"], job["total"]) == ("completed", 6, 6)
    assert len(read_table(tmp_path / "resumed.csv")) == 6
    _assert_user_error(invoke("jobs", "resume", "1"), "only a paused, cancelled or failed job can be resumed")


def test_the_app_neither_watches_its_files_nor_reports_usage():
    # With Streamlit's file watcher on, an open page kept the server busy on a whole core (inotify
    # overflows on the project's .venv), halving the speed of the job the user was watching.
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_a_job_run_on_a_relative_path_is_exported_from_anywhere_after_the_file_is_gone(invoke, tmp_path, monkeypatch):
    here, elsewhere = tmp_path / "inputs", tmp_path / "elsewhere"
    here.mkdir(), elsewhere.mkdir()
    (here / "emails.csv").write_bytes(Path(EMAILS).read_bytes())
    monkeypatch.chdir(here)
    assert invoke("run", TASK_FILE, "emails.csv", "-o", str(tmp_path / "out.csv"), "--limit", "3").exit_code == 0
    (here / "emails.csv").unlink()  # the job keeps its own copy, as a job of an uploaded file does
    monkeypatch.chdir(elsewhere)
    exported = invoke("jobs", "export", "1", "-o", str(tmp_path / "again.csv"))
    assert exported.exit_code == 0, exported.output
    assert read_table(tmp_path / "again.csv").equals(read_table(tmp_path / "out.csv"))
    kept = Path(json.loads(invoke("jobs", "show", "1").stdout)["input"])
    assert kept.name == "emails.csv" and kept.is_file()  # under the data folder, named as the user named it


def test_a_job_whose_every_row_is_empty_is_neither_resumed_nor_retried_and_says_to_fill_them(invoke, tmp_path):
    empty = _write(tmp_path / "empty.csv", "Subject,Body,id\n,,1\n,,2\n")  # rows with no text fail one by one
    invoke("run", TASK_FILE, str(empty), "-o", str(tmp_path / "out.csv"))
    job = _jobs(invoke)[0]
    assert (job["failed"], job["status"]) == (2, "failed")
    _assert_user_error(invoke("jobs", "resume", "1"), "resuming would run nothing: the rows that failed are empty")
    _assert_user_error(invoke("jobs", "retry", "1"), "empty rows and rows over the length limit fail however often they run")


def test_a_task_file_naming_a_model_this_machine_lacks_creates_no_job(invoke, tmp_path):
    task = _write(tmp_path / "task.yaml", Path(TASK_FILE).read_text().replace("model: default", "model: gpt-4"))
    (tmp_path / "support_emails_examples.csv").write_bytes((SAMPLE_DIR / "support_emails_examples.csv").read_bytes())
    _assert_user_error(invoke("run", str(task), EMAILS, "-o", str(tmp_path / "out.csv")), "There is no model 'gpt-4'")
    assert _jobs(invoke) == []


def test_ctrl_c_pauses_the_job_it_runs_so_no_background_worker_takes_it_over(invoke, monkeypatch, tmp_path):
    import workbench.cli as cli_module

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "run_job", interrupted)
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"))
    _assert_user_error(result, "Stopped: job #1 is paused with the rows saved so far. `workbench jobs resume 1`")
    assert "\nError: Stopped" in result.stderr  # on a line of its own, not after the progress text
    assert _jobs(invoke)[0]["status"] == "paused"


def test_a_model_that_fails_to_prepare_leaves_no_job_for_the_worker_to_run(invoke, monkeypatch, tmp_path):
    import workbench.cli as cli_module

    def failed(*_args, **_kwargs):
        raise ModelNotReadyError("Preparing the model failed (disk full). Nothing was kept; run it again.")

    monkeypatch.setattr(cli_module, "_prepare_on_first_use", failed)
    _assert_user_error(invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv")), "disk full")
    assert _jobs(invoke) == []  # a job made first stayed "running" under a dead process, and the worker ran it


def test_a_database_that_cannot_be_written_is_a_message_not_a_traceback(invoke, monkeypatch, tmp_path):
    from sqlalchemy.exc import OperationalError

    import workbench.cli as cli_module

    def read_only(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))

    monkeypatch.setattr(cli_module.service, "create_job", read_only)
    result = invoke("run", TASK_FILE, EMAILS, "-o", str(tmp_path / "out.csv"))
    _assert_user_error(result, "The app's database could not be used (attempt to write a readonly database)")


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://team:secret@127.0.0.1:1/workbench", "needs the Python package 'MySQLdb'"),  # no driver installed
    ("postgresql+psycopg://team:secret@127.0.0.1:1/workbench", "Check that the server in WORKBENCH_DATABASE_URL is "
                                                               "running and the address is right"),
    ("not a database", "is not a database address"),
    ("postgresql+psycopg://team:secret@127.0.0.1:54x2/workbench", "is not a database address"),  # was a traceback
    ("postgresql+psycopg://team:p@ss@127.0.0.1:1/workbench", "p@ss is p%40ss"),
    ("  sqlite:////no/such/folder/workbench.db  ", "Check that the folder of the database file named in "
                                                   "WORKBENCH_DATABASE_URL exists"),  # spaces of a pasted line
])
def test_a_database_address_that_cannot_be_used_says_what_to_change(invoke, monkeypatch, url, message):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    for command in (("jobs", "list"), ("jobs", "show", "1")):
        _assert_user_error(invoke(*command), message)


def test_a_database_server_that_never_answers_is_given_up_on_and_said(invoke, monkeypatch):
    """A server that takes the connection and says nothing (a firewall dropping packets) held every command silent."""
    import socket

    from workbench.db import session as db_session

    monkeypatch.setattr(db_session, "CONNECT_TIMEOUT", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"postgresql+psycopg://team@127.0.0.1:{silent.getsockname()[1]}/wb")
        _assert_user_error(invoke("jobs", "list"), "The server did not answer within 2 s")


def test_a_job_whose_process_was_killed_is_listed_as_waiting_not_running(invoke, settings):
    """A killed `workbench run` read "running" with its last "time left" until a worker noticed."""
    from workbench.jobs import service

    job_id = service.create_job_from_task_file(settings, SAMPLE_DIR / "support_emails.task.yaml",
                                               SAMPLE_DIR / "support_emails.csv", limit=4)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, 999_999_999)  # no process has this id: it died
    assert [job["status"] for job in _jobs(invoke)] == ["queued"]
    listed = invoke("jobs", "list")
    assert "`workbench jobs resume ID` runs one in this terminal now" in listed.stderr


def test_a_bundled_model_used_for_the_first_time_is_prepared_with_a_progress_bar(settings, monkeypatch, capsys):
    from workbench import cli as cli_module
    from workbench.models import registry

    prepared = []
    monkeypatch.setattr(registry, "prepare", lambda _settings, name, progress: (progress(0.5, "Exporting"),
                                                                                prepared.append(name)))
    cli_module._prepare_on_first_use(settings, "default", "generator")
    assert prepared == [registry.resolve_name("default", "generator")]
    assert "Exporting" in capsys.readouterr().err
    monkeypatch.setattr(registry, "is_prepared", lambda _folder: True)
    cli_module._prepare_on_first_use(settings, "default", "generator")  # prepared already: nothing to do
    assert len(prepared) == 1


def test_a_bad_input_is_said_before_the_first_uses_preparation(invoke, monkeypatch, tmp_path):
    from workbench.models import registry

    prepared = []
    monkeypatch.setattr(registry, "is_prepared", lambda _folder: False)
    monkeypatch.setattr(registry, "prepare", lambda _settings, name, progress: prepared.append(name))
    bad = tmp_path / "tickets.csv"
    bad.write_text("Ticket,Notes\n1,hello\n")
    _assert_user_error(invoke("run", TASK_FILE, str(bad), "-o", str(tmp_path / "out.csv")), "Subject")
    assert prepared == []  # a minute's build was done before the message


def test_header_row_names_the_row_that_holds_the_column_names(invoke, tmp_path):
    titled = tmp_path / "report.csv"
    titled.write_text("Support emails, March\n" + Path(EMAILS).read_text(encoding="utf-8"), encoding="utf-8")
    output = tmp_path / "out.csv"
    result = invoke("run", TASK_FILE, str(titled), "-o", str(output), "--limit", "3", "--header-row", "2")
    assert result.exit_code == 0, result.output
    assert read_table(output)["Subject"].tolist() == read_table(EMAILS, nrows=3)["Subject"].tolist()
    refused = invoke("run", TASK_FILE, str(titled), "-o", str(output), "--header-row", "0")
    assert refused.exit_code == 2 and "'--header-row': must be a row number, from 1 to 100; it is '0'" in refused.stderr
    without = invoke("run", TASK_FILE, str(titled), "-o", str(output))
    _assert_user_error(without, "Row 2 holds those names: choose it as the header row")


def test_a_damaged_database_or_a_data_folder_that_cannot_be_made_is_a_message(invoke, tmp_path, monkeypatch):
    from workbench.db.session import engine_for

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "workbench.db").write_bytes(bytes(range(256)) * 40)
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(damaged))
    engine_for.cache_clear()
    _assert_user_error(invoke("jobs", "list"), f"The app's database file {damaged / 'workbench.db'} cannot be read: it "
                                                "is damaged, or was made by another program. Move it away")
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "a_file"))
    _assert_user_error(invoke("jobs", "list"), f"The app cannot make its folder {tmp_path / 'a_file'} (file exists). "
                                                "Set WORKBENCH_DATA_DIR")


def test_jobs_list_says_when_it_shows_only_the_newest_jobs(quick_job, invoke, monkeypatch):
    _run(invoke, str(quick_job[1].parent / "quick.yaml"), quick_job[1].parent / "again.csv")
    monkeypatch.setattr(repo, "LISTED_JOBS", 1)
    newest = invoke("jobs", "list")
    assert newest.exit_code == 0 and newest.stdout.count("\n") == 1 and newest.stdout.startswith("#2 ")
    assert "The newest 1 of 2 jobs are listed: `workbench jobs list --all` lists every one" in newest.stderr
    every = invoke("jobs", "list", "--all")
    assert every.stdout.count("\n") == 2 and "The newest" not in every.stderr


def test_a_large_workbooks_values_only_copy_is_said_on_the_command_line(invoke, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from workbench.io import workbook_export

    workbook = tmp_path / "emails.xlsx"
    read_table(Path(EMAILS)).head(4).to_excel(workbook, index=False)
    task_file = _write(tmp_path / "quick.yaml", "task: classify\ntext: [Subject, Body]\nlabels: [billing, shipping]\n")
    kept = invoke("run", str(task_file), str(workbook), "-o", str(tmp_path / "kept.xlsx"))
    assert kept.exit_code == 0 and "Note:" not in kept.stderr
    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 10)
    result = invoke("run", str(task_file), str(workbook), "-o", str(tmp_path / "values.xlsx"))
    assert result.exit_code == 0, result.output
    assert "Note: This workbook is large, so its XLSX copy keeps every sheet's values, number formats" in result.stderr
    assert "comments, links" in invoke("jobs", "export", "2", "-o", str(tmp_path / "again.xlsx")).stderr
    assert load_workbook(tmp_path / "values.xlsx").active["A1"].value == "Subject"
