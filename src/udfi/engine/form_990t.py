"""Form 990-T (2020+ layout), Parts I–IV, for a trust with one Schedule A per unrelated trade or
business (engine/silos.py).

Functions are named by line and quote the form's caption. Whole dollars throughout.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from udfi.engine.form_2220 import Form2220
from udfi.engine.records import record
from udfi.engine.schedule_a import ScheduleA
from udfi.engine.silos import Silos
from udfi.engine.tax import CapitalGainTax, capital_gain_tax, trust_rate_tax
from udfi.money import whole_dollars
from udfi.parameters import TaxYearParameters


def part_i_line_1(silos: Silos) -> int:
    """1 Total of unrelated business taxable income computed from all unrelated trades or businesses:
    the sum of every Schedule A's line 18, each already floored at zero (IRC §512(a)(6)(B)-(C))."""
    return silos.line_1


def part_i_line_6(silos: Silos) -> int:
    """6 Deduction for net operating loss arising in tax years beginning before January 1, 2018. Deducted
    from total UBTI before any post-2017 NOL (Treas. Reg. §1.512(a)-6(h)(2); IRC §172(a)(2)(A)), so the
    80% base of each silo's post-2017 deduction on its Schedule A line 17 is already reduced by the part
    allocated to that silo."""
    return silos.pre2018_used


def part_i_line_8(parameters: TaxYearParameters) -> int:
    """8 Specific deduction (generally $1,000, but see instructions for exceptions)."""
    return whole_dollars(parameters.specific_deduction)


def part_i_line_11(line_7: int, line_10: int) -> int:
    """11 Unrelated business taxable income. Subtract line 10 from line 7. If line 10 is greater than
    line 7, enter zero."""
    return max(line_7 - line_10, 0)


def part_ii_line_2(line_11: int, schedule: ScheduleA, parameters: TaxYearParameters) -> tuple[int, CapitalGainTax | None]:
    """2 Trusts taxable at trust rates. Income tax on the amount on Part I, line 11 from: Tax rate
    schedule or Schedule D (Form 1041). The Schedule D computation (IRC §1(h)) applies when there is net
    capital gain — a short-term gain alone is taxed at the schedule's rates."""
    if schedule.net_capital_gain > 0 and line_11 > 0:
        computation = capital_gain_tax(Decimal(line_11), Decimal(schedule.net_capital_gain),
                                       Decimal(schedule.unrecaptured_1250_gain), parameters)
        return whole_dollars(computation.tax), computation
    return whole_dollars(trust_rate_tax(Decimal(line_11), parameters)), None


@record
class Payments:
    prior_year_overpayment: int
    estimated: int
    extension: int
    dated: tuple[tuple[dt.date, Decimal], ...] = ()   # every estimated and Form 8868 payment (for Form 2220)


@record
class Form990T:
    part_i: dict
    part_ii: dict
    part_iii: dict
    part_iv: dict
    pre2018_in: int
    pre2018_used: int
    capital_gain_tax: CapitalGainTax | None
    form_2220: Form2220 | None = None

    @property
    def ubti(self) -> int:
        return self.part_i["11"]

    @property
    def total_tax(self) -> int:
        return self.part_iii["4"]

    def as_lines(self) -> dict:
        return {"part_i": self.part_i, "part_ii": self.part_ii, "part_iii": self.part_iii, "part_iv": self.part_iv}


def form_990t(silos: Silos, payments: Payments, parameters: TaxYearParameters) -> Form990T:
    schedule = silos.investment.schedule   # capital gains arise only in the investment-activities silo
    line_1 = part_i_line_1(silos)
    line_3 = line_1  # line 2 is reserved
    line_4 = 0       # charitable contributions: none for an IRA's debt-financed rentals
    line_5 = line_3 - line_4
    line_6 = part_i_line_6(silos)
    line_7 = line_5 - line_6
    line_8 = part_i_line_8(parameters)
    line_9 = 0       # trusts' §199A deduction: not claimed (README Assumptions)
    line_10 = line_8 + line_9
    line_11 = part_i_line_11(line_7, line_10)
    tax, computation = part_ii_line_2(line_11, schedule, parameters)
    total = tax      # lines 3–6 (proxy tax, other, AMT, noncompliant facility): none
    credits = 0
    part_iii_2 = total - credits
    part_iii_4 = part_iii_2  # line 3 other amounts due: none
    payments_total = payments.prior_year_overpayment + payments.estimated + payments.extension
    pre2018_available = silos.pre2018_available
    return Form990T(
        part_i={"1": line_1, "3": line_3, "4": line_4, "5": line_5, "6": line_6, "7": line_7, "8": line_8,
                "9": line_9, "10": line_10, "11": line_11},
        part_ii={"2": tax, "7": total},
        part_iii={"2": part_iii_2, "4": part_iii_4, "6a": payments.prior_year_overpayment,
                  "6b": payments.estimated, "6c": payments.extension, "7": payments_total,
                  "9": max(part_iii_4 - payments_total, 0), "10": max(payments_total - part_iii_4, 0)},
        # Part IV lines 4–5: the carryovers available, not reduced by this year's deduction.
        part_iv={"4": pre2018_available, "5": silos.part_iv_line_5()},
        pre2018_in=pre2018_available, pre2018_used=line_6, capital_gain_tax=computation,
    )


def part_iii_line_8(form_2220: Form2220 | None) -> int:
    """8 Enter any estimated tax penalty. See instructions. Check if Form 2220 is attached: the
    Form 2220 line 38 penalty (IRC §6655)."""
    return 0 if form_2220 is None else form_2220.penalty


def with_estimated_tax_penalty(form: Form990T, form_2220: Form2220 | None) -> Form990T:
    """The return with Part III line 8 and the lines after it: 9 "Tax due. If line 7 is smaller than the
    total of lines 4 and 8, enter amount owed"; 10 "Overpayment. If line 7 is larger than the total of
    lines 4 and 8, enter amount overpaid"."""
    line_8 = part_iii_line_8(form_2220)
    part_iii = dict(form.part_iii)
    owed = part_iii["4"] + line_8
    part_iii.update({"8": line_8, "9": max(owed - part_iii["7"], 0), "10": max(part_iii["7"] - owed, 0)})
    # dataclasses.replace() without its per-call field introspection (done for every return)
    return Form990T(part_i=form.part_i, part_ii=form.part_ii, part_iii=part_iii, part_iv=form.part_iv,
                    pre2018_in=form.pre2018_in, pre2018_used=form.pre2018_used,
                    capital_gain_tax=form.capital_gain_tax, form_2220=form_2220)
