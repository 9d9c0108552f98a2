"""The character of a sale of debt-financed property, worked by hand from the Code and the forms.

Holding period (IRC §1222, §1223), §1231 property and Form 4797 (IRC §1231(a)–(c)), capital assets and
Schedule D (Form 1041), unrecaptured §1250 gain (IRC §1(h)(6)). Every book below is tiny and the
arithmetic is written out; the debt-financed share is IRC §514(a)(1), §514(c)(7).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.bookbuilder import compute, write_book
from udfi.engine.property_year import held_more_than_one_year


def land(**overrides) -> dict:
    row = {"property_id": "P1", "account_id": "A1", "description": "Lot 7, Reno, NV 89501", "property_type": "land",
           "acquired_on": "2022-02-01", "cost_basis": "100000.00", "land_value": "100000.00"}
    row.update(overrides)
    return row


@pytest.mark.parametrize("acquired, sold, long_term", [
    (dt.date(2021, 3, 15), dt.date(2022, 3, 15), False),  # exactly one year: not "more than 1 year"
    (dt.date(2021, 3, 15), dt.date(2022, 3, 16), True),   # the day after the anniversary
    (dt.date(2024, 2, 29), dt.date(2025, 2, 28), False),  # no Feb 29 in 2025: the year ends Feb 28
    (dt.date(2024, 2, 29), dt.date(2025, 3, 1), True),
    (dt.date(2022, 2, 1), dt.date(2022, 11, 30), False),
])
def test_holding_period_counts_from_the_day_after_acquisition(acquired, sold, long_term):
    """IRC §1222: long-term = held more than 1 year; §1223 / Rev. Rul. 66-7: the holding period starts
    the day after acquisition and includes the day of disposition."""
    assert held_more_than_one_year(acquired, sold) is long_term


def test_short_term_capital_gain_is_taxed_at_the_rate_schedule(tmp_path):
    """Land held for investment, bought 2022-02-01 and sold 2022-11-30 for 130,000 (cost 100,000);
    a 60,000 acquisition loan repaid at the sale.
      AAI: Feb (debt at acquisition) … Nov, 10 months × 60,000 ÷ 10 = 60,000; AAB (100,000 + 100,000) ÷ 2
      = 100,000; highest debt in the 12 months to the sale 60,000 → 60% (IRC §514(c)(7)).
      Gain 30,000 × 60% = 18,000, short-term (held 10 months): Form 8949 box C → Schedule D line 3 →
      line 19 = 18,000 = Schedule A line 4a, but net capital gain = smaller of line 18a (0) and line 19
      = 0, so no §1(h) rates and no unrecaptured §1250 gain (land is not depreciated anyway).
      Line 16 = 18,000 → UBTI = 18,000 − 1,000 = 17,000. 2022 trust rate schedule (Rev. Proc. 2021-45):
      2,750 × 10% = 275; (9,850 − 2,750) × 24% = 1,704; (13,450 − 9,850) × 35% = 1,260;
      (17,000 − 13,450) × 37% = 1,313.50; total 4,552.50 → 4,553."""
    book = write_book(
        tmp_path,
        properties=[land(disposed_on="2022-11-30", amount_realized="130000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2022-02-01", "principal": "60000.00"}],
        ledger=[{"date": "2022-11-30", "property_id": "P1", "category": "principal", "amount": "60000.00",
                 "loan_id": "L1"}],
    )
    result = compute(book, 2022)["A1"]
    sale = result.property_years[0].disposition
    assert (sale.holding_period, sale.character) == ("short_term", "capital")
    assert sale.ratio == D("0.6") and sale.gain_reportable == D("18000.00")
    assert sale.unrecaptured_1250_reportable == 0
    schedule_d = result.schedule.schedule_d
    assert [row.box for row in schedule_d.short_term_rows] == ["C"] and not schedule_d.long_term_rows
    assert (schedule_d.line_3, schedule_d.line_7, schedule_d.line_16, schedule_d.line_19) == (18000, 18000, 0, 18000)
    assert schedule_d.net_capital_gain == 0
    assert result.schedule.line_4a == 18000 and result.schedule.form_4797 is None
    assert result.form.ubti == 17000
    assert result.form.capital_gain_tax is None  # the tax rate schedule, not Schedule D
    assert result.form.part_ii["2"] == 4553


def test_rental_building_sold_within_a_year_is_ordinary(tmp_path):
    """A rental house held 2022-03-15 → 2022-12-20 is not §1231 property (held ≤ 1 year, IRC §1231(b)(1))
    and not a capital asset (depreciable property used in a trade or business, IRC §1221(a)(2)):
    Form 4797 Part II line 10, ordinary, Schedule A line 4b; no unrecaptured §1250 share.
      Building 160,000 (cost 200,000 − land 40,000), ADS 30 years, mid-month: in service mid-March to
      mid-December = 9 months = 18 half-months → 160,000 × 18 ÷ 720 = 4,000.00 of depreciation.
      Adjusted basis at the sale 200,000 − 4,000 = 196,000; sold for 216,000 → gain 20,000.
      Loan 100,000 throughout (repaid at the sale) → AAI 100,000 (10 months); AAB (200,000 + 196,000) ÷ 2
      = 198,000 → gain percentage 100,000 ÷ 198,000. Reportable gain 20,000 × 100,000/198,000 = 10,101.01.
      Form 4797 line 10 (g) = 10,101; (d) 216,000 × 0.50505… = 109,090.91 → 109,091; (e) 4,000 × 0.50505… =
      2,020.20 → 2,020; (f) = 109,091 + 2,020 − 10,101 = 101,010; line 17 = 10,101 = Schedule A line 4b."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "9 Oak St, Reno, NV 89501",
                     "property_type": "residential_rental", "acquired_on": "2022-03-15", "cost_basis": "200000.00",
                     "land_value": "40000.00", "disposed_on": "2022-12-20", "amount_realized": "216000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2022-03-15", "principal": "100000.00"}],
        ledger=[{"date": "2022-12-20", "property_id": "P1", "category": "principal", "amount": "100000.00",
                 "loan_id": "L1"}],
    )
    result = compute(book, 2022)["A1"]
    column = result.property_years[0]
    assert column.straight_line_depreciation == D("4000.00")
    sale = column.disposition
    assert (sale.holding_period, sale.character) == ("short_term", "ordinary")
    assert sale.gain == D("20000.00") and sale.gain_reportable == D("10101.01")
    assert sale.unrecaptured_1250_reportable == 0
    form = result.schedule.form_4797
    row = form.part_ii_rows[0]
    assert (row.gross_sales_price, row.depreciation_allowed, row.cost_or_basis, row.gain_or_loss) == \
        (109091, 2020, 101010, 10101)
    assert form.line_17 == 10101 and not form.part_i_rows and not form.part_iii
    assert result.schedule.line_4b == 10101 and result.schedule.line_4a == 0
    assert result.schedule.schedule_d is None and result.form.capital_gain_tax is None


def parking_lot_book(tmp_path, **overrides):
    """Land leased for parking (use = rental_business): §1231 property once held more than a year.
    Bought 2020-01-02 for 100,000 with a 60,000 interest-only loan; rent 1,000 and interest 250 a
    month, property tax 1,200 a year."""
    ledger = []
    for year in (2020, 2021, 2022):
        months = range(1, 13) if year < 2022 else range(1, 7)
        for month in months:
            ledger.append({"date": f"{year}-{month:02d}-05", "property_id": "P1", "category": "rent", "amount": "1000.00"})
            ledger.append({"date": f"{year}-{month:02d}-05", "property_id": "P1", "category": "interest",
                           "amount": "250.00", "loan_id": "L1"})
        ledger.append({"date": f"{year}-04-10", "property_id": "P1", "category": "taxes", "amount": "1200.00"})
    ledger.append({"date": "2022-06-30", "property_id": "P1", "category": "principal", "amount": "60000.00",
                   "loan_id": "L1"})
    return write_book(
        tmp_path,
        properties=[land(description="Parking lot, 4 Main St, Reno, NV 89501", acquired_on="2020-01-02",
                         use="rental_business", disposed_on="2022-06-30", amount_realized="80000.00", **overrides)],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-02", "principal": "60000.00"}],
        ledger=ledger,
    )


def test_section_1231_loss_is_ordinary_with_no_3000_limit_and_makes_an_nol(tmp_path):
    """2022: sold for 80,000 → loss 20,000; AAI Jan–Jun 60,000; AAB 100,000 → 60%; highest 60,000 → 60%.
      Reportable loss −12,000: §1231 property held > 1 year → Form 4797 Part I line 2; line 7 = −12,000,
      a net §1231 loss → ordinary (IRC §1231(a)(2)): line 11 = −12,000 → line 17 → Schedule A 4b = −12,000,
      no $3,000 limit (that is for capital losses, §1211(b)).
      Part V: rent 6,000 × 60% = 3,600 (line 7); deductions (interest 1,500 + taxes 1,200) × 60% = 1,620
      (line 9); 7(C) = 1,980. Line 13(C) = −12,000 + 1,980 = −10,020 = line 16 → post-2017 NOL 10,020.
      The 12,000 net §1231 loss is open for recapture in 2023–2027 (IRC §1231(c))."""
    result = compute(parking_lot_book(tmp_path), 2022)["A1"]
    sale = result.property_years[0].disposition
    assert (sale.holding_period, sale.use, sale.character) == ("long_term", "rental_business", "section_1231")
    assert sale.gain_reportable == D("-12000.00")
    form = result.schedule.form_4797
    row = form.part_i_rows[0]
    assert (row.gross_sales_price, row.depreciation_allowed, row.cost_or_basis, row.gain_or_loss) == \
        (48000, 0, 60000, -12000)
    assert (form.line_7, form.line_8, form.line_9, form.line_11, form.line_17) == (-12000, 0, 0, -12000, -12000)
    schedule = result.schedule
    assert (schedule.part_v_line_8, schedule.part_v_line_10) == (3600, 1620)
    assert (schedule.line_4a, schedule.line_4b, schedule.line_4c) == (0, -12000, 0)
    assert schedule.line_16 == -10020 and schedule.nol_generated == 10020
    assert schedule.carry_out.capital_loss == 0
    assert schedule.carry_out.section_1231_losses == ((2022, 12000),)


def test_section_1231_gain_recaptures_prior_losses_as_ordinary(tmp_path):
    """2023: a §1231 lot (bought 2020-01-02 for 50,000, 30,000 interest-only loan, taxes 500 a year) sold
    2023-03-31 for 90,000 → gain 40,000; AAI Jan–Mar 30,000, AAB 50,000 → 60% → reportable 24,000.
    carryovers.csv: nonrecaptured net §1231 losses of 2017 (8,000 — outside the 5-year look-back
    2018–2022) and 2020 (5,000) and 2022 (12,000).
      Form 4797 line 7 = 24,000; line 8 = the 2020 and 2022 losses, oldest first, up to 24,000:
      5,000 + 12,000 = 17,000 (IRC §1231(c)); line 9 = 7,000 → Schedule D line 14 → line 19 = 7,000 =
      Schedule A 4a (long-term); line 12 = 17,000 → line 17 = 17,000 = Schedule A 4b (ordinary).
      Land has no depreciation, so no unrecaptured §1250 gain; net capital gain 7,000."""
    ledger = [{"date": f"{year}-04-10", "property_id": "P1", "category": "taxes", "amount": "500.00"}
              for year in (2020, 2021, 2022)]
    ledger.append({"date": "2023-03-31", "property_id": "P1", "category": "principal", "amount": "30000.00",
                   "loan_id": "L1"})
    carryovers = [{"account_id": "A1", "tax_year": "2023", "kind": "section_1231_loss", "origin_year": year,
                    "amount": amount} for year, amount in (("2017", "8000.00"), ("2020", "5000.00"),
                                                           ("2022", "12000.00"))]
    book = write_book(
        tmp_path,
        properties=[land(acquired_on="2020-01-02", cost_basis="50000.00", land_value="50000.00", use="rental_business",
                         disposed_on="2023-03-31", amount_realized="90000.00")],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-02", "principal": "30000.00"}],
        ledger=ledger, carryovers=carryovers,
    )
    result = compute(book, 2023)["A1"]
    assert result.property_years[0].disposition.gain_reportable == D("24000.00")
    form = result.schedule.form_4797
    assert (form.line_7, form.line_8, form.line_9, form.line_12, form.line_17) == (24000, 17000, 7000, 17000, 17000)
    assert form.recaptured == ((2020, 5000), (2022, 12000))
    assert result.schedule.schedule_d.line_14 == 7000
    assert (result.schedule.line_4a, result.schedule.line_4b) == (7000, 17000)
    assert result.schedule.net_capital_gain == 7000 and result.schedule.unrecaptured_1250_gain == 0
    assert result.schedule.carry_out.section_1231_losses == ()


def test_long_term_rental_gain_keeps_the_unrecaptured_1250_share(tmp_path):
    """The sample book's sale (P-COMMERCE, nonresidential, 2020-02-03 → 2023-06-30): §1231 property at a
    gain → Form 4797 Part III → line 32 → line 6 → line 7 → line 9 (no prior losses) → Schedule D line 14.
    The smaller of line 22 (depreciation share) and line 24 (gain share) is unrecaptured §1250 gain
    (Schedule D line 18b worksheet lines 1–9), taxed at up to 25% in the §1(h) computation."""
    from udfi.validate import validate_book
    from udfi.engine.compute import compute_book

    report = validate_book("fixtures/sample")
    result = next(r for r in compute_book(report.book, 2023) if r.account_id == "IRA-CHEN")
    form = result.schedule.form_4797
    part_iii = form.part_iii[0]
    assert part_iii.line_24 == part_iii.line_20 - part_iii.line_23 and part_iii.line_23 == part_iii.line_21 - part_iii.line_22
    assert form.line_32 == form.line_30 == part_iii.line_24 == form.line_6 == form.line_7 == form.line_9
    assert result.schedule.schedule_d.line_14 == form.line_9 == result.schedule.line_4a
    assert result.schedule.schedule_d.line_18b == min(part_iii.line_22, part_iii.line_24)
    assert result.form.capital_gain_tax is not None
