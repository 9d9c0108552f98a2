"""Each cell of a book's tables against its schema: money to integer cents, dates, codes, ids — parsed
once per distinct value and spread back to the rows holding it — and the schema's constraints as
column operations. Every problem names the file, the row as a spreadsheet shows it and the column
(`Collector`); an SSN-shaped value is never echoed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from udfi.cell_rules import (DATE, DATE_FORMATS, DATE_RANGE, EIN, FALSE, FIRST_DATE, LAST_DATE, MAX_AMOUNT_CENTS,
                             MAX_DIGITS, MONEY, MONEY_TOO_PRECISE, PLAIN_MONEY, SSN_AS_EIN, SSN_IN_TEXT, TOO_LARGE,
                             TOO_PRECISE, TRUE, US_DATE, YEAR, mask_identifier, us_date_expected)
from udfi.column_codes import ColumnCodes, canonical_codes
from udfi.reading import ERROR, WARNING, Problem
from udfi.safety import mask_ssn, ssn_shaped_mask
from udfi.schemas import ColumnSpec, TableSpec
from udfi.validate_few import FEW_VALUES, parse_few

__all__ = ["DATE_FORMATS", "FIRST_DATE", "LAST_DATE", "MAX_AMOUNT_CENTS", "Collector"]



@dataclass
class Collector:
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


def _parse_plain_money(text: pd.Series) -> pd.Series:
    """`-1234.5`-shaped text → integer cents, exactly (digits without the point, scaled by 10^(2−decimals))."""
    point = text.str.find(".").to_numpy()
    length = text.str.len().to_numpy()
    decimals = np.where(point < 0, 0, length - point - 1)
    digits = text.str.replace(".", "", regex=False).astype("int64").to_numpy()
    # Beyond the bound whatever its decimals (≥ digits cents): kept from the ×100 that would wrap int64.
    digits = np.where(np.abs(digits) > MAX_AMOUNT_CENTS, MAX_AMOUNT_CENTS + 1, digits)
    return pd.Series(digits * (10 ** (2 - decimals)), index=text.index, dtype="int64")


# A cell of this shape is a plain amount (`PLAIN_MONEY`) of at most 12 whole digits: within ±MAX_AMOUNT_CENTS
# (< 10^12 dollars = 10^14 cents) and below MAX_DIGITS digits, so the cell parser reports nothing for it.
_PLAIN_CELL = r"^-?\d{1,12}(?:\.\d{1,2})?$"


def plain_money_cents(raw: pd.Series) -> np.ndarray | None:
    """The cents of every cell of an Arrow text column (the fast reader's plain columns) when every cell
    is a plain amount (`_PLAIN_CELL`), else None (the column then takes the parser's path of distinct
    values). The value is `_parse_plain_money`'s (digits without the point × 10^(2−decimals)): the
    amount's exact decimal value × 100. A pure function of the text, so equal cells get equal cents
    (`column_codes.duplicated_rows` uses it as the column's code)."""
    if not isinstance(raw.dtype, pd.ArrowDtype) or not len(raw):
        return None
    import pyarrow as pa  # noqa: PLC0415 — loaded with the fast reader
    import pyarrow.compute as pc  # noqa: PLC0415

    text = raw.array.__arrow_array__()
    if not pa.types.is_string(text.type) or not pc.all(pc.match_substring_regex(text, _PLAIN_CELL)).as_py():
        return None
    # A plain amount has at most 14 digits and 2 decimals: Arrow's decimal(14, 2) holds it exactly (a cast
    # that would round raises instead), as the integer amount × 100 — its cents, read as decimal(14, 0).
    amounts = pc.cast(text, pa.decimal128(14, 2)).combine_chunks()
    # a copy: Arrow's buffer is read-only, and the typed book's columns are numpy's own, as the parser's are
    return pc.cast(amounts.view(pa.decimal128(14, 0)), pa.int64()).to_numpy(zero_copy_only=False).copy()


def _parse_money(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Text → integer cents. Returns (cents as Int64, bad mask, too-many-decimals mask, too-large mask).

    Plain amounts (`1234.56`, `-12`) take a fast path; `$1,234.56` and `(1,234.56)` the full one. A
    cell with more than `MAX_DIGITS` digits is refused before any integer conversion (no overflow),
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
    long = (text.str.len() > MAX_DIGITS).fillna(False).astype(bool)
    if long.any():  # counting digits is slow: only cells long enough to have too many
        many_digits[long] = (text[long].str.count(r"\d") > MAX_DIGITS).fillna(False).astype(bool)
    if many_digits.any():
        too_large |= many_digits
        bad |= many_digits
        text = text.where(~many_digits, "")
    plain = text.str.fullmatch(PLAIN_MONEY.pattern).fillna(False).astype(bool)
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
    good = core.str.fullmatch(MONEY.pattern).fillna(False).astype(bool) & ~(parenthesized & (minus | minus2))
    too_precise = (~good) & core.str.fullmatch(MONEY_TOO_PRECISE.pattern).fillna(False).astype(bool)
    cleaned = core.where(good, "0").str.replace(",", "", regex=False)
    parts = cleaned.str.partition(".")
    whole = parts[0].where(parts[0] != "", "0").astype("int64")
    # Beyond the bound either way: kept from the ×100 that would wrap int64.
    whole = whole.where(whole <= MAX_AMOUNT_CENTS // 100, MAX_AMOUNT_CENTS // 100 + 1)
    fraction = parts[2].str.pad(2, side="right", fillchar="0").where(parts[2] != "", "0").astype("int64")
    cents = whole * 100 + fraction
    cents = cents.where(~negative.astype(bool), -cents)
    return cents.astype("Int64").where(good, pd.NA), ~good, too_precise


def _parse_date(raw: pd.Series, date_format: str = "ISO") -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Text → dates. Returns (dates, bad mask, out-of-range mask, US-looking mask (MM/DD/YYYY given
    without --date-format MDY))."""
    text = raw.str.strip()
    us = text.str.fullmatch(US_DATE.pattern).fillna(False).astype(bool)
    if date_format == "MDY" and us.any():
        parts = text[us].str.extract(US_DATE.pattern)
        text = text.copy()
        text[us] = parts[2] + "-" + parts[0].str.zfill(2) + "-" + parts[1].str.zfill(2)
        us = pd.Series(False, index=text.index, dtype=bool)
    shaped = text.str.fullmatch(DATE.pattern).fillna(False).astype(bool)
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

    def __init__(self, collect: Collector, codes: np.ndarray, index: pd.Index, distinct: int):
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


def _parse_column(spec: TableSpec, column: ColumnSpec, raw: pd.Series, collect: Collector,
                  date_format: str = "ISO", column_codes: ColumnCodes | None = None,
                  cents: np.ndarray | None = None) -> pd.Series:
    """Convert one text column to its type. Empty cells become NA (or the default).

    Each distinct value is parsed and checked once; the result and the problems are spread back to
    every row holding it. `cents` (a money column whose every cell is plain, `plain_money_cents`): the
    column's values, which the parser would give without a problem."""
    if cents is not None and column.type == "money":
        return pd.Series(pd.arrays.IntegerArray(cents, np.zeros(len(cents), dtype=bool)), index=raw.index, copy=False)
    codes, uniques = _dictionary(raw)
    rows = _DistinctRows(collect, codes, raw.index, len(uniques))
    typed = _parse_distinct(spec, column, pd.Series(uniques, dtype=object), rows, date_format)
    if column_codes is not None and typed.dtype == object:
        column_codes.keep(spec.table, column.name, *canonical_codes(codes, typed.to_numpy(dtype=object)))
    if typed.dtype == object:
        spread = typed.take(codes)
        spread.index = raw.index
        return spread
    # money, dates, booleans: the array's own take (a tenth of Series.take's cost on a million rows)
    return pd.Series(typed.array.take(codes), index=raw.index, copy=False)


def _parse_distinct(spec: TableSpec, column: ColumnSpec, raw: pd.Series, collect: _DistinctRows,
                    date_format: str) -> pd.Series:
    """`_parse_column` over distinct values (index = their positions): one by one when they are few
    (`validate_few`, the same result without pandas' fixed cost per operation), else column-wise."""
    if len(raw) <= FEW_VALUES:
        typed = parse_few(spec, column, raw.tolist(), collect, date_format, error=ERROR, warning=WARNING)
        if typed is not None:
            return typed
    return _parse_columnwise(spec, column, raw, collect, date_format)


def _parse_columnwise(spec: TableSpec, column: ColumnSpec, raw: pd.Series, collect: _DistinctRows,
                      date_format: str) -> pd.Series:
    """`_parse_distinct` as whole-column operations (many distinct values)."""
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
        collect.add_rows(WARNING, table, text.index[ssn], column.name, text[ssn], SSN_IN_TEXT)
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
        truthy = lowered.isin(TRUE)
        falsy = lowered.isin(FALSE)
        bad = present & ~(truthy | falsy)
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad], column.expected)
        default = bool(column.default) if column.default is not None else False
        return pd.Series(np.where(truthy, True, np.where(falsy, False, default)), index=text.index, dtype=bool)

    if column.type == "money":
        cents, bad, too_precise, too_large = _parse_money(text)
        bad = bad & present
        large = bad & too_large
        collect.add_rows(ERROR, table, text.index[large], column.name, text[large].str.slice(0, 40), TOO_LARGE)
        precise = bad & too_precise & ~too_large
        collect.add_rows(ERROR, table, text.index[precise], column.name, text[precise], TOO_PRECISE)
        other = bad & ~too_precise & ~too_large
        collect.add_rows(ERROR, table, text.index[other], column.name, text[other], column.expected)
        return cents.where(present & ~bad, pd.NA).astype("Int64")

    if column.type == "date":
        parsed, bad, out_of_range, us = _parse_date(text, date_format)
        bad = bad & present
        collect.add_rows(ERROR, table, text.index[out_of_range], column.name, text[out_of_range], DATE_RANGE)
        us = us & bad
        collect.add_rows(ERROR, table, text.index[us], column.name, text[us], us_date_expected(column.expected))
        other = bad & ~out_of_range & ~us
        collect.add_rows(ERROR, table, text.index[other], column.name, text[other], column.expected)
        return parsed.where(present & ~bad)

    if column.type == "year":
        good = text.str.fullmatch(YEAR.pattern).fillna(False).astype(bool)
        bad = present & ~good
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad], column.expected)
        return pd.to_numeric(text.where(good, None), errors="coerce").astype("Int64")

    if column.type == "ein":
        good = text.str.fullmatch(EIN.pattern).fillna(False).astype(bool)
        ssn = present & ~good & ssn_shaped_mask(text)
        collect.add_rows(ERROR, table, text.index[ssn], column.name,
                         [mask_identifier(mask_ssn(value)) for value in text[ssn].tolist()], SSN_AS_EIN)
        bad = present & ~good & ~ssn
        collect.add_rows(ERROR, table, text.index[bad], column.name, text[bad].map(lambda v: v[:12]),
                         column.expected)
        return text.where(good, None).astype(object)

    raise ValueError(f"unknown column type {column.type!r} in schema {table}")


def _parse_table(spec: TableSpec, raw: pd.DataFrame | dict[str, pd.Series], collect: Collector,
                 date_format: str = "ISO", consume: bool = False, column_codes: ColumnCodes | None = None,
                 index: pd.Index | None = None,
                 cents_of: dict[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, set]:
    """Parse every column; returns (typed frame, set of (row, column) that failed to parse).
    `raw`: the text table, or its columns by name (then `index` is the rows' labels).
    `consume` (with columns by name): each is popped from the dict once it is parsed, so a million-row
    table's raw text is released column by column. `column_codes`: keeps each text column's codes for
    the book checks. `cents_of`: the plain money columns' cents (`plain_money_cents`)."""
    if isinstance(raw, pd.DataFrame):
        index, raw_columns = raw.index, dict(raw.items())
    else:
        raw_columns = raw if consume else dict(raw)
    missing = [column.name for column in spec.columns if column.required and column.name not in raw_columns]
    for name in missing:
        collect.add(ERROR, spec.table, None, name, "", f"a column named {name!r} (required)")
    known = set(spec.column_names)
    for name in list(raw_columns):
        if name not in known:
            del raw_columns[name]
            collect.add(WARNING, spec.table, None, name, "",
                        f"a known column ({', '.join(spec.column_names)}); this column is ignored")
    before = len(collect.problems)
    typed = {}
    for column in spec.columns:
        if column.name in raw_columns:
            text = raw_columns.pop(column.name)
            typed[column.name] = _parse_column(spec, column, text, collect, date_format, column_codes,
                                               (cents_of or {}).get(column.name))
            del text
        else:
            # An absent column parses as empty cells (typed NA, or the default); a missing required
            # column was reported once above, not once per row.
            absent = ColumnSpec(**{**column.__dict__, "required": False})
            typed[column.name] = _parse_column(spec, absent, pd.Series([""] * len(index), index=index, dtype=object),
                                               collect, date_format)
    frame = pd.DataFrame(typed, index=index, copy=False)   # the parsed columns as they are, not copied into blocks
    failed = {(problem.row - 2, problem.column) for problem in collect.problems[before:] if problem.row}
    return frame, failed


def _constraint_failures(spec: TableSpec, frame: pd.DataFrame,
                         column_codes: ColumnCodes | None = None) -> list[tuple[str, str, np.ndarray]]:
    """(column, check, row labels) of every value that breaks a constraint of the table's schema —
    the checks `schemas.pandera_schema` declares, run as whole-column operations: uniqueness (every
    occurrence of a repeated value), enumerations, money bounds. Empty cells pass every check, as
    in pandera (presence is the parser's). `column_codes` (holding `frame` as its table): an
    enumeration is checked once per distinct value."""
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
        if column.type == "enum" and column_codes is not None:
            codes, uniques = column_codes.codes(spec.table, column.name)
            allowed = pd.Series(uniques, dtype=object).isin(list(column.values)).to_numpy(dtype=bool)
            outside = (codes >= 0) & ~allowed[np.maximum(codes, 0)] if len(uniques) else np.zeros(len(codes), bool)
            if outside.any():
                failures.append((column.name, "isin", frame.index[outside].to_numpy()))
        elif column.type == "enum":
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


def _apply_pandera(spec: TableSpec, frame: pd.DataFrame, failed: set, collect: Collector,
                   column_codes: ColumnCodes | None = None) -> None:
    """Constraint checks (bounds, enumerations, uniqueness) of the table's schema, vectorized."""
    for column, check, rows in _constraint_failures(spec, frame, column_codes):
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
