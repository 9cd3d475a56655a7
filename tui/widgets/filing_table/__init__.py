"""The virtual filings table (`table.py`) and the pages of the result it holds in memory (`window.py`)."""

from tui.widgets.filing_table.table import FilingTable
from tui.widgets.filing_table.window import PAGE_SIZE, ResultWindow

__all__ = ["PAGE_SIZE", "FilingTable", "ResultWindow"]
