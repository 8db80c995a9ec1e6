"""Quality of every template on ../shared/datasets, configured the way a user would configure them.

    .venv/bin/python benchmarks/quality.py [--only clinc trec sst2 ...]

Each template's benchmarks live in their own module (quality_classify.py: classify and route;
quality_generative.py: extract and summarize, when present); this runs them all and prints one line
per benchmark with the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

MODULES = ("quality_classify", "quality_generative")


def all_benchmarks() -> dict[str, Callable[[], dict]]:
    found: dict[str, Callable[[], dict]] = {}
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:  # the module exists but something it needs does not: say so
                raise
            continue
        found.update(module.BENCHMARKS)
    return found


def main(benchmarks: dict[str, Callable[[], dict]] | None = None) -> None:
    benchmarks = benchmarks or all_benchmarks()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(benchmarks), default=list(benchmarks))
    for name in parser.parse_args().only:
        started = time.perf_counter()
        figures = benchmarks[name]()
        shown = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{name}: {shown} ({time.perf_counter() - started:.0f} s, load average {load})", flush=True)


if __name__ == "__main__":
    main()
