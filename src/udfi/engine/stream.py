"""Every account's return, computed a bounded chunk of accounts at a time (issue #16: memory).

Accounts are independent in the engine (an account's return reads only its own rows of every
table), so `compute_book` of the sub-book of a chunk of accounts gives, for each of them, the same
AccountYear as `compute_book` of the whole book (tests/test_stream.py holds it to that). A consumer
that reduces each result to what it prints (`udfi check`, `udfi compute`, the bench) then holds one
chunk of AccountYears and of the engine's per-property facts, not the whole book's.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import pandas as pd

from udfi import parameters as parameter_store
from udfi.book import Book
from udfi.engine.compute import FIRST_PARAMETER_YEAR, AccountYear, Settings, book_years, compute_book

CHUNK_ACCOUNTS = 500  # ≈ 15–25 MB of facts and results at a time (synthetic book: ≈ 30–45 KB an account)


def check_parameters(book: Book, tax_year: int) -> None:
    """What `compute_book` checks before computing anything: parameters for `tax_year` and for every
    year some account of the book rolls through (`MissingParameterError` names the first missing one)."""
    parameter_store.for_year(tax_year)
    try:   # every year that has any: then the book's years have theirs, without finding its earliest year
        for year in range(FIRST_PARAMETER_YEAR, tax_year):
            parameter_store.for_year(year)
        return
    except parameter_store.MissingParameterError:
        pass   # a year lacks them: is it one the book rolls through? (the error names the first that is)
    for year in book_years(book, tax_year):
        parameter_store.for_year(year)


def iter_compute_book(book: Book, tax_year: int, settings: Settings | None = None, *,
                      chunk_accounts: int = CHUNK_ACCOUNTS, keep_history: bool = False, jobs: int = 1,
                      reduce: Callable[[AccountYear], object] | None = None, isolate: bool = False) -> Iterator:
    """`compute_book(book, tax_year, settings, keep_history)`, one account at a time, in the same
    order (accounts.csv's), computed `chunk_accounts` accounts at a time. The parameter check runs on
    the whole book when this is called, not at the first result, so a missing year fails where
    `compute_book` would (and a caller's `try` around the call catches it).

    `reduce`: what is yielded for each account is `reduce(result)` instead of its AccountYear (run
    where the account is computed, so a worker sends back only that). `jobs` > 1: the chunks are
    computed in that many forked worker processes (`engine.parallel`; in this process where fork
    is not available), the results still yielded in accounts.csv order. `isolate`: an account whose
    computation (or reduction) raises, or whose worker process dies, yields an
    `engine.parallel.AccountFailure` in its place and the others are computed; without it the
    exception propagates. The same accounts yield the same values for any `jobs`."""
    if chunk_accounts < 1:
        raise ValueError(f"chunk_accounts must be at least 1, not {chunk_accounts}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    check_parameters(book, tax_year)
    if jobs == 1 and reduce is None and not isolate:
        return _chunked_results(book, tax_year, settings, chunk_accounts, keep_history)
    from udfi.engine import parallel  # noqa: PLC0415 — the worker machinery only when asked for

    if jobs > 1:   # chunks small enough that every worker gets several, smaller towards the end
        chunk_accounts = max(1, min(chunk_accounts, -(-len(book.accounts) // (jobs * parallel.UNITS_PER_JOB))))
        sizes = tapered_sizes(len(book.accounts), chunk_accounts, jobs)
    else:
        sizes = chunk_accounts
    job = parallel.Job(Chunking(book, sizes), tax_year, settings, keep_history, reduce, isolate)
    return parallel.run(job, jobs)


def _chunked_results(book: Book, tax_year: int, settings: Settings | None, chunk_accounts: int,
                     keep_history: bool) -> Iterator[AccountYear]:
    for part in account_chunks(book, chunk_accounts):
        yield from compute_book(part, tax_year, settings, keep_history=keep_history)


TAPER_SHARE = 2        # a chunk of the tail is at most 1/(this × jobs) of the accounts still to cut
TAPER_MIN_ACCOUNTS = 60   # ≈ 25 ms of work; a chunk costs ≈ 8 ms besides its accounts


def tapered_sizes(accounts: int, chunk_accounts: int, jobs: int) -> list[int]:
    """Chunk sizes for `jobs` workers: `chunk_accounts` while much is left, then each a share of what is
    left (guided self-scheduling), down to TAPER_MIN_ACCOUNTS, so that the workers run out of work at
    nearly the same moment — with equal chunks one worker idles for up to a whole chunk at the end."""
    sizes, left = [], accounts
    while left > 0:
        size = min(left, chunk_accounts, max(TAPER_MIN_ACCOUNTS, -(-left // (TAPER_SHARE * jobs))))
        sizes.append(size)
        left -= size
    return sizes


def account_chunks(book: Book, chunk_accounts: int) -> Iterator[Book]:
    """`book.for_accounts(ids)` for consecutive runs of `chunk_accounts` accounts (accounts.csv order),
    without hashing the ledger's ids once per chunk: each row's chunk is found once, through the ids
    it references (property → account, loan → property)."""
    chunking = Chunking(book, chunk_accounts)
    for chunk in range(chunking.count):
        yield chunking.book(chunk)


class Chunking:
    """A book cut into consecutive runs of accounts (accounts.csv order), `sizes` long (a number: runs of
    that many, the last shorter): chunk `n`'s account ids and sub-book (the rows
    `book.for_accounts` keeps for them), each row's chunk found once through the ids it references."""

    def __init__(self, book: Book, sizes: int | list[int]):
        self.whole = book
        self.accounts = book.accounts["account_id"].to_numpy(dtype=object)
        if isinstance(sizes, int):
            sizes = [min(sizes, len(self.accounts) - start) for start in range(0, len(self.accounts), sizes)]
        if sum(sizes) != len(self.accounts) or any(size < 1 for size in sizes):
            raise ValueError(f"chunk sizes {sizes[:5]}… do not cut {len(self.accounts)} accounts")
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]) if sizes else np.zeros(2, np.int64)
        self.count = max(1, len(sizes))
        # None: one chunk (the book itself), or repeated/missing ids (the general, slower path)
        self.codes = _chunk_codes(book, self.starts) if self.count > 1 else None
        # per table, its rows ordered by chunk (ledger order within one) and where each chunk's start:
        # one stable sort, instead of comparing every row's code with each chunk's number
        self.rows = {name: _rows_by_chunk(codes, self.count) for name, codes in (self.codes or {}).items()}

    def ids(self, chunk: int) -> list:
        return list(self.accounts[self.starts[chunk]:self.starts[chunk + 1]])

    def book(self, chunk: int) -> Book:
        if self.count == 1:   # the rows of no account are left out here too (a table without any: shared)
            return self.whole.for_accounts(self.ids(0))
        if self.codes is None:
            return self.whole.for_accounts(self.ids(chunk))
        tables = {name: getattr(self.whole, name).iloc[rows[starts[chunk]:starts[chunk + 1]]]
                  for name, (rows, starts) in self.rows.items()}
        return Book(source=self.whole.source, **tables)


def _rows_by_chunk(codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions of the rows sorted by chunk, stable; start of chunk n's run for n in 0…count): chunk n's
    rows are `np.flatnonzero(codes == n)`, = positions[starts[n]:starts[n + 1]]."""
    order = np.argsort(codes, kind="stable")
    if len(order) < np.iinfo(np.int32).max:   # half the memory of the book's biggest table's positions
        order = order.astype(np.int32)
    return order, np.searchsorted(codes[order], np.arange(count + 1), side="left")


def _chunk_codes(book: Book, starts: np.ndarray) -> dict[str, np.ndarray] | None:
    """Per table, the chunk of every row (−1: a row `for_accounts` keeps for no account); None when an
    id column that rows are found through repeats a value or has a missing one."""
    def index(values: pd.Series) -> pd.Index | None:
        keys = pd.Index(values.to_numpy(dtype=object), dtype=object)
        return keys if keys.is_unique and not keys.hasnans else None

    accounts, properties, loans = (index(book.accounts["account_id"]), index(book.properties["property_id"]),
                                   index(book.loans["loan_id"]))
    if accounts is None or properties is None or loans is None:
        return None
    count = len(starts) - 1
    dtype = np.int16 if count < np.iinfo(np.int16).max else np.int32

    def through(keys: pd.Series, known: pd.Index, their_chunks: np.ndarray) -> np.ndarray:
        where = known.get_indexer(pd.Index(keys.to_numpy(dtype=object), dtype=object)) if len(keys) else \
            np.zeros(0, dtype=np.intp)
        with_missing = np.append(their_chunks, np.array([-1], dtype=dtype))   # position −1: not found
        return with_missing[where]

    codes = {"accounts": np.repeat(np.arange(count, dtype=dtype), np.diff(starts))}
    codes["properties"] = through(book.properties["account_id"], accounts, codes["accounts"])
    codes["loans"] = through(book.loans["property_id"], properties, codes["properties"])
    codes["ledger"] = through(book.ledger["property_id"], properties, codes["properties"])
    codes["depreciation"] = through(book.depreciation["property_id"], properties, codes["properties"])
    codes["loan_balances"] = through(book.loan_balances["loan_id"], loans, codes["loans"])
    for name in ("carryovers", "payments", "account_years", "k1s"):
        codes[name] = through(getattr(book, name)["account_id"], accounts, codes["accounts"])
    return codes
