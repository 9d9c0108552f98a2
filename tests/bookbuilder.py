"""Write small books for tests: every table as a list of dicts, written as canonical CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from udfi.engine.compute import AccountYear, compute_book
from udfi.validate import validate_book

ACCOUNT = {"account_id": "A1", "name": "Test Trust Co FBO Test Owner IRA", "ein": "12-3456789",
           "account_type": "traditional_ira"}


def write_book(folder: Path, *, accounts=None, properties=(), loans=(), ledger=(), **optional) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"accounts": accounts or [ACCOUNT], "properties": list(properties), "loans": list(loans),
              "ledger": list(ledger), **optional}
    defaults = {
        "properties": ["property_id", "account_id", "description", "property_type", "acquired_on", "cost_basis",
                       "land_value"],
        "loans": ["loan_id", "property_id", "originated_on", "principal"],
        "ledger": ["date", "property_id", "category", "amount", "loan_id"],
    }
    for name, rows in tables.items():
        columns = list(defaults.get(name, []))
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({key: row.get(key, "") for key in columns})
    return folder


def compute(folder: Path, year: int, **kwargs) -> dict[str, AccountYear]:
    report = validate_book(folder)
    assert report.ok, [problem.as_dict() for problem in report.errors]
    return {result.account_id: result for result in compute_book(report.book, year, **kwargs)}


def monthly(start: str, count: int, property_id: str, category: str, amount: str, loan_id: str = "",
            day: int | None = None) -> list[dict]:
    """`count` monthly rows from the month of `start` (on its day, or `day`)."""
    year, month, first_day = (int(part) for part in start.split("-"))
    rows = []
    for index in range(count):
        absolute = year * 12 + month - 1 + index
        rows.append({"date": f"{absolute // 12:04d}-{absolute % 12 + 1:02d}-{(day or first_day):02d}",
                     "property_id": property_id, "category": category, "amount": amount, "loan_id": loan_id})
    return rows
