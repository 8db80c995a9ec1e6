"""What reviewing buys: a job's least sure rows are reviewed (the data set's right answer stands in for the
reviewer), then the job runs again learning from them, as the Job results page's "Run again, learning from the
reviewed rows" does (workbench/jobs/relearn.py). Both runs are scored on the rows nobody reviewed.

    WORKBENCH_DATA_DIR=/tmp/review-bench WORKBENCH_MODELS_DIR=data/models \\
        .venv/bin/python benchmarks/review_loop.py [--reviews 50 100]

* CLINC150 val, `route` to 10 departments: the template of quality_classify.clinc_setup (one-line descriptions,
  10 examples per department, fallback `Other` for out-of-scope rows).
* BANKING77, `classify` zero-shot from the 77 intent names: 2,000 rows drawn with seed 0.
The queue is every answered row, least confident first (the page's "Review every row").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality_classify import clinc_setup  # noqa: E402

from workbench.config import get_settings  # noqa: E402
from workbench.db import repo  # noqa: E402
from workbench.db.session import session_scope  # noqa: E402
from workbench.jobs import relearn, review, service  # noqa: E402
from workbench.jobs.results import results_frame  # noqa: E402
from workbench.jobs.review import RowReview  # noqa: E402
from workbench.jobs.runner import run_job  # noqa: E402
from workbench.tasks.spec import spec_from_dict  # noqa: E402

BANKING = ROOT.parent / "shared" / "datasets" / "routing" / "banking77_train.csv"


def run(settings, job_id: int) -> pd.DataFrame:
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id) == "completed"
    return results_frame(settings, job_id, reviewed=False)


def review_loop(spec: dict, texts: list[str], truth: list[str], answer: str, reviews: int, score) -> dict:
    """Run, review the `reviews` least sure rows with their right answers, run again; score both on the rest."""
    settings = get_settings()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        pd.DataFrame({"text": texts}).to_csv(path, index=False)
        first_id = service.create_job(settings, spec_from_dict(spec), path)
        first = run(settings, first_id)
        queue = review.review_queue(first, review.answered_rows(settings, first_id), None, "confidence", None)[:reviews]
        review.save_reviews(settings, first_id, [RowReview(row, {answer: truth[row]}) for row in queue])
        second = run(settings, relearn.rerun_with_reviewed_examples(settings, first_id))
    rest = [row for row in range(len(texts)) if row not in set(queue)]
    return {"reviewed": len(queue), "scored": len(rest), "before": score(first[answer], truth, rest),
            "after": score(second[answer], truth, rest)}


def clinc_score(answers: pd.Series, truth: list[str], rows: list[int]) -> dict:
    in_scope = [answers[r] == truth[r] for r in rows if truth[r] != "Other"]
    out_of_scope = [answers[r] == "Other" for r in rows if truth[r] == "Other"]
    return {"in_scope_accuracy": round(sum(in_scope) / len(in_scope), 4),
            "out_of_scope_recall": round(sum(out_of_scope) / len(out_of_scope), 4)}


def accuracy(answers: pd.Series, truth: list[str], rows: list[int]) -> dict:
    return {"accuracy": round(sum(answers[r] == truth[r] for r in rows) / len(rows), 4)}


def clinc(reviews: int) -> dict:
    spec, scored = clinc_setup()
    truth = [r["domain"] if r["domain"] != "oos" else "Other" for r in scored]
    return review_loop(spec, [r["text"] for r in scored], truth, "queue", reviews, clinc_score)


def banking(reviews: int, rows: int = 2000) -> dict:
    frame = pd.read_csv(BANKING).sample(n=rows, random_state=0).reset_index(drop=True)
    spec = {"task": "classify", "text": "text", "labels": sorted(frame["category"].unique())}
    return review_loop(spec, frame["text"].tolist(), frame["category"].tolist(), "label", reviews, accuracy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, nargs="+", default=[50, 100])
    args = parser.parse_args()
    for reviews in args.reviews:
        print("CLINC150 route:", clinc(reviews), flush=True)
        print("BANKING77 zero-shot classify:", banking(reviews), flush=True)


if __name__ == "__main__":
    main()
