"""Cutting the book into per-account slices (one pass; no repeated isin over the ledger)."""

from __future__ import annotations

import hashlib
from typing import Iterable

import numpy as np
import pandas as pd

from udfi.book import Book

BOOK_TABLES = ("accounts", "properties", "loans", "ledger", "depreciation", "loan_balances", "carryovers", "payments",
               "account_years", "k1s")


class BookSlicer:
    """Row positions of every table grouped by owning account, so a chunk's sub-book is a few `take`s.

    Same rows, same order as `Book.for_accounts` would keep."""

    def __init__(self, book: Book):
        self.book = book
        account_ids = book.accounts["account_id"].to_numpy(dtype=object)
        code_of_account = {account_id: code for code, account_id in enumerate(account_ids)}
        self.account_ids = account_ids

        def account_codes(values: pd.Series) -> np.ndarray:
            return np.fromiter((code_of_account.get(v, -1) for v in values.to_numpy(dtype=object)), dtype=np.int64,
                               count=len(values))

        def via(keys: pd.Series, key_index: pd.Series, key_codes: np.ndarray) -> np.ndarray:
            """Account code of each row, through a key column (property_id, loan_id) — factorized, vectorized."""
            if len(keys) == 0:
                return np.array([], dtype=np.int64)
            uniques, first = np.unique(key_index.to_numpy(dtype=object).astype(str), return_index=True)
            lookup = key_codes[first]
            values = keys.to_numpy(dtype=object)
            known = pd.notna(values)
            codes = np.full(len(values), -1, dtype=np.int64)
            if known.any() and len(uniques):
                text = values[known].astype(str)
                where = np.searchsorted(uniques, text).clip(0, len(uniques) - 1)
                hit = uniques[where] == text
                codes[np.flatnonzero(known)[hit]] = lookup[where[hit]]
            return codes

        properties, loans = book.properties, book.loans
        property_codes = account_codes(properties["account_id"])
        loan_codes = via(loans["property_id"], properties["property_id"], property_codes)
        codes = {
            "accounts": np.arange(len(account_ids), dtype=np.int64),
            "properties": property_codes,
            "loans": loan_codes,
            "ledger": via(book.ledger["property_id"], properties["property_id"], property_codes),
            "depreciation": via(book.depreciation["property_id"], properties["property_id"], property_codes),
            "loan_balances": via(book.loan_balances["loan_id"], loans["loan_id"], loan_codes),
            "carryovers": account_codes(book.carryovers["account_id"]),
            "payments": account_codes(book.payments["account_id"]),
            "account_years": account_codes(book.account_years["account_id"]),
            "k1s": account_codes(book.k1s["account_id"]),
        }
        self.positions: dict[str, dict[str, np.ndarray]] = {}
        for table, table_codes in codes.items():
            order = np.argsort(table_codes, kind="stable")
            ordered = table_codes[order]
            cuts = np.flatnonzero(np.diff(ordered)) + 1
            groups = np.split(order, cuts) if len(order) else []
            self.positions[table] = {account_ids[group_codes[0]]: group
                                     for group, group_codes in zip(groups, np.split(ordered, cuts) if len(order) else [])
                                     if group_codes[0] >= 0}

    def rows_of(self, table: str, account_ids: Iterable[str]) -> np.ndarray:
        found = [self.positions[table][a] for a in account_ids if a in self.positions[table]]
        if not found:
            return np.array([], dtype=np.int64)
        return np.sort(np.concatenate(found))

    def sub_book(self, account_ids: list[str]) -> Book:
        frames = {table: getattr(self.book, table).iloc[self.rows_of(table, account_ids)] for table in BOOK_TABLES}
        return Book(source=self.book.source, **frames)

    def account_hashes(self, account_ids: Iterable[str]) -> dict[str, str]:
        """A SHA-256 per account over that account's rows in every table (values and row numbers)."""
        digests = {account_id: hashlib.sha256() for account_id in account_ids}
        for table in BOOK_TABLES:
            frame = getattr(self.book, table)
            if len(frame) == 0:
                continue
            columns = sorted(frame.columns)
            row_hashes = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
            header = (table + "\0" + "\0".join(columns)).encode()
            for account_id, digest in digests.items():
                where = self.positions[table].get(account_id)
                digest.update(header)
                if where is not None:
                    digest.update(row_hashes[where].tobytes())
        return {account_id: digest.hexdigest() for account_id, digest in digests.items()}
