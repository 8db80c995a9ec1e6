"""CPU the web server burns while a user just looks at a page, with Streamlit's file watcher on and off.

    .venv/bin/python benchmarks/server_cpu.py [--seconds 60]

On two cores every CPU-second the server spends is taken from the job the user is waiting for. For each
watcher setting the app starts on an empty data dir, headless Chromium opens every page once and stays
on the last, and the server's own CPU time (utime + stime from /proc) is read over --seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.jobs_page_load import chromium  # noqa: E402
from tests.e2e.test_browser import free_port, stop, wait_for_http  # noqa: E402

PAGES = ("", "new_job", "job_results", "jobs", "models")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def server_cpu(watcher: str, seconds: float) -> dict:
    folder, port = Path(tempfile.mkdtemp(prefix="server-cpu-")), free_port()
    log = folder / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                               "--server.port", str(port), "--server.fileWatcherType", watcher],
                              cwd=ROOT, env={**os.environ, "WORKBENCH_DATA_DIR": str(folder / "data")},
                              start_new_session=True, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    browser = None
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health")
        browser = chromium()
        for page in PAGES:
            browser.get(f"http://127.0.0.1:{port}/{page}")
            time.sleep(5)
        before = cpu_seconds(server.pid)
        time.sleep(seconds)
        used = cpu_seconds(server.pid) - before
    finally:
        if browser:
            browser.quit()
        stop(server.pid)
    return {"watcher": watcher, "server_cpu_seconds": round(used, 2), "over_seconds": seconds,
            "inotify_overflow_lines": log.read_text(errors="replace").count("Inotify queue overflowed")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    print("load average before:", os.getloadavg())
    for watcher in ("auto", "none"):
        print(server_cpu(watcher, args.seconds))


if __name__ == "__main__":
    main()
