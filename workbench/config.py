"""One Settings object; every path derives from WORKBENCH_DATA_DIR."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import SettingError

# Read by every onnxruntime session (models/sessions.py) and set per job process by the worker.
THREADS_VARIABLE = "WORKBENCH_THREADS"
SPINNING_VARIABLE = "WORKBENCH_THREAD_SPINNING"  # "0": idle ONNX threads sleep instead of spinning on a core


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value.replace("_", "").replace(",", "")) if value else default
    except ValueError:
        raise SettingError(f"The setting {name} must be a whole number, e.g. {default}; it is '{value}'. Change it "
                           "where it is set (the environment, or the command that starts the app).") from None


def _env_path(name: str) -> Path | None:
    """A folder setting, `~` read as the user's home; empty is unset (it put the database in the current folder)."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"The setting {name} must be 1 or 0 (yes or no); it is '{value}'. Change it where it is set "
                       "(the environment, or the command that starts the app).")


def onnx_threads() -> int:
    """WORKBENCH_THREADS, the threads of every onnxruntime session; 0 or unset: every core."""
    return max(0, _env_int(THREADS_VARIABLE, 0)) or os.cpu_count() or 1


def _default_data_dir() -> Path:
    return _env_path("WORKBENCH_DATA_DIR") or Path.home() / ".slm-workbench"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    # Stripped: an address pasted from a .env line with a space after it was "not a database address".
    database_url: str = field(default_factory=lambda: os.environ.get("WORKBENCH_DATABASE_URL", "").strip())
    max_upload_mb: int = field(default_factory=lambda: _env_int("WORKBENCH_MAX_UPLOAD_MB", 200))
    max_rows: int = field(default_factory=lambda: _env_int("WORKBENCH_MAX_ROWS", 1_000_000))
    max_cell_chars: int = field(default_factory=lambda: _env_int("WORKBENCH_MAX_CELL_CHARS", 100_000))
    max_columns: int = field(default_factory=lambda: _env_int("WORKBENCH_MAX_COLUMNS", 1_000))
    # An XLSX is a zip: a small upload can unpack to gigabytes (a "zip bomb"), so its unpacked size is capped.
    max_unzipped_mb: int = field(default_factory=lambda: _env_int("WORKBENCH_MAX_UNZIPPED_MB", 1_000))
    start_worker: bool = field(default_factory=lambda: _env_flag("WORKBENCH_START_WORKER", True))
    # Read here too, though every model session reads it itself: a mistake in it is said at start, not as a failed job.
    threads: int = field(default_factory=onnx_threads)
    # How many jobs the background worker runs at once, each in its own process sharing the cores.
    worker_slots: int = field(default_factory=lambda: max(1, _env_int("WORKBENCH_WORKER_SLOTS", 2)))

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'workbench.db'}"

    @property
    def models_dir(self) -> Path:
        # Models can live apart from the data, so several data folders (or test runs) share one copy.
        return _env_path("WORKBENCH_MODELS_DIR") or self.data_dir / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def drafts_dir(self) -> Path:
        """Forms being filled in on the New job page, kept across a reload of the page (io/drafts.py)."""
        return self.data_dir / "drafts"

    def ensure_dirs(self) -> Settings:
        for folder in (self.data_dir, self.models_dir, self.uploads_dir, self.exports_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file of that name, a read-only disk, another account's folder
                raise SettingError(
                    f"The app cannot make its folder {folder} ({(exc.strerror or 'not allowed').lower()}). Set "
                    "WORKBENCH_DATA_DIR (and WORKBENCH_MODELS_DIR, if set) to a folder this account can write to, or "
                    "free that place.") from None
        return self


def get_settings() -> Settings:
    """Fresh settings from the environment, with their folders created."""
    return Settings().ensure_dirs()
