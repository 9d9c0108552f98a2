"""The typed book: validated tables as data frames (money in integer cents, dates as datetime64)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.core.dtypes.dtypes import BaseMaskedDtype   # nullable Int64, boolean, Float64

MONEY_COLUMNS = {
    "properties": ("cost_basis", "land_value", "amount_realized"),
    "loans": ("principal",),
    "ledger": ("amount",),
    "depreciation": ("amount",),
    "loan_balances": ("balance",),
    "carryovers": ("amount",),
    "payments": ("amount",),
    "account_years": ("book_value_eoy", "tax_exempt_interest"),
    "k1s": ("ubti", "gross_income"),
}

OPTIONAL_TABLE_COLUMNS = {
    "depreciation": ("property_id", "tax_year", "amount_cents"),
    "loan_balances": ("loan_id", "as_of", "balance_cents"),
    "carryovers": ("account_id", "tax_year", "kind", "amount_cents"),
    "payments": ("account_id", "tax_year", "kind", "date", "amount_cents"),
    "account_years": ("account_id", "tax_year", "book_value_eoy_cents", "foreign_account", "foreign_account_country",
                      "foreign_trust", "tax_exempt_interest_cents", "accounting_method_changed",
                      "accounting_method_change_described", "controlled_group_subsidiary", "parent_corporation"),
    "k1s": ("account_id", "tax_year", "partnership_id", "ubti_cents"),
}
# The engine sees an account as its accounts.csv row; its account_years.csv rows travel on that row as
# JSON ({"2022": [row, ...]}), so per-year answers reach the return without a second lookup.
ACCOUNT_YEARS_COLUMN = "account_years"


def _with_cents(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    renamed = frame.rename(columns={column: f"{column}_cents" for column in MONEY_COLUMNS.get(name, ())})
    # Spreadsheet row numbers travel with the data so every figure can be traced to its source row.
    return renamed.assign(source_row=renamed.index.to_numpy() + 2)


@dataclass(frozen=True)
class Book:
    """A parsed book. Money columns are renamed `<column>_cents` (nullable Int64)."""

    source: Path
    accounts: pd.DataFrame
    properties: pd.DataFrame
    loans: pd.DataFrame
    ledger: pd.DataFrame
    depreciation: pd.DataFrame
    loan_balances: pd.DataFrame
    carryovers: pd.DataFrame
    payments: pd.DataFrame
    account_years: pd.DataFrame
    k1s: pd.DataFrame

    @classmethod
    def from_frames(cls, typed: dict[str, pd.DataFrame], source: Path) -> "Book":
        frames = {}
        for name in ("accounts", "properties", "loans", "ledger"):
            frames[name] = _with_cents(name, typed[name])
        properties = frames["properties"]
        frames["properties"] = properties.assign(
            placed_in_service_on=properties["placed_in_service_on"].fillna(properties["acquired_on"])
        )
        for name, columns in OPTIONAL_TABLE_COLUMNS.items():
            if name in typed:
                frames[name] = _with_cents(name, typed[name])
            else:
                frames[name] = pd.DataFrame({column: pd.Series(dtype=object) for column in columns + ("source_row",)})
        frames["accounts"] = frames["accounts"].assign(
            **{ACCOUNT_YEARS_COLUMN: _answers_by_account(frames["accounts"], frames["account_years"])})
        return cls(source=Path(source), **frames)

    def for_accounts(self, account_ids: set[str] | list[str]) -> "Book":
        """The part of the book that belongs to `account_ids` (for isolating bad accounts). A table
        none of whose rows is left out is shared, not copied (a clean book is not held twice)."""
        keep = set(account_ids)

        def rows(frame: pd.DataFrame, column: str, keys: set) -> pd.DataFrame:
            kept = frame[column].isin(keys)
            return frame if kept.all() else frame[kept]

        properties = rows(self.properties, "account_id", keep)
        property_ids = set(properties["property_id"])
        loans = rows(self.loans, "property_id", property_ids)
        loan_ids = set(loans["loan_id"])
        return replace(
            self,
            accounts=rows(self.accounts, "account_id", keep),
            properties=properties,
            loans=loans,
            ledger=rows(self.ledger, "property_id", property_ids),
            depreciation=rows(self.depreciation, "property_id", property_ids),
            loan_balances=rows(self.loan_balances, "loan_id", loan_ids),
            carryovers=rows(self.carryovers, "account_id", keep),
            payments=rows(self.payments, "account_id", keep),
            account_years=rows(self.account_years, "account_id", keep),
            k1s=rows(self.k1s, "account_id", keep),
        )


def records(frame: pd.DataFrame) -> list[dict]:
    """`frame.to_dict("records")`, from each column's `tolist()` (Python values, as the rows of
    `to_dict` hold) instead of a tuple per row and a boxing call per value. A nullable-integer or
    -boolean column's missing value is None there; a column of Python objects holding a numpy scalar
    (which `to_dict` would box), or of another extension type, takes `to_dict` itself."""
    columns = frame.columns.tolist()
    if len(set(columns)) != len(columns):
        return frame.to_dict("records")
    values = []
    for position, dtype in enumerate(frame.dtypes.tolist()):
        column = frame.iloc[:, position].tolist()
        if isinstance(dtype, BaseMaskedDtype):
            column = [None if value is pd.NA else value for value in column]
        elif isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA:
            pass   # str values, NaN where missing, as to_dict gives them
        elif not isinstance(dtype, np.dtype) or (dtype == object and any(isinstance(value, np.generic)
                                                                        for value in column)):
            return frame.to_dict("records")
        values.append(column)
    return [dict(zip(columns, row)) for row in zip(*values)] if columns else [{} for _ in range(len(frame))]


def _answers_by_account(accounts: pd.DataFrame, account_years: pd.DataFrame) -> list[str]:
    """Per account row: its account_years rows by tax year, as JSON text (hashable, picklable)."""
    by_account: dict[str, dict[str, list[dict]]] = {}
    for row in account_years.to_dict("records"):
        if row.get("tax_year") is None or pd.isna(row["tax_year"]):
            continue
        clean = {key: _plain(key, value) for key, value in row.items() if key not in ("account_id", "tax_year")}
        by_account.setdefault(row["account_id"], {}).setdefault(str(int(row["tax_year"])), []).append(clean)
    # most accounts have no answers: their text is the same "{}", not encoded once per account
    none = json.dumps({}, sort_keys=True)
    return [none if (answers := by_account.get(account_id)) is None else json.dumps(answers, sort_keys=True)
            for account_id in accounts["account_id"].tolist()]


def _plain(key: str, value):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if key.endswith("_cents") or key == "source_row":
        return int(value)
    return bool(value) if isinstance(value, (bool, np.bool_)) else value
