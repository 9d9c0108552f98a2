"""The row lookups of the derivations (explain/rows.py) find exactly the rows the frame filters of
`udfi.statements.figures` find: same rows, same order, a missing value or date matching nothing —
over random tables (hypothesis) and, for the batch, each account's rows of a chunk against that
account's own sub-book."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from udfi.batch.package import _AccountRows
from udfi.batch.slicing import BookSlicer
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.explain import BookColumns, derivations
from udfi.statements.figures import ledger_rows, principal_rows_before, rows_of
from udfi.validate import validate_book

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample"
PROPERTIES = ("P1", "P2", None)
CATEGORIES = ("rent", "interest", "principal", "taxes", None)
LOANS = ("L1", "L2", None)
DAYS = [dt.date(2021, 12, 31), dt.date(2022, 1, 1), dt.date(2022, 3, 15), dt.date(2022, 12, 31), dt.date(2023, 1, 1),
        None]

ledger_row = st.tuples(st.sampled_from(PROPERTIES), st.sampled_from(CATEGORIES), st.sampled_from(LOANS),
                       st.sampled_from(DAYS))


def _ledger(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "property_id": pd.Series([r[0] for r in rows], dtype=object),
        "category": pd.Series([r[1] for r in rows], dtype=object),
        "loan_id": pd.Series([r[2] for r in rows], dtype=object),
        "date": pd.to_datetime(pd.Series([r[3] for r in rows], dtype=object)),
        "amount_cents": pd.Series([100] * len(rows), dtype="Int64"),
        # spreadsheet rows out of order, as a sorted or merged book has them
        "source_row": pd.Series([2 + (7 * position) % (len(rows) + 3) for position in range(len(rows))],
                                dtype="int64"),
    })


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ledger_row, max_size=25), acquired=st.sampled_from(DAYS[:-1]),
       disposed=st.sampled_from(DAYS), category=st.sampled_from(CATEGORIES[:-1]), loan=st.sampled_from(LOANS),
       day=st.sampled_from(DAYS[:-1]))
def test_ledger_lookups_find_the_rows_the_frame_filters_find(rows, acquired, disposed, category, loan, day):
    book = SimpleNamespace(ledger=_ledger(rows), source="book")
    index = BookColumns(book).rows()
    for property_id in ("P1", "P2"):
        facts = SimpleNamespace(property_id=property_id, acquired_on=acquired, disposed_on=disposed)
        assert index.ledger(facts, 2022, (category,), loan) == ledger_rows(book, facts, 2022, (category,), loan)
    if loan is not None:
        assert index.principal_before(loan, day) == principal_rows_before(book, loan, day)


balance_row = st.tuples(st.sampled_from(LOANS), st.sampled_from(DAYS), st.sampled_from((2021, 2022, None)),
                        st.sampled_from(("estimated", "extension", None)))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(balance_row, max_size=20), loan=st.sampled_from(LOANS[:-1]), day=st.sampled_from(DAYS[:-1]),
       year=st.sampled_from((2021, 2022)), kind=st.sampled_from(("estimated", "extension")))
def test_equality_lookups_match_rows_of_on_text_numbers_and_dates(rows, loan, day, year, kind):
    frame = pd.DataFrame({
        "loan_id": pd.Series([r[0] for r in rows], dtype=object),
        "as_of": pd.to_datetime(pd.Series([r[1] for r in rows], dtype=object)),
        "tax_year": pd.Series([r[2] for r in rows], dtype="Int64"),  # nullable, as validation types it
        "kind": pd.Series([r[3] for r in rows], dtype=object),
        "source_row": pd.Series(np.arange(len(rows))[::-1] + 2, dtype="int64"),
    })
    book = SimpleNamespace(loan_balances=frame, payments=frame, source="book")
    index = BookColumns(book).rows()
    assert index.equal("loan_balances", loan_id=loan) == rows_of(frame, loan_id=loan)
    assert index.equal("loan_balances", loan_id=loan, as_of=pd.Timestamp(day)) == rows_of(
        frame, loan_id=loan, as_of=pd.Timestamp(day))
    assert index.equal("payments", tax_year=year, kind=kind) == rows_of(frame, tax_year=year, kind=kind)


def test_silo_carryovers_are_the_rows_of_the_silo_in_book_order():
    # rows 5 and 3: account A, 2022, post-2017 NOL, activity codes 531120 and 53 → both start with "53";
    # the others differ in account, year, kind or code (a missing code is "", which starts with nothing but "").
    frame = pd.DataFrame({
        "account_id": ["A", "A", "B", "A", "A", "A"],
        "tax_year": pd.Series([2022, 2022, 2022, 2021, 2022, 2022], dtype="Int64"),
        "kind": ["post2017_nol", "post2017_nol", "post2017_nol", "post2017_nol", "pre2018_nol", "post2017_nol"],
        "activity_code": ["531120", None, "531120", "531120", "531120", "53"],
        "source_row": [5, 6, 7, 8, 9, 3],
    })
    index = BookColumns(SimpleNamespace(carryovers=frame, source="book")).rows()
    assert index.silo_carryovers("A", 2022, "53") == [5, 3]
    assert index.silo_carryovers("A", 2022, "21") == []


def test_a_chunks_account_rows_give_the_derivations_of_its_own_sub_book():
    """prepare explains each account from the chunk's indexes; `udfi explain` from the account's
    own rows: the two must cite the same rows (the same return.json bytes)."""
    book = validate_book(SAMPLE).book
    slicer = BookSlicer(book)
    accounts = _AccountRows(book)
    compared = 0
    for result in compute_book(book, 2022):
        data = account_object(result)
        own = slicer.sub_book([result.account_id])
        assert derivations(result, account=dict(data), **accounts.arguments(result.account_id)) == \
            derivations(result, own, dict(data))
        compared += 1
    assert compared == len(book.accounts)
