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

