"""NOLs and capital-loss carryovers, worked by hand from the Code, the regulation and the IRS worksheet.

- Pre-2018 and post-2017 NOLs together: IRC §172(a)(2) — the deduction is the pre-2018 NOLs plus the
  lesser of the post-2017 NOLs and 80% of (taxable income − the pre-2018 NOLs deducted); Treas. Reg.
  §1.512(a)-6(h)(2): pre-2018 NOLs are deducted from total UBTI (Form 990-T line 6) first.
- Pre-2018 NOLs carry forward 20 years (IRC §172(b)(1)(A) as in force before 2018); used oldest first.
- Capital losses count in an NOL only up to capital gains (IRC §172(d)(2)(A)).
- Capital loss carryovers keep their character (IRC §1212(b)); the Capital Loss Carryover Worksheet of
  the Schedule D (Form 1041) instructions splits them.
"""

from __future__ import annotations

from decimal import Decimal as D

from tests.bookbuilder import compute, write_book
from udfi.engine.nol import POST2017, PRE2018, NolLayer, nol_year, post2017_limit
from udfi.engine.schedule_d import ScheduleD, capital_loss_carryover


def fully_financed_lot(tmp_path, rent: str, carryovers=(), year: int = 2022):
    """Land bought 2022-01-01 for 100,000 with a 100,000 loan: AAI = AAB = 100,000 → 100%, so the
    year's rent is all of Schedule A line 16 (no expenses)."""
    return write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 3, Boise, ID 83702",
                     "property_type": "land", "acquired_on": f"{year}-01-01", "cost_basis": "100000.00",
                     "land_value": "100000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": f"{year}-01-01", "principal": "100000.00"}],
        ledger=[{"date": f"{year}-06-01", "property_id": "P1", "category": "rent", "amount": rent}],
        carryovers=list(carryovers),
    )


def test_pre2018_nols_first_and_the_80_percent_base_reduced_by_them(tmp_path):
    """2022, line 16 = 50,000; pre-2018 NOL 20,000 (of 2016); post-2017 NOL 100,000 (of 2019).
      Form 990-T line 6 (pre-2018) = 20,000, deducted first.
      80% limit = 80% × (50,000 − 20,000) = 24,000 → Schedule A line 17 = 24,000; line 18 = 26,000.
      Form 990-T: line 1 = 26,000, line 6 = 20,000, line 7 = 6,000, line 11 = 6,000 − 1,000 = 5,000.
      (Applying 80% to line 16 alone, as udfi did before, gave line 17 = 40,000, line 18 = 10,000, line 6
      = 10,000 and UBTI 0.) Carried out: pre-2018 0, post-2017 76,000. Part IV line 4 shows the 20,000
      available and line 5 the 100,000, not reduced by this year's deductions."""
    book = fully_financed_lot(tmp_path, "50000.00", carryovers=[
        {"account_id": "A1", "tax_year": "2022", "kind": "pre2018_nol", "origin_year": "2016", "amount": "20000.00"},
        {"account_id": "A1", "tax_year": "2022", "kind": "post2017_nol", "origin_year": "2019", "amount": "100000.00"},
    ])
    result = compute(book, 2022)["A1"]
    schedule, form = result.schedule, result.form
    assert schedule.line_16 == 50000
    assert schedule.nol.pre2018_used == form.part_i["6"] == 20000
    assert schedule.nol.post2017_limit == 24000 and schedule.line_17 == 24000
    assert schedule.line_18 == form.part_i["1"] == 26000
    assert form.part_i["7"] == 6000 and form.ubti == 5000
    assert schedule.carry_out.pre2018_nol == 0 and schedule.carry_out.post2017_nol == 76000
    assert form.part_iv["4"] == 20000 and form.part_iv["5"][0]["amount"] == 100000


def test_the_80_percent_limit_is_rounded_down():
    """80% × 50,001 = 40,000.80: rounding half-up would allow 40,001, more than 80% of the base."""
    assert post2017_limit(50001, 0, D("0.80")) == 40000
    assert post2017_limit(50001, 1, D("0.80")) == 40000  # 80% × 50,000 exactly
    assert post2017_limit(9, 0, D("0.80")) == 7            # 7.2
    assert post2017_limit(50001, 0, None) is None


def test_no_limit_before_2021_but_pre2018_still_first():
    """2020 (CARES Act: no 80% limit): line 16 30,000; pre-2018 25,000; post-2017 10,000 →
    pre-2018 used 25,000; post-2017 used min(10,000, 30,000 − 25,000) = 5,000; 5,000 carried."""
    year = nol_year(2020, (NolLayer(PRE2018, 2015, 25000), NolLayer(POST2017, 2018, 10000)), 30000, None, 0)
    assert (year.pre2018_used, year.post2017_used, year.post2017_limit) == (25000, 5000, None)
    assert year.layers_out == (NolLayer(POST2017, 2018, 5000),)


def test_pre2018_nols_expire_after_20_years_and_are_used_oldest_first():
    """2022: pre-2018 NOLs of 2001 (3,000: last usable year 2021 → expired), 2002 (4,000: last year 2022)
    and 2010 (6,000); post-2017 NOLs of 2018 (5,000) and 2020 (10,000); line 16 = 20,000.
      pre-2018: 2002 fully (4,000), then 2010 fully (6,000) = 10,000 (line 6).
      80% × (20,000 − 10,000) = 8,000: the 2018 loss fully (5,000), then 3,000 of 2020; 7,000 of 2020 left."""
    layers = (NolLayer(PRE2018, 2010, 6000), NolLayer(PRE2018, 2001, 3000), NolLayer(PRE2018, 2002, 4000),
              NolLayer(POST2017, 2020, 10000), NolLayer(POST2017, 2018, 5000))
    year = nol_year(2022, layers, 20000, D("0.80"), 0)
    assert year.pre2018_available == 10000 and year.expired == 3000
    assert year.pre2018_used == 10000 and year.post2017_limit == 8000 and year.post2017_used == 8000
    assert year.layers_out == (NolLayer(POST2017, 2020, 7000),)
    by_origin = {(item.kind, item.origin_year): (item.used, item.expired, item.remaining) for item in year.schedule}
    assert by_origin[(PRE2018, 2001)] == (0, 3000, 0)
    assert by_origin[(PRE2018, 2002)] == (4000, 0, 0)
    assert by_origin[(POST2017, 2020)] == (3000, 0, 7000)


def test_expired_pre2018_nol_is_flagged_in_the_return(tmp_path):
    book = fully_financed_lot(tmp_path, "5000.00", carryovers=[
        {"account_id": "A1", "tax_year": "2022", "kind": "pre2018_nol", "origin_year": "2001", "amount": "3000.00"}])
    result = compute(book, 2022)["A1"]
    assert result.form.part_i["6"] == 0 and result.schedule.nol.expired == 3000
    assert any("pre-2018 NOL of 2001 (3,000) expired unused after 2021" in flag for flag in result.flags)


def test_capital_loss_does_not_make_an_nol(tmp_path):
    """2022: rent 2,000 on a fully financed lot (line 7(C) 2,000) and a second lot held for investment sold
    at a reportable long-term loss of 10,000 (cost 50,000 sold for 40,000, 100% financed).
      Schedule D line 19 = −10,000 → line 20 = 3,000 → 4c = −3,000; line 16 = 2,000 − 3,000 = −1,000.
      NOL: capital losses only up to capital gains (0) — line 16 without 4c = 2,000 → no NOL
      (before: an NOL of 1,000).
      Carryover worksheet: line 1 = −1,000; line 2 = 3,000; line 4 = −1,000 + 3,000 = 2,000; line 5 =
      2,000; line 10 = 10,000; line 12 = 2,000 − 0 = 2,000; line 14 = 10,000 − 2,000 = 8,000 long-term."""
    book = write_book(
        tmp_path,
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 3, Boise, ID 83702",
                     "property_type": "land", "acquired_on": "2020-01-01", "cost_basis": "100000.00",
                     "land_value": "100000.00"},
                    {"property_id": "P2", "account_id": "A1", "description": "Lot 4, Boise, ID 83702",
                     "property_type": "land", "acquired_on": "2020-01-01", "cost_basis": "50000.00",
                     "land_value": "50000.00", "disposed_on": "2022-12-31", "amount_realized": "40000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-01", "principal": "100000.00"},
               {"loan_id": "L2", "property_id": "P2", "originated_on": "2020-01-01", "principal": "50000.00"}],
        ledger=[{"date": f"{year}-06-01", "property_id": pid, "category": "taxes", "amount": "0.01"}
                for year in (2020, 2021) for pid in ("P1", "P2")]
        + [{"date": "2022-06-01", "property_id": "P1", "category": "rent", "amount": "2000.00"},
           {"date": "2022-06-01", "property_id": "P2", "category": "taxes", "amount": "0.01"}],
    )
    result = compute(book, 2022)["A1"]
    schedule = result.schedule
    assert schedule.schedule_d.line_19 == -10000 and schedule.line_4c == -3000
    assert schedule.line_16 == -1000
    assert schedule.loss_for_nol == 0 and schedule.nol_generated == 0
    worksheet = schedule.capital_loss_worksheet
    assert (worksheet.line_1, worksheet.line_2, worksheet.line_4, worksheet.line_5) == (-1000, 3000, 2000, 2000)
    assert (worksheet.line_9, worksheet.line_14) == (0, 8000)


def _schedule_d(line_7: int, line_16: int) -> ScheduleD:
    line_19 = line_7 + line_16
    return ScheduleD((), (), line_7, 0, line_7, line_16, 0, 0, line_16, line_7, line_16, 0, line_19,
                     min(-line_19, 3000) if line_19 < 0 else 0)


def test_carryover_worksheet_keeps_character():
    """Capital Loss Carryover Worksheet, net short-term loss 2,000 and net long-term loss 6,000 (line 19
    −8,000, line 20 3,000), taxable income 7,000 (after the 3,000 deduction):
      4 = 7,000 + 3,000 = 10,000; 5 = min(3,000, 10,000) = 3,000;
      6 = 2,000; 7 = 0; 8 = 3,000; 9 = max(2,000 − 3,000, 0) = 0 short-term;
      10 = 6,000; 11 = 0; 12 = 3,000 − 2,000 = 1,000; 13 = 1,000; 14 = 6,000 − 1,000 = 5,000 long-term.
    The allowance absorbs the short-term loss first (IRC §1212(b)(2)(A))."""
    result = capital_loss_carryover(_schedule_d(-2000, -6000), 7000)
    assert (result.line_4, result.line_5, result.line_9, result.line_14) == (10000, 3000, 0, 5000)


def test_carryover_worksheet_when_taxable_income_is_a_loss():
    """Net short-term loss 5,000, long-term gain 1,000 (line 19 −4,000, line 20 3,000), taxable income
    −9,000: 4 = −9,000 + 3,000 = −6,000 → 0; 5 = 0; 6 = 5,000; 7 = 1,000; 8 = 1,000; 9 = 4,000 short-term;
    no long-term loss → 14 = 0. Nothing of the allowance is used (IRC §1212(b)(2)(B))."""
    result = capital_loss_carryover(_schedule_d(-5000, 1000), -9000)
    assert (result.line_4, result.line_5, result.line_9, result.line_14) == (0, 0, 4000, 0)
