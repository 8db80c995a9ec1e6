"""How a generator job should use the cores: threads per job process and thread spinning, alone and in pairs.

    WORKBENCH_DATA_DIR=data .venv/bin/python benchmarks/job_threads.py [--prompts 32]

Each case starts one or two processes at once, as the job worker does, each generating the first
--prompts prompts of generator_prompts.py (48 new tokens, greedy) on the bundled generator with
WORKBENCH_THREADS / WORKBENCH_THREAD_SPINNING set as the case says (read by models/sessions.py). Printed:
each process's rows/s and, for pairs, their sum: the machine's throughput while two jobs share it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {  # name: one (threads, spinning) per process started at once
    "alone, 1 thread": [("1", "1")],
    "alone, all cores, spinning": [("2", "1")],
    "alone, all cores, no spinning": [("2", "0")],
    "pair, 1 thread each, spinning": [("1", "1"), ("1", "1")],
    "pair, all cores each, spinning": [("2", "1"), ("2", "1")],
    "pair, all cores each, no spinning": [("2", "0"), ("2", "0")],
    "pair, first all cores + second 1 thread, spinning": [("2", "1"), ("1", "1")],
    "pair, first all cores + second 1 thread, no spinning": [("2", "0"), ("1", "0")],
}


def rows_per_second(prompt_count: int) -> float:
    """In a child process: generate the prompts under this process's thread settings."""
    from benchmarks.generator_prompts import chat_prompts
    from workbench.config import get_settings
    from workbench.models.registry import load_generator

    generator = load_generator(get_settings(), None)
    prompts = chat_prompts(generator.chat.prompt, prompt_count)
    generator.generate(prompts[:4], max_new_tokens=8)  # warm-up
    started = time.perf_counter()
    generator.generate(prompts, max_new_tokens=48)
    return prompt_count / (time.perf_counter() - started)


def run_case(processes: list[tuple[str, str]], prompt_count: int) -> list[float]:
    children = [subprocess.Popen([sys.executable, __file__, "--child", "--prompts", str(prompt_count)],
                                 env={**os.environ, "WORKBENCH_THREADS": threads, "WORKBENCH_THREAD_SPINNING": spin},
                                 stdout=subprocess.PIPE, text=True) for threads, spin in processes]
    return [float(child.communicate()[0].strip().splitlines()[-1]) for child in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(rows_per_second(args.prompts))
        return
    print("load average before:", os.getloadavg())
    for name, processes in CASES.items():
        speeds = run_case(processes, args.prompts)
        print(f"{name}: {' + '.join(f'{s:.2f}' for s in speeds)} rows/s"
              + (f" = {sum(speeds):.2f} together" if len(speeds) > 1 else ""), flush=True)
    print("load average after:", os.getloadavg())


if __name__ == "__main__":
    main()
