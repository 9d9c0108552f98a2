"""The derivation store: nodes, references, sources (file, filter, spreadsheet rows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from udfi.engine.property_year import EXPENSE_CATEGORIES
from udfi.explain.rows import BookRows
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
    def __init__(self, result: AccountYear, book, rows: BookRows | None = None):
        self.result = result
        self.book = book
        # the rows cited are looked up in indexes (built here, or handed over for a batch chunk)
        self.rows = rows if rows is not None or book is None else BookRows.of_book(book)
        self.year = result.tax_year
        self.nodes: dict[str, dict] = {}

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
        return [] if self.rows is None else self.rows.principal_before(loan_id, day)

    def _rows_of(self, table: str, **equal) -> list[int]:
        """`figures.rows_of(book.<table>, **equal)` through the index ([] without the book)."""
        return [] if self.rows is None else self.rows.equal(table, **equal)
