"""The book-level facts computed from integer codes (`engine.ledger_codes`, `engine.book_facts`) against
what the frames say directly: groupbys over the ledger for the sums and the ignored rows, a sort of the
principal rows for the repayments — on a synthetic book whose ledger is shuffled and carries rows
outside the holding periods, of a property properties.csv does not list and without a date. Also the
cents → Decimal and records helpers against the functions they stand for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from udfi.book import records
from udfi.engine.book_facts import NON_INTEREST_EXPENSES, book_flags_and_facts, first_ledger_years, \
    property_ledger_years
from udfi.engine.ledger_codes import LedgerCodes, decimals
from udfi.engine.property_year import INCOME_CATEGORIES
from udfi.money import cents_to_decimal
from udfi.synth import synth
from udfi.validate import validate_book

INT64 = st.integers(min_value=-2**63 + 1, max_value=2**63 - 1)


@given(st.lists(INT64, max_size=30))
def test_decimals_are_cents_to_decimal_digit_for_digit(cents):
    assert [value.as_tuple() for value in decimals(cents)] == [cents_to_decimal(value).as_tuple() for value in cents]


MAYBE_TEXT = st.one_of(st.none(), st.just(np.nan), st.text(max_size=3))


@given(st.lists(st.tuples(MAYBE_TEXT, st.one_of(st.none(), st.integers(-10**12, 10**12)), st.integers(-5, 5),
                          st.one_of(st.none(), st.booleans()), st.floats(allow_nan=True)), max_size=8))
def test_records_are_to_dict_records(rows):
    frame = pd.DataFrame({
        "text": pd.Series([row[0] for row in rows], dtype=object),
        "cents": pd.array([row[1] for row in rows], dtype="Int64"),
        "count": pd.Series([row[2] for row in rows], dtype=np.int64),
        "flag": pd.array([row[3] for row in rows], dtype="boolean"),
        "ratio": pd.Series([row[4] for row in rows], dtype=np.float64),
        "name": pd.array([row[0] for row in rows], dtype="str"),
        "day": pd.to_datetime(pd.Series([None if row[2] < 0 else f"2024-01-0{row[2] + 1}" for row in rows])),
    })
    shape = lambda result: [[(key, type(value), repr(value)) for key, value in row.items()] for row in result]
    assert shape(records(frame)) == shape(frame.to_dict("records"))


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("codes")
    synth(8, (2020, 2025), 31, folder)
    book = validate_book(folder).book
    ledger = book.ledger.sample(frac=1, random_state=5)     # rows in no order: the codes must not rely on one
    ledger.index = pd.RangeIndex(len(ledger))
    dates = ledger["date"].copy()
    dates.iloc[:40] = pd.Timestamp("1990-03-01")            # before every acquisition: ignored
    dates.iloc[40] = pd.NaT                                  # no readable date
    ledger = ledger.assign(date=dates)
    stray = ledger.iloc[[41, 42]].assign(property_id="NOT-LISTED")
    ledger = pd.concat([ledger, stray], ignore_index=True)
    return dataclasses.replace(book, ledger=ledger)


def _oracle_held(book) -> pd.Series:
    period = book.properties.set_index("property_id")
    acquired = book.ledger["property_id"].map(period["acquired_on"])
    disposed = book.ledger["property_id"].map(period["disposed_on"])
    return (book.ledger["date"] >= acquired) & (disposed.isna() | (book.ledger["date"] <= disposed))


def _nested(series: pd.Series) -> dict:
    result: dict = {}
    for (outer, year, inner), cents in series.items():
        result.setdefault(outer, {}).setdefault(int(year), {})[inner] = cents_to_decimal(int(cents))
    return result


def test_facts_from_codes_are_what_the_frames_say(damaged):
    facts, _, ignored = book_flags_and_facts(damaged, 2025)
    ledger = damaged.ledger
    held = _oracle_held(damaged)
    years = ledger["date"].dt.year
    outside = ledger.loc[~held & (ledger["category"] != "principal"), ["property_id"]].assign(year=years)
    expected_ignored = outside.groupby(["property_id", "year"]).size().to_dict()
    assert list(ignored.items()) == list(expected_ignored.items()) and len(ignored) > 0
    kept = ledger[held].assign(year=years[held], amount_cents=ledger["amount_cents"][held].fillna(0))
    amounts = _nested(kept[kept["category"].isin(INCOME_CATEGORIES + NON_INTEREST_EXPENSES)]
                      .groupby(["property_id", "year", "category"])["amount_cents"].sum())
    interest = _nested(kept[(kept["category"] == "interest") & kept["loan_id"].notna()]
                       .groupby(["property_id", "year", "loan_id"])["amount_cents"].sum())
    principal = ledger[ledger["category"] == "principal"].sort_values(["loan_id", "date"], kind="stable")
    assert set(facts) == set(damaged.properties["property_id"])
    for property_id, item in facts.items():
        shape = lambda nested: [(year, list(by.items())) for year, by in nested.items()]
        assert shape(item.amounts_by_year) == shape(amounts.get(property_id, {}))
        assert shape(item.interest_by_year) == shape(interest.get(property_id, {}))
        for loan in item.loans:
            rows = principal[principal["loan_id"] == loan.loan_id]
            assert loan.payment_days.tolist() == rows["date"].to_numpy(dtype="datetime64[D]").tolist()
            assert loan.paid_cumulative_cents.tolist() == np.cumsum(rows["amount_cents"].to_numpy(np.int64)).tolist()
            assert loan.payment_days.dtype == np.dtype("datetime64[D]") and loan.paid_cumulative_cents.dtype == np.int64


def test_shared_codes_give_what_each_function_computes_alone(damaged):
    coded = LedgerCodes.of(damaged.ledger)
    years = property_ledger_years(damaged)
    expected: dict = {}
    for property_id, date in zip(damaged.ledger["property_id"], damaged.ledger["date"]):
        if not pd.isna(date):
            expected.setdefault(property_id, set()).add(date.year)
    assert years == expected and list(years) == list(expected) and "NOT-LISTED" in years
    assert property_ledger_years(damaged, coded) == years
    firsts = first_ledger_years(damaged, years)
    account_of = damaged.properties.drop_duplicates("property_id").set_index("property_id")["account_id"]
    oracle: dict = {}
    for property_id, held_years in expected.items():
        if property_id in account_of.index:
            account = account_of[property_id]
            oracle[account] = min(oracle.get(account, min(held_years)), min(held_years))
    assert firsts == oracle
    alone, shared = book_flags_and_facts(damaged, 2025), book_flags_and_facts(damaged, 2025, coded)
    assert repr(alone) == repr(shared)


def test_loans_of_a_ledger_without_repayments_have_none(damaged):
    """Interest rows name loans, no principal row does: every loan's repayment arrays are empty."""
    book = dataclasses.replace(damaged, ledger=damaged.ledger[damaged.ledger["category"] != "principal"])
    facts, _, _ = book_flags_and_facts(book, 2025)
    loans = [loan for item in facts.values() for loan in item.loans]
    assert loans and all(len(loan.payment_days) == 0 and len(loan.paid_cumulative_cents) == 0 for loan in loans)
    assert all(loan.payment_days.dtype == np.dtype("datetime64[D]") for loan in loans)
