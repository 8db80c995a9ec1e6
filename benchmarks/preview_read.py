"""Time and peak memory of the New job page's 500-row preview of a large CSV upload.

    .venv/bin/python benchmarks/preview_read.py [--mb 100]

The page reads the preview on every rerun (each click), so it must not depend on the file's size.
Baseline, in the same run: the whole file read and decoded first, then 500 rows parsed (how the reader
worked before it read from the open file). Peak memory is Python's allocations (tracemalloc).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.io import read_table  # noqa: E402
from workbench.io.encoding import decode_text  # noqa: E402
from workbench.io.readers import csv_options  # noqa: E402

PREVIEW_ROWS = 500


def whole_file_first(path: Path) -> pd.DataFrame:
    text = decode_text(path.read_bytes())
    return pd.read_csv(io.StringIO(text), nrows=PREVIEW_ROWS, **csv_options(text, path.suffix))


def from_open_file(path: Path) -> pd.DataFrame:
    return read_table(path, nrows=PREVIEW_ROWS)


def measure(read, path: Path) -> tuple[float, float]:
    """Best of three times (seconds), and the peak of one more run (MB)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        read(path)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak / 1e6


def build_csv(folder: Path, megabytes: int) -> Path:
    emails = read_table(ROOT / "sample_data" / "support_emails.csv")
    path = folder / "big.csv"
    copies = max(1, megabytes * 1_000_000 // len(emails.to_csv(index=False).encode()))
    pd.concat([emails] * copies, ignore_index=True).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = build_csv(Path(folder), args.mb)
        print(f"file: {path.stat().st_size / 1e6:.0f} MB, load average before: {os.getloadavg()[0]:.2f}")
        base_s, base_mb = measure(whole_file_first, path)
        new_s, new_mb = measure(from_open_file, path)
        print(f"whole file first: {base_s:.2f} s, peak {base_mb:.0f} MB")
        print(f"from open file:   {new_s:.2f} s, peak {new_mb:.1f} MB")
        print(f"ratio: {base_s / new_s:.1f}x faster, {base_mb / new_mb:.0f}x less memory; "
              f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
