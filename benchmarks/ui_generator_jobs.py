"""An extraction job and a summarization job of 1,000 rows each, started and watched from the UI (issue 4).

    .venv/bin/python benchmarks/ui_generator_jobs.py [--rows 1000] [--only extract|summarize]

The app runs as a user starts it (`workbench serve`, with its background worker) on the models prepared in
data/models (`make prepare`). Headless Chromium uploads each file on the New job page, picks the template,
fills its settings as a user would, presses "Run on all rows", and reads the progress bar on the Job results
page every 30 s until the job completes. Inputs: WNUT-17 tweets (extract: people, places, companies,
products) and DialogSum dialogues (summarize: one sentence), from ../shared/datasets/. Reported per job:
wall time, rows/s, failed rows, and the progress texts the page showed on the way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jobs_page_load import chromium  # noqa: E402
from tests.e2e.test_browser import button, free_port, page_is_idle, stop, wait_for_http, wait_until  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
FIELDS = ("person (list): names of people\nlocation (list): places, cities, countries\n"
          "company (list): companies and brands\nproduct (list): named products, apps, devices")
JOBS = {
    "extract": {"title": "Extract fields", "column": "text", "source": "extraction/wnut17_test.jsonl",
                "settings": lambda browser: type_into_text_area(browser, "Fields", FIELDS)},
    "summarize": {"title": "Summarize", "column": "dialogue", "source": "summarization/dialogsum_test.jsonl",
                  "settings": lambda browser: choose(browser, "Summary style", "One sentence")},
}
POLL_SECONDS = 30


def input_file(folder: Path, job: dict, rows: int) -> Path:
    lines = (DATASETS / job["source"]).read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)[job["column"]] for line in lines if line.strip()]
    texts = (texts * (rows // len(texts) + 1))[:rows]  # DialogSum's test set has 500 dialogues: read twice
    path = folder / f"{job['column']}_{rows}.csv"
    pd.DataFrame({job["column"]: texts}).to_csv(path, index=False)
    return path


def choose(browser, label: str, option: str) -> None:
    """Open the Streamlit selectbox with this label and click the option that starts with `option`."""
    from selenium.webdriver.common.by import By

    def box():
        for element in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSelectbox']"):
            if element.text.splitlines()[0].strip() == label:
                return element
        return None

    def listed():
        for element in browser.find_elements(By.CSS_SELECTOR, "[role='option']"):
            if element.text.strip().startswith(option):
                return element
        return None

    # Streamlit's selectbox is a combo box: an input showing the choice, and a button that opens the list.
    wait_until(lambda: box().find_element(By.CSS_SELECTOR, "button[aria-label='Open']"),
               message=f"no {label} box").click()
    wait_until(listed, message=f"no option {option} under {label}").click()
    wait_until(lambda: box().find_element(By.CSS_SELECTOR, "input[role='combobox']").get_attribute("value")
               .startswith(option), message=f"{label} did not become {option}")


def type_into_text_area(browser, label_start: str, text: str) -> None:
    """Type into the text area whose label starts so, once the page has settled after the last choice."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    wait_until(lambda: page_is_idle(browser), message="the page kept running")
    area = wait_until(lambda: next(a for a in browser.find_elements(By.TAG_NAME, "textarea")
                                   if (a.get_attribute("aria-label") or "").startswith(label_start)
                                   and a.is_displayed()), message=f"no text area '{label_start}…'")
    area.send_keys(text)
    area.send_keys(Keys.CONTROL, Keys.ENTER)  # Streamlit applies a text area on Ctrl+Enter


def progress_text(browser) -> str:
    from selenium.webdriver.common.by import By

    bars = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stProgress']")
    return bars[0].text.strip() if bars else ""


def run_from_ui(browser, url: str, job: dict, path: Path, timeout: float) -> dict:
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/new_job")
    wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "input[type=file]"), message="no file input") \
        .send_keys(str(path))
    wait_until(lambda: "Task" in browser.page_source, message="no preview after upload")
    choose(browser, "Task", job["title"])
    job["settings"](browser)
    wait_until(lambda: page_is_idle(browser), message="the page kept running")
    wait_until(lambda: button(browser, "Run on all rows"), message="no Run button").click()
    started, seen = time.monotonic(), []
    while "status: completed" not in browser.page_source:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not completed after {timeout:.0f} s; progress: {seen[-1:]}")
        if not seen or time.monotonic() - started >= POLL_SECONDS * len(seen):
            seen.append(f"{time.monotonic() - started:.0f} s: {progress_text(browser)}")
        time.sleep(1)
    return {"wall_seconds": round(time.monotonic() - started, 1), "progress_seen": seen,
            "final": progress_text(browser)}


def job_figures(data: Path) -> list[dict]:
    """Rows, failures and the worker's own timing of each job, from the app's database."""
    os.environ["WORKBENCH_DATA_DIR"] = str(data)
    from workbench.config import get_settings
    from workbench.jobs import service

    figures = []
    for job in service.list_jobs(get_settings()):
        seconds = (job.finished_at - job.started_at).total_seconds()
        figures.append({"job": job.id, "task": job.task, "rows": job.total_rows, "done": job.done_rows,
                        "failed": job.failed_rows, "seconds": round(seconds, 1),
                        "rows_per_s": round(job.total_rows / seconds, 2)})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--only", choices=sorted(JOBS))
    parser.add_argument("--timeout-minutes", type=float, default=60)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ui-jobs-"))
    data, port = folder / "app-data", free_port()
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(data), "WORKBENCH_MODELS_DIR": str(ROOT / "data" / "models")}
    server = subprocess.Popen([sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)], env=env,
                              start_new_session=True, stdout=open(folder / "server.log", "wb"), stderr=subprocess.STDOUT)
    browser, results = None, {"load_average_before": round(os.getloadavg()[0], 2)}
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
        browser = chromium()
        for name in [args.only] if args.only else list(JOBS):
            path = input_file(folder, JOBS[name], args.rows)
            results[name] = run_from_ui(browser, f"http://127.0.0.1:{port}", JOBS[name], path,
                                        args.timeout_minutes * 60)
            print(json.dumps({name: results[name]}), flush=True)  # kept even if a later job is cut off
    finally:
        if browser:
            browser.quit()
        stop(server.pid)
        worker = data / "worker.pid"
        if worker.exists():
            stop(int(worker.read_text().strip()))
    results["jobs"] = job_figures(data)
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
