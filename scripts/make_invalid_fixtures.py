#!/usr/bin/env python3
"""Write fixtures/invalid/<kind>/: one small book per kind of problem the validator must catch.

Each book is a valid base book with one mutation; `expected.json` records the problem's severity,
file, row (as a spreadsheet shows it, header = row 1) and column. Run from the repository root:
    python scripts/make_invalid_fixtures.py
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"

BASE = {
    "accounts": [
        {"account_id": "A1", "name": "Harbor Trust Co FBO Ann Lee IRA", "ein": "47-1234567", "account_type": "traditional_ira"},
        {"account_id": "A2", "name": "Harbor Trust Co FBO Raj Patel Roth IRA", "ein": "47-7654321", "account_type": "roth_ira"},
    ],
    "properties": [
        {"property_id": "P1", "account_id": "A1", "description": "8 Bay Rd, Tampa, FL 33602", "property_type": "residential_rental",
         "acquired_on": "2021-03-10", "cost_basis": "250000.00", "land_value": "50000.00", "disposed_on": "", "amount_realized": ""},
        {"property_id": "P2", "account_id": "A2", "description": "Lot 4, Ocala, FL 34470", "property_type": "land",
         "acquired_on": "2021-01-05", "cost_basis": "40000.00", "land_value": "40000.00", "disposed_on": "", "amount_realized": ""},
    ],
    "loans": [
        {"loan_id": "L1", "property_id": "P1", "originated_on": "2021-03-10", "principal": "150000.00", "purpose": "acquisition",
         "refinances": "", "recourse": "false", "lender_is_disqualified_person": "false"},
        {"loan_id": "L2", "property_id": "P2", "originated_on": "2021-01-05", "principal": "20000.00", "purpose": "acquisition",
         "refinances": "", "recourse": "false", "lender_is_disqualified_person": "false"},
    ],
    "ledger": [
        {"date": "2021-04-01", "property_id": "P1", "category": "rent", "amount": "1800.00", "loan_id": "", "memo": "April rent"},
        {"date": "2021-04-10", "property_id": "P1", "category": "interest", "amount": "562.50", "loan_id": "L1", "memo": ""},
        {"date": "2021-04-10", "property_id": "P1", "category": "principal", "amount": "250.00", "loan_id": "L1", "memo": ""},
        {"date": "2021-05-01", "property_id": "P1", "category": "rent", "amount": "$1,800.00", "loan_id": "", "memo": "May rent"},
        {"date": "2021-06-01", "property_id": "P2", "category": "rent", "amount": "300.00", "loan_id": "", "memo": ""},
        {"date": "2021-06-15", "property_id": "P2", "category": "taxes", "amount": "(45.00)", "loan_id": "", "memo": "refund"},
    ],
}


def mutate(table: str, row: int, **changes):
    """Change data row `row` (0-based) of `table`."""
    def apply(book):
        book[table][row].update(changes)
    return apply


def append(table: str, record: dict):
    def apply(book):
        book[table].append(record)
    return apply


def drop_column(table: str, column: str):
    def apply(book):
        for record in book[table]:
            record.pop(column)
    return apply


def add_column(table: str, column: str, value: str):
    def apply(book):
        for record in book[table]:
            record[column] = value
    return apply


# kind → (mutation, expected problem). Rows are spreadsheet rows: data row 0 is row 2.
CASES = {
    "money-not-a-number": (mutate("ledger", 3, amount="1,8OO.00"), ("error", "ledger.csv", 5, "amount")),
    "money-three-decimals": (mutate("ledger", 1, amount="562.505"), ("error", "ledger.csv", 3, "amount")),
    "amount-zero": (mutate("ledger", 0, amount="0.00"), ("error", "ledger.csv", 2, "amount")),
    "date-impossible": (mutate("ledger", 4, date="2021-02-30"), ("error", "ledger.csv", 6, "date")),
    "date-not-iso": (mutate("properties", 1, acquired_on="01/05/2021"), ("error", "properties.csv", 3, "acquired_on")),
    "required-column-missing": (drop_column("properties", "cost_basis"), ("error", "properties.csv", None, "cost_basis")),
    "required-value-missing": (mutate("accounts", 1, name=""), ("error", "accounts.csv", 3, "name")),
    "category-unknown": (mutate("ledger", 0, category="rental"), ("error", "ledger.csv", 2, "category")),
    "account-type-unknown": (mutate("accounts", 0, account_type="ira"), ("error", "accounts.csv", 2, "account_type")),
    "duplicate-loan-id": (mutate("loans", 1, loan_id="L1"), ("error", "loans.csv", 3, "loan_id")),
    "ssn-instead-of-ein": (mutate("accounts", 0, ein="123-45-6789"), ("error", "accounts.csv", 2, "ein")),
    "ein-malformed": (mutate("accounts", 1, ein="4776543"), ("error", "accounts.csv", 3, "ein")),
    "property-of-unknown-account": (mutate("properties", 1, account_id="A9"), ("error", "properties.csv", 3, "account_id")),
    "loan-of-unknown-property": (mutate("loans", 1, property_id="P9"), ("error", "loans.csv", 3, "property_id")),
    "ledger-loan-of-other-property": (mutate("ledger", 1, loan_id="L2"), ("error", "ledger.csv", 3, "loan_id")),
    "interest-without-loan": (mutate("ledger", 1, loan_id=""), ("error", "ledger.csv", 3, "loan_id")),
    "land-over-cost": (mutate("properties", 0, land_value="260000.00"), ("error", "properties.csv", 2, "land_value")),
    "negative-cost": (mutate("properties", 0, cost_basis="-5.00"), ("error", "properties.csv", 2, "cost_basis")),
    "disposal-before-acquisition": (mutate("properties", 0, disposed_on="2020-12-31", amount_realized="260000.00"),
                                    ("error", "properties.csv", 2, "disposed_on")),
    "disposal-without-amount": (mutate("properties", 0, disposed_on="2021-12-31"), ("error", "properties.csv", 2, "amount_realized")),
    "refinance-without-target": (append("loans", {"loan_id": "L3", "property_id": "P1", "originated_on": "2021-09-01",
                                                  "principal": "150000.00", "purpose": "refinance", "refinances": "",
                                                  "recourse": "false", "lender_is_disqualified_person": "false"}),
                                 ("error", "loans.csv", 4, "refinances")),
    "refinance-loop": (lambda book: (book["loans"].extend([
        {"loan_id": "L3", "property_id": "P1", "originated_on": "2021-09-01", "principal": "150000.00", "purpose": "refinance",
         "refinances": "L4", "recourse": "false", "lender_is_disqualified_person": "false"},
        {"loan_id": "L4", "property_id": "P1", "originated_on": "2021-09-01", "principal": "150000.00", "purpose": "refinance",
         "refinances": "L3", "recourse": "false", "lender_is_disqualified_person": "false"}])),
        ("error", "loans.csv", 4, "refinances")),
    "refinance-of-other-property": (append("loans", {"loan_id": "L3", "property_id": "P1", "originated_on": "2021-09-01",
                                                     "principal": "150000.00", "purpose": "refinance", "refinances": "L2",
                                                     "recourse": "false", "lender_is_disqualified_person": "false"}),
                                    ("error", "loans.csv", 4, "refinances")),
    "principal-below-zero": (append("ledger", {"date": "2021-07-10", "property_id": "P1", "category": "principal",
                                               "amount": "149800.00", "loan_id": "L1", "memo": "overpaid"}),
                             ("error", "ledger.csv", 8, "amount")),
    "bool-unreadable": (mutate("loans", 0, recourse="maybe"), ("error", "loans.csv", 2, "recourse")),
    # warnings: the book stays valid
    "warning-outside-holding-period": (mutate("ledger", 0, date="2021-03-01"), ("warning", "ledger.csv", 2, "date")),
    "warning-duplicate-row": (append("ledger", dict(BASE["ledger"][0])), ("warning", "ledger.csv", 8, None)),
    "warning-unknown-column": (add_column("ledger", "colour", "blue"), ("warning", "ledger.csv", None, "colour")),
    "warning-recourse-loan": (mutate("loans", 0, recourse="true"), ("warning", "loans.csv", 2, "recourse")),
    "warning-disqualified-lender": (mutate("loans", 1, lender_is_disqualified_person="yes"),
                                    ("warning", "loans.csv", 3, "lender_is_disqualified_person")),
}


def write(book: dict, folder: Path) -> None:
    folder.mkdir(parents=True)
    for table, records in book.items():
        columns = list(records[0].keys()) if records else []
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    write(BASE, OUT / "_base")
    for kind, (mutation, (severity, file, row, column)) in CASES.items():
        book = copy.deepcopy(BASE)
        mutation(book)
        write(book, OUT / kind)
        (OUT / kind / "expected.json").write_text(json.dumps(
            {"severity": severity, "file": file, "row": row, "column": column}, indent=2) + "\n")
    print(f"wrote {len(CASES)} books under {OUT}")


if __name__ == "__main__":
    main()
