import os
import time

import pytest

from workbench.io.drafts import DRAFT_DAYS, load_draft, new_draft_id, save_draft


def test_a_draft_is_read_back_and_only_ids_the_app_made_name_a_file(settings):
    draft = new_draft_id()
    save_draft(settings, draft, {"label-lines": "billing\nshipping", "threshold-classify": 0.7})
    assert load_draft(settings, draft) == {"label-lines": "billing\nshipping", "threshold-classify": 0.7}
    assert load_draft(settings, new_draft_id()) is None
    for forged in ("../workbench", "../../etc/passwd", draft.upper(), draft + ".json"):
        assert load_draft(settings, forged) is None
        with pytest.raises(ValueError):
            save_draft(settings, forged, {})
    assert [p.name for p in settings.drafts_dir.iterdir()] == [f"{draft}.json"]  # no scratch file left


def test_drafts_untouched_for_two_weeks_are_deleted_on_the_next_save(settings):
    old, new = new_draft_id(), new_draft_id()
    save_draft(settings, old, {"task": "route"})
    stale = time.time() - (DRAFT_DAYS + 1) * 86400
    os.utime(settings.drafts_dir / f"{old}.json", (stale, stale))
    save_draft(settings, new, {"task": "classify"})
    assert load_draft(settings, old) is None and load_draft(settings, new) == {"task": "classify"}
