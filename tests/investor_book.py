"""One investor's book — one IRA, one leveraged rental — as rows, written either as a CSV folder or by
filling in the `udfi init --xlsx` template the way a person would (Excel date and number cells)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from bookbuilder import monthly, write_book

ACCOUNT = {"account_id": "IRA-RUIZ", "name": "Pinecrest Trust Co FBO Ana Ruiz IRA", "ein": "47-1234567",
           "account_type": "traditional_ira", "street": "1200 Lakeview Dr Suite 400", "city": "Columbus", "state": "OH",
           "zip": "43215", "books_in_care_of": "Pinecrest Trust Co", "phone": "614-555-0100"}
PROPERTY = {"property_id": "OAK-12", "account_id": "IRA-RUIZ", "description": "12 Oak St, Columbus, OH 43215",
            "property_type": "residential_rental", "acquired_on": "2022-03-15", "cost_basis": "250000.00",
            "land_value": "50000.00"}
LOAN = {"loan_id": "OAK-12-L1", "property_id": "OAK-12", "originated_on": "2022-03-15", "principal": "150000.00"}
LEDGER = (monthly("2022-04-01", 21, "OAK-12", "rent", "1850.00")
          + monthly("2022-04-15", 21, "OAK-12", "interest", "750.00", "OAK-12-L1")
          + monthly("2022-04-15", 21, "OAK-12", "principal", "250.00", "OAK-12-L1")
          + [{"date": "2022-03-15", "property_id": "OAK-12", "category": "insurance", "amount": "1200.00"},
             {"date": "2023-03-15", "property_id": "OAK-12", "category": "insurance", "amount": "1260.00"},
             {"date": "2022-11-01", "property_id": "OAK-12", "category": "taxes", "amount": "3100.00"},
             {"date": "2023-11-01", "property_id": "OAK-12", "category": "taxes", "amount": "3180.00"}])
TABLES = {"accounts": [ACCOUNT], "properties": [PROPERTY], "loans": [LOAN], "ledger": LEDGER}
YEAR = 2023


def write_csv(folder: Path) -> Path:
    return write_book(folder, accounts=[ACCOUNT], properties=[PROPERTY], loans=[LOAN], ledger=LEDGER)


def _cell(column_type: str, text: str):
    """What a person's spreadsheet holds: date cells, number cells, text."""
    if text == "":
        return None
    if column_type == "date":
        return dt.date.fromisoformat(text)
    if column_type == "money":
        return Decimal(text)
    return text


def fill_template(workbook_path: Path) -> Path:
    """Replace every example row of the `udfi init --xlsx` workbook with this book (optional sheets emptied)."""
    import openpyxl

    from udfi.schemas import table_specs

    workbook = openpyxl.load_workbook(workbook_path)
    for name, spec in table_specs().items():
        sheet = workbook[name]
        headers = [cell.value for cell in sheet[1]]
        sheet.delete_rows(2)
        for row in TABLES.get(name, []):
            sheet.append([_cell(spec.column(header).type, row.get(header, "")) for header in headers])
    workbook.save(workbook_path)
    return workbook_path
