"""The main flow in a real headless Chromium: upload a file, run a job, download the result.

The app runs as a user starts it (`workbench serve`), with its own data folder and the real bundled
encoder; Chromium and ChromeDriver come from Debian packages (`make browser`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "support_emails.csv"
LABELS = "billing\ntechnical_support\naccount_access\nshipping\nreturns\nfeedback"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


@pytest.fixture
def app_url(tmp_path, real_models_dir):
    data = tmp_path / "app-data"
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(data), "WORKBENCH_MODELS_DIR": str(real_models_dir)}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)],
        env=env, start_new_session=True, stdout=open(tmp_path / "server.log", "wb"), stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server.pid)
        # Shown by pytest only when the test fails: what the server said (a failed download, a crash).
        print("server log, last lines:", *(tmp_path / "server.log").read_text(errors="replace").splitlines()[-40:],
              sep="\n")
        from workbench.config import Settings
        from workbench.jobs.worker import pid_file

        written = pid_file(Settings(data_dir=data))
        worker_pid = written.read_text().strip() if written.exists() else ""
        if worker_pid:
            stop(int(worker_pid))


@pytest.fixture
def browser(tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("Chromium and ChromeDriver are missing: run `make browser` (Debian packages).")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(condition, timeout: float = 60, message: str = ""):
    """Poll until condition() is truthy; Streamlit re-renders often, so lookups may fail meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # an element went stale while the page re-rendered; look again
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError(message or "condition not met")


def button(driver, label: str):
    from selenium.webdriver.common.by import By

    for element in driver.find_elements(By.TAG_NAME, "button"):
        if element.text.strip() == label and element.is_displayed() and element.is_enabled():
            return element
    return None


def page_is_idle(driver) -> bool:
    """Streamlit shows its status widget while a script run is in progress."""
    from selenium.webdriver.common.by import By

    return not driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']")


def download(driver, label: str, pattern: str):
    """Click a download button until its file arrives.

    A click that lands while the page is being re-run (the finished job reloads the whole page) goes
    to a button that is about to be replaced, or finds it already gone (stale); a user would click
    again, and so does this test, reloading the page after a click that brought nothing.
    """
    from selenium.common.exceptions import StaleElementReferenceException

    for _attempt in range(4):
        wait_until(lambda: page_is_idle(driver), message="the page kept running")
        try:
            wait_until(lambda: button(driver, label), message=f"no {label} button").click()
            return wait_until(lambda: next(iter(driver.downloads.glob(pattern)), None), timeout=15)
        except (TimeoutError, StaleElementReferenceException):
            driver.refresh()
    raise TimeoutError(f"{label} downloaded nothing after 4 clicks")


def test_upload_run_and_download(app_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{app_url}/new_job")  # opened directly, as from a bookmark, before any other page
    # The entry point's navigation and sidebar ran (a folder named pages/ once made Streamlit skip them).
    wait_until(lambda: "your data never leaves it" in browser.page_source, message="no app sidebar on a page opened directly")
    upload = wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "input[type=file]"), message="no file input")
    upload.send_keys(str(SAMPLE))
    labels = wait_until(lambda: browser.find_element(By.TAG_NAME, "textarea"), message="no labels box after upload")
    labels.send_keys(LABELS)
    labels.send_keys(Keys.CONTROL, Keys.ENTER)  # Streamlit applies a text area on Ctrl+Enter
    wait_until(lambda: button(browser, "Run on all rows"), message="no Run button").click()

    wait_until(lambda: "status: completed" in browser.page_source, timeout=120, message="job did not complete")
    csv_file = download(browser, "Download CSV", "*.csv")

    result = pd.read_csv(csv_file)
    assert len(result) == 64
    assert set(result["label"]) <= set(LABELS.split("\n"))
    assert result["confidence"].between(0, 1).all()
    # The workbook download holds the same rows and answers (written by io/xlsx_stream).
    workbook = pd.read_excel(download(browser, "Download XLSX", "*.xlsx"))
    assert workbook["label"].tolist() == result["label"].tolist() and len(workbook) == 64
