"""The book checks' shortcuts against their definitions: `law_checks._property_years` is `np.unique` of
the (property, year) keys and a group-by minimum of the years; `_years_of_days` is numpy's calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from udfi import law_checks

ROWS = st.lists(st.tuples(st.integers(0, 40), st.integers(1900, 2100)), min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(ROWS, st.booleans())
def test_property_years_are_the_sorted_distinct_pairs_and_first_years(rows, grid):
    codes = np.array([code for code, _ in rows], dtype=np.int64)
    years = np.array([year for _, year in rows], dtype=np.int64)
    properties = int(codes.max()) + 1 + 3   # some codes no row holds
    with pytest.MonkeyPatch.context() as patch:
        if not grid:
            patch.setattr(law_checks, "_MAX_YEAR_GRID", 0)
        pairs, first_year = law_checks._property_years(codes, years, properties)
    assert pairs.tolist() == np.unique(codes * 1_000_000 + years).tolist()
    expected = pd.Series(years).groupby(codes).min()
    assert first_year.index.tolist() == expected.index.tolist()
    assert first_year.tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()),
                min_size=1, max_size=100))
def test_years_of_days_are_numpys_calendar_years(dates):
    days = np.array(dates, dtype="datetime64[D]")
    assert law_checks._years_of_days(days).tolist() == [date.year for date in dates]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10**14), max_size=50), st.integers(1, 7))
def test_exact_total_is_pythons_sum(amounts, slice_rows):
    from udfi import book_checks

    magnitude = np.array(amounts, dtype=np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(book_checks, "_ROWS_SUMMED_EXACTLY", slice_rows)   # slices of a few rows, as of a long table
        assert book_checks._exact_total(magnitude) == sum(amounts)
    assert book_checks._exact_total(np.full(200_000, 10**14, dtype=np.int64)) == 200_000 * 10**14   # past int64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["L1", "L2", "L3", "L10"]), st.integers(0, 60), st.integers(-500, 5000)),
                max_size=40),
       st.lists(st.tuples(st.sampled_from(["L1", "L2", "L3", "L10", "L99"]), st.integers(-5, 70)), max_size=10))
def test_repaid_before_on_codes_is_repaid_before(rows, asked):
    """The ledger's own loan codes (here: the ids' sorted order; a loan no row names is -1) give the
    sums the factorized ids give."""
    day = np.datetime64("2021-01-01", "D")
    frame = pd.DataFrame({"loan_id": pd.Series([loan for loan, _, _ in rows], dtype=object),
                          "date": pd.Series([day + offset for _, offset, _ in rows], dtype="datetime64[ns]"),
                          "amount": pd.Series([cents for _, _, cents in rows], dtype="Int64")})
    ids = pd.Series([loan for loan, _ in asked], dtype=object)
    days = pd.Series([day + offset for _, offset in asked], dtype="datetime64[ns]")
    expected = law_checks._repaid_before(frame, ids, days)
    uniques = pd.Index(sorted(set(frame["loan_id"])), dtype=object)
    got = law_checks._repaid_before_codes(uniques.get_indexer(frame["loan_id"]), frame["date"].to_numpy(dtype="datetime64[D]"),
                                          frame["amount"].to_numpy(dtype=np.int64), uniques.get_indexer(ids),
                                          days.to_numpy(dtype="datetime64[D]"))
    assert got.tolist() == expected.tolist()
