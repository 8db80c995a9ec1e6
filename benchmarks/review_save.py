"""How long saving one review takes on the Job results page of a large job, against an earlier version of the app.

    .venv/bin/python benchmarks/review_save.py [--rows 10000] [--saves 8] [--against 8f4e756]

A classify job over `--rows` BANKING77 texts is run to the end (the bundled encoder). Two apps are started as a user
starts them (`workbench serve`) on that one data folder: this working tree's, and the code of the git revision
`--against` (checked out into a temporary worktree). Each one's Job results page is opened in headless Chromium with
"Review every row" on, and reviews are saved on both in turn, each timed from the click on "Save answer" until the next
row is on screen. The ratio of the medians is what to read.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import measured_against  # noqa: E402
from benchmarks.job_memory import banking_texts, build_input  # noqa: E402
from benchmarks.jobs_page_load import chromium, report  # noqa: E402
from tests.e2e.test_browser import free_port, wait_for_http  # noqa: E402

ROW_ON_SCREEN = ("return Array.from(document.querySelectorAll('strong')).map(e => e.textContent)"
                 ".filter(t => t.startsWith('Row '))")


def run_classify_job(settings, data: Path) -> int:
    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.jobs import service
    from workbench.jobs.runner import run_job
    from workbench.tasks.spec import spec_from_dict

    spec = spec_from_dict({"task": "classify", "text": "text", "labels": ["card", "transfer", "top up", "refund"]})
    job_id = service.create_job(settings, spec, data)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id) == "completed"
    return job_id


def until(browser, condition, limit: float = 120.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"nothing changed within {limit:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def click(browser, label: str) -> None:
    button = next(b for b in browser.find_elements("tag name", "button") if b.text.strip() == label)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    time.sleep(0.3)  # the scroll settles before the click
    button.click()


def open_review(browser, url: str) -> None:
    browser.get(url)
    until(browser, lambda: "Review every row" in browser.page_source)
    for _ in range(5):  # a click while the page is still drawn can be lost: as a user would, click again
        time.sleep(3)
        toggle = next(p for p in browser.find_elements("tag name", "p") if "Review every row" in p.text)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", toggle)
        toggle.click()
        try:
            until(browser, lambda: browser.execute_script(ROW_ON_SCREEN), limit=15)
            return
        except TimeoutError:
            continue
    raise TimeoutError("the review card did not appear")


def save_seconds(browser) -> float:
    shown = browser.execute_script(ROW_ON_SCREEN)
    click(browser, "Save answer")
    return until(browser, lambda: (now := browser.execute_script(ROW_ON_SCREEN)) and now != shown)


def app_at(code: Path | None) -> tuple[subprocess.Popen, int]:
    """`workbench serve` of this tree (None) or of the code checked out in `code`."""
    env = dict(os.environ, **({"PYTHONPATH": str(code)} if code else {}))
    cwd = code or ROOT
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)], env=env, cwd=cwd,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
    return server, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=8)
    parser.add_argument("--against", default="8f4e756", help="git revision whose app is the baseline")
    args = parser.parse_args()
    with measured_against(args.against) as (folder, baseline):
        from workbench.config import get_settings

        job_id = run_classify_job(get_settings(), build_input(banking_texts(args.rows), folder, "csv"))
        apps = {"this tree": app_at(None), args.against: app_at(baseline)}
        browsers = {name: chromium() for name in apps}
        try:
            for name, (_server, port) in apps.items():
                open_review(browsers[name], f"http://127.0.0.1:{port}/job_results?job={job_id}")
            timed = {name: [] for name in apps}
            for _ in range(args.saves):  # in turn, so both see the machine alike
                for name, browser in browsers.items():
                    timed[name].append(save_seconds(browser))
        finally:
            for browser in browsers.values():
                browser.quit()
            for server, _port in apps.values():
                os.killpg(server.pid, signal.SIGTERM)
    print(f"{args.rows:,}-row classify job, load average {os.getloadavg()[0]:.2f}")
    for name, seconds in timed.items():
        report(name, seconds)
    ratio = statistics.median(timed[args.against]) / statistics.median(timed["this tree"])
    print(f"{args.against} / this tree, ratio of medians: {ratio:.1f}x")


if __name__ == "__main__":
    main()
