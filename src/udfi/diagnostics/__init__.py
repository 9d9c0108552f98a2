"""Diagnostics: every flag, warning and assumption that touched a return, gathered in one place
(`udfi diagnostics`, `diagnostics.html` in each package, `OUT/diagnostics.html` and `.csv` for a batch)."""

from udfi.diagnostics.gather import account_diagnostics, unprepared_diagnostics
from udfi.diagnostics.model import ASSUMPTION, ERROR, FLAG, INFO, KINDS, WARNING, Diagnostics, Item
from udfi.diagnostics.render import (BATCH_CSV_FILE, PAGE_FILE, BatchDiagnostics, account_page, batch_diagnostics,
                                     batch_page, book_page, csv_bytes, text_lines)

__all__ = ["ASSUMPTION", "ERROR", "FLAG", "INFO", "KINDS", "WARNING", "BATCH_CSV_FILE", "PAGE_FILE", "BatchDiagnostics",
           "Diagnostics", "Item", "account_diagnostics", "account_page", "batch_diagnostics", "batch_page", "book_page",
           "csv_bytes", "text_lines", "unprepared_diagnostics"]
