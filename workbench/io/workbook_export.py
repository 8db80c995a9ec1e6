"""The XLSX download of a job whose input was a workbook: the user's own file, with the results added.

Every other sheet, the formatting and the formulas stay as the user made them; the result columns go
to the right of the processed sheet's last column. Macros are not carried over: the output is .xlsx.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from workbench.io.writers import write_value_cell


def add_result_columns(original: Path, sheet: str | None, results: pd.DataFrame, path: Path) -> Path:
    """Write `original` to `path` with `results` (one row per data row, in order) beside the sheet's data."""
    workbook = load_workbook(original)  # not read-only and not data_only: formulas are kept as formulas
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    header_row, first_column = _header_row(worksheet), worksheet.max_column + 1
    for offset, name in enumerate(results.columns):
        write_value_cell(worksheet, header_row, first_column + offset, str(name))
        for row_number, value in enumerate(results[name], start=header_row + 1):
            if value != "":  # a row without a result (beyond a row limit, not run yet) stays blank
                write_value_cell(worksheet, row_number, first_column + offset, value)
    workbook.save(path)
    return path


def _header_row(worksheet) -> int:
    """The first row with anything in it, as the reader takes it (workbench.io.readers)."""
    for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if any(value is not None and str(value).strip() for value in row):
            return number
    return 1
