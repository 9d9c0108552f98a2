"""Text columns of the typed tables as (code per row, distinct values), for the book checks.

A million-row ledger holds a few thousand distinct property ids, loan ids and categories. The parser
keeps each text column's codes as it builds the column, so a check such as "is this loan_id in
loans.csv" or "rows per property and year" runs over the distinct values and integer codes instead of
hashing a million Python strings again. A column the parser did not keep is factorized on first use.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd


class ColumnCodes:
    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self._codes: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def keep(self, table: str, column: str, codes: np.ndarray, uniques: np.ndarray) -> None:
        """`codes`: one per row, -1 for a missing value; `uniques`: the distinct values (objects)."""
        self._codes[(table, column)] = (codes, uniques)

    def codes(self, table: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        frame = self.tables[table]
        entry = self._codes.get((table, column))
        if entry is None or len(entry[0]) != len(frame):
            codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
            entry = self._codes[(table, column)] = (codes, np.asarray(uniques, dtype=object))
        return entry

    def where(self, table: str, column: str, check: Callable[[pd.Series], pd.Series]) -> pd.Series:
        """`check(frame[column])` for an element-wise check (isin, ==, notna, …), evaluated once per
        distinct value (and once for a missing one)."""
        codes, uniques = self.codes(table, column)
        # position -1 (a missing value) picks the NaN appended last
        distinct = pd.Series(np.append(uniques, np.array([np.nan], dtype=object)), dtype=object)
        result = np.asarray(check(distinct), dtype=bool)[codes]
        return pd.Series(result, index=self.tables[table].index)


def canonical_codes(codes: np.ndarray, typed_distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row codes over typed values, from row codes over the raw text and each raw value's typed value:
    two raw spellings of one value (" P1" and "P1") become one code, a missing value -1. The codes are
    int32 (kept for every text column of a million-row ledger until validation ends)."""
    canonical, uniques = pd.factorize(typed_distinct)
    if len(uniques) < np.iinfo(np.int32).max:
        canonical = canonical.astype(np.int32)
    return canonical[codes], np.asarray(uniques, dtype=object)



_MIX = np.uint64(0x9E3779B97F4A7C15)   # odd multiplier: a row's codes mixed into one 64-bit fingerprint


def duplicated_rows(frame: pd.DataFrame, codes_of: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """`frame.duplicated(keep="first")`, as a boolean array, in a fraction of pandas' memory.

    `codes_of`: for some columns, an integer per row that is a function of the cell's text (equal cells,
    equal integers; unequal cells may share one — the exact comparison below tells them apart), e.g. a
    plain money column's cents.
    Each row's column codes (the fast CSV reader's columns already are categoricals) are mixed into
    one 64-bit fingerprint; equal rows have equal fingerprints, so only rows whose fingerprint repeats
    can repeat a row, and those few are compared exactly, value by value, by pandas. A million-row
    ledger holds one fingerprint and one sorted copy per row, not a hash table of every row."""
    rows = len(frame)
    if rows < 2 or not len(frame.columns):
        return np.zeros(rows, dtype=bool)
    fingerprint = np.zeros(rows, dtype=np.uint64)
    for column in frame.columns:
        values = frame[column]
        if codes_of and column in codes_of:
            codes = codes_of[column]
        elif isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()
        elif isinstance(values.dtype, pd.ArrowDtype):
            codes = pd.factorize(values)[0]
        else:
            codes = pd.factorize(values.to_numpy(dtype=object))[0]
        # fingerprint × MIX + code + 2, in place and modulo 2^64 (a code of -1 wraps to 2^64 - 1, then to 1)
        fingerprint *= _MIX
        fingerprint += codes.astype(np.uint64)
        fingerprint += np.uint64(2)
    ordered = np.sort(fingerprint)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    duplicated = np.zeros(rows, dtype=bool)
    if len(repeated):
        candidates = np.flatnonzero(np.isin(fingerprint, np.unique(repeated)))
        duplicated[candidates] = frame.iloc[candidates].duplicated(keep="first").to_numpy(dtype=bool)
    return duplicated
