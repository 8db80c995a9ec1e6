"""Forms being filled in, saved as the user types: a page reloaded (F5), or a browser opened again on the same
address, finds its form again. Each draft is one small JSON file named by a random id; the page's address holds the
id. Drafts untouched for DRAFT_DAYS are deleted."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from workbench.config import Settings

DRAFT_DAYS = 14
_DRAFT_ID = re.compile(r"[0-9a-f]{32}")


def new_draft_id() -> str:
    return secrets.token_hex(16)


def load_draft(settings: Settings, draft_id: str) -> dict | None:
    """The draft's values; None for an id that is not one (a link typed wrong, a draft deleted as old)."""
    path = _draft_path(settings, draft_id)
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        return None


def save_draft(settings: Settings, draft_id: str, values: dict) -> None:
    """Written whole to a scratch file, then renamed over the draft: a reader never sees half of it."""
    path = _draft_path(settings, draft_id)
    if path is None:
        raise ValueError(f"not a draft id: {draft_id!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps(values, default=str), encoding="utf-8")
    os.replace(scratch, path)
    _delete_old_drafts(path.parent)


def _draft_path(settings: Settings, draft_id: str) -> Path | None:
    """Only an id this module made names a file: the id comes from the page's address, which anyone can edit."""
    return settings.drafts_dir / f"{draft_id}.json" if _DRAFT_ID.fullmatch(str(draft_id)) else None


def _delete_old_drafts(folder: Path) -> None:
    oldest = time.time() - DRAFT_DAYS * 86400
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass  # another process deleted it first
