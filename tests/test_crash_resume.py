"""A CLI job killed with SIGKILL at random moments resumes to exactly the output of an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SAMPLE_DIR
from workbench.config import Settings
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import WorkbenchError

ROWS = 3000
KILLS = 4


@pytest.fixture
def cli_env(tiny_encoder_folder, data_dir):
    """The CLI in a child process, with the tiny encoder standing in for a model in the models folder."""
    return {**os.environ, "WORKBENCH_DATA_DIR": str(data_dir),
            "WORKBENCH_MODELS_DIR": str(tiny_encoder_folder.parent), "WORKBENCH_THREADS": "1"}


@pytest.fixture
def task_files(tmp_path, tiny_encoder_folder):
    emails = pd.read_csv(SAMPLE_DIR / "support_emails.csv")
    # Many rows, each a little different, so the job runs long enough to be killed in the middle.
    rows = pd.concat([emails] * (ROWS // len(emails) + 1), ignore_index=True).head(ROWS)
    rows["Body"] = [f"{body} (ticket {i})" + " more detail" * (i % 7) for i, body in enumerate(rows["Body"])]
    rows.to_csv(tmp_path / "input.csv", index=False)
    task = {"task": "classify", "text": ["Subject", "Body"], "model": tiny_encoder_folder.name,
            "labels": ["billing", "shipping", "technical support", "returns"]}
    (tmp_path / "task.yaml").write_text(json.dumps(task))  # JSON is YAML
    return tmp_path / "task.yaml", tmp_path / "input.csv"


def workbench(env, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


def kill_when_done(process: subprocess.Popen, settings, job_id: int, rows: int) -> bool:
    """SIGKILL the process once the job has saved at least `rows` rows; False if it ended first."""
    while process.poll() is None:
        if saved_rows(settings, job_id) >= rows:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.01)
    return False


def saved_rows(settings, job_id: int) -> int:
    with session_scope(settings) as session:
        try:
            return len(repo.processed_row_indexes(session, job_id))
        except WorkbenchError:  # the job is not created yet
            return 0


def job_state(env, job_id: int) -> dict:
    return json.loads(finished(workbench(env, "jobs", "show", job_id)))


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_output(cli_env, task_files, tmp_path):
    task, data = task_files
    finished(workbench(cli_env, "run", task, data, "-o", tmp_path / "clean.csv"))

    settings = Settings(data_dir=Path(cli_env["WORKBENCH_DATA_DIR"]))
    # Kill points at random rows, in increasing order; a kill may land in the middle of a batch. All fall in
    # the first half, so a test process starved of CPU for a moment still kills before the job's last row
    # (the tiny model runs hundreds of rows a second; CI once saw the job end between the poll and the kill).
    targets = sorted(random.Random(7).sample(range(100, ROWS // 2), KILLS))
    command = ("run", task, data, "-o", tmp_path / "killed.csv")
    for target in targets:
        assert kill_when_done(workbench(cli_env, *command), settings, 2, target), "the job ended before the kill"
        state = job_state(cli_env, 2)
        # Killed mid-way, its rows kept; its process gone, it waits in the queue (it read "running" before).
        assert state["status"] == "queued" and target <= state["done"] < ROWS
        # Results and counters are committed together, so a kill never leaves them out of step.
        assert state["done"] + state["failed"] == saved_rows(settings, 2)
        command = ("jobs", "resume", 2, "-o", tmp_path / "killed.csv")
    finished(workbench(cli_env, *command))

    state = job_state(cli_env, 2)
    assert (state["status"], state["done"], state["failed"]) == ("completed", ROWS, 0)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "killed.csv"), pd.read_csv(tmp_path / "clean.csv"))
    _assert_one_result_per_row(cli_env, 2)


def _assert_one_result_per_row(env, job_id: int) -> None:
    with session_scope(Settings(data_dir=Path(env["WORKBENCH_DATA_DIR"]))) as session:
        indexes = [r.row_index for r in repo.job_results(session, job_id)]
    assert sorted(indexes) == list(range(ROWS))  # no row lost, none written twice
