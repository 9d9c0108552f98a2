"""The derivation store: nodes, references, sources (file, filter, spreadsheet rows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from udfi.engine.property_year import EXPENSE_CATEGORIES
from udfi.money import money_str
from udfi.statements.figures import table_name

if TYPE_CHECKING:
    from udfi.engine.compute import AccountYear

PART_V_COLUMNS = ("A", "B", "C", "D")
PART_V_AMOUNT_LINES = ("2", "3a", "3b", "3c", "4", "5", "7", "9")
NON_INTEREST = tuple(category for category in EXPENSE_CATEGORIES if category != "interest")


def _ref(nodes: dict, key: str) -> dict:
    return {"ref": key, "value": nodes[key]["value"]}


def _m(amount: Decimal) -> str:
    return money_str(amount)



class DerivationBase:
    def __init__(self, result: AccountYear, book):
        self.result = result
        self.book = book
        self.year = result.tax_year
        self.nodes: dict[str, dict] = {}
        self._principal_index: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    def add(self, key: str, value, operation: str, inputs: dict | None = None, citation: str = "",
            exact=None, source: dict | None = None) -> str:
        node = {"value": value, "operation": operation, "inputs": inputs or {}, "citation": citation}
        if exact is not None:
            node["exact"] = exact
        if source is not None:
            node["source"] = source
        self.nodes[key] = node
        return key

    def ref(self, key: str) -> dict:
        return _ref(self.nodes, key)

    def _source(self, table: str, rows: list[int], **filters) -> dict:
        source = {"file": table_name(self.book, table), "filter": {k: v for k, v in filters.items() if v is not None}}
        if self.book is not None:
            source["rows"] = rows
            source["count"] = len(rows)
        return source

    def _principal_rows_before(self, loan_id: str, day: dt.date) -> list[int]:
        if self.book is None:
            return []
        if self._principal_index is None:
            ledger = self.book.ledger
            principal = ledger[ledger["category"] == "principal"].sort_values(["loan_id", "date", "source_row"],
                                                                             kind="stable")
            self._principal_index = {
                loan: (frame["date"].to_numpy(dtype="datetime64[D]"), frame["source_row"].to_numpy(dtype=np.int64))
                for loan, frame in principal.groupby("loan_id", sort=False)
            }
        days, rows = self._principal_index.get(loan_id, (np.array([], dtype="datetime64[D]"), np.array([], dtype=np.int64)))
        stop = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
        return sorted(int(row) for row in rows[:stop])
