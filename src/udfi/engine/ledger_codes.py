"""The ledger of a (sub-)book as integers, computed once per `compute_book` and shared by the
book-level facts (`engine.book_facts`): each row's property as a code, its day and year. Hashing the
rows' property ids is the costliest step of those facts; it is done once, not once per function.

Also the integer helpers the facts are summed with: grouped sums of integer cents into the nested
{outer: {year: {inner: Decimal}}} dicts the properties carry, and cents → Decimal for many values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from udfi.money import CENT

NAT = np.iinfo(np.int64).min   # a missing datetime64[ns] as int64


@dataclass(frozen=True)
class LedgerCodes:
    """Every ledger row's property (`property_codes[i]` indexes `property_ids`, −1: no id), its day
    (int64 nanoseconds, `NAT` when validation could not read it) and its calendar year (where dated)."""

    property_codes: np.ndarray
    property_ids: list
    days: np.ndarray
    dated: np.ndarray
    years: np.ndarray

    @classmethod
    def of(cls, ledger: pd.DataFrame) -> "LedgerCodes":
        # codes in order of first appearance (what `property_ledger_years` has always ordered by)
        codes, uniques = pd.factorize(ledger["property_id"].to_numpy(dtype=object))
        stamps = ledger["date"].to_numpy(dtype="datetime64[ns]")
        days = stamps.view(np.int64)
        years = stamps.astype("datetime64[Y]").view(np.int64) + 1970
        return cls(codes, uniques.tolist(), days, days != NAT, years)


def decimals(cents: list[int]) -> list[Decimal]:
    """`[cents_to_decimal(value) for value in cents]` for int64 cents (|value| < 2⁶³ ≪ 10³⁸, where the
    product by 0.01 is exact: the same digits and exponent −2), without a call per value."""
    return list(map(CENT.__mul__, map(Decimal, cents)))


def nested_sums(outer: np.ndarray, outer_names: list, years: np.ndarray, inner: np.ndarray, inner_names: list,
                cents: np.ndarray, rows: np.ndarray) -> dict[str, dict[int, dict[str, Decimal]]]:
    """{outer name: {year: {inner name: Σ Decimal}}} over the selected `rows`: integer cents summed by
    (outer code, year, inner code) — codes index their names, each ≥ 0 where selected. Years ascend in
    each outer dict and inner codes in each year dict (a groupby's order); the year level is a
    defaultdict(dict), as the properties have always carried it."""
    if not rows.any():
        return {}
    outer, years, inner, cents = outer[rows], years[rows], inner[rows], cents[rows]
    low = int(years.min())
    year_count, inner_count = int(years.max()) - low + 1, len(inner_names)
    group = outer.astype(np.int64) * year_count + (years - low)        # (outer, year)
    key = group * inner_count + inner
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    totals = decimals(np.add.reduceat(cents[order], starts).tolist())
    unique = key[starts]
    names = np.asarray(inner_names, dtype=object)[unique % inner_count].tolist()
    group = unique // inner_count
    firsts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    ends = np.append(firsts[1:], len(group)).tolist()
    group_outer = (group[firsts] // year_count).tolist()
    group_year = (group[firsts] % year_count + low).tolist()
    result: dict[str, dict[int, dict[str, Decimal]]] = {}
    last_outer, by_year = None, None
    for first, end, code, year in zip(firsts.tolist(), ends, group_outer, group_year):
        if code != last_outer:
            by_year = result[outer_names[code]] = defaultdict(dict)
            last_outer = code
        by_year[year] = dict(zip(names[first:end], totals[first:end]))
    return result
