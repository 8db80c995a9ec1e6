"""Deleting a job and what was kept for it: its answers, reviews, downloads and the copy of its input file.

Nothing leaves the machine, but a user must also be able to remove what stays on it (personal data in the texts).
A user's own file, given by its path to the command line, is never touched: only the copies under the data folder.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import utcnow
from workbench.db.session import session_scope
from workbench.errors import JobStateError

# An upload no job reads is kept this long: it may be on a New job page, about to become a job.
UNUSED_UPLOAD_AGE = timedelta(days=1)


def delete_job(settings: Settings, job_id: int) -> int:
    """Delete a stopped job with its answers, reviews, downloads and its input copy if no other job reads it, and
    uploads no job has read for a day; returns how many stored files were removed."""
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        if job.status in repo.ACTIVE_STATUSES:
            raise JobStateError(f"Job #{job_id} is {job.status}: cancel it first, then delete it.")
        input_path = job.input_path
        repo.delete_job(session, job)
        unused = [input_path] if not repo.jobs_reading(session, input_path) else []
        unused += [upload.stored_path for upload in repo.unused_uploads(session, utcnow() - UNUSED_UPLOAD_AGE)]
        for stored in dict.fromkeys(unused):
            repo.forget_uploads_of(session, stored)
    _remove_downloads(settings, job_id)
    return sum(_remove_stored(settings, Path(stored)) for stored in dict.fromkeys(unused))


def _remove_downloads(settings: Settings, job_id: int) -> None:
    """Downloads earlier versions left in the exports folder (a download is now written to a folder of its own and
    removed at once): they hold the job's rows too."""
    for download in settings.exports_dir.glob(f"job_{job_id}.*"):
        download.unlink(missing_ok=True)


def _remove_stored(settings: Settings, stored: Path) -> bool:
    """Remove a copy kept under the uploads folder, and its folder once empty; anything else is left. The folder is
    one per content and holds the same bytes under each name they were uploaded as: other jobs read those (deleting
    the whole folder took another job's input with it)."""
    uploads = settings.uploads_dir.resolve()
    folder = stored.resolve().parent
    if folder.parent != uploads or not stored.exists():
        return False
    stored.unlink(missing_ok=True)
    try:
        folder.rmdir()  # once empty: an upload of the same bytes may be writing its copy there
    except OSError:
        pass
    return True
