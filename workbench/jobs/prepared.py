"""Downloads of large jobs, written in the background before they are downloaded.

The Job results page builds a download when it is clicked, and Streamlit's browser client gives up on a download
that takes over 180 s (it then says only "Failed to generate file for download", whatever went wrong). An XLSX of a
few hundred thousand rows can take that long on a busy machine, so for a large job the page writes the file first,
in a thread of the server, shows that it is being written and any error in words, and offers the finished file.
The file is kept in the exports folder as `job_<id>.prepared.<suffix>` (removed with the job) until it is prepared
again.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from workbench.config import Settings
from workbench.db.schema import Job
from workbench.errors import WorkbenchError
from workbench.io import read_table
from workbench.jobs.results import export_job
from workbench.tasks.spec import spec_from_dict

# A job of this many cells or more (its rows × its input's and answers' columns) has its XLSX prepared first: about
# 25 s on an idle machine at 12-14 µs a cell, read and written, and three times that on a busy one. A CSV is quick at
# any size (2.5 s a 100,000 rows).
PREPARED_XLSX_CELLS = 2_000_000


@dataclass
class Preparing:
    """A file being written: when it started, and how it ended (`error` in words, or None)."""

    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    error: str | None = None


_RUNNING: dict[tuple[str, int, str], Preparing] = {}  # (exports folder, job, suffix): one at a time
_LOCK = threading.Lock()


def written_first(job: Job) -> bool:
    """Whether the job's XLSX is large enough to be prepared before it is downloaded."""
    return job.total_rows * (_input_columns(job) + len(spec_from_dict(job.spec).output_columns())) >= PREPARED_XLSX_CELLS


def _input_columns(job: Job) -> int:
    """The input's columns (its header alone is read); 0 once its copy is gone (the answers come alone)."""
    try:
        return len(read_table(Path(job.input_path), sheet=job.sheet, nrows=1, header_row=job.header_row).columns)
    except WorkbenchError:
        return 0


def prepared_path(settings: Settings, job_id: int, suffix: str) -> Path:
    return settings.exports_dir / f"job_{job_id}.prepared.{suffix}"


def prepared_at(settings: Settings, job_id: int, suffix: str) -> datetime | None:
    """When the job's prepared file was written, or None if there is none."""
    try:
        return datetime.fromtimestamp(prepared_path(settings, job_id, suffix).stat().st_mtime)
    except OSError:
        return None


def preparing(settings: Settings, job_id: int, suffix: str) -> Preparing | None:
    """The latest preparation of the file in this server (running or ended), if any."""
    return _RUNNING.get(_key(settings, job_id, suffix))


def start(settings: Settings, job_id: int, suffix: str) -> Preparing:
    """Starts writing the job's file in the background, unless it is being written already."""
    with _LOCK:
        current = _RUNNING.get(_key(settings, job_id, suffix))
        if current is not None and not current.finished:
            return current
        started = _RUNNING[_key(settings, job_id, suffix)] = Preparing()
    threading.Thread(target=_write, args=(settings, job_id, suffix, started), daemon=True,
                     name=f"prepare-job-{job_id}-{suffix}").start()
    return started


def _write(settings: Settings, job_id: int, suffix: str, state: Preparing) -> None:
    """The file is written under a name of its own and then put in place: the previous one can be downloaded
    meanwhile, and a failed attempt leaves it as it was."""
    final = prepared_path(settings, job_id, suffix)
    writing = final.with_name(f"job_{job_id}.preparing-{threading.get_ident()}.{suffix}")
    try:
        export_job(settings, job_id, writing)
        os.replace(writing, final)
    except WorkbenchError as exc:
        state.error = str(exc)
    except Exception as exc:  # a thread's error would otherwise be lost, and the page would wait for ever
        state.error = f"The file could not be written ({type(exc).__name__}: {exc})."
    finally:
        writing.unlink(missing_ok=True)
        state.finished = True


def _key(settings: Settings, job_id: int, suffix: str) -> tuple[str, int, str]:
    return str(settings.exports_dir), job_id, suffix
