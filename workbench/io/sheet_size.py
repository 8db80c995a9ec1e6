"""A read-only workbook opens without reading through sheets that declare no size.

openpyxl looks for each sheet's declared size (`<dimension>`) when it opens a workbook read-only. Its parser reports
an element when the element ends, and a sheet's data ends with the sheet, so a sheet that declares no size was read
through once at every open before a single row was read: 10 s for 100,000 rows × 10 columns, at each of the New job
preview, the row count, the job's reading and the results. Many writers declare none (openpyxl's own write-only mode
among them). The size may only be declared before the sheet's data, so reading stops where the data starts; the
result is the same as openpyxl's (the declared size, or none).
"""

from __future__ import annotations

from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse  # defusedxml's when it is installed, as openpyxl's own reading


def declared_size(worksheet: ReadOnlyWorksheet) -> None:
    """Sets the sheet's bounds from its <dimension>, reading no further than the start of its data."""
    source = worksheet._get_source()
    try:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == DIMENSION_TAG:
                bounds = SheetDimension.from_tree(element).boundaries
                worksheet._min_column, worksheet._min_row, worksheet._max_column, worksheet._max_row = bounds
                return
            if element.tag == DATA_TAG:
                return
    finally:
        source.close()


ReadOnlyWorksheet._get_size = declared_size  # openpyxl 3.1's method reads the sheet through when it declares none
