"""Multi-year cases built for this project: NOLs and the 80% limit, a sale within 12 months of a payoff,
cash-out refinancing, Roth and Solo 401(k) accounts, the filing threshold, lender statements."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from bookbuilder import ACCOUNT, compute, monthly, write_book
from udfi.cli import app
from udfi.engine.report import account_object

D = Decimal


def rental(acquired_on: str, cost: str, land: str, **extra) -> dict:
    return {"property_id": "P1", "account_id": "A1", "description": "12 Oak St, Reno, NV 89501",
            "property_type": "residential_rental", "acquired_on": acquired_on, "cost_basis": cost,
            "land_value": land, **extra}


@pytest.mark.parametrize("loss_year, limited", [(2019, False), (2021, True)])
def test_acquisition_year_loss_becomes_nol_used_next_year(tmp_path, loss_year, limited):
    """Acquisition year: 6 months of rent against big repairs → an NOL (computed without the $1,000
    specific deduction, §512(b)(12)). Next year the NOL is used — in full before 2021 (CARES Act),
    limited to 80% of Schedule A line 16 from 2021 (§172(a)(2))."""
    next_year = loss_year + 1
    book = write_book(
        tmp_path,
        properties=[rental(f"{loss_year}-07-10", "300000.00", "60000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": f"{loss_year}-07-10", "principal": "300000.00"}],
        ledger=monthly(f"{loss_year}-07-15", 6, "P1", "rent", "1500.00")
        + [{"date": f"{loss_year}-08-01", "property_id": "P1", "category": "repairs", "amount": "50000.00"},
           {"date": f"{loss_year}-12-31", "property_id": "P1", "category": "interest", "amount": "6000.00",
            "loan_id": "L1"},
           {"date": f"{next_year}-12-31", "property_id": "P1", "category": "rent", "amount": "60000.00"},
           {"date": f"{next_year}-12-31", "property_id": "P1", "category": "interest", "amount": "12000.00",
            "loan_id": "L1"}],
    )
    first = compute(book, loss_year)["A1"]
    column = first.property_years[0]
    # 30-year ADS on $240,000, placed in service in July: 5.5 of 12 months of $8,000
    assert column.straight_line_depreciation == D("3666.67")
    assert column.ratio == 1  # $300,000 of debt over a smaller average basis: capped at 100%
    assert first.schedule.line_7a == 9000
    assert first.schedule.line_7b == 3667 + 50000 + 6000
    assert first.schedule.line_16 == -50667
    assert first.schedule.line_18 == -50667  # the loss shows on Schedule A line 18 …
    assert first.form.part_i["1"] == 0        # … and counts as zero on Form 990-T line 1 (§512(a)(6)(C))
    assert first.form.part_i["11"] == 0
    assert first.schedule.nol_out == 50667

    second = compute(book, next_year)["A1"]
    assert second.schedule.line_7a == 60000
    assert second.schedule.line_7b == 8000 + 12000
    assert second.schedule.line_16 == 40000
    assert second.schedule.nol_in == 50667
    if limited:
        assert second.schedule.nol_limit == 32000
        assert second.schedule.line_17 == 32000
        assert second.schedule.line_18 == 8000
        assert second.schedule.nol_out == 18667
        assert second.form.part_i["11"] == 7000
        # 2022 schedule: 275 + 24% × (7,000 − 2,750)
        assert second.form.part_ii["2"] == 1295
    else:
        assert second.schedule.line_17 == 40000
        assert second.schedule.line_18 == 0
        assert second.schedule.nol_out == 10667
        assert second.form.part_ii["2"] == 0


def test_sale_within_twelve_months_after_payoff(tmp_path):
    """§514(b)(1) and §1.514(b)-1(a): a sale within 12 months after the debt is paid off is still
    debt-financed; the highest acquisition debt of the 12 months before the sale over the year's AAB
    sets the gain's percentage. The rents after the payoff count through the payoff year's AAI."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 7", "property_type": "land",
                     "acquired_on": "2020-01-01", "cost_basis": "200000.00", "land_value": "200000.00",
                     "disposed_on": "2022-09-30", "amount_realized": "260000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "100000.00"}],
        ledger=[{"date": "2022-02-15", "property_id": "P1", "category": "principal", "amount": "100000.00",
                 "loan_id": "L1"}] + monthly("2022-01-05", 9, "P1", "rent", "1000.00"),
    )
    result = compute(book, 2022)["A1"]
    column = result.property_years[0]
    assert column.months_held == 9
    assert [month.total for month in column.months[:3]] == [D(100000), D(100000), D(0)]
    assert column.average_acquisition_indebtedness == D("22222.22")
    assert column.gross_income_reportable == D("1000.00")  # 9,000 × 22,222.22 / 200,000
    sale = column.disposition
    assert sale.gain == D(60000)
    assert sale.highest_acquisition_indebtedness == D(100000)
    assert sale.window_start.isoformat() == "2021-10-01"
    assert sale.gain_reportable == D(30000)
    assert result.schedule.line_4a == 30000
    assert result.must_file
    assert result.form.capital_gain_tax is not None  # Schedule D (Form 1041) method
    assert result.form.part_ii["2"] == int(result.form.capital_gain_tax.tax.quantize(D(1)))


def test_rents_after_payoff_year_are_not_udfi(tmp_path):
    """A year with no acquisition indebtedness at any time: the property is not debt-financed
    (§514(b)(1)); only a sale within 12 months after payoff is reached, not later rents."""
    book = write_book(
        tmp_path,
        properties=[rental("2020-01-01", "200000.00", "50000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "50000.00"}],
        ledger=[{"date": "2021-03-10", "property_id": "P1", "category": "principal", "amount": "50000.00",
                 "loan_id": "L1"}] + monthly("2022-01-01", 12, "P1", "rent", "2000.00"),
    )
    result = compute(book, 2022)["A1"]
    column = result.property_years[0]
    assert not column.debt_financed
    assert column.gross_income_reportable == 0
    assert not result.must_file
    assert result.schedule.line_7a == 0


def test_building_sale_keeps_unrecaptured_1250_share(tmp_path):
    """Unrecaptured §1250 gain: the debt-financed share of the depreciation taken, limited to the gain."""
    book = write_book(
        tmp_path,
        properties=[rental("2020-01-01", "300000.00", "60000.00", disposed_on="2022-12-15",
                           amount_realized="330000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "150000.00"}],
        ledger=[{"date": "2022-12-15", "property_id": "P1", "category": "principal", "amount": "150000.00",
                 "loan_id": "L1"}],
    )
    result = compute(book, 2022)["A1"]
    sale = result.property_years[0].disposition
    # $8,000 a year: 11.5/12 in 2020, 2021 in full, 11.5/12 in 2022 (mid-month disposal)
    assert sale.accumulated_depreciation == D("23333.33")
    assert sale.adjusted_basis == D("276666.67")
    assert sale.gain == D("53333.33")
    assert sale.unrecaptured_1250_reportable == (D("23333.33") * sale.ratio).quantize(D("0.01"))
    assert result.schedule.unrecaptured_1250_gain == int(sale.unrecaptured_1250_reportable.quantize(D(1)))


def test_cash_out_refinance_in_a_book(tmp_path):
    """Reg. §1.514(c)-1(c): a refinance continues the old debt up to its outstanding principal; the
    cash-out is a separate, non-acquisition debt, and repayments are shared pro rata."""
    book = write_book(
        tmp_path,
        properties=[rental("2020-01-01", "400000.00", "100000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "200000.00"},
               {"loan_id": "L2", "property_id": "P1", "originated_on": "2021-06-10", "principal": "250000.00",
                "purpose": "refinance", "refinances": "L1"}],
        ledger=[{"date": "2020-12-20", "property_id": "P1", "category": "principal", "amount": "40000.00", "loan_id": "L1"},
                {"date": "2021-06-10", "property_id": "P1", "category": "principal", "amount": "160000.00", "loan_id": "L1"},
                {"date": "2021-10-20", "property_id": "P1", "category": "principal", "amount": "25000.00", "loan_id": "L2"},
                {"date": "2021-10-20", "property_id": "P1", "category": "interest", "amount": "5000.00", "loan_id": "L2"}],
    )
    result = compute(book, 2021)["A1"]
    column = result.property_years[0]
    totals = [month.total for month in column.months]
    # Jan–Jun 1: L1 at 160,000; Jul 1–Oct 1: 160,000 of L2's 250,000; Nov–Dec: (225,000 × 160/250) = 144,000
    assert totals == [D(160000)] * 10 + [D(144000)] * 2
    assert column.average_acquisition_indebtedness == D("157333.33")
    assert column.interest_allocable == {"L2": D("3200.00")}  # 5,000 × 160/250
    assert any("refinance L2 exceeded the old debt by 90,000.00" in flag for flag in result.flags)


def test_roth_and_solo_401k(tmp_path):
    """Roth IRA: item B 408A, taxed like any IRA. Solo 401(k): §514(c)(9) — a qualified trust's
    real-property acquisition debt is not acquisition indebtedness, unless lost (disqualified lender)."""
    accounts = [{**ACCOUNT, "account_id": "R1", "account_type": "roth_ira", "ein": "12-0000001"},
                {**ACCOUNT, "account_id": "K1", "account_type": "solo_401k", "ein": "12-0000002"},
                {**ACCOUNT, "account_id": "K2", "account_type": "solo_401k", "ein": "12-0000003"}]
    properties, loans, ledger = [], [], []
    for index, account_id in enumerate(("R1", "K1", "K2")):
        property_id = f"P{index}"
        properties.append({"property_id": property_id, "account_id": account_id, "description": "Lot",
                           "property_type": "land", "acquired_on": "2021-01-01", "cost_basis": "100000.00",
                           "land_value": "100000.00"})
        loans.append({"loan_id": f"L{index}", "property_id": property_id, "originated_on": "2021-01-01",
                      "principal": "50000.00", "lender_is_disqualified_person": "true" if account_id == "K2" else "false"})
        ledger.append({"date": "2022-06-01", "property_id": property_id, "category": "rent", "amount": "10000.00"})
    book = write_book(tmp_path, accounts=accounts, properties=properties, loans=loans, ledger=ledger)
    results = compute(book, 2022)
    roth = account_object(results["R1"])
    assert roth["exempt_under"] == "408A" and roth["organization_type"] == "other_trust"
    assert roth["schedule_a"]["part_i"]["7a"] == 5000 and roth["must_file"]
    applied = account_object(results["K1"])
    # a §401(a) trust is exempt under §501(a) (Form 990-T item B: the 501 box, "a"); item G: 401(a) trust
    assert applied["exempt_under"] == "501(a)" and applied["organization_type"] == "401a_trust"
    assert applied["properties"][0]["average_acquisition_indebtedness"] == "0.00"
    assert not applied["must_file"]
    assert any("§514(c)(9) exception applied" in flag for flag in applied["flags"])
    lost = account_object(results["K2"])
    assert lost["schedule_a"]["part_i"]["7a"] == 5000 and lost["must_file"]
    assert any("exception LOST" in flag for flag in lost["flags"])
    assert any("disqualified person" in flag for flag in lost["flags"])


@pytest.mark.parametrize("rent, must_file", [("999.99", False), ("1000.00", True)])
def test_filing_threshold_uses_gross_not_net(tmp_path, rent, must_file):
    """File when gross unrelated income is $1,000 or more — even when the tax is zero."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot", "property_type": "land",
                     "acquired_on": "2021-01-01", "cost_basis": "100000.00", "land_value": "100000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2021-01-01", "principal": "100000.00"}],
        ledger=[{"date": "2022-06-01", "property_id": "P1", "category": "rent", "amount": rent},
                {"date": "2022-06-01", "property_id": "P1", "category": "taxes", "amount": "900.00"}],
    )
    result = compute(book, 2022)["A1"]
    assert result.gross_unrelated_income == D(rent)
    assert result.must_file is must_file
    assert result.form.total_tax == 0


def test_lender_statement_used_and_reconciled(tmp_path):
    """Lender statements are used for the day they cover, and differences from the ledger are flagged."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot", "property_type": "land",
                     "acquired_on": "2021-01-01", "cost_basis": "100000.00", "land_value": "100000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2021-01-01", "principal": "60000.00"}],
        loan_balances=[{"loan_id": "L1", "as_of": "2022-07-01", "balance": "59000.00"}],
    )
    result = compute(book, 2022)["A1"]
    totals = [month.total for month in result.property_years[0].months]
    assert totals[6] == D(59000) and totals[5] == D(60000)
    assert any("lender statement for L1 on 2022-07-01 shows 59,000.00 but the ledger implies 60,000.00" in flag
               for flag in result.flags)


def test_compute_json_shape_for_every_sample_year():
    """`udfi compute fixtures/sample --year Y --format json` has the contract's keys for 2020–2023."""
    runner = CliRunner()
    for year in (2020, 2021, 2022, 2023):
        outcome = runner.invoke(app, ["compute", "fixtures/sample", "--year", str(year), "--format", "json"])
        assert outcome.exit_code == 0, outcome.output
        document = json.loads(outcome.stdout)
        assert document["tax_year"] == year
        for account in document["accounts"]:
            for key in ("account_id", "account_type", "must_file", "gross_unrelated_income", "due_date",
                        "extended_due_date", "flags", "properties", "schedule_a", "form_990t", "nol_carryover",
                        "estimated_tax_due_dates"):
                assert key in account
            assert set(account["schedule_a"]["part_i"]) >= {"4a", "7a", "7b", "7c", "13a", "13c"}
            assert set(account["schedule_a"]["part_ii"]) >= {"16", "17", "18"}
            assert set(account["form_990t"]["part_i"]) >= {"1", "6", "7", "8", "10", "11"}
            assert set(account["form_990t"]["part_ii"]) >= {"2", "7"}
            assert set(account["form_990t"]["part_iii"]) >= {"4", "7", "9", "10"}
            assert set(account["nol_carryover"]) >= {"post2017_in", "post2017_used", "post2017_out"}
            for item in account["properties"]:
                assert len(item["debt_basis_percentage"].split(".")[1]) == 4
                assert item["average_acquisition_indebtedness"].count(".") == 1
                assert item["disposition"] is None or "unrecaptured_1250_reportable" in item["disposition"]
            assert all(isinstance(value, int) for value in account["form_990t"]["part_i"].values())


def test_missing_parameter_year_is_a_clear_error():
    outcome = CliRunner().invoke(app, ["compute", "fixtures/sample", "--year", "2027", "--format", "json"])
    assert outcome.exit_code == 2
    assert "no trust rate schedule parameters for tax year 2027" in outcome.output


def test_an_account_with_no_property_and_no_ledger_rows_computes(tmp_path):
    """An account that holds nothing (yet) has no unrelated income: not required, no tax — and no crash
    on the empty ledger (found by the hostile corpus: fixtures/invalid/property-of-unknown-account)."""
    book = write_book(tmp_path)
    result = compute(book, 2021)["A1"]
    assert result.gross_unrelated_income == 0 and not result.must_file and result.form.total_tax == 0
