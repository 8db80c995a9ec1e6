"""Spreadsheets in and out: CSV, TSV and XLSX, with encoding detection and safe export."""

from workbench.io.readers import list_sheets, read_table
from workbench.io.writers import write_table

__all__ = ["list_sheets", "read_table", "write_table"]
