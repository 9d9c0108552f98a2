"""Import and validate a book: a folder of CSV files, or one .xlsx workbook with sheets of the same names.

Every problem is collected in one pass and reported with the file, the row as a spreadsheet shows it
(header = row 1), the column, the offending value and what was expected. Parsing and checks are
vectorized over whole columns — no Python loop per ledger row — so million-row ledgers stay fast.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from udfi.book import Book
from udfi.column_codes import ColumnCodes, canonical_codes
from udfi.k1_checks import k1_checks
from udfi.law_checks import law_checks
from udfi.schemas import ColumnSpec, TableSpec, table_specs

from udfi.reading import ERROR, WARNING, BookReadError, Problem, read_raw_book
from udfi.safety import looks_like_ssn, mask_ssn, ssn_shaped_mask

__all__ = ["ERROR", "WARNING", "BookReadError", "Problem", "ValidationReport", "validate_book", "DATE_FORMATS",
           "MAX_AMOUNT_CENTS"]

_MONEY = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2}")
_MONEY_TOO_PRECISE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d{3,}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EIN = re.compile(r"\d{2}-\d{7}")
_YEAR = re.compile(r"\d{4}")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}

# Dates outside this range are refused (they are typos, and pandas' nanosecond range ends in 2262).
FIRST_DATE, LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
# ISO (YYYY-MM-DD) always; MDY also accepts US dates MM/DD/YYYY when the user says so.
DATE_FORMATS = ("ISO", "MDY")
# |amount| per cell, and the total of |amounts| per property (ledger, loans, depreciation), loan
# (statements) or account (properties, carryovers, payments): $1,000,000,000,000.00. Far above any
# real IRA, far below int64's 9.2e18 cents, so no sum in the engine can wrap.
MAX_AMOUNT_CENTS = 10**14
_MAX_DIGITS = 18  # a cell with more digits is refused before any integer conversion
_TOTAL_KEYS = {"ledger": "property_id", "loans": "property_id", "depreciation": "property_id",
               "loan_balances": "loan_id", "properties": "account_id", "carryovers": "account_id",
               "payments": "account_id"}


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


@dataclass
class _Collector:
    problems: list[Problem]
    file_of: dict[str, str]

    def add_rows(self, severity: str, table: str, rows: pd.Index, column: str | None,
                 values: pd.Series | list | None, expected: str) -> None:
        """Record one problem per row label in `rows` (labels are 0-based data-row positions).
        Values and messages are masked: an SSN-shaped value is never echoed."""
        if len(rows) == 0:
            return
        if values is None:
            values = [""] * len(rows)
        elif isinstance(values, pd.Series):
            values = values.astype(str).tolist()
        expected = mask_ssn(expected)
        file = self.file_of[table]
        for row, value in zip(rows.tolist(), values):
            self.problems.append(Problem(severity, file, int(row) + 2, column, mask_ssn(value), expected))

    def add(self, severity: str, table: str, row: int | None, column: str | None, value: str,
            expected: str) -> None:
        self.problems.append(Problem(severity, self.file_of[table], None if row is None else int(row) + 2, column,
                                     mask_ssn(value), mask_ssn(expected)))


def _mask_identifier(text: str) -> str:
    """Never echo a full SSN-shaped value back: keep only the last 4 digits."""
    digits = re.sub(r"\D", "", text)
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "***"


_PLAIN_MONEY = r"-?\d+(?:\.\d{1,2})?"


def _parse_plain_money(text: pd.Series) -> pd.Series:
    """`-1234.5`-shaped text → integer cents, exactly (digits without the point, scaled by 10^(2−decimals))."""
    point = text.str.find(".").to_numpy()
    length = text.str.len().to_numpy()
    decimals = np.where(point < 0, 0, length - point - 1)
    digits = text.str.replace(".", "", regex=False).astype("int64").to_numpy()
    return pd.Series(digits * (10 ** (2 - decimals)), index=text.index, dtype="int64")


def _parse_money(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Text → integer cents. Returns (cents as Int64, bad mask, too-many-decimals mask, too-large mask).

    Plain amounts (`1234.56`, `-12`) take a fast path; `$1,234.56` and `(1,234.56)` the full one. A
    cell with more than `_MAX_DIGITS` digits is refused before any integer conversion (no overflow),
    and every amount beyond ±MAX_AMOUNT_CENTS is refused as too large.
    """
    text = raw.str.strip()
    cents = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    bad = pd.Series(False, index=raw.index, dtype=bool)
    too_precise = pd.Series(False, index=raw.index, dtype=bool)
    too_large = pd.Series(False, index=raw.index, dtype=bool)
    if raw.empty:
        return cents, bad, too_precise, too_large
    many_digits = pd.Series(False, index=raw.index, dtype=bool)
    long = (text.str.len() > _MAX_DIGITS).fillna(False).astype(bool)
    if long.any():  # counting digits is slow: only cells long enough to have too many
        many_digits[long] = (text[long].str.count(r"\d") > _MAX_DIGITS).fillna(False).astype(bool)
    if many_digits.any():
        too_large |= many_digits
        bad |= many_digits
        text = text.where(~many_digits, "")
    plain = text.str.fullmatch(_PLAIN_MONEY).fillna(False).astype(bool)
    if plain.any():
        cents[plain] = _parse_plain_money(text[plain])
    rest = ~plain & ~many_digits
    if rest.any():
        rest_cents, rest_bad, rest_precise = _parse_formatted_money(text[rest])
        cents[rest] = rest_cents
        bad[rest] = rest_bad
        too_precise[rest] = rest_precise
    beyond = cents.notna() & (cents.abs() > MAX_AMOUNT_CENTS)
    beyond = beyond.fillna(False).astype(bool)
    if beyond.any():
        too_large |= beyond
        bad |= beyond
        cents[beyond] = pd.NA
    return cents, bad, too_precise, too_large


def _parse_formatted_money(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    parenthesized = text.str.startswith("(") & text.str.endswith(")")
    core = text.where(~parenthesized, text.str.slice(1, -1)).str.strip()
    minus = core.str.startswith("-")
    core = core.where(~minus, core.str.slice(1)).str.strip()
    core = core.str.replace("$", "", regex=False).str.strip()
    # "$-12.00" puts the sign after the currency symbol
    minus2 = core.str.startswith("-")
    core = core.where(~minus2, core.str.slice(1))
    negative = parenthesized | (minus ^ minus2)
    good = core.str.fullmatch(_MONEY.pattern).fillna(False).astype(bool) & ~(parenthesized & (minus | minus2))
    too_precise = (~good) & core.str.fullmatch(_MONEY_TOO_PRECISE.pattern).fillna(False).astype(bool)
    cleaned = core.where(good, "0").str.replace(",", "", regex=False)
    parts = cleaned.str.partition(".")
    whole = parts[0].where(parts[0] != "", "0").astype("int64")
    fraction = parts[2].str.pad(2, side="right", fillchar="0").where(parts[2] != "", "0").astype("int64")
    cents = whole * 100 + fraction
    cents = cents.where(~negative.astype(bool), -cents)
    return cents.astype("Int64").where(good, pd.NA), ~good, too_precise


def _parse_date(raw: pd.Series, date_format: str = "ISO") -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Text → dates. Returns (dates, bad mask, out-of-range mask, US-looking mask (MM/DD/YYYY given
    without --date-format MDY))."""
    text = raw.str.strip()
    us = text.str.fullmatch(_US_DATE.pattern).fillna(False).astype(bool)
    if date_format == "MDY" and us.any():
        parts = text[us].str.extract(_US_DATE.pattern)
        text = text.copy()
        text[us] = parts[2] + "-" + parts[0].str.zfill(2) + "-" + parts[1].str.zfill(2)
        us = pd.Series(False, index=text.index, dtype=bool)
    shaped = text.str.fullmatch(_DATE.pattern).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(shaped, None), format="%Y-%m-%d", errors="coerce")
    out_of_range = parsed.notna() & ((parsed < FIRST_DATE) | (parsed > LAST_DATE))
    parsed = parsed.where(~out_of_range)
    bad = parsed.isna()
    return parsed.astype("datetime64[ns]"), bad, out_of_range.astype(bool), us


def _shared_text(text: pd.Series, keep: pd.Series) -> pd.Series:
    """`text` where `keep`, else missing, as an object column whose equal values are one Python string:
    a million-row ledger repeats a few thousand ids, so it holds pointers, not a million strings."""
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    codes = np.where(keep.to_numpy(dtype=bool), codes, -1)
    values = np.full(len(text), np.nan, dtype=object)   # missing as NaN, like pandas' string columns
    known = codes >= 0
    values[known] = np.asarray(uniques, dtype=object)[codes[known]]
    return pd.Series(values, index=text.index, dtype=object)


class _DistinctRows:
    """Problems found on a column's distinct values, recorded once per row that holds the value (in row
    order, as if every row had been checked): a million-row ledger has a few thousand dates and ids."""

    def __init__(self, collect: _Collector, codes: np.ndarray, index: pd.Index, distinct: int):
        self.collect, self.codes, self.index, self.distinct = collect, codes, index, distinct

    def add_rows(self, severity: str, table: str, rows: pd.Index, column: str | None,
                 values: pd.Series | list | None, expected: str) -> None:
        if len(rows) == 0:
            return
        chosen = np.zeros(self.distinct, dtype=bool)
        positions = np.asarray(rows, dtype=np.int64)
        chosen[positions] = True
        at = np.flatnonzero(chosen[self.codes])
        if values is not None:
            if isinstance(values, pd.Series):
                values = values.astype(str).tolist()
            by_value = np.empty(self.distinct, dtype=object)
            by_value[positions] = values
            values = by_value[self.codes[at]].tolist()
        self.collect.add_rows(severity, table, self.index[at], column, values, expected)


def _dictionary(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct values as Python objects): a categorical column (the fast CSV reader's)
    already is one; other columns are factorized. A missing cell gets a code of its own."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        codes = raw.cat.codes.to_numpy()
        uniques = raw.cat.categories.to_numpy(dtype=object)
    else:
        codes, uniques = pd.factorize(raw)
        uniques = np.asarray(uniques, dtype=object)
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, len(uniques), codes)
        uniques = np.append(uniques, np.array([np.nan], dtype=object))
    return codes, uniques


def _parse_column(spec: TableSpec, column: ColumnSpec, raw: pd.Series, collect: _Collector,
                  date_format: str = "ISO", column_codes: ColumnCodes | None = None) -> pd.Series:
    """Convert one text column to its type. Empty cells become NA (or the default).

    Each distinct value is parsed and checked once; the result and the problems are spread back to
    every row holding it."""
    codes, uniques = _dictionary(raw)
    rows = _DistinctRows(collect, codes, raw.index, len(uniques))
    typed = _parse_distinct(spec, column, pd.Series(uniques, dtype=object), rows, date_format)
    if column_codes is not None and typed.dtype == object:
        column_codes.keep(spec.table, column.name, *canonical_codes(codes, typed.to_numpy(dtype=object)))
    spread = typed.take(codes)
    spread.index = raw.index
    return spread


def _parse_distinct(spec: TableSpec, column: ColumnSpec, raw: pd.Series, collect: _DistinctRows,
                    date_format: str) -> pd.Series:
    """`_parse_column` over distinct values (index = their positions)."""
    text = raw.astype(str).str.strip()
    empty = text == ""
    present = ~empty
    table = spec.table

    if column.required:
        collect.add_rows(ERROR, table, text.index[empty], column.name, None, f"a value ({column.expected})")

    if column.type in ("text",):
        # Names, descriptions, memos and ids reach the return and the statements, which may be made
        # public: an SSN there is almost always a mistake.
        ssn = present & ssn_shaped_mask(text)
        collect.add_rows(WARNING, table, text.index[ssn], column.name, text[ssn],
                         "text without an SSN: this value looks like a Social Security number and would be "
                         "printed on the return or its statements (Form 990-T may be made public)")
        return _shared_text(text, present)

    if column.type == "enum":
        lowered = text.str.lower()
        bad = present & ~lowered.isin(column.values)
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad], column.expected)
        keep = present & ~bad
        if column.default is not None:
            lowered, keep = lowered.where(~empty, column.default), keep | empty
        return _shared_text(lowered, keep)

    if column.type == "bool":
        lowered = text.str.lower()
        truthy = lowered.isin(_TRUE)
        falsy = lowered.isin(_FALSE)
        bad = present & ~(truthy | falsy)
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad], column.expected)
        default = bool(column.default) if column.default is not None else False
        return pd.Series(np.where(truthy, True, np.where(falsy, False, default)), index=text.index, dtype=bool)

    if column.type == "money":
        cents, bad, too_precise, too_large = _parse_money(text)
        bad = bad & present
        large = bad & too_large
        collect.add_rows(ERROR, table, text.index[large], column.name, text[large].str.slice(0, 40),
                         f"an amount of at most ${MAX_AMOUNT_CENTS // 100:,}.00 either way (udfi's bound per "
                         "cell; this one is beyond it)")
        precise = bad & too_precise & ~too_large
        collect.add_rows(ERROR, table, text.index[precise], column.name, text[precise],
                         "an amount with at most 2 decimals (whole cents)")
        other = bad & ~too_precise & ~too_large
        collect.add_rows(ERROR, table, text.index[other], column.name, text[other], column.expected)
        return cents.where(present & ~bad, pd.NA).astype("Int64")

    if column.type == "date":
        parsed, bad, out_of_range, us = _parse_date(text, date_format)
        bad = bad & present
        collect.add_rows(ERROR, table, text.index[out_of_range], column.name, text[out_of_range],
                         f"a date between {FIRST_DATE:%Y-%m-%d} and {LAST_DATE:%Y-%m-%d}")
        us = us & bad
        collect.add_rows(ERROR, table, text.index[us], column.name, text[us],
                         f"{column.expected} — this looks like a US date (MM/DD/YYYY); if every date of the book "
                         "is written that way, pass --date-format MDY")
        other = bad & ~out_of_range & ~us
        collect.add_rows(ERROR, table, text.index[other], column.name, text[other], column.expected)
        return parsed.where(present & ~bad)

    if column.type == "year":
        good = text.str.fullmatch(_YEAR.pattern).fillna(False).astype(bool)
        bad = present & ~good
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad], column.expected)
        return pd.to_numeric(text.where(good, None), errors="coerce").astype("Int64")

    if column.type == "ein":
        good = text.str.fullmatch(_EIN.pattern).fillna(False).astype(bool)
        ssn = present & ~good & ssn_shaped_mask(text)
        collect.add_rows(ERROR, table, text.index[ssn], column.name,
                         [_mask_identifier(mask_ssn(value)) for value in text[ssn].tolist()],
                         "the account's EIN (NN-NNNNNNN); an SSN-shaped number is refused — "
                         "Form 990-T may be made public, and the IRA reports under its own EIN")
        bad = present & ~good & ~ssn
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad].map(lambda v: v[:12]),
                         column.expected)
        return text.where(good, None).astype(object)

    raise ValueError(f"unknown column type {column.type!r} in schema {table}")


def _parse_table(spec: TableSpec, raw: pd.DataFrame, collect: _Collector, date_format: str = "ISO",
                 consume: bool = False, column_codes: ColumnCodes | None = None) -> tuple[pd.DataFrame, set]:
    """Parse every column; returns (typed frame, set of (row, column) that failed to parse).
    `consume`: drop each raw column from `raw` once it is parsed (the caller's frame is emptied).
    `column_codes`: keeps each text column's codes for the book checks."""
    missing = [column.name for column in spec.columns if column.required and column.name not in raw.columns]
    for name in missing:
        collect.add(ERROR, spec.table, None, name, "", f"a column named {name!r} (required)")
    known = set(spec.column_names)
    for name in raw.columns:
        if name not in known:
            collect.add(WARNING, spec.table, None, name, "",
                        f"a known column ({', '.join(spec.column_names)}); this column is ignored")
    before = len(collect.problems)
    typed = {}
    for column in spec.columns:
        if column.name in raw.columns:
            text = raw.pop(column.name) if consume else raw[column.name]
            typed[column.name] = _parse_column(spec, column, text, collect, date_format, column_codes)
            del text
        else:
            # An absent column parses as empty cells (typed NA, or the default); a missing required
            # column was reported once above, not once per row.
            absent = ColumnSpec(**{**column.__dict__, "required": False})
            typed[column.name] = _parse_column(spec, absent, pd.Series([""] * len(raw), index=raw.index, dtype=object),
                                               collect, date_format)
    frame = pd.DataFrame(typed, index=raw.index)
    failed = {(problem.row - 2, problem.column) for problem in collect.problems[before:] if problem.row}
    return frame, failed


def _constraint_failures(spec: TableSpec, frame: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(column, check, row labels) of every value that breaks a constraint of the table's schema —
    the checks `schemas.pandera_schema` declares, run as whole-column operations: uniqueness (every
    occurrence of a repeated value), enumerations, money bounds. Empty cells pass every check, as
    in pandera (presence is the parser's)."""
    failures = []
    for column in spec.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.unique and not values.is_unique:
            given = values.dropna()
            repeated = given.index[given.duplicated(keep=False)].to_numpy()
            if len(repeated):
                failures.append((column.name, "field_uniqueness", repeated))
        checks = []
        if column.type == "enum":
            checks.append(("isin", lambda v, allowed=list(column.values): v.isin(allowed)))
        if column.type == "money":
            if column.min is not None:
                checks.append(("greater_than_or_equal_to", lambda v, b=int(round(column.min * 100)): v >= b))
            if column.gt is not None:
                checks.append(("greater_than", lambda v, b=int(round(column.gt * 100)): v > b))
            if column.nonzero:
                checks.append(("not_equal_to", lambda v: v != 0))
        if not checks:
            continue
        known = values.notna().to_numpy(dtype=bool)
        if not known.any():
            continue
        present = values[known]
        for check, passes in checks:
            ok = passes(present).to_numpy(dtype=bool)
            if not ok.all():
                failures.append((column.name, check, present.index[~ok].to_numpy()))
    return failures


def _apply_pandera(spec: TableSpec, frame: pd.DataFrame, failed: set, collect: _Collector) -> None:
    """Constraint checks (bounds, enumerations, uniqueness) of the table's schema, vectorized."""
    for column, check, rows in _constraint_failures(spec, frame):
        column_spec = spec.column(column)
        if check == "field_uniqueness":
            expected = f"a unique {column} (this value appears more than once)"
        else:
            expected = column_spec.expected
        for index in rows.tolist():
            row = int(index)
            if (row, column) in failed:
                continue  # already reported as unparseable or missing
            value = frame.at[index, column]
            if column_spec.type == "money" and value is not pd.NA:
                value = f"{int(value) / 100:.2f}"
            collect.add(ERROR, spec.table, row, column, str(value), expected)


# --------------------------------------------------------------------------------------------
# The book-level logic a preparer would catch
# --------------------------------------------------------------------------------------------


def _map(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)`, also when `mapping` is empty (pandas then fails to cast a datetime
    mapping to float: a header-only loans or properties table)."""
    if mapping.empty:
        return pd.Series(index=values.index, dtype=mapping.dtype)
    return values.map(mapping)


class _Lookups:
    """`_map` for the id columns of one table: each id is looked up once, not once per row (the
    ledger's millions of ids are a few thousand distinct ones)."""

    def __init__(self, column_codes: ColumnCodes, table: str):
        self.column_codes, self.table = column_codes, table

    def map(self, column: str, mapping: pd.Series) -> pd.Series:
        values = self.column_codes.tables[self.table][column]
        if mapping.empty or not mapping.index.is_unique:
            return _map(values, mapping)
        codes, uniques = self.column_codes.codes(self.table, column)
        if not len(uniques):   # every value empty
            return pd.Series(index=values.index, dtype=mapping.dtype)
        where = mapping.index.get_indexer(pd.Index(uniques, dtype=object))
        taken = mapping.take(np.where(where < 0, 0, where)).to_numpy()
        known = (where >= 0)[codes] & (codes >= 0)
        result = pd.Series(taken[np.where(codes < 0, 0, codes)], index=values.index, dtype=mapping.dtype)
        return result.where(known)


def _loan_of_another_property(column_codes: ColumnCodes, property_of_loan: pd.Series) -> pd.Series:
    """Ledger rows whose loan_id names a loan of another property than the row's property_id, compared
    as codes: each distinct loan's property is looked up once."""
    ledger = column_codes.tables["ledger"]
    loan_codes, loan_ids = column_codes.codes("ledger", "loan_id")
    property_codes, property_ids = column_codes.codes("ledger", "property_id")
    if property_of_loan.empty or not len(loan_ids):
        return pd.Series(False, index=ledger.index)
    where = property_of_loan.index.get_indexer(pd.Index(loan_ids, dtype=object))
    their_property = property_of_loan.to_numpy(dtype=object).take(np.where(where < 0, 0, where))
    known = (where >= 0) & pd.notna(their_property)
    # their property as a code of the row's property_id column; -2 for one no row names (never equal)
    their_code = pd.Index(property_ids, dtype=object).get_indexer(np.where(known, their_property, None))
    their_code = np.where(their_code < 0, -2, their_code)
    row_loan = np.where(loan_codes < 0, 0, loan_codes)
    wrong = (loan_codes >= 0) & known[row_loan] & (their_code[row_loan] != property_codes)
    return pd.Series(wrong, index=ledger.index)


def _cross_checks(tables: dict[str, pd.DataFrame], collect: _Collector, column_codes: ColumnCodes) -> None:
    accounts = tables["accounts"]
    properties = tables["properties"]
    loans = tables["loans"]
    ledger = tables["ledger"]

    def reference(table: str, column: str, target: pd.Series, what: str) -> None:
        frame = tables[table]
        values = frame[column]
        known = set(target.dropna())
        bad = column_codes.where(table, column, lambda distinct: distinct.notna() & ~distinct.isin(known))
        collect.add_rows(ERROR, table, frame.index[bad], column, values[bad], f"{what} that exists")

    reference("properties", "account_id", accounts["account_id"], "an account_id from accounts.csv")
    reference("loans", "property_id", properties["property_id"], "a property_id from properties.csv")
    reference("ledger", "property_id", properties["property_id"], "a property_id from properties.csv")
    reference("ledger", "loan_id", loans["loan_id"], "a loan_id from loans.csv")
    for optional, column, target, what in (
        ("depreciation", "property_id", properties["property_id"], "a property_id from properties.csv"),
        ("loan_balances", "loan_id", loans["loan_id"], "a loan_id from loans.csv"),
        ("carryovers", "account_id", accounts["account_id"], "an account_id from accounts.csv"),
        ("payments", "account_id", accounts["account_id"], "an account_id from accounts.csv"),
    ):
        if optional in tables:
            reference(optional, column, target, what)

    # properties: land ≤ cost, dates in order, amount realized with a disposal
    land_over = properties["land_value"].notna() & properties["cost_basis"].notna() & (
        properties["land_value"] > properties["cost_basis"])
    collect.add_rows(ERROR, "properties", properties.index[land_over], "land_value",
                     properties.loc[land_over, "land_value"].map(lambda c: f"{int(c) / 100:.2f}"),
                     "a land value no greater than cost_basis")
    early_disposal = properties["disposed_on"].notna() & (properties["disposed_on"] < properties["acquired_on"])
    collect.add_rows(ERROR, "properties", properties.index[early_disposal], "disposed_on",
                     properties.loc[early_disposal, "disposed_on"].dt.strftime("%Y-%m-%d"),
                     "a disposal date on or after acquired_on")
    early_service = properties["placed_in_service_on"].notna() & (
        properties["placed_in_service_on"] < properties["acquired_on"])
    collect.add_rows(ERROR, "properties", properties.index[early_service], "placed_in_service_on",
                     properties.loc[early_service, "placed_in_service_on"].dt.strftime("%Y-%m-%d"),
                     "a placed-in-service date on or after acquired_on")
    no_amount = properties["disposed_on"].notna() & properties["amount_realized"].isna()
    collect.add_rows(ERROR, "properties", properties.index[no_amount], "amount_realized", None,
                     "an amount realized (required when disposed_on is set)")
    no_date = properties["disposed_on"].isna() & properties["amount_realized"].notna()
    collect.add_rows(WARNING, "properties", properties.index[no_date], "disposed_on", None,
                     "a disposal date when amount_realized is given (the amount is ignored)")

    # loans: refinance structure, prohibited-transaction flags
    purpose = loans["purpose"]
    refinances = loans["refinances"]
    missing_target = (purpose == "refinance") & refinances.isna()
    collect.add_rows(ERROR, "loans", loans.index[missing_target], "refinances", None,
                     "the loan_id this loan refinances (required when purpose is refinance)")
    stray = (purpose != "refinance") & refinances.notna()
    collect.add_rows(ERROR, "loans", loans.index[stray], "refinances", refinances[stray],
                     "no value unless purpose is refinance")
    by_id = loans.drop_duplicates("loan_id").set_index("loan_id")
    target_property = _map(refinances, by_id["property_id"])
    other_property = refinances.notna() & target_property.notna() & (target_property != loans["property_id"])
    collect.add_rows(ERROR, "loans", loans.index[other_property], "refinances", refinances[other_property],
                     "a loan of the same property (a refinance cannot take over another property's loan)")
    target_date = _map(refinances, by_id["originated_on"])
    later_target = refinances.notna() & target_date.notna() & (target_date > loans["originated_on"])
    collect.add_rows(ERROR, "loans", loans.index[later_target], "refinances", refinances[later_target],
                     "a loan originated on or before this one")
    twice = refinances.notna() & refinances.duplicated(keep="first")
    collect.add_rows(ERROR, "loans", loans.index[twice], "refinances", refinances[twice],
                     "a loan not already refinanced by another loan")
    # Follow every chain; a pointer that never reaches a loan without `refinances` is a loop.
    pointer = refinances.copy()
    self_loop = pd.Series(False, index=loans.index)
    for _ in range(min(len(loans), 64) + 1):
        if pointer.isna().all():
            break
        self_loop |= pointer.notna() & (pointer == loans["loan_id"])
        pointer = _map(pointer, by_id["refinances"]).where(pointer.notna())
    looping = pointer.notna() | self_loop
    collect.add_rows(ERROR, "loans", loans.index[looping], "refinances", refinances[looping],
                     "a refinance chain that ends (this chain loops back on itself)")
    for flag, text in (
        ("recourse", "a non-recourse loan: a recourse loan extends credit to the account "
                     "(prohibited-transaction risk, IRC §4975(c)(1)(B))"),
        ("lender_is_disqualified_person", "a lender who is not a disqualified person "
                                          "(IRC §4975(c)(1)(B) prohibited transaction; also defeats §514(c)(9))"),
    ):
        flagged = loans[flag].astype(bool)
        collect.add_rows(WARNING, "loans", loans.index[flagged], flag, loans.loc[flagged, flag], text)

    # ledger: loan rules, holding period, duplicates, balances
    needs_loan = (column_codes.where("ledger", "category", lambda v: v.isin(["interest", "principal"]))
                  & column_codes.where("ledger", "loan_id", lambda v: v.isna()))
    collect.add_rows(ERROR, "ledger", ledger.index[needs_loan], "loan_id", None,
                     "a loan_id (required for interest and principal rows)")
    lookups = _Lookups(column_codes, "ledger")
    wrong_property = _loan_of_another_property(column_codes, by_id["property_id"])
    collect.add_rows(ERROR, "ledger", ledger.index[wrong_property], "loan_id", ledger.loc[wrong_property, "loan_id"],
                     "a loan of the row's property (" + "the loan belongs to another property)")
    held = properties.drop_duplicates("property_id").set_index("property_id")
    start = lookups.map("property_id", held["acquired_on"])
    end = lookups.map("property_id", held["disposed_on"])
    outside = ledger["date"].notna() & start.notna() & (
        (ledger["date"] < start) | (end.notna() & (ledger["date"] > end)))
    collect.add_rows(WARNING, "ledger", ledger.index[outside], "date",
                     ledger.loc[outside, "date"].dt.strftime("%Y-%m-%d"),
                     "a date within the property's holding period (row is ignored by the computation)")
    duplicated = tables["_ledger_duplicated"]
    collect.add_rows(WARNING, "ledger", ledger.index[duplicated], None, None,
                     "a unique row (this row repeats an earlier row exactly; both are counted)")

    principal_rows = (column_codes.where("ledger", "category", lambda v: v == "principal")
                      & column_codes.where("ledger", "loan_id", lambda v: v.notna()))
    payments = ledger[principal_rows & ledger["amount"].notna() & ledger["date"].notna()]
    if len(payments):
        ordered = payments.sort_values(["loan_id", "date"], kind="stable")
        paid = ordered.groupby("loan_id", sort=False)["amount"].cumsum()
        principal = _map(ordered["loan_id"], by_id["principal"])
        remaining = principal - paid
        negative = (remaining.notna() & (remaining < 0)).to_numpy(dtype=bool)
        first_negative = ordered[negative].groupby("loan_id", sort=False).head(1)
        for row in first_negative.index:
            loan_id = ordered.at[row, "loan_id"]
            balance = int(remaining[row])
            collect.add(ERROR, "ledger", row, "amount", f"{int(ordered.at[row, 'amount']) / 100:.2f}",
                        f"principal repayments that leave loan {loan_id} at or above zero "
                        f"(this row brings it to {balance / 100:.2f})")
        before_origination = ordered["date"] < _map(ordered["loan_id"], by_id["originated_on"])
        collect.add_rows(ERROR, "ledger", ordered.index[before_origination.to_numpy(dtype=bool)], "date",
                         ordered.loc[before_origination, "date"].dt.strftime("%Y-%m-%d"),
                         "a principal repayment dated on or after the loan's origination")

    law_checks(tables, collect.add_rows, ERROR, WARNING, column_codes)
    k1_checks(tables, collect.add_rows, ERROR, WARNING)

    if "depreciation" in tables:
        depreciation = tables["depreciation"]
        twice = depreciation.duplicated(["property_id", "tax_year"], keep="first") & depreciation["tax_year"].notna()
        collect.add_rows(ERROR, "depreciation", depreciation.index[twice], "tax_year", depreciation["tax_year"][twice],
                         "one row per property and tax year")


def _attribute_accounts(problems: list[Problem], tables: dict[str, pd.DataFrame], file_of: dict[str, str]) -> list[Problem]:
    """Pin each row problem to its account so one bad account never stops the others."""
    table_of = {file: table for table, file in file_of.items()}
    properties = tables.get("properties")
    loans = tables.get("loans")
    property_account = (properties.dropna(subset=["property_id"]).drop_duplicates("property_id")
                        .set_index("property_id")["account_id"]) if properties is not None else pd.Series(dtype=object)
    loan_property = (loans.dropna(subset=["loan_id"]).drop_duplicates("loan_id")
                     .set_index("loan_id")["property_id"]) if loans is not None else pd.Series(dtype=object)

    def account_of(table: str, row_index: int) -> str | None:
        frame = tables.get(table)
        if frame is None or row_index not in frame.index:
            return None
        record = frame.loc[row_index]
        if "account_id" in frame.columns and isinstance(record.get("account_id"), str):
            return record["account_id"]
        property_id = record.get("property_id") if "property_id" in frame.columns else None
        if not isinstance(property_id, str) and "loan_id" in frame.columns and isinstance(record.get("loan_id"), str):
            property_id = loan_property.get(record["loan_id"])
        if isinstance(property_id, str):
            account = property_account.get(property_id)
            return account if isinstance(account, str) else None
        return None

    attributed = []
    for problem in problems:
        account = None
        table = table_of.get(problem.file)
        if problem.row is not None and table and not problem.book_wide:
            account = account_of(table, problem.row - 2)
        attributed.append(Problem(problem.severity, problem.file, problem.row, problem.column, problem.value,
                                  problem.expected, account, problem.book_wide))
    return attributed


def _check_totals(typed: dict[str, pd.DataFrame], specs: dict[str, TableSpec], collect: _Collector,
                  column_codes: ColumnCodes) -> None:
    """The total of |amounts| per owner (see _TOTAL_KEYS) must stay within MAX_AMOUNT_CENTS.

    Summed exactly: each |amount| ≤ 10^14 is split into high and low 32-bit halves whose per-group
    int64 sums cannot wrap (fewer than 2^31 rows), then recombined as Python integers. The first row
    at which a group's running total passes the bound is named."""
    for table, key in _TOTAL_KEYS.items():
        frame = typed.get(table)
        if frame is None or frame.empty or key not in frame.columns:
            continue
        owner_codes, owners = column_codes.codes(table, key)
        for column in (c.name for c in specs[table].columns if c.type == "money"):
            values = frame[column]
            known = (values.notna().to_numpy(dtype=bool) & (owner_codes >= 0))
            if not known.any():
                continue
            magnitude = values[known].astype("int64").abs().to_numpy()
            keys = owner_codes[known]   # the owner's code: equal codes, equal owners
            parts = pd.DataFrame({"key": keys, "high": magnitude >> 32, "low": magnitude & 0xFFFFFFFF})
            sums = parts.groupby("key", sort=False)[["high", "low"]].sum()
            totals = {code: (int(high) << 32) + int(low)
                      for code, high, low in zip(sums.index, sums["high"], sums["low"])}
            over = [code for code, total in totals.items() if total > MAX_AMOUNT_CENTS]
            for code in over:
                owner = owners[code]
                rows = frame.index[known][keys == code]
                running = 0
                for row, amount in zip(rows, magnitude[keys == code]):
                    running += int(amount)
                    if running > MAX_AMOUNT_CENTS:
                        collect.add(ERROR, table, row, column, f"{int(values[row]) / 100:.2f}",
                                    f"amounts whose total for {key} {owner} stays within "
                                    f"${MAX_AMOUNT_CENTS // 100:,}.00 (udfi's bound; the total of this column "
                                    f"reaches ${totals[code] // 100:,} and passes the bound at this row)")
                        break


def validate_book(source: str | Path, date_format: str = "ISO") -> ValidationReport:
    """Read and check a whole book; the report carries the typed `Book` (rows that failed to parse
    are dropped from it, and `accounts_with_errors` says which accounts must not be computed).

    `date_format`: "ISO" (YYYY-MM-DD only) or "MDY" (also US MM/DD/YYYY)."""
    if date_format not in DATE_FORMATS:
        raise ValueError(f"date_format must be one of {', '.join(DATE_FORMATS)}, not {date_format!r}")
    source = Path(source)
    specs = table_specs()
    raw_book = read_raw_book(source, {name: spec.required for name, spec in specs.items()})
    raw_tables, kind, file_of = raw_book.tables, raw_book.kind, raw_book.file_of
    problems: list[Problem] = list(raw_book.problems)
    unreadable = {table for table, file in file_of.items()
                  if any(p.file == file and p.book_wide for p in raw_book.problems)}
    collect = _Collector(problems, file_of)

    typed: dict[str, pd.DataFrame] = {}
    column_codes = ColumnCodes(typed)
    for name, spec in specs.items():
        if name not in raw_tables:
            if spec.required and name not in unreadable:
                what = "file" if kind == "csv" else "sheet"
                collect.add(ERROR, name, None, None, "", f"a {what} named {file_of[name]} (required)")
            continue
        # The raw text is dropped column by column as it is parsed: raw and typed copies of a
        # million-row ledger are never held whole at the same time.
        raw = raw_tables.pop(name)
        if name == "ledger":
            ledger_duplicated = raw.duplicated(keep="first")   # on the text, as written
        frame, failed = _parse_table(spec, raw, collect, date_format, consume=True, column_codes=column_codes)
        del raw
        _apply_pandera(spec, frame, failed, collect)
        typed[name] = frame
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
    return report
