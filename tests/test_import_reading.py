"""Reading exports as people have them: title blocks above the headings, sheets named in any case,
account headings carried down (nested, in one column or several), Windows-encoded CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from udfi.imports import convert, load_profile
from udfi.imports.profile import profile_from_data
from udfi.imports.reading import column_letter

FLAT = {"source": {"date": {"column": "Date", "format": "%m/%d/%Y"}, "account": "Account",
                   "amount": {"debit": "Debit", "credit": "Credit"}, "memo": ["Memo"]},
        "skip": [{"exact": "Checking"}],
        "accounts": [{"regex": "^Rent:(?P<p>.+)$", "category": "rent", "property_id": "{p}"},
                     {"regex": "^Repairs:(?P<p>.+)$", "category": "repairs", "property_id": "{p}"}]}
TITLE = ["Summit Bay Trust Co", "General Ledger", "January - December 2022", ""]
ROWS = [["Date", "Account", "Memo", "Debit", "Credit"],
        ["02/03/2022", "Rent:P1", "Feb rent", "", "1,950.00"],
        ["02/03/2022", "Checking", "Feb rent", "1,950.00", ""],
        ["02/10/2022", "Repairs:P1", "Faucet", "187.50", ""],
        ["", "TOTAL", "", "2,137.50", "2,137.50"]]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _profile(data: dict, header_row="auto"):
    source = {**data["source"], "header_row": header_row}
    return profile_from_data({**data, "source": source}, Path("test-profile.yaml"))


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_header_row_found_below_a_title_block(tmp_path):
    source = _csv(tmp_path / "gl.csv", [[t] for t in TITLE] + ROWS)
    result = convert(source, _profile(FLAT))
    assert result.ok, [str(p) for p in result.problems]
    assert result.header_row == 5
    # The grand-total line has no date: a report line, not a transaction.
    assert result.ledger[["date", "category", "amount"]].values.tolist() == [
        ["2022-02-03", "rent", "1950.00"], ["2022-02-10", "repairs", "187.50"]]


def test_a_wrong_header_row_says_which_row_to_set(tmp_path):
    source = _csv(tmp_path / "gl.csv", [[t] for t in TITLE] + ROWS)
    result = convert(source, _profile(FLAT, header_row=1))
    (problem,) = result.problems
    assert "header_row: 1" in problem.message and "set `header_row: 5`" in problem.message
    assert "Unnamed" not in problem.message


def test_missing_headings_are_named_not_unnamed(tmp_path):
    rows = [[t] for t in TITLE] + [["Date", "Account", "Memo", "Amount"]] + [r[:4] for r in ROWS[1:]]
    result = convert(_csv(tmp_path / "gl.csv", rows), _profile(FLAT))
    (problem,) = result.problems
    assert "closest is row 5 (Date, Account, Memo, Amount), which lacks Credit, Debit" in problem.message
    assert "Unnamed" not in problem.message


def test_sheet_names_match_without_regard_to_case(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("General Ledger")
    for row in [[], [], ["My company"], []] + ROWS:  # two empty rows first: row numbers stay exact
        sheet.append(row)
    sheet["A6"] = dt.datetime(2022, 2, 3)
    path = tmp_path / "gl.xlsx"
    workbook.save(path)
    data = {**FLAT, "source": {**FLAT["source"], "sheet": "general ledger"}}
    result = convert(path, _profile(data))
    assert result.ok, [str(p) for p in result.problems]
    assert result.header_row == 5 and result.source_label == "gl.xlsx[General Ledger]"
    missing = convert(path, _profile({**FLAT, "source": {**FLAT["source"], "sheet": "Ledger"}}))
    assert "no sheet named 'Ledger' (sheets: Notes, General Ledger)" in missing.problems[0].message


def test_nested_headings_are_carried_down(tmp_path):
    """QuickBooks Online: heading, Beginning Balance, sub-account headings, totals, TOTAL, footer."""
    rows = [["General Ledger", "", "", "", ""], ["", "", "", "", ""],
            ["", "Date", "Memo/Description", "Amount", "Balance"],
            ["Rental Income", "", "", "", ""],
            ["412 Maple Ct", "", "", "", ""],
            ["", "Beginning Balance", "", "", "0.00"],
            ["", "02/03/2022", "Feb rent", "1,950.00", "1,950.00"],
            ["Total for 412 Maple Ct", "", "", "$1,950.00", ""],
            ["88 Birch Ln", "", "", "", ""],
            ["", "03/03/2022", "Mar rent", "1,600.00", "1,600.00"],
            ["Total for 88 Birch Ln", "", "", "$1,600.00", ""],
            ["Total for Rental Income with sub-accounts", "", "", "$3,550.00", ""],
            ["Checking", "", "", "", ""],
            ["", "02/03/2022", "Feb rent", "1,950.00", "1,950.00"],
            ["Total for Checking", "", "", "$1,950.00", ""],
            ["TOTAL", "", "", "", ""], ["", "", "", "", ""],
            ["Cash Basis Tuesday, January 10, 2023 09:15 AM GMT-08:00", "", "", "", ""]]
    profile = load_profile("quickbooks-online-gl")
    result = convert(_csv(tmp_path / "gl.csv", rows), profile)
    assert result.ok, [str(p) for p in result.problems]
    assert result.ledger[["date", "property_id", "category", "amount"]].values.tolist() == [
        ["2022-02-03", "412 Maple Ct", "rent", "1950.00"], ["2022-03-03", "88 Birch Ln", "rent", "1600.00"]]
    # 11 of the 15 rows below the headings are headings, totals, blank or the footer; 1 is Checking.
    assert result.skipped_rows == 1 and result.report_lines == len(rows) - 3 - 3


def test_headings_in_several_columns_nest_by_column(tmp_path):
    rows = [["", "", "Date", "Debit", "Credit"],
            ["Rental Income", "", "", "", ""],
            ["", "P1", "", "", ""],
            ["", "", "02/03/2022", "", "100.00"],
            ["", "P2", "", "", ""],
            ["", "", "02/04/2022", "", "200.00"],
            ["Repairs", "", "", "", ""],
            ["", "P1", "", "", ""],
            ["", "", "02/05/2022", "30.00", ""]]
    data = {"source": {"account": {"heading": ["A", "B"]}, "date": {"column": "Date", "format": "%m/%d/%Y"},
                       "amount": {"debit": "Debit", "credit": "Credit"}},
            "accounts": [{"regex": "^Rental Income:(?P<p>.+)$", "category": "rent", "property_id": "{p}"},
                         {"regex": "^Repairs:(?P<p>.+)$", "category": "repairs", "property_id": "{p}"}]}
    result = convert(_csv(tmp_path / "gl.csv", rows), _profile(data))
    assert result.ok, [str(p) for p in result.problems]
    assert result.ledger[["property_id", "category", "amount"]].values.tolist() == [
        ["P1", "rent", "100.00"], ["P2", "rent", "200.00"], ["P1", "repairs", "30.00"]]


def test_a_total_that_closes_nothing_and_a_row_above_every_heading(tmp_path):
    rows = [["", "Date", "Amount"], ["", "02/01/2022", "5.00"], ["Rental Income:P1", "", ""],
            ["", "02/03/2022", "100.00"], ["Total for Repairs", "", ""]]
    result = convert(_csv(tmp_path / "gl.csv", rows), load_profile("quickbooks-online-gl"))
    messages = [str(p) for p in result.problems]
    assert any("'Total for Repairs' closes no open account heading (open: Rental Income:P1) (source row 5)" in m
               for m in messages), messages
    assert any("(no account heading above the row)" in m and "source row 2" in m for m in messages), messages


def test_windows_encoded_csv(tmp_path):
    path = tmp_path / "gl.csv"
    text = "Date,Account,Memo,Debit,Credit\n02/10/2022,Repairs:P1,Caf\xe9 \u2014 \xa7 repair,187.50,\n"
    path.write_bytes(text.encode("cp1252"))
    result = convert(path, _profile(FLAT))
    assert result.ok and result.ledger["memo"].iloc[0] == "Caf\xe9 \u2014 \xa7 repair"


@pytest.mark.parametrize("cell, expected", [("$-1,288.00", "-1288.00"), ("-$1,288.00", "-1288.00"),
                                            ("(1,288.00)", "-1288.00"), ("1288", "1288.00")])
def test_signed_amount_spellings(tmp_path, cell, expected):
    rows = [["Date", "Account", "Amount"], ["02/10/2022", "Repairs:P1", cell]]
    data = {**FLAT, "source": {**FLAT["source"], "amount": {"column": "Amount", "positive": "debit"}, "memo": []}}
    result = convert(_csv(tmp_path / "gl.csv", rows), _profile(data))
    assert result.ok and result.ledger["amount"].iloc[0] == expected
