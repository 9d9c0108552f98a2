"""A column's distinct values checked one by one in plain Python, for a column with few of them.

`validate_cells._parse_distinct` runs each check as a whole-column pandas operation: cheap per value
but ~0.1–0.5 ms per operation, some twenty per column — a fixed ≈ 0.2 s per book that every small book
(and every test) pays even when a column holds three values. Here the same checks are a loop over the
values: the same typed values, the same problems in the same order (tests/test_validate_few.py holds
the two equal on generated text). Text semantics follow what the vectorized path gives: Python's
`str.strip` (identical to Arrow's `utf8_trim_whitespace`), Python's `re` (pandas falls back to it for
`\\d` on non-ASCII text; on ASCII text RE2 agrees), Arrow's `utf8_lower` (it differs from Python's for
'İ', which Arrow lowers to the ASCII 'i').
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from udfi.cell_rules import (DATE, DATE_RANGE, EIN, FALSE, FIRST_DATE, LAST_DATE, MAX_AMOUNT_CENTS, MAX_DIGITS, MONEY,
                             MONEY_TOO_PRECISE, PLAIN_MONEY, SSN_AS_EIN, SSN_IN_TEXT, TOO_LARGE, TOO_PRECISE, TRUE,
                             US_DATE, YEAR, mask_identifier, us_date_expected)
from udfi.safety import looks_like_ssn, mask_ssn
from udfi.schemas import ColumnSpec, TableSpec

# Columns with at most this many distinct values take this path (measured: the loop costs about what
# the vectorized path's fixed overhead does at a few thousand values; below that the loop wins).
FEW_VALUES = 2_000

_DIGIT = re.compile(r"\d")


def parse_few(spec: TableSpec, column: ColumnSpec, values: list, collect, date_format: str, *, error: str,
              warning: str) -> pd.Series | None:
    """The typed value per distinct value (positions = list positions), or None when a value is not a
    string (the vectorized path then decides). `collect.add_rows` receives position lists."""
    if not all(type(value) is str for value in values):
        return None
    text = [value.strip() for value in values]
    positions = range(len(text))
    empty = [position for position in positions if text[position] == ""]
    table = spec.table
    if column.required:
        collect.add_rows(error, table, empty, column.name, None, f"a value ({column.expected})")

    if column.type == "text":
        ssn = [p for p in positions if text[p] and looks_like_ssn(text[p])]
        collect.add_rows(warning, table, ssn, column.name, [text[p] for p in ssn],
                         SSN_IN_TEXT)
        return _shared(text, [value != "" for value in text])

    if column.type in ("enum", "bool"):
        lowered = pc.utf8_lower(pa.array(text, type=pa.string())).to_pylist() if text else []
        if column.type == "enum":
            allowed = set(column.values)
            bad = [p for p in positions if text[p] and lowered[p] not in allowed]
            collect.add_rows(error, table, bad, column.name, [text[p] for p in bad], column.expected)
            keep = [value in allowed for value in lowered]
            if column.default is not None:
                lowered = [column.default if value == "" else low for value, low in zip(text, lowered)]
                keep = [kept or value == "" for kept, value in zip(keep, text)]
            return _shared(lowered, keep)
        bad = [p for p in positions if text[p] and lowered[p] not in TRUE and lowered[p] not in FALSE]
        collect.add_rows(error, table, bad, column.name, [text[p] for p in bad], column.expected)
        default = bool(column.default) if column.default is not None else False
        return pd.Series([True if low in TRUE else False if low in FALSE else default for low in lowered],
                         dtype=bool)

    if column.type == "money":
        return _money(table, column, text, collect, error)

    if column.type == "date":
        return _dates(table, column, text, collect, date_format, error)

    if column.type == "year":
        good = [YEAR.fullmatch(value) is not None for value in text]
        bad = [p for p in positions if text[p] and not good[p]]
        collect.add_rows(error, table, bad, column.name, [text[p] for p in bad], column.expected)
        # pandas' to_numeric reads ASCII digits only (a year in other digits is missing, not refused)
        return pd.Series(pd.array([int(value) if ok and value.isascii() else None for value, ok in zip(text, good)],
                                  dtype="Int64"))

    if column.type == "ein":
        good = [EIN.fullmatch(value) is not None for value in text]
        ssn = [p for p in positions if text[p] and not good[p] and looks_like_ssn(text[p])]
        collect.add_rows(error, table, ssn, column.name, [mask_identifier(mask_ssn(text[p])) for p in ssn],
                         SSN_AS_EIN)
        flagged = set(ssn)
        bad = [p for p in positions if text[p] and not good[p] and p not in flagged]
        collect.add_rows(error, table, bad, column.name, [text[p][:12] for p in bad], column.expected)
        return pd.Series([value if ok else np.nan for value, ok in zip(text, good)], dtype=object)

    raise ValueError(f"unknown column type {column.type!r} in schema {table}")


def _shared(values: list[str], keep: list[bool]) -> pd.Series:
    """Kept values as one Python string per distinct value, the rest missing (NaN), as `_shared_text`."""
    seen: dict[str, str] = {}
    return pd.Series([seen.setdefault(value, value) if kept else np.nan for value, kept in zip(values, keep)],
                     dtype=object)


def _money(table: str, column: ColumnSpec, text: list[str], collect, error: str) -> pd.Series:
    """`validate_cells._parse_money` per value: cents, or the reason it is refused."""
    cents: list[int | None] = []
    large, precise, other = [], [], []
    for position, value in enumerate(text):
        if value == "":
            cents.append(None)
            continue
        amount, reason = None, None
        if len(value) > MAX_DIGITS and len(_DIGIT.findall(value)) > MAX_DIGITS:
            reason = "large"
        elif PLAIN_MONEY.fullmatch(value):
            point = value.find(".")
            decimals = 0 if point < 0 else len(value) - point - 1
            amount = int(value.replace(".", "")) * 10 ** (2 - decimals)
        else:
            amount, reason = _formatted_money(value)
        if amount is not None and abs(amount) > MAX_AMOUNT_CENTS:
            amount, reason = None, "large"
        cents.append(amount)
        if reason == "large":
            large.append(position)
        elif reason == "precise":
            precise.append(position)
        elif reason == "bad":
            other.append(position)
    collect.add_rows(error, table, large, column.name, [text[p][:40] for p in large], TOO_LARGE)
    collect.add_rows(error, table, precise, column.name, [text[p] for p in precise], TOO_PRECISE)
    collect.add_rows(error, table, other, column.name, [text[p] for p in other], column.expected)
    return pd.Series(pd.array(cents, dtype="Int64"))


def _formatted_money(value: str) -> tuple[int | None, str | None]:
    """`$1,234.56`, `(1,234.56)`, `-$12`, `$-12`: cents, or None and "precise"/"bad"."""
    parenthesized = value.startswith("(") and value.endswith(")")
    core = (value[1:-1] if parenthesized else value).strip()
    minus = core.startswith("-")
    core = (core[1:] if minus else core).strip()
    core = core.replace("$", "").strip()
    minus2 = core.startswith("-")
    core = core[1:] if minus2 else core
    if MONEY.fullmatch(core) is None or (parenthesized and (minus or minus2)):
        return None, "precise" if MONEY_TOO_PRECISE.fullmatch(core) else "bad"
    whole, _, fraction = core.replace(",", "").partition(".")
    amount = int(whole or "0") * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    return (-amount if parenthesized or (minus != minus2) else amount), None


def _dates(table: str, column: ColumnSpec, text: list[str], collect, date_format: str, error: str) -> pd.Series:
    """`validate_cells._parse_date` per value (a problem shows the value as written, also a US date read as MDY)."""
    first, last = (FIRST_DATE.year, FIRST_DATE.month, FIRST_DATE.day), (LAST_DATE.year, LAST_DATE.month, LAST_DATE.day)
    days = []
    out_of_range, us_looking, other = [], [], []
    for position, written in enumerate(text):
        value, us = written, US_DATE.fullmatch(written)
        if us is not None and date_format == "MDY":
            value = f"{us.group(3)}-{us.group(1).zfill(2)}-{us.group(2).zfill(2)}"
            us = None
        day = _calendar_day(value) if DATE.fullmatch(value) else None
        if day is not None and not first <= day <= last:
            out_of_range.append(position)
        elif day is None and value != "":
            (us_looking if us is not None else other).append(position)
        days.append("%04d-%02d-%02d" % day if day is not None and first <= day <= last else None)
    collect.add_rows(error, table, out_of_range, column.name, [text[p] for p in out_of_range], DATE_RANGE)
    collect.add_rows(error, table, us_looking, column.name, [text[p] for p in us_looking],
                     us_date_expected(column.expected))
    collect.add_rows(error, table, other, column.name, [text[p] for p in other], column.expected)
    return pd.Series(np.array(days, dtype="datetime64[ns]"))


def _calendar_day(value: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a YYYY-MM-DD text that names a day of the proleptic Gregorian calendar
    (year 0 included, as pandas reads it), in ASCII digits; else None."""
    if not value.isascii():
        return None
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if not 1 <= month <= 12 or day < 1:
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    length = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return (year, month, day) if day <= length else None
