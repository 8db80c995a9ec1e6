"""A classify or route job run again with its reviewed rows as examples: what a reviewer corrected (or confirmed),
the template learns from. The new job reads the same file; the old one and its reviews stay as they are."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.config import Settings
from workbench.errors import TaskConfigError
from workbench.io.rows import row_texts
from workbench.jobs import service
from workbench.jobs.results import results_frame
from workbench.jobs.review import placed_columns, reviewed_column
from workbench.models.registry import load_encoder
from workbench.tasks.registry import get_task_class
from workbench.tasks.spec import TaskSpec, spec_from_dict


def learns_from_reviews(task: str) -> bool:
    """Templates whose examples are labelled answers (classify, route); the others have nothing to learn this way."""
    return get_task_class(task).scored_answer is not None


def rerun_with_reviewed_examples(settings: Settings, job_id: int) -> int:
    """Queue the job again with its reviewed rows added to its examples; returns the new job's id."""
    job = service.get_job(settings, job_id)
    spec = spec_from_dict(job.spec)
    learnt = reviewed_examples(settings, job_id, spec)
    known = {example["text"] for example in spec.config.get("examples") or []}
    added = [example for example in learnt if example["text"] not in known]
    if not added:
        raise TaskConfigError("No reviewed rows to learn from yet: save the right answer of a few rows in Review first"
                              + (f" (a row sent to '{spec.config.get('fallback')}' is no example of a queue)."
                                 if spec.task == "route" else "."))
    again = spec_from_dict({**spec.to_dict(), **_kept_cut_off(settings, spec),
                            "name": f"{job.name} + {len(added)} reviewed rows as examples",
                            "examples": [*(spec.config.get("examples") or []), *added]})
    return service.create_job(settings, again, Path(job.input_path), sheet=job.sheet, limit=job.row_limit,
                              upload_id=job.upload_id, header_row=job.header_row)


def _kept_cut_off(settings: Settings, spec: TaskSpec) -> dict:
    """Route learns its fallback cut-off from how close its examples are to each other, and reviewed rows are the
    hardest ones: as examples they lowered it (CLINC150: out-of-scope recall 0.70 -> 0.44 after 50 reviews,
    docs/benchmarks.md). The new job keeps the cut-off the reviewed job ran with."""
    if spec.task != "route" or spec.config.get("min_similarity") is not None:
        return {}
    task = spec.build(lambda name: load_encoder(settings, name))
    task.setup()
    return {"min_similarity": round(task.min_similarity, 4)}


def reviewed_examples(settings: Settings, job_id: int, spec: TaskSpec) -> list[dict[str, str]]:
    if not learns_from_reviews(spec.task):
        raise TaskConfigError(f"A {spec.task} job does not learn from examples of labels; only classify and route jobs do.")
    return examples_in(results_frame(settings, job_id), spec, settings.max_cell_chars)


def examples_in(frame: pd.DataFrame, spec: TaskSpec, max_chars: int) -> list[dict[str, str]]:
    """The reviewed rows of a results frame as examples: each row's text as the job read it, its answer as reviewed."""
    column = reviewed_column(frame)
    if column is None:
        return []
    reviewed = frame[frame[column] == True]  # noqa: E712 (a column of True/False values)
    answers = reviewed[placed_columns(frame, spec.output_columns())[get_task_class(spec.task).scored_answer]]
    texts = row_texts(reviewed, spec.text, max_chars)
    return [{"text": t.text, "label": str(label)} for t, label in zip(texts, answers, strict=True)
            if t.error is None and _teaches(spec, str(label))]


def _teaches(spec: TaskSpec, label: str) -> bool:
    """A route row reviewed into the fallback queue fits no queue: it is no example of any."""
    return bool(label) and not (spec.task == "route" and label == spec.config.get("fallback", "Other"))
