"""Where a job's answers sit among the input's columns: under the template's output names, or beside an input column
of the same name."""

from __future__ import annotations

from itertools import chain, count

import pandas as pd

RESULT_SUFFIX = "_result"


def free_name(column: str, existing) -> str:
    """`label`; `label_result` when the input has a `label`; `label_result_2` when it has that too (a file
    downloaded from a job run on a job's download): two columns of one name would hide which is the model's."""
    candidates = chain((column, f"{column}{RESULT_SUFFIX}"), (f"{column}{RESULT_SUFFIX}_{n}" for n in count(2)))
    return next(name for name in candidates if name not in existing)


def result_names(frame: pd.DataFrame) -> dict[str, str]:
    """Template output name -> the results frame's column holding it."""
    return frame.attrs.get("result_names", {})


def with_results(inputs: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """Inputs then outputs, each output under a name the inputs do not use; attrs name the output columns (so a page
    can show them first) and say which output each holds (`result_names`: "label" -> "label_result")."""
    placed: list[str] = []
    for name in outputs.columns:  # clear of the inputs, the names placed so far and the outputs still to place
        placed.append(free_name(name, {*inputs.columns, *placed, *outputs.columns[len(placed) + 1:]}))
    combined = pd.concat([inputs.reset_index(drop=True), outputs.set_axis(placed, axis=1).reset_index(drop=True)], axis=1)
    combined.attrs["result_columns"] = placed
    combined.attrs["result_names"] = dict(zip(outputs.columns, placed, strict=True))
    return combined
