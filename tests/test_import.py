"""`udfi import`: a foreign ledger export mapped by a profile into the canonical ledger."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from udfi.cli import app
from udfi.importer import convert, import_ledger, load_profile
from udfi.validate import validate_book

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "quickbooks"
PROFILE = ROOT / "schemas" / "profiles" / "quickbooks-gl.yaml"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    target = tmp_path / "book"
    shutil.copytree(FIXTURE, target)
    return target


def _ledger(book: Path) -> pd.DataFrame:
    return pd.read_csv(book / "ledger.csv", dtype=str, keep_default_na=False)


def _source_rows() -> list[list[str]]:
    with open(FIXTURE / "gl-export.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_fixture_has_no_ledger_and_bank_rows():
    assert not (FIXTURE / "ledger.csv").exists()
    accounts = {row[5] for row in _source_rows()[1:]}
    assert "Checking" in accounts and "Security Deposits Held" in accounts


def test_quickbooks_fixture_imports_to_a_valid_book(book: Path):
    result = CliRunner().invoke(app, ["import", str(book / "gl-export.csv"), "--profile", str(PROFILE),
                                      "--into", str(book)])
    assert result.exit_code == 0, result.output
    ledger = _ledger(book)
    assert list(ledger.columns) == ["date", "property_id", "category", "amount", "loan_id", "memo"]
    # Every non-bank, non-deposit source row is imported; bank rows and the TOTAL line are not.
    source = _source_rows()[1:]
    expected = [r for r in source if r[5] and r[5] not in ("Checking", "Security Deposits Held")]
    assert len(ledger) == len(expected)
    report = validate_book(book)
    assert report.ok, [p.as_dict() for p in report.errors]


def test_specific_rows_amounts_categories_and_signs(book: Path):
    result = import_ledger(book / "gl-export.csv", PROFILE, book)
    assert result.ok, [str(p) for p in result.problems]
    ledger = _ledger(book)

    def one(date: str, category: str, property_id: str) -> pd.Series:
        rows = ledger[(ledger["date"] == date) & (ledger["category"] == category) & (ledger["property_id"] == property_id)]
        assert len(rows) == 1, rows
        return rows.iloc[0]

    # Rent: a credit of 1,650.00 to "Rental Income:123 Main St" → +1650.00 rent on P-MAIN.
    rent = one("2022-02-03", "rent", "P-MAIN")
    assert rent["amount"] == "1650.00" and rent["loan_id"] == ""
    # Mortgage payment split: interest and principal debits, loan → property via loans.csv.
    interest = one("2022-03-01", "interest", "P-MAIN")
    principal = one("2022-03-01", "principal", "P-MAIN")
    assert (interest["amount"], interest["loan_id"]) == ("500.00", "L-1")
    assert (principal["amount"], principal["loan_id"]) == ("216.12", "L-1")
    # Thousands separators in a debit.
    assert one("2022-02-28", "taxes", "P-MAIN")["amount"] == "1934.27"
    # A refund credited to an expense account is a negative expense.
    assert one("2022-06-02", "repairs", "P-MAIN")["amount"] == "-85.00"
    # A debit to an income account (reversal) is negative income.
    assert one("2022-11-18", "rent", "P-OAK")["amount"] == "-25.00"
    assert one("2022-10-07", "other_income", "P-OAK")["amount"] == "50.00"
    assert one("2022-09-09", "improvement", "P-MAIN")["amount"] == "7400.00"
    assert one("2022-12-15", "other_expense", "P-OAK")["amount"] == "600.00"
    assert "Coastline Insurance" in one("2022-01-14", "insurance", "P-MAIN")["memo"]
    # Bank and security-deposit sides never appear; amounts are exact 2-decimal strings.
    assert ledger["amount"].str.fullmatch(r"-?\d+\.\d{2}").all()
    assert set(ledger["category"]) == {"rent", "other_income", "interest", "principal", "taxes", "insurance",
                                       "repairs", "management", "utilities", "other_expense", "improvement"}
    # Totals: rent 11 × 1650 + 9 × 1375 − 25.
    rent_total = ledger.loc[ledger["category"] == "rent", "amount"].map(lambda s: int(s.replace(".", ""))).sum()
    assert rent_total == (11 * 165000 + 9 * 137500 - 2500)


def test_unmapped_accounts_are_reported_with_rows_and_nothing_written(book: Path):
    rows = _source_rows()
    # Rename two accounts to names no rule knows.
    for row in rows[1:]:
        if row[5] == "HOA Dues:45 Oak Ave":
            row[5] = "Association Fees:45 Oak Ave"
        elif row[5] == "Utilities:123 Main St" and row[0].startswith("06/"):
            row[5] = "Water Bills"
    with open(book / "gl-export.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    expected_rows = {name: [i + 1 for i, r in enumerate(rows) if i and r[5] == name]
                     for name in ("Association Fees:45 Oak Ave", "Water Bills")}
    assert all(expected_rows.values())

    result = CliRunner().invoke(app, ["import", str(book / "gl-export.csv"), "--profile", str(PROFILE),
                                      "--into", str(book)])
    assert result.exit_code != 0
    assert not (book / "ledger.csv").exists()
    assert not [p for p in book.iterdir() if p.name.startswith(".ledger-")]

    outcome = convert(book / "gl-export.csv", load_profile(PROFILE), book)
    assert not outcome.ok and outcome.ledger is None
    unmapped = {p.account: p.rows for p in outcome.problems if p.account}
    assert unmapped == expected_rows
    text = result.output
    for name, numbers in expected_rows.items():
        assert name in text
        assert str(numbers[0]) in text


def test_existing_ledger_is_not_clobbered(book: Path):
    (book / "ledger.csv").write_text("date,property_id,category,amount,loan_id,memo\n")
    before = (book / "ledger.csv").read_bytes()
    result = CliRunner().invoke(app, ["import", str(book / "gl-export.csv"), "--profile", str(PROFILE),
                                      "--into", str(book)])
    assert result.exit_code != 0
    assert (book / "ledger.csv").read_bytes() == before
    result = CliRunner().invoke(app, ["import", str(book / "gl-export.csv"), "--profile", str(PROFILE),
                                      "--into", str(book), "--replace"])
    assert result.exit_code == 0, result.output
    assert len(_ledger(book)) > 50


def test_xlsx_source(book: Path, tmp_path: Path):
    rows = _source_rows()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "General Ledger"
    import datetime as dt

    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = list(row)
        if row[0] != "TOTAL":  # real Excel dates and numbers, as an .xlsx export holds them
            month, day, year = (int(x) for x in row[0].split("/"))
            cells[0] = dt.datetime(year, month, day)
        for i in (7, 8):
            cells[i] = float(row[i].replace(",", "")) if row[i] else None
        sheet.append(cells)
    source = tmp_path / "gl-export.xlsx"
    workbook.save(source)

    csv_book = tmp_path / "csv-book"
    shutil.copytree(FIXTURE, csv_book)
    assert import_ledger(csv_book / "gl-export.csv", PROFILE, csv_book).ok
    (book / "gl-export.csv").unlink()
    result = import_ledger(source, PROFILE, book)
    assert result.ok, [str(p) for p in result.problems]
    xlsx_ledger = _ledger(book)
    csv_ledger = _ledger(csv_book)
    pd.testing.assert_frame_equal(xlsx_ledger, csv_ledger)
    assert validate_book(book).ok


def test_signed_amount_profile(tmp_path: Path, book: Path):
    """A profile with one signed Amount column (positive = debit) and exact-name rules."""
    profile = tmp_path / "bank.yaml"
    profile.write_text(
        "source:\n"
        "  date: {column: Posted, format: '%Y-%m-%d'}\n"
        "  account: Category\n"
        "  amount: {column: Amount, positive: credit}\n"
        "  memo: Payee\n"
        "accounts:\n"
        "  - {exact: 'Rent Main', category: rent, property_id: P-MAIN}\n"
        "  - {exact: 'Mortgage Int', category: interest, loan_id: L-1}\n"
        "  - {exact: 'Repairs Main', category: repairs, property_id: P-MAIN}\n"
    )
    source = tmp_path / "bank.csv"
    source.write_text(
        "Posted,Payee,Category,Amount\n"
        "2022-04-03,Tenant,Rent Main,\"$1,650.00\"\n"
        "2022-04-05,Granite,Mortgage Int,(499.28)\n"
        "2022-04-07,Plumber,Repairs Main,-120.50\n"
        "2022-04-09,Plumber,Repairs Main,20.50\n"
    )
    result = import_ledger(source, profile, book)
    assert result.ok, [str(p) for p in result.problems]
    ledger = _ledger(book)
    assert ledger[["category", "property_id", "amount", "loan_id"]].values.tolist() == [
        ["rent", "P-MAIN", "1650.00", ""],
        ["interest", "P-MAIN", "499.28", "L-1"],
        ["repairs", "P-MAIN", "120.50", ""],
        ["repairs", "P-MAIN", "-20.50", ""],
    ]


def test_bad_dates_and_amounts_are_reported(tmp_path: Path, book: Path):
    rows = _source_rows()
    mapped = [i for i, r in enumerate(rows) if i and r[5].startswith(("Rental Income", "Property Taxes"))]
    a, b = mapped[0], mapped[1]
    rows[a][0] = "13/45/2022"
    rows[b][7 if rows[b][7] else 8] = "12.345"
    source = tmp_path / "bad.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = import_ledger(source, PROFILE, book)
    assert not result.ok
    rows_reported = sorted(r for p in result.problems for r in p.rows)
    assert a + 1 in rows_reported and b + 1 in rows_reported
    assert not (book / "ledger.csv").exists()
