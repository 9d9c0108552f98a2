"""The worked examples of the Treasury Regulations and Pub. 598 (shared/reference/examples.md),
rebuilt as books and run through validation and the engine.

The regulation examples are dated 1970–1971; the same facts are placed in 2020–2022, the years the
project has parameters for. Where an example ignores depreciation, depreciation.csv pins it.
"""

from __future__ import annotations

from decimal import Decimal

from bookbuilder import compute, monthly, write_book

D = Decimal


def land(property_id="P1", acquired_on="2020-01-01", cost="100000.00", **extra):
    """A property that never depreciates, so the basis stays at cost (isolates the debt side)."""
    return {"property_id": property_id, "account_id": "A1", "description": "1 Test Rd, Reno, NV 89501",
            "property_type": "land", "acquired_on": acquired_on, "cost_basis": cost, "land_value": cost, **extra}


def test_r1_basic_debt_basis_percentage(tmp_path):
    """R1 — §1.514(a)-1(a)(1)(iv); Pub. 598 (2001): rent $10,000, AAB $100,000, AAI $50,000 → 50%, UDFI $5,000."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Office building",
                     "property_type": "nonresidential_real", "acquired_on": "2021-01-01",
                     "cost_basis": "100000.00", "land_value": "20000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2021-01-01", "principal": "50000.00"}],
        ledger=[{"date": "2021-06-30", "property_id": "P1", "category": "rent", "amount": "10000.00"}],
        depreciation=[{"property_id": "P1", "tax_year": "2021", "amount": "0.00"}],
    )
    column = compute(book, 2021)["A1"].property_years[0]
    assert column.average_adjusted_basis == D("100000")
    assert column.average_acquisition_indebtedness == D("50000")
    assert column.ratio == D("0.5")
    assert column.gross_income_reportable == D("5000")


def test_r2_average_adjusted_basis_no_principal_payments(tmp_path):
    """R2 — §1.514(a)-1(a)(2)(iv): bought July 10 for $510,000 with $300,000 borrowed; $20,000 depreciation;
    Dec 31 basis $490,000 → AAB $500,000; AAI $300,000; 60%."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Building",
                     "property_type": "nonresidential_real", "acquired_on": "2020-07-10",
                     "cost_basis": "510000.00", "land_value": "10000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-07-10", "principal": "300000.00"}],
        depreciation=[{"property_id": "P1", "tax_year": "2020", "amount": "20000.00"}],
    )
    column = compute(book, 2020)["A1"].property_years[0]
    assert column.basis_first_day == D("510000")
    assert column.basis_last_day == D("490000")
    assert column.average_adjusted_basis == D("500000")
    assert column.average_acquisition_indebtedness == D("300000")
    assert column.ratio == D("0.6")


def test_r3_monthly_amortization_partial_first_month(tmp_path):
    """R3 — §1.514(a)-1(a)(3)(iii) Example 1; Pub. 598: as R2 with $20,000 of principal paid monthly from
    July 20. July counts at the full $300,000 though the property was not held on July 1; 6 months;
    AAI $1,500,000 ÷ 6 = $250,000; 50%."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Building",
                     "property_type": "nonresidential_real", "acquired_on": "2020-07-10",
                     "cost_basis": "510000.00", "land_value": "10000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-07-10", "principal": "300000.00"}],
        ledger=monthly("2020-07-20", 6, "P1", "principal", "20000.00", "L1")
        + monthly("2020-07-20", 6, "P1", "interest", "1000.00", "L1"),
        depreciation=[{"property_id": "P1", "tax_year": "2020", "amount": "20000.00"}],
    )
    column = compute(book, 2020)["A1"].property_years[0]
    assert [month.total for month in column.months] == [D(x) for x in
                                                         ("300000", "280000", "260000", "240000", "220000", "200000")]
    assert column.months[0].measured_on.isoformat() == "2020-07-10"
    assert column.months_held == 6
    assert column.average_acquisition_indebtedness == D("250000")
    assert column.ratio == D("0.5")


def test_r4_months_after_payoff_count_at_zero(tmp_path):
    """R4 — §1.514(a)-1(a)(3)(iii) Example 2: $12,000 at the start of the year, $2,000 paid monthly from
    Jan 30, retired after 6 months; held all year → total $42,000 ÷ 12 = $3,500."""
    book = write_book(
        tmp_path,
        properties=[land(acquired_on="2020-06-01")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-06-01", "principal": "12000.00"}],
        ledger=[{"date": day, "property_id": "P1", "category": "principal", "amount": "2000.00", "loan_id": "L1"}
                for day in ("2021-01-30", "2021-02-27", "2021-03-30", "2021-04-30", "2021-05-30", "2021-06-30")],
    )
    column = compute(book, 2021)["A1"].property_years[0]
    assert [month.total for month in column.months] == [D(x) for x in ("12000", "10000", "8000", "6000", "4000",
                                                                        "2000", "0", "0", "0", "0", "0", "0")]
    assert column.average_acquisition_indebtedness == D("3500")


def test_r6_straight_line_allowance(tmp_path):
    """R6 — §1.514(a)-1(b)(3); Pub. 598 "Deductions": a $10,000 straight-line allowance is deducted in full
    when the whole building is debt-financed (percentage 100%). $400,000 over the 40-year ADS period =
    $10,000 a year (§514(a)(3) straight line; §168(g)(2))."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Building",
                     "property_type": "nonresidential_real", "acquired_on": "2020-01-15",
                     "cost_basis": "400000.00", "land_value": "0.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-15", "principal": "400000.00"}],
        ledger=[{"date": "2021-03-01", "property_id": "P1", "category": "rent", "amount": "30000.00"}],
    )
    results = compute(book, 2021)
    column = results["A1"].property_years[0]
    assert column.straight_line_depreciation == D("10000.00")
    assert column.ratio == D("1")  # debt exceeds the depreciated basis: capped at 100%
    assert column.allocable_deductions == D("10000.00")
    first_year = compute(book, 2020)["A1"].property_years[0]
    # mid-month convention: placed in service in January → 11.5 of 12 months
    assert first_year.straight_line_depreciation == D("9583.33")


def test_r7_capital_loss_not_reapplied(tmp_path):
    """R7 — §1.514(a)-1(b)(4)(ii); Pub. 598: debt-financed property sold at a $20,000 loss with a 40%
    debt/basis percentage → capital loss $8,000, carried over without applying the percentage again.

    The land (a capital asset, IRC §1221) was held 2020-01-01 → 2021-06-30, more than a year: a long-term
    loss (Schedule D line 10). A trust deducts at most $3,000 of net capital loss (§1211(b); Schedule D
    line 20 → Schedule A line 4c). Here the year has no other income, so taxable income before the
    deduction is zero: the Capital Loss Carryover Worksheet (Schedule D (Form 1041) instructions) gives
      line 1 taxable income −3,000; line 2 loss allowed 3,000; line 4 adjusted taxable income
      −3,000 + 3,000 = 0; line 5 = smaller of 3,000 and 0 = 0 (none of the allowance is used);
      line 10 LT loss 8,000; line 12 = line 5 − line 6 = 0; line 14 LT carryover = 8,000 − 0 = 8,000.
    and no NOL: a capital loss counts in an NOL only up to capital gains (§172(d)(2)), 0 + 3,000 − 3,000 = 0."""
    book = write_book(
        tmp_path,
        properties=[land(acquired_on="2020-01-01", disposed_on="2021-06-30", amount_realized="80000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "40000.00"}],
        ledger=[{"date": "2021-06-30", "property_id": "P1", "category": "principal", "amount": "40000.00",
                 "loan_id": "L1"}],
    )
    result = compute(book, 2021)["A1"]
    sale = result.property_years[0].disposition
    assert sale.gain == D("-20000")
    assert sale.ratio == D("0.4")
    assert sale.gain_reportable == D("-8000")
    assert sale.holding_period == "long_term" and sale.character == "capital"
    assert result.schedule.schedule_d.line_10 == -8000
    assert result.schedule.line_4a == 0
    assert result.schedule.line_4c == -3000
    assert result.schedule.capital_loss_worksheet.line_5 == 0
    assert result.schedule.carry_out.long_term_capital_loss == 8000  # not re-percentaged, none used
    assert result.schedule.carry_out.short_term_capital_loss == 0
    assert result.schedule.nol_generated == 0


def test_r7_capital_loss_with_income_to_absorb_it(tmp_path):
    """R7's facts plus $10,000 of rent in 2021. Debt/basis: AAI = 40,000 for each of the 6 months held
    (the loan is repaid on the day of sale, after the first of July is never reached) → 40,000; AAB =
    (100,000 + 100,000) / 2 = 100,000 → 40%. Reportable rent 10,000 × 40% = 4,000 (Part V line 7).
    Schedule A line 16 = 4,000 + 4c (−3,000) = 1,000 → taxable income 1,000.
    Worksheet: line 4 = 1,000 + 3,000 = 4,000; line 5 = min(3,000, 4,000) = 3,000;
    line 14 = 8,000 − (0 + (3,000 − 0)) = 5,000 long-term carryover (IRC §1212(b)(1)(B), (b)(2)).
    2022: Schedule D line 15 = −5,000 → line 20 = 3,000 again, 4c = −3,000."""
    book = write_book(
        tmp_path,
        properties=[land(acquired_on="2020-01-01", disposed_on="2021-06-30", amount_realized="80000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "40000.00"}],
        ledger=[{"date": "2021-06-30", "property_id": "P1", "category": "principal", "amount": "40000.00",
                 "loan_id": "L1"},
                {"date": "2021-03-01", "property_id": "P1", "category": "rent", "amount": "10000.00"}],
    )
    result = compute(book, 2021)["A1"]
    assert result.property_years[0].ratio == D("0.4")
    assert result.schedule.part_v_line_8 == 4000
    assert result.schedule.line_16 == 1000
    assert result.schedule.capital_loss_worksheet.line_4 == 4000
    assert result.schedule.capital_loss_worksheet.line_5 == 3000
    assert result.schedule.carry_out.long_term_capital_loss == 5000
    following = compute(book, 2022)["A1"]
    assert following.schedule.schedule_d.line_15 == -5000
    assert following.schedule.line_4c == -3000


def test_r8_net_operating_loss(tmp_path):
    """R8 — §1.514(a)-1(b)(5)(ii): rent $20,000; taxes $5,000, interest $5,000, manager's salary $15,000;
    50% → income $10,000, deductions $12,500, NOL $2,500 carried without applying the percentage again."""
    book = write_book(
        tmp_path,
        properties=[land()],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "50000.00"}],
        ledger=[
            {"date": "2021-12-01", "property_id": "P1", "category": "rent", "amount": "20000.00"},
            {"date": "2021-12-01", "property_id": "P1", "category": "taxes", "amount": "5000.00"},
            {"date": "2021-12-01", "property_id": "P1", "category": "interest", "amount": "5000.00", "loan_id": "L1"},
            {"date": "2021-12-01", "property_id": "P1", "category": "management", "amount": "15000.00"},
            {"date": "2022-12-01", "property_id": "P1", "category": "rent", "amount": "20000.00"},
        ],
    )
    loss_year = compute(book, 2021)["A1"]
    assert loss_year.schedule.line_7a == 10000
    assert loss_year.schedule.line_7b == 12500
    assert loss_year.schedule.line_16 == -2500
    assert loss_year.schedule.line_18 == -2500 and loss_year.form.part_i["1"] == 0  # §512(a)(6)(C) floor on line 1
    assert loss_year.schedule.nol_out == 2500
    # Next year: income 20,000 × 50% = 10,000; the 2,500 NOL is used as is (80% limit = 8,000).
    next_year = compute(book, 2022)["A1"]
    assert next_year.schedule.nol_in == 2500
    assert next_year.schedule.line_17 == 2500
    assert next_year.schedule.line_18 == 7500


def test_r12_gain_uses_highest_debt_over_aab(tmp_path):
    """R12 — §1.514(b)-1(b)(3) Example 2: AAB $2,000,000; $1,000,000 principal throughout the 12 months;
    long-term gain $250,000 → 50% → $125,000."""
    book = write_book(
        tmp_path,
        properties=[land(cost="2000000.00", disposed_on="2021-12-31", amount_realized="2250000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "1000000.00"}],
        ledger=[{"date": "2021-12-31", "property_id": "P1", "category": "principal", "amount": "1000000.00",
                 "loan_id": "L1"}],
    )
    result = compute(book, 2021)["A1"]
    sale = result.property_years[0].disposition
    assert sale.gain == D("250000")
    assert sale.highest_acquisition_indebtedness == D("1000000")
    assert sale.ratio == D("0.5")
    assert sale.gain_reportable == D("125000")
    assert result.schedule.line_4a == 125000


def test_r14_interest_allocated_to_acquisition_debt(tmp_path):
    """R14 — §1.514(c)-1(a)(2) Example 3(b): interest income $200,000; $150,000 interest on a $2.5M loan of
    which $2M is acquisition indebtedness; 100% → deductions $150,000 × 2/2.5 = $120,000; net $80,000.
    Modelled as a $2.5M refinance of a $2M acquisition loan (the $0.5M excess is not acquisition debt)."""
    book = write_book(
        tmp_path,
        properties=[land(cost="2000000.00", acquired_on="2020-01-01")],
        loans=[
            {"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "2000000.00"},
            {"loan_id": "L2", "property_id": "P1", "originated_on": "2020-12-31", "principal": "2500000.00",
             "purpose": "refinance", "refinances": "L1"},
        ],
        ledger=[
            {"date": "2021-06-30", "property_id": "P1", "category": "other_income", "amount": "200000.00"},
            {"date": "2021-06-30", "property_id": "P1", "category": "interest", "amount": "150000.00", "loan_id": "L2"},
        ],
    )
    result = compute(book, 2021)["A1"]
    column = result.property_years[0]
    assert column.average_acquisition_indebtedness == D("2000000")
    assert column.ratio == D("1")
    assert column.other_deductions == D("120000")
    assert result.schedule.line_7a == 200000
    assert result.schedule.line_7b == 120000
    assert result.schedule.line_7c == 80000


def test_r17_property_acquired_subject_to_mortgage(tmp_path):
    """R17 — §1.514(c)-1(b)(1): property worth $150,000 acquired for $50,000 subject to a $100,000 mortgage
    the organization did not assume → acquisition indebtedness $100,000."""
    book = write_book(
        tmp_path,
        properties=[land(cost="150000.00", acquired_on="2021-03-15")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2015-05-01", "principal": "100000.00"}],
    )
    column = compute(book, 2021)["A1"].property_years[0]
    assert column.months[0].total == D("100000")
    assert column.average_acquisition_indebtedness == D("100000")


def test_r18_refinance_excess_and_pro_rata_payments(tmp_path):
    """R18 — §1.514(c)-1(c)(3): $500,000 of acquisition debt refinanced by a $600,000 note ($100,000 not
    acquisition debt); a $60,000 payment reduces acquisition indebtedness by $50,000 to $450,000."""
    book = write_book(
        tmp_path,
        properties=[land(cost="1000000.00", acquired_on="2020-01-01")],
        loans=[
            {"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "500000.00"},
            {"loan_id": "L2", "property_id": "P1", "originated_on": "2021-01-01", "principal": "600000.00",
             "purpose": "refinance", "refinances": "L1"},
        ],
        ledger=[
            {"date": "2021-01-01", "property_id": "P1", "category": "principal", "amount": "500000.00", "loan_id": "L1"},
            {"date": "2021-01-15", "property_id": "P1", "category": "principal", "amount": "60000.00", "loan_id": "L2"},
        ],
    )
    result = compute(book, 2021)["A1"]
    column = result.property_years[0]
    assert column.months[0].by_loan == {"L1": D("0"), "L2": D("500000")}  # the old loan is retired that day
    assert column.months[1].by_loan["L2"] == D("450000")
    loan = next(loan for loan in column.facts.loans if loan.loan_id == "L2")
    assert loan.balance(column.months[1].measured_on) - loan.acquisition_balance(column.months[1].measured_on) == D("90000")
    assert any("exceeded the old debt by 100,000.00" in flag for flag in result.flags)
