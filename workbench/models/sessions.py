"""onnxruntime session settings shared by the encoder and the generator: threads, spinning, no memory arena.

The job worker sets both per job process (jobs/worker.py): all cores for a job that starts alone, a
share of them for one that starts beside another, and no spinning when jobs may share the cores.
"""

from __future__ import annotations

import os

import onnxruntime as ort

from workbench.config import SPINNING_VARIABLE, onnx_threads


def session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = onnx_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning wins ~10% for a process alone on the machine but loses ~30% when two jobs share the cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get(SPINNING_VARIABLE, "1"))
    # The arena keeps the largest buffers it has served for the session's life and reuses them for nothing else:
    # the generator's cache grows a token per step, and the encoder's buffers for 64 long texts stayed held while
    # the generator ran in a summarize job (2,713 MB at 500 dialogues; 1,940 MB without, docs/benchmarks.md, "Peak
    # memory of a summarize job as the file grows"). Neither model is slower without it.
    options.enable_cpu_mem_arena = False
    return options
