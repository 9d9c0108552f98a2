"""What the book's evidence says about principal and history.

- A lender statement is the best evidence of principal: from its date until the next statement the
  balance is the statement's, less the ledger's repayments after it (Treas. Reg. §1.514(a)-1(a)(3)(i):
  the outstanding principal on the first day of each month).
- Years the book does not cover are not invented: the roll-forward starts at the account's first
  ledger year; a held property-year without ledger rows is a warning.
"""

from __future__ import annotations

from decimal import Decimal as D

from typer.testing import CliRunner

from tests.bookbuilder import compute, write_book
from udfi.cli import app
from udfi.validate import validate_book


def statement_book(tmp_path, statement: str = "59000.00"):
    return write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot", "property_type": "land",
                     "acquired_on": "2021-01-01", "cost_basis": "100000.00", "land_value": "100000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2021-01-01", "principal": "60000.00"}],
        ledger=[{"date": f"{year}-03-01", "property_id": "P1", "category": "rent", "amount": "1000.00"}
                for year in (2021, 2022)]
        + [{"date": "2022-09-15", "property_id": "P1", "category": "principal", "amount": "500.00", "loan_id": "L1"}],
        loan_balances=[{"loan_id": "L1", "as_of": "2022-07-01", "balance": statement}],
    )


def test_a_lender_statement_sets_the_balance_from_its_date_on(tmp_path):
    """2022 first-of-month balances: Jan–Jun 60,000 (ledger); Jul 59,000 (statement); Aug and Sep 59,000
    (the repayment is dated Sep 15, after Sep 1); Oct–Dec 59,000 − 500 = 58,500.
      Σ = 6 × 60,000 + 3 × 59,000 + 3 × 58,500 = 360,000 + 177,000 + 175,500 = 712,500; AAI = 712,500 ÷ 12
      = 59,375.00. (Using the statement for its own day only, as before, gave Aug/Sep 60,000 and Oct–Dec
      59,500: 717,500 ÷ 12 = 59,791.67.)"""
    result = compute(statement_book(tmp_path), 2022)["A1"]
    column = result.property_years[0]
    totals = [month.total for month in column.months]
    assert totals == [D(60000)] * 6 + [D(59000)] * 3 + [D(58500)] * 3
    assert column.average_acquisition_indebtedness == D("59375.00")


def test_a_statement_that_disagrees_with_the_ledger_is_a_warning_in_validate_and_check(tmp_path):
    """The ledger implies 60,000 on 2022-07-01 (no repayment before it); the statement says 59,000:
    a difference of 1,000 > $0.50 — a warning in `udfi validate` and `udfi check`, not only a flag."""
    book = statement_book(tmp_path)
    report = validate_book(book)
    assert report.ok
    warnings = [p for p in report.warnings if p.file == "loan_balances.csv"]
    assert len(warnings) == 1 and warnings[0].row == 2 and warnings[0].column == "balance"
    assert "the ledger implies 60,000.00" in warnings[0].expected and "difference -1,000.00" in warnings[0].expected
    outcome = CliRunner().invoke(app, ["check", str(book), "--year", "2022"])
    assert outcome.exit_code == 0, outcome.output
    assert "the ledger implies 60,000.00" in outcome.output


def test_a_statement_within_fifty_cents_agrees(tmp_path):
    report = validate_book(statement_book(tmp_path, "59999.50"))
    assert not [p for p in report.warnings if p.file == "loan_balances.csv"]


def late_ledger_book(tmp_path):
    """A rental bought 2021-03-10 whose ledger starts in 2023 (rent 24,000, interest 9,000 a year)."""
    ledger = []
    for year in (2023, 2024):
        ledger.append({"date": f"{year}-02-01", "property_id": "P1", "category": "rent", "amount": "24000.00"})
        ledger.append({"date": f"{year}-02-01", "property_id": "P1", "category": "interest", "amount": "9000.00",
                       "loan_id": "L1"})
    return write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "5 Pine St, Tulsa, OK 74103",
                     "property_type": "residential_rental", "acquired_on": "2021-03-10", "cost_basis": "300000.00",
                     "land_value": "60000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2021-03-10", "principal": "200000.00"}],
        ledger=ledger,
    )


def test_years_the_ledger_does_not_cover_are_not_rolled_forward(tmp_path):
    """Before, 2021 and 2022 were computed from depreciation alone (no rent): 2021 UBTI before NOL
    = −(depreciation 2021 × percentage) and 2022 likewise, and those losses were carried into 2023 as
    post-2017 NOLs. Now the roll-forward starts in 2023, the first year with ledger rows: no NOL comes in.
    AAB still reflects all depreciation since 2021 (Treas. Reg. §1.514(a)-1(a)(2)(ii))."""
    book = late_ledger_book(tmp_path)
    result = compute(book, 2023)["A1"]
    assert result.first_year == 2023
    assert result.schedule.nol_in == 0 and result.schedule.line_17 == 0
    column = result.property_years[0]
    # building 240,000, ADS 30 years from mid-March 2021: accumulated at 2022-12-31 = 21.5 months →
    # 240,000 × 43 / 720 = 14,333.33, so the basis on 2023-01-01 is 300,000 − 14,333.33
    assert column.basis_first_day == D("285666.67")
    assert any("P1: held in 2021–2022 but the ledger has no rows for those years; the roll-forward starts in 2023"
               in flag for flag in result.flags)


def test_years_without_ledger_rows_are_a_validation_warning(tmp_path):
    report = validate_book(late_ledger_book(tmp_path))
    assert report.ok
    coverage = [p for p in report.warnings if p.file == "properties.csv" and p.column == "property_id"]
    assert len(coverage) == 1 and coverage[0].value == "P1" and coverage[0].account_id == "A1"
    assert "none in 2021–2022" in coverage[0].expected and "not rolled forward" in coverage[0].expected


def test_carryovers_given_before_the_first_ledger_year_apply_to_it(tmp_path):
    book = late_ledger_book(tmp_path)
    with open(book / "carryovers.csv", "w", encoding="utf-8") as handle:
        handle.write("account_id,tax_year,kind,origin_year,amount\nA1,2022,post2017_nol,2021,4000.00\n")
    result = compute(book, 2023)["A1"]
    assert result.schedule.nol_in == 4000
    assert any("before the account's first ledger year 2023; they are applied to 2023" in flag
               for flag in result.flags)


def test_carryover_origins_are_checked(tmp_path):
    book = late_ledger_book(tmp_path)
    with open(book / "carryovers.csv", "w", encoding="utf-8") as handle:
        handle.write("account_id,tax_year,kind,origin_year,amount\n"
                     "A1,2023,pre2018_nol,,5000.00\n"          # row 2: no origin year
                     "A1,2023,pre2018_nol,2019,5000.00\n"      # row 3: not before 2018
                     "A1,2023,post2017_nol,2023,5000.00\n")    # row 4: not before tax_year
    report = validate_book(book)
    errors = {(p.row, p.column) for p in report.errors}
    assert errors == {(2, "origin_year"), (3, "origin_year"), (4, "origin_year")}
