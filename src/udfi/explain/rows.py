"""The spreadsheet rows a derivation cites, found by lookups in indexes built once per book.

A return cites a few hundred row sets (each ledger sum, loan balance, payment…). Filtering the book's
pandas frames for each one was most of a `prepare --only json,xml` package's cost; here each table's
columns are read out of pandas once (`BookColumns`, per book or per batch chunk) and an account's rows
are grouped once (`BookRows`), so a lookup is a dict access and a short list scan.

Every lookup finds exactly the rows the frame filters of `udfi.statements.figures` (`ledger_rows`,
`rows_of`) find, in the same sorted order: equality on ``astype(str)`` for ordinary columns and on
timestamps for date columns, a missing date or value never matching (tests/test_explain_rows.py).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min  # a missing datetime64[ns] as int64


EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
NS_PER_DAY = 86_400 * 10**9


def _ns(day) -> int:
    """pd.Timestamp(day).value, without building a Timestamp for a plain date."""
    if type(day) is dt.date:
        return (day.toordinal() - EPOCH_ORDINAL) * NS_PER_DAY
    return pd.Timestamp(day).value


def _equals(value, wanted) -> bool:
    """`value == wanted` as a pandas mask sees it: a missing value (NaN, None, pd.NA) matches nothing."""
    return value is not pd.NA and value == wanted


def _is_principal(categories: np.ndarray) -> np.ndarray:
    """Which of the categories are `principal` (a missing one is not), as a boolean mask."""
    try:
        return np.asarray(categories == "principal", dtype=bool)
    except TypeError:  # pd.NA among them: compared one at a time
        return np.fromiter((_equals(value, "principal") for value in categories), dtype=bool, count=len(categories))


class BookColumns:
    """A book's columns as plain arrays, converted on first use (astype(str) once per column, dates
    as int64 nanoseconds). Shared by the `BookRows` of every account of a chunk."""

    def __init__(self, book):
        self.book = book
        self._text: dict[tuple[str, str], np.ndarray] = {}
        self._raw: dict[tuple[str, str], np.ndarray] = {}
        self._dates: dict[tuple[str, str], np.ndarray] = {}
        self._is_date: dict[tuple[str, str], bool] = {}

    def frame(self, table: str) -> pd.DataFrame:
        return getattr(self.book, table)

    def is_date(self, table: str, column: str) -> bool:
        key = (table, column)
        if key not in self._is_date:
            self._is_date[key] = pd.api.types.is_datetime64_any_dtype(self.frame(table)[column])
        return self._is_date[key]

    def text(self, table: str, column: str) -> np.ndarray:
        """The column as `rows_of` compares it: ``astype(str)``."""
        key = (table, column)
        if key not in self._text:
            self._text[key] = self.frame(table)[column].astype(str).to_numpy(dtype=object)
        return self._text[key]

    def raw(self, table: str, column: str) -> np.ndarray:
        key = (table, column)
        if key not in self._raw:
            self._raw[key] = self.frame(table)[column].to_numpy(dtype=object)
        return self._raw[key]

    def dates(self, table: str, column: str) -> np.ndarray:
        """A date column as int64 nanoseconds (NAT where missing)."""
        key = (table, column)
        if key not in self._dates:
            values = self.frame(table)[column]
            self._dates[key] = values.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return self._dates[key]

    def rows(self, account_positions: dict[str, np.ndarray] | None = None) -> BookRows:
        """The lookups over the whole book (`account_positions` None) or over one account's rows
        (its row positions per table, as `udfi.batch.slicing.BookSlicer.positions` holds them)."""
        return BookRows(self, account_positions)


class BookRows:
    """Row lookups over a book, or over one account's part of it (`positions`: table → row positions)."""

    def __init__(self, columns: BookColumns, positions: dict[str, np.ndarray] | None = None):
        self.columns = columns
        self.book = columns.book
        self._positions = positions
        self._equal: dict[tuple[str, tuple[str, ...]], dict[tuple, list[int]]] = {}
        self._ledger: dict[int, dict[str, dict[object, list[tuple[int, object, int]]]]] = {}
        self._principal: dict[object, tuple[list[int], list[int]]] | None = None

    @classmethod
    def of_book(cls, book) -> BookRows | None:
        return None if book is None else BookColumns(book).rows()

    def _where(self, table: str) -> np.ndarray:
        if self._positions is None:
            return np.arange(len(self.columns.frame(table)))
        found = self._positions.get(table)
        return found if found is not None else np.array([], dtype=np.int64)

    def _source_rows(self, table: str, where: np.ndarray) -> list[int]:
        return [int(row) for row in self.columns.raw(table, "source_row")[where]]

    # ---- equality filters (figures.rows_of) ----------------------------------------------------

    def equal(self, table: str, **equal) -> list[int]:
        """Sorted source rows of `table` whose columns equal `equal` (strings compared as text,
        dates as timestamps) — what `rows_of(book.<table>, **equal)` returns."""
        if not len(self.columns.frame(table)):
            return []
        names = tuple(equal)
        index = self._equal.get((table, names))
        if index is None:
            index = self._equal[(table, names)] = self._equal_index(table, names)
        key = []
        for name, value in equal.items():
            if self.columns.is_date(table, name):
                stamp = pd.Timestamp(value)
                if pd.isna(stamp):
                    return []  # NaT equals nothing
                key.append(stamp.value)
            else:
                key.append(str(value))
        return sorted(index.get(tuple(key), ()))

    def _equal_index(self, table: str, names: tuple[str, ...]) -> dict[tuple, list[int]]:
        where = self._where(table)
        dated = [self.columns.is_date(table, name) for name in names]
        keys = [(self.columns.dates if is_date else self.columns.text)(table, name)[where].tolist()
                for name, is_date in zip(names, dated)]
        index: dict[tuple, list[int]] = defaultdict(list)
        for key, row in zip(zip(*keys), self._source_rows(table, where)):
            if not any(is_date and part == NAT for is_date, part in zip(dated, key)):  # NaT equals nothing
                index[key].append(row)
        return index

    # ---- the ledger (figures.ledger_rows, principal rows before a day) -------------------------

    def _ledger_by_property(self, tax_year: int) -> dict[str, dict[object, list[tuple[int, object, int]]]]:
        """property → category → (date, loan, row) of the ledger rows dated in `tax_year`, in row order."""
        grouped = self._ledger.get(tax_year)
        if grouped is None:
            where = self._where("ledger")
            columns = self.columns
            # only the year's rows (a lookup asks for rows inside the year): a missing date (NAT) is out too
            days = columns.dates("ledger", "date")[where]
            where = where[(days >= _ns(dt.date(tax_year, 1, 1))) & (days <= _ns(dt.date(tax_year, 12, 31)))]
            grouped = {}
            for pid, category, day, loan_id, row in zip(columns.raw("ledger", "property_id")[where].tolist(),
                                                         columns.raw("ledger", "category")[where].tolist(),
                                                         columns.dates("ledger", "date")[where].tolist(),
                                                         columns.raw("ledger", "loan_id")[where].tolist(),
                                                         self._source_rows("ledger", where)):
                if (type(pid) is str or not pd.isna(pid)) and category is not pd.NA:
                    grouped.setdefault(pid, {}).setdefault(category, []).append((day, loan_id, row))
            self._ledger[tax_year] = grouped
        return grouped

    def ledger(self, facts, tax_year: int, categories: tuple[str, ...], loan_id: str | None = None) -> list[int]:
        """The property's ledger rows of `categories` dated in `tax_year` inside the holding period
        (and of `loan_id` when given) — `figures.ledger_rows`."""
        by_category = self._ledger_by_property(tax_year).get(facts.property_id)
        if not by_category:
            return []
        start = _ns(max(facts.acquired_on, dt.date(tax_year, 1, 1)))
        end = _ns(dt.date(tax_year, 12, 31) if facts.disposed_on is None
                  else min(facts.disposed_on, dt.date(tax_year, 12, 31)))
        return sorted(row for category in set(categories) for day, loan, row in by_category.get(category, ())
                      if start <= day <= end and (loan_id is None or _equals(loan, loan_id)))

    def principal_before(self, loan_id: str, day: dt.date) -> list[int]:
        """Ledger rows of `principal` for the loan dated before `day`, sorted."""
        if self._principal is None:
            where = self._where("ledger")
            columns = self.columns
            where = where[_is_principal(columns.raw("ledger", "category")[where])]
            by_loan: dict[object, list[tuple[int, int]]] = defaultdict(list)
            for category, when, loan, row in zip(columns.raw("ledger", "category")[where].tolist(),
                                                 columns.dates("ledger", "date")[where].tolist(),
                                                 columns.raw("ledger", "loan_id")[where].tolist(),
                                                 self._source_rows("ledger", where)):
                if _equals(category, "principal") and not pd.isna(loan) and when != NAT:
                    by_loan[loan].append((when, row))
            # by date, so the rows before a day are a prefix (found by bisection, not a scan per day)
            self._principal = {loan: ([when for when, _ in dated], [row for _, row in dated])
                               for loan, dated in ((loan, sorted(pairs)) for loan, pairs in by_loan.items())}
        found = self._principal.get(loan_id)
        if found is None:
            return []
        whens, rows = found
        return sorted(rows[:bisect.bisect_left(whens, _ns(day))])

    # ---- carryovers naming a partnership silo ------------------------------------------------------

    def silo_carryovers(self, account_id: str, tax_year: int, silo_key: str) -> list[int]:
        """carryovers rows (book order) of the account's post-2017 NOL whose activity code starts with
        the silo's two NAICS digits."""
        frame = self.columns.frame("carryovers")
        if not len(frame) or "activity_code" not in frame.columns:
            return []
        where = self._where("carryovers")
        columns = self.columns
        found = []
        for account, year, kind, code, row in zip(columns.raw("carryovers", "account_id")[where].tolist(),
                                                  columns.raw("carryovers", "tax_year")[where].tolist(),
                                                  columns.raw("carryovers", "kind")[where].tolist(),
                                                  columns.raw("carryovers", "activity_code")[where].tolist(),
                                                  self._source_rows("carryovers", where)):
            text = "" if pd.isna(code) else str(code)
            if (_equals(account, account_id) and _equals(year, tax_year) and _equals(kind, "post2017_nol")
                    and text.startswith(silo_key)):
                found.append(row)
        return found
