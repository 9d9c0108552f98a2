"""`engine.stream.iter_compute_book` (chunks of accounts) against `compute_book` (the whole book at once).

Accounts are independent: an account's return reads only its rows of every table. The chunked path must
therefore give every account the same AccountYear — every line, flag, carryover, Decimal digit and
history year — whatever the chunk size, and the sub-books it computes must hold exactly the rows that
`Book.for_accounts` keeps (also for rows that belong to no account)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_engine_equivalence import _book, plain
from udfi import parameters as parameter_store
from udfi.book import Book
from udfi.engine.compute import compute_book
from udfi.engine.stream import TAPER_MIN_ACCOUNTS, Chunking, account_chunks, iter_compute_book, tapered_sizes
from udfi.validate import validate_book

TABLES = ("accounts", "properties", "loans", "ledger", "depreciation", "loan_balances", "carryovers", "payments",
          "account_years", "k1s")


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    # 16 synthetic accounts with sales, refinances, lender statements, NOL and capital-loss carryovers
    # and K-1s (the equivalence test's book), and one account whose validation fails (left out).
    folder = _book(tmp_path_factory.mktemp("stream"), 27)
    with open(folder / "accounts.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows.append([rows[1][0] + "-BAD" if column == 0 else value for column, value in enumerate(rows[1])])
    rows[-1][2] = "not-an-ein"
    with open(folder / "accounts.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    report = validate_book(folder)
    assert not report.book_wide_errors and report.accounts_with_errors
    clean = set(report.book.accounts["account_id"]) - report.accounts_with_errors
    return report.book.for_accounts(clean)


@pytest.fixture(scope="module")
def whole(book):
    return {year: [plain(result) for result in compute_book(book, year, keep_history=True)] for year in (2022, 2025)}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=st.integers(1, 17), year=st.sampled_from([2022, 2025]))
def test_chunked_results_equal_the_whole_books_on_every_account(book, whole, chunk, year):
    chunked = [plain(result) for result in iter_compute_book(book, year, chunk_accounts=chunk, keep_history=True)]
    assert len(chunked) == len(whole[year]) == len(book.accounts)
    for one, other in zip(chunked, whole[year]):
        assert one == other


def test_the_compared_book_exercises_every_table(book, whole):
    """Not vacuous: the accounts compared carry K-1s, carryovers, payments, statements and history."""
    assert len(book.accounts) == 16
    for table in ("k1s", "carryovers", "payments", "loan_balances"):
        assert len(getattr(book, table)), table
    results = compute_book(book, 2025, keep_history=True)
    assert any(result.k1s for result in results) and any(result.carry_in.nol_layers for result in results)
    assert any(len(result.history) > 3 for result in results)


@pytest.mark.parametrize("chunk", [1, 5, 16])
def test_chunks_hold_the_rows_for_accounts_keeps(book, chunk):
    """Every chunk is `for_accounts` of its accounts: same rows, same order, same index, same dtypes."""
    ids = book.accounts["account_id"].tolist()
    parts = list(account_chunks(book, chunk))
    assert len(parts) == -(-len(ids) // chunk)
    for number, part in enumerate(parts):
        expected = book.for_accounts(ids[number * chunk:(number + 1) * chunk])
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(part, table), getattr(expected, table), obj=table)


@pytest.mark.parametrize("chunk", [4, 100])
def test_rows_of_no_account_are_left_out_as_for_accounts_leaves_them(book, chunk):
    """A ledger row and a loan naming a property the book does not list, a payment of an unknown
    account: kept by no chunk (for_accounts keeps them for no account either) — also when the whole
    book is one chunk (100), which `udfi check` hands over uncut when every account is clean."""
    ledger = pd.concat([book.ledger, book.ledger.iloc[[0]].assign(property_id="NO-SUCH-PROPERTY")])
    loans = pd.concat([book.loans, book.loans.iloc[[0]].assign(property_id="NO-SUCH-PROPERTY", loan_id="L-ORPHAN")])
    payments = pd.concat([book.payments, book.payments.iloc[[0]].assign(account_id="NO-SUCH-ACCOUNT")])
    orphans = Book(**{**{table: getattr(book, table) for table in TABLES}, "source": book.source,
                      "ledger": ledger, "loans": loans, "payments": payments})
    kept = list(account_chunks(orphans, chunk))
    assert sum(len(part.ledger) for part in kept) == len(book.ledger)
    assert sum(len(part.loans) for part in kept) == len(book.loans)
    assert sum(len(part.payments) for part in kept) == len(book.payments)
    ids = book.accounts["account_id"].tolist()
    for number, part in enumerate(kept):
        expected = orphans.for_accounts(ids[number * chunk:(number + 1) * chunk])
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(part, table), getattr(expected, table), obj=table)


def test_a_missing_parameter_year_fails_before_the_first_result(book, monkeypatch):
    """The whole book's years are checked first, as compute_book checks them: nothing is yielded."""
    original = parameter_store.for_year

    def without_2021(year):
        if year == 2021:
            raise parameter_store.MissingParameterError("no parameters for 2021 (test)")
        return original(year)

    monkeypatch.setattr(parameter_store, "for_year", without_2021)
    with pytest.raises(parameter_store.MissingParameterError, match="2021"):
        next(iter_compute_book(book, 2025, chunk_accounts=1))


@settings(max_examples=200, deadline=None)
@given(accounts=st.integers(0, 20_000), chunk=st.integers(1, 600), jobs=st.integers(2, 8))
def test_tapered_sizes_cut_every_account_once_and_shrink_towards_the_end(accounts, chunk, jobs):
    """Guided self-scheduling: every account in exactly one chunk, in order; no chunk above the cap;
    sizes never grow; only the last chunk may be under TAPER_MIN_ACCOUNTS (or the cap, if smaller)."""
    sizes = tapered_sizes(accounts, chunk, jobs)
    assert sum(sizes) == accounts and all(size >= 1 for size in sizes)
    assert all(size <= chunk for size in sizes)
    assert all(later <= earlier for earlier, later in zip(sizes, sizes[1:]))
    assert all(size >= min(chunk, TAPER_MIN_ACCOUNTS) for size in sizes[:-1])


def test_tapered_sizes_of_the_bench_book():
    """10,000 accounts, chunks of 500, 2 workers: 500 each while 2,000 or more are left to cut (a chunk is
    at most what is left / (TAPER_SHARE × jobs) = / 4 below that), then 2,000/4 = 500, 1,500/4 = 375,
    1,125/4 = 282 (rounded up), 843/4 = 211, …, down to chunks of 60 and a last one of what is left."""
    sizes = tapered_sizes(10_000, 500, 2)
    assert sizes[:17] == [500] * 17 and sizes[17:20] == [375, 282, 211]
    assert sizes[-4:-1] == [60, 60, 60] and sizes[-1] == 10_000 - sum(sizes[:-1]) == 19


def test_chunks_of_given_sizes_hold_the_rows_for_accounts_keeps(book):
    """Chunking with a list of sizes (the tapered cut): chunk n is for_accounts of its run of accounts."""
    ids = book.accounts["account_id"].tolist()
    sizes = [6, 4, 3, 2, 1]
    chunking = Chunking(book, sizes)
    assert chunking.count == 5
    start = 0
    for number, size in enumerate(sizes):
        assert chunking.ids(number) == ids[start:start + size]
        expected = book.for_accounts(ids[start:start + size])
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(chunking.book(number), table), getattr(expected, table), obj=table)
        start += size
    with pytest.raises(ValueError, match="do not cut"):
        Chunking(book, [6, 4])


def test_a_missing_year_the_book_does_not_roll_through_is_not_asked_for(book, monkeypatch):
    """Every year from the first with parameters is tried first (cheap); when one lacks them, only the
    years the book rolls through (from its earliest ledger year) must have them — as compute_book asks."""
    from udfi.engine.book_facts import earliest_ledger_year
    from udfi.engine.stream import check_parameters

    first = earliest_ledger_year(book)
    late = Book(**{**{table: getattr(book, table) for table in TABLES}, "source": book.source,
                   "ledger": book.ledger[book.ledger["date"].dt.year > first]})
    assert earliest_ledger_year(late) > first
    original = parameter_store.for_year

    def without_first(year):
        if year == first:
            raise parameter_store.MissingParameterError(f"no parameters for {year} (test)")
        return original(year)

    monkeypatch.setattr(parameter_store, "for_year", without_first)
    check_parameters(late, 2025)   # the book starts later: nothing it needs is missing
    with pytest.raises(parameter_store.MissingParameterError, match=str(first)):
        check_parameters(book, 2025)
