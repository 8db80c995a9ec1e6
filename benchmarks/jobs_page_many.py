"""The Jobs page with many jobs in headless Chromium: how long it takes to draw, and the CPU its redraws (every 2 s)
cost the browser and the server while it stays open.

    .venv/bin/python benchmarks/jobs_page_many.py [--jobs 220] [--code DIR ...]

Each `--code` is a checkout of this project (default: this one), run in turn on the same data folder: 220 jobs on the
sample emails, 2 of them paused, the rest completed. Compare two checkouts in one run: the ratio is what to read.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jobs_page_load import chromium  # noqa: E402
from tests.e2e.test_browser import free_port, wait_for_http  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db.schema import Job  # noqa: E402
from workbench.db.session import session_scope  # noqa: E402
from workbench.jobs import service  # noqa: E402

SAMPLES = ROOT / "sample_data"


def make_jobs(settings: Settings, count: int) -> None:
    ids = [service.create_job_from_task_file(settings, SAMPLES / "support_emails.task.yaml",
                                             SAMPLES / "support_emails.csv") for _ in range(count)]
    with session_scope(settings) as session:  # nothing for the worker to run: the page alone is measured
        session.execute(update(Job).values(status="completed"))
        session.execute(update(Job).where(Job.id.in_(ids[-3:-1])).values(status="paused"))


def cpu_seconds(processes) -> float:
    return sum(sum(process.cpu_times()[:2]) for process in processes)


def measure(code: Path, env: dict, loads: int) -> None:
    from selenium.webdriver.common.by import By

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                               "--server.headless", "true"], cwd=code, env={**env, "PYTHONPATH": str(code)},
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    driver = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
        driver = chromium()
        for load in range(loads):
            start = time.monotonic()
            driver.get(f"http://127.0.0.1:{port}/jobs")
            boxes = _settled_count(driver, By)
            drawn = time.monotonic() - start
            browser_processes = psutil.Process(driver.service.process.pid).children(recursive=True)
            server_process = psutil.Process(server.pid)
            before = cpu_seconds(browser_processes), cpu_seconds([server_process])
            time.sleep(10)
            spent = cpu_seconds(browser_processes) - before[0], cpu_seconds([server_process]) - before[1]
            print(f"{code.name} load {load}: {boxes} job boxes drawn in {drawn:.1f} s; over the next 10 s the browser "
                  f"used {spent[0]:.1f} s of CPU, the server {spent[1]:.1f} s", flush=True)
    finally:
        if driver:
            driver.quit()
        os.killpg(server.pid, signal.SIGTERM)


def _settled_count(driver, by) -> int:
    """The number of job boxes once it has not grown for 2 s (the page draws them as they arrive)."""
    count, steady_since = 0, time.monotonic()
    while time.monotonic() - steady_since < 2:
        now = len([head for head in driver.find_elements(by.CSS_SELECTOR, "h3") if "Job #" in head.text])
        if now != count or not now:
            count, steady_since = now, time.monotonic()
        time.sleep(0.1)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=220)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--code", type=Path, nargs="+", default=[ROOT])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "WORKBENCH_DATA_DIR": folder,
               "WORKBENCH_MODELS_DIR": os.environ.get("WORKBENCH_MODELS_DIR", str(ROOT / "data" / "models"))}
        make_jobs(Settings(data_dir=Path(folder)), args.jobs)
        for code in args.code:
            measure(code.resolve(), env, args.loads)


if __name__ == "__main__":
    main()
