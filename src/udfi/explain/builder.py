"""All derivations of one account's return."""

from __future__ import annotations

from udfi.engine.compute import AccountYear
from udfi.engine.report import account_object
from udfi.explain.base import PART_V_COLUMNS
from udfi.explain.form import FormDerivations
from udfi.explain.k1 import K1Derivations
from udfi.explain.rows import BookRows


class Builder(K1Derivations, FormDerivations):
    def build(self, data: dict) -> dict:
        self.k1_lines()
        result = self.result
        items = {item["property_id"]: item for item in data["properties"]}
        part_v = [column for column in result.property_years if items[column.property_id]["debt_financed"]]
        letters = {column.property_id: PART_V_COLUMNS[min(index, 3)] for index, column in enumerate(part_v)}
        for column in result.property_years:
            self.property_lines(column, items[column.property_id], letters.get(column.property_id))
        self.columns(part_v, data)
        self.schedule_a(part_v, data)
        self.partnership_silos()
        self.form(data)
        return self.nodes


def derivations(result: AccountYear, book=None, account: dict | None = None, rows: BookRows | None = None) -> dict:
    """Every line key (and the supporting figures) of `result` → its derivation. `rows` (optional):
    the book's row lookups built once for many accounts (`BookColumns(book).rows(...)`)."""
    data = account if account is not None else account_object(result)
    return Builder(result, book, rows).build(data)


def add_derivations(account_json: dict, result: AccountYear, book=None, rows: BookRows | None = None) -> dict:
    """The account object with a ``"derivations"`` key added (the same dict, also returned)."""
    account_json["derivations"] = derivations(result, book, account_json, rows)
    return account_json
