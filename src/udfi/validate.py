"""Import and validate a book: a folder of CSV files, or one .xlsx workbook with sheets of the same names.

Every problem is collected in one pass and reported with the file, the row as a spreadsheet shows it
(header = row 1), the column, the offending value and what was expected. Parsing and checks are
vectorized over whole columns — no Python loop per ledger row — so million-row ledgers stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from udfi.background import Thread, on_a_thread
from udfi.book import Book
from udfi.book_checks import _attribute_accounts, _check_totals, _cross_checks
from udfi.column_codes import ColumnCodes, duplicated_rows
from udfi.reading import ERROR, WARNING, BookReadError, Problem, give_back_free_memory, read_raw_book
from udfi.schemas import table_specs
from udfi.validate_cells import (DATE_FORMATS, MAX_AMOUNT_CENTS, Collector, _apply_pandera, _parse_table,
                                 plain_money_cents)

__all__ = ["ERROR", "WARNING", "BookReadError", "Problem", "ValidationReport", "validate_book", "DATE_FORMATS",
           "MAX_AMOUNT_CENTS"]


@dataclass
class ValidationReport:
    source: Path
    problems: list[Problem] = field(default_factory=list)
    book: Book | None = None
    ledger_rows: int = 0
    file_of: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def accounts_with_errors(self) -> set[str]:
        return {problem.account_id for problem in self.errors if problem.account_id}

    @property
    def book_wide_errors(self) -> list[Problem]:
        """Structural errors (a missing or unreadable table or column) that stop every account."""
        return [problem for problem in self.errors
                if problem.book_wide or (not problem.account_id and problem.row is None)]

    @property
    def unattributed_errors(self) -> list[Problem]:
        """Row errors that belong to no known account (e.g. a loan of a property that does not exist).
        The row is left out; accounts that do not reference it are unaffected."""
        return [problem for problem in self.errors
                if not problem.account_id and problem.row is not None and not problem.book_wide]


# --------------------------------------------------------------------------------------------
# Parsing one column (vectorized), collecting problems
# --------------------------------------------------------------------------------------------


def _plain_cents(raw: pd.DataFrame, money: frozenset[str]) -> dict[str, np.ndarray]:
    """The cents of the table's money columns whose every cell is a plain amount (`plain_money_cents`)."""
    return {column: cents for column in money if column in raw.columns
            for cents in [plain_money_cents(raw[column])] if cents is not None}


def validate_book(source: str | Path, date_format: str = "ISO") -> ValidationReport:
    """Read and check a whole book; the report carries the typed `Book` (rows that failed to parse
    are dropped from it, and `accounts_with_errors` says which accounts must not be computed).

    `date_format`: "ISO" (YYYY-MM-DD only) or "MDY" (also US MM/DD/YYYY)."""
    if date_format not in DATE_FORMATS:
        raise ValueError(f"date_format must be one of {', '.join(DATE_FORMATS)}, not {date_format!r}")
    source = Path(source)
    specs = table_specs()
    # Money columns are read as plain Arrow text: most of a ledger's amounts are distinct, and a column
    # of plain amounts is converted cell by cell (`plain_money_cents`) faster than its dictionary is built.
    money = {name: frozenset(column.name for column in spec.columns if column.type == "money")
             for name, spec in specs.items()}
    raw_book = read_raw_book(source, {name: spec.required for name, spec in specs.items()}, money)
    raw_tables, kind, file_of = raw_book.tables, raw_book.kind, raw_book.file_of
    problems: list[Problem] = list(raw_book.problems)
    unreadable = {table for table, file in file_of.items()
                  if any(p.file == file and p.book_wide for p in raw_book.problems)}
    collect = Collector(problems, file_of)

    typed: dict[str, pd.DataFrame] = {}
    column_codes = ColumnCodes(typed)
    duplicates: Thread | None = None   # the ledger's repeated rows, found on a thread
    # The ledger's amounts, converted on a thread while the tables before it are parsed
    ledger_cents = on_a_thread(_plain_cents, raw_tables["ledger"], money["ledger"]) if "ledger" in raw_tables else None
    for name, spec in specs.items():
        if name not in raw_tables:
            if spec.required and name not in unreadable:
                what = "file" if kind == "csv" else "sheet"
                collect.add(ERROR, name, None, None, "", f"a {what} named {file_of[name]} (required)")
            continue
        # The raw text is dropped column by column as it is parsed: raw and typed copies of a
        # million-row ledger are held whole at the same time only while its repeated rows are found.
        raw = raw_tables.pop(name)
        cents_of = ledger_cents.result() if name == "ledger" and ledger_cents else _plain_cents(raw, money[name])
        columns, index = dict(raw.items()), raw.index
        if name == "ledger":   # on the text, as written: on a thread, while the columns are parsed below
            duplicates = on_a_thread(duplicated_rows, raw, cents_of)   # this thread reads only `columns` now
        del raw   # the parser releases each column's text as soon as it is parsed (the thread's, when it is done)
        frame, failed = _parse_table(spec, columns, collect, date_format, consume=True, column_codes=column_codes,
                                     index=index, cents_of=cents_of)
        typed[name] = frame
        _apply_pandera(spec, frame, failed, collect, column_codes)
    ledger_duplicated = None if duplicates is None else duplicates.result()
    _check_totals(typed, specs, collect, column_codes)
    if all(name in typed for name in ("accounts", "properties", "loans", "ledger")):
        typed["_ledger_duplicated"] = ledger_duplicated
        _cross_checks(typed, collect, column_codes)
        del typed["_ledger_duplicated"]

    problems = _attribute_accounts(problems, typed, file_of)
    report = ValidationReport(source=source, problems=problems, file_of=dict(file_of))
    report.ledger_rows = len(typed["ledger"]) if "ledger" in typed else 0
    if all(name in typed for name in ("accounts", "properties", "loans", "ledger")):
        report.book = Book.from_frames(typed, source=source)
    del typed, column_codes
    give_back_free_memory()
    return report
