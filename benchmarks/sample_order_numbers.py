"""Order numbers read out of the sample support emails by the sample extract task, scored against the text.

    .venv/bin/python benchmarks/sample_order_numbers.py [--task sample_data/support_emails.extract.task.yaml]

Runs `workbench run TASK sample_data/support_emails.csv` on the bundled generator (in a data folder of its own) and
scores the `order_number` field against the order numbers the emails write ("#48877": every "#" followed by four or
more digits; an email without one should leave the field empty). Precision: of the numbers given, the right ones;
recall: of the emails with an order number, those where it was found.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EMAILS = ROOT / "sample_data" / "support_emails.csv"


def order_numbers(frame: pd.DataFrame) -> list[str]:
    """The order number each email writes, or ""."""
    texts = frame.Subject + " " + frame.Body
    return [(re.findall(r"#(\d{4,})", text) or [""])[0] for text in texts]


def score(truth: list[str], given: list[str]) -> dict[str, float]:
    right = sum(bool(t) and t == g for t, g in zip(truth, given, strict=True))
    answered, expected = sum(bool(g) for g in given), sum(bool(t) for t in truth)
    return {"given": answered, "right": right, "expected": expected,
            "precision": right / answered if answered else 0.0, "recall": right / expected if expected else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", type=Path, default=ROOT / "sample_data" / "support_emails.extract.task.yaml")
    args = parser.parse_args()
    models = Path(os.environ.get("WORKBENCH_MODELS_DIR", ROOT / "data" / "models"))
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "extracted.csv"
        env = {**os.environ, "WORKBENCH_DATA_DIR": str(Path(folder) / "data"), "WORKBENCH_MODELS_DIR": str(models)}
        subprocess.run([sys.executable, "-m", "workbench.cli", "run", str(args.task), str(EMAILS), "-o", str(output)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        extracted = pd.read_csv(output, dtype=str, keep_default_na=False)
    given = [value.split(".")[0] for value in extracted["order_number"]]
    figures = score(order_numbers(extracted), given)
    print(f"order_number: {figures['given']} given, {figures['right']} right, {figures['expected']} emails with one; "
          f"precision {figures['precision']:.2f}, recall {figures['recall']:.2f}")


if __name__ == "__main__":
    main()
