"""The shipped profiles against sample exports of each layout (fixtures/imports/<vendor>/, written by
scripts/make_import_fixtures.py from the vendors' documented report layouts).

Every layout carries the same year of transactions of one IRA with two leveraged rentals, so the
imported ledgers must agree with each other and with figures worked by hand:

* P-MAPLE (412 Maple Ct), bought 2022-01-10: rent $1,950.00 on the 3rd of each month Feb–Dec
  → 11 × 1,950.00 = 21,450.00; P-BIRCH (88 Birch Ln), bought 2022-02-15: rent $1,600.00 Mar–Dec
  → 10 × 1,600.00 = 16,000.00.
* Management 8 % of rent: 1,950.00 × 8 % = 156.00 a month on P-MAPLE.
* Loan L-MAPLE $150,000.00 at 4.5 %, 30 years: the level payment P·r/(1 − (1 + r)^−360) with
  r = 0.045 / 12 = 0.00375 is $760.03. First payment 2022-02-01: interest 150,000.00 × 0.00375 =
  562.50, principal 760.03 − 562.50 = 197.53. Eleven payments in 2022 = 8,360.33, of which the
  lender's schedule gives interest 6,146.31 and principal 2,214.02 (6,146.31 + 2,214.02 = 8,360.33;
  balance 150,000.00 − 2,214.02 = 147,785.98).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from udfi.cli import app
from udfi.imports import ImportOptions, LenderFiles, import_ledger, load_profile
from udfi.validate import validate_book

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "imports"
LAYOUTS = {  # vendor folder → (shipped profile, export file)
    "quickbooks-desktop": ("quickbooks-desktop-gl", "gl.csv"),
    "quickbooks-online": ("quickbooks-online-gl", "gl.csv"),
    "appfolio": ("appfolio-gl", "gl.csv"),
    "buildium": ("buildium-gl", "gl.xlsx"),
}
KEY = ["date", "property_id", "category", "amount", "loan_id"]


def _options(folder: Path) -> ImportOptions:
    schedule = folder / "lender-schedule.csv"
    statement = folder / "lender-statement.csv"
    mapping = folder / "property-map.csv"
    return ImportOptions(property_map=mapping if mapping.exists() else None,
                         lender=LenderFiles(tuple(p for p in [schedule] if p.exists()),
                                            tuple(p for p in [statement] if p.exists())))


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[pd.DataFrame, object, Path]]:
    out = {}
    for vendor, (profile, export) in LAYOUTS.items():
        book = tmp_path_factory.mktemp(vendor)
        for name in ("accounts.csv", "properties.csv", "loans.csv"):
            shutil.copy(FIXTURES / vendor / name, book / name)
        result = import_ledger(FIXTURES / vendor / export, profile, book, options=_options(FIXTURES / vendor))
        assert result.ok, [str(p) for p in result.problems]
        ledger = pd.read_csv(book / "ledger.csv", dtype=str, keep_default_na=False)
        out[vendor] = (ledger, result, book)
    return out


def _cents(series: pd.Series) -> int:
    return int(series.map(lambda text: int(text.replace(".", ""))).sum())


def _sum(ledger: pd.DataFrame, category: str, property_id: str) -> int:
    return _cents(ledger[(ledger["category"] == category) & (ledger["property_id"] == property_id)]["amount"])


@pytest.mark.parametrize("vendor", list(LAYOUTS))
def test_each_layout_imports_to_a_valid_book(imported, vendor):
    ledger, result, book = imported[vendor]
    report = validate_book(book)
    assert report.ok, [p.as_dict() for p in report.errors]
    assert not report.warnings, [p.as_dict() for p in report.warnings]
    assert list(ledger.columns) == ["date", "property_id", "category", "amount", "loan_id", "memo"]
    assert ledger["amount"].str.fullmatch(r"-?\d+\.\d{2}").all()
    # Rent by hand: 11 × 1,950.00 and 10 × 1,600.00; management 11 × 156.00.
    assert _sum(ledger, "rent", "P-MAPLE") == 11 * 195000
    assert _sum(ledger, "rent", "P-BIRCH") == 10 * 160000
    assert _sum(ledger, "management", "P-MAPLE") == 11 * 15600
    # Repairs: the 425.00 water heater less the 50.00 warranty refund (credited to the expense account).
    assert _sum(ledger, "repairs", "P-MAPLE") == 42500 - 5000
    assert _sum(ledger, "other_income", "P-BIRCH") == 5000  # the 50.00 late fee
    assert _sum(ledger, "improvement", "P-MAPLE") == 740000
    # The lender's split of 2022: interest 6,146.31 and principal 2,214.02 on L-MAPLE.
    assert _sum(ledger, "interest", "P-MAPLE") == 614631
    assert _sum(ledger, "principal", "P-MAPLE") == 221402
    first = ledger[(ledger["date"] == "2022-02-01") & (ledger["loan_id"] == "L-MAPLE")]
    assert sorted(first[["category", "amount"]].values.tolist()) == [["interest", "562.50"], ["principal", "197.53"]]
    # Bank, security-deposit and owner sides are never imported.
    assert "Security deposit" not in " ".join(ledger["memo"])
    assert result.header_row >= 1


def test_layouts_agree_with_each_other(imported):
    """Desktop (split transactions), Online (lumped payments split by the lender's schedule) and
    Buildium (a workbook, signed amounts) carry the same transactions: the same ledger rows."""
    def rows(vendor):
        return imported[vendor][0][KEY].sort_values(KEY).reset_index(drop=True)

    desktop = rows("quickbooks-desktop")
    pd.testing.assert_frame_equal(desktop, rows("quickbooks-online"))
    pd.testing.assert_frame_equal(desktop, rows("buildium"))
    # AppFolio's owner paid taxes and insurance through escrow (not in the property ledger); every
    # other row, including each payment's split from the year-end statement, is the same.
    appfolio = rows("appfolio")
    expected = desktop[~desktop["category"].isin(["taxes", "insurance"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(appfolio, expected)


def test_title_blocks_and_headings(imported):
    # QuickBooks Online: four title lines, the headings on row 5; AppFolio on row 6; Buildium (xlsx) row 5.
    assert imported["quickbooks-online"][1].header_row == 5
    assert imported["appfolio"][1].header_row == 6
    assert imported["buildium"][1].header_row == 5
    assert imported["buildium"][1].source_label == "gl.xlsx[General Ledger]"
    # The QuickBooks Desktop export names no account on transaction rows: every row came from a heading.
    assert imported["quickbooks-desktop"][1].report_lines > 0


def test_statement_split_reconciles_and_states_the_arithmetic(imported):
    """AppFolio's lumped payment is principal + interest + $250.00 escrow: 760.03 + 250.00 = 1,010.03.
    Eleven payments 11,110.33 = interest 6,146.31 + principal 2,214.02 + escrow 2,750.00."""
    ledger, result, _ = imported["appfolio"]
    note = next(n for n in result.notes if n.startswith("loan L-MAPLE 2022"))
    assert "11 payment(s) 11,110.33 = interest paid 6,146.31 + principal repaid 2,214.02" in note
    assert "(150,000.00 at the start − 147,785.98 at the end) + escrow 2,750.00 — reconciles" in note
    assert "Escrow 2,750.00 is left out" in note
    memo = ledger[(ledger["date"] == "2022-02-01") & (ledger["category"] == "interest")]["memo"].iloc[0]
    assert "split of 1,010.03: interest 562.50" in memo and "escrow 250.00 (not imported)" in memo


def test_schedule_split_names_the_schedule_rows(imported):
    ledger, result, _ = imported["quickbooks-online"]
    assert any(n.startswith("loan L-MAPLE 2022: 11 payment(s) 8,360.33 split by the lender's schedule: "
                            "interest 6,146.31 + principal 2,214.02") for n in result.notes)
    memo = ledger[(ledger["date"] == "2022-02-01") & (ledger["category"] == "principal")]["memo"].iloc[0]
    assert memo.endswith("split of 760.03: interest 562.50 + principal 197.53 (lender-schedule.csv row 2)")


def test_property_names_resolved_and_reported(imported):
    # Desktop: sub-account "412 Maple Ct" is the street part of P-MAPLE's description (printed).
    notes = imported["quickbooks-desktop"][1].notes
    assert "property '412 Maple Ct' in the export matched P-MAPLE by its description in properties.csv" in notes
    # AppFolio's manager names come through property-map.csv: no description match is claimed.
    assert not [n for n in imported["appfolio"][1].notes if "matched" in n]


def test_appfolio_without_property_map_names_each_unknown_property(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "appfolio", book)
    options = ImportOptions(lender=LenderFiles(statements=(book / "lender-statement.csv",)))
    result = import_ledger(book / "gl.csv", "appfolio-gl", book, options=options)
    assert not result.ok and not (book / "ledger.csv").exists()
    assert set(result.unmapped_properties) == {"Maple Court - 412 Maple Ct Tacoma, WA",
                                               "Birch Lane Duplex - 88 Birch Ln Tacoma, WA"}
    text = "\n".join(str(p) for p in result.problems)
    assert "column 'Property'" in text and "--property-map" in text


def test_cli_import_of_an_online_export_prints_the_reconciliation(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "quickbooks-online", book)
    outcome = CliRunner().invoke(app, ["import", str(book / "gl.csv"), "--profile", "quickbooks-online-gl",
                                       "--into", str(book), "--lender-schedule", str(book / "lender-schedule.csv")])
    assert outcome.exit_code == 0, outcome.output
    assert "split by the lender's schedule" in outcome.output
    assert "101 ledger rows written" in outcome.output and "header on row 5" in outcome.output
    # Without the lender's figures the lumped payments are an error naming the way out.
    (book / "ledger.csv").unlink()
    outcome = CliRunner().invoke(app, ["import", str(book / "gl.csv"), "--profile", "quickbooks-online-gl",
                                       "--into", str(book)])
    assert outcome.exit_code == 1
    assert "--lender-schedule" in outcome.output and "--lender-statement" in outcome.output
    assert not (book / "ledger.csv").exists()


def test_shipped_profiles_load():
    for profile, _ in LAYOUTS.values():
        loaded = load_profile(profile)
        assert loaded.name == profile and loaded.path.name == f"{profile}.yaml"
