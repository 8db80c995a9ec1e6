"""How long the Jobs page takes to load while two jobs run, against the same page with the jobs paused.

    .venv/bin/python benchmarks/jobs_page_load.py [--rows 30000] [--loads 5]

The app is started as a user starts it (`workbench serve`, which starts the background worker with
two job slots) on the bundled encoder. Two classify jobs over BANKING77 texts are created paused; the
Jobs page is loaded in headless Chromium `--loads` times (baseline), then both jobs are resumed and the
page is loaded again while both run. A load is timed from navigation until both jobs' cards are
on the page. Both phases run in this one script run, so the ratio is what to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.job_memory import TASKS, banking_texts, build_input  # noqa: E402
from tests.e2e.test_browser import free_port, wait_for_http  # noqa: E402


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def page_load_seconds(browser, url: str, job_ids: list[int]) -> float:
    """From navigation until every job's card has rendered."""
    browser.get("about:blank")
    started = time.perf_counter()
    browser.get(url)
    while not all(f"Job #{job_id}:" in browser.page_source for job_id in job_ids):
        if time.perf_counter() - started > 120:
            raise TimeoutError("the Jobs page did not show the jobs within 120 s")
        time.sleep(0.02)
    return time.perf_counter() - started


def create_paused_jobs(settings, data: Path, count: int) -> list[int]:
    from workbench.jobs import service
    from workbench.tasks.spec import spec_from_dict

    spec = spec_from_dict(TASKS["classify"])
    job_ids = [service.create_job(settings, spec, data) for _ in range(count)]
    for job_id in job_ids:
        service.pause_job(settings, job_id)
    return job_ids


def measure(browser, url, job_ids, loads: int) -> list[float]:
    return [page_load_seconds(browser, url, job_ids) for _ in range(loads)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    models = Path(os.environ.get("WORKBENCH_DATA_DIR", ROOT / "data")) / "models"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        os.environ.update(WORKBENCH_DATA_DIR=str(folder / "data"), WORKBENCH_MODELS_DIR=str(models))
        from workbench.config import get_settings
        from workbench.jobs import service

        settings = get_settings()
        job_ids = create_paused_jobs(settings, build_input(banking_texts(args.rows), folder, "csv"), 2)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)],
                                  start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        browser = chromium()
        try:
            url = f"http://127.0.0.1:{port}/jobs"
            wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
            page_load_seconds(browser, url, job_ids)  # warm-up: Streamlit's first load compiles the page
            idle = measure(browser, url, job_ids, args.loads)
            for job_id in job_ids:
                service.resume_job(settings, job_id)
            while not all(service.get_job(settings, j).done_rows for j in job_ids):
                time.sleep(0.5)
            print(f"load average with both jobs running: {os.getloadavg()[0]:.2f}")
            busy = measure(browser, url, job_ids, args.loads)
            states = [(service.get_job(settings, j).status, service.get_job(settings, j).done_rows) for j in job_ids]
            print(f"jobs after the loads (status, rows done): {states}")
        finally:
            browser.quit()
            for job_id in job_ids:
                service.cancel_job(settings, job_id)
            os.killpg(server.pid, signal.SIGTERM)
            worker = (folder / "data" / "worker.pid")
            if worker.exists():
                os.killpg(int(worker.read_text()), signal.SIGTERM)
    report("jobs paused", idle)
    report("two jobs running", busy)
    print(f"ratio of medians: {statistics.median(busy) / statistics.median(idle):.2f}x")


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:>17}: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
          f"({', '.join(f'{s:.2f}' for s in seconds)})")


if __name__ == "__main__":
    main()
