"""Form 2220, Underpayment of Estimated Tax by Corporations: the regular method, for a trust that
owes the §511 tax (an IRA or a §401(a) trust filing Form 990-T).

Who: an organization subject to the tax imposed by §511 "shall be treated as a corporation" for
estimated tax (IRC §6655(g)(3)(A)); its penalty is figured on Form 2220, not Form 2210, and goes
on Form 990-T Part III line 8.

Scope: Part I lines 1–5, Part II line 8 (large organization), Part III lines 9–18 and Part IV
lines 19–38. Out of scope: the annualized income and adjusted seasonal installment methods
(§6655(e); Form 2220 Part II lines 6–7 and Schedule A), which can only lower the required
installments of a trust whose income came late in the year, and regional disaster postponements
(§7508A) other than the nationwide 2020 one (parameters/estimated_tax_postponements.yaml).

End of the penalty period (line 19). §6655(b)(2)(A) ends it on the 15th day of the 4th month
after the year; §6655(g)(3) applies that "by substituting '5th month' for '4th month'" for every
organization described in (g)(3)(A), trusts included: the statute has no exception for a trust
whose return is due in the 4th month. Form 2220 line 19 says the same ("Form 990-PF and Form
990-T filers: Use 5th month instead of 4th month"). So the period ends on the earlier of the day
a part is paid and the 15th day of the 5th month (May 15 for a calendar year), a fixed date, not
rolled: it ends a period, it is not a day an act is due. The return's own due date (April 15)
does not end it; a payment with the return does.

Amounts: form lines are whole dollars; inside, Decimal. Part IV amounts are kept unrounded and
only totals are rounded, per the instructions' rule for amounts that are added.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Sequence

from udfi import parameters
from udfi.engine.calendar import next_business_day
from udfi.engine.form_2220_part_iv import (PenaltyColumn, RatePeriod, period_days_of_year, periods_with_days,
                                           us_date, exact_sum, part_iv_column, rate_periods)
from udfi.engine.records import record
from udfi.money import ONE, ZERO, whole_dollars

QUARTER = Decimal("0.25")


REFERENCES = (
    "IRC §6655(a)–(d), (f), (g)(2)–(3)",
    "IRC §6621(a)(2), (b)",
    "Form 2220 and Instructions for Form 2220 (regular method)",
)


@record
class Form2220:
    """Every line of Form 2220 (regular method). Columns are tuples (a)–(d); None is a cell the
    form greys out or a line skipped; lines 4–38 are empty when line 3 is under $500."""

    tax_year: int
    line_1: int
    line_2a: int
    line_2b: int
    line_2c: int
    line_2d: int
    line_3: int
    line_4: int | None
    line_4_skipped: str | None        # why line 4 is skipped, in words
    line_5: int | None
    line_8: bool                      # large organization using the prior year's tax for (a)
    line_9: tuple[dt.date, ...]
    line_10: tuple[int | None, ...]
    line_11: tuple[int | None, ...]
    line_12: tuple[int | None, ...]
    line_13: tuple[int | None, ...]
    line_14: tuple[int | None, ...]
    line_15: tuple[int | None, ...]
    line_16: tuple[int | None, ...]
    line_17: tuple[int | None, ...]
    line_18: tuple[int | None, ...]
    required_installments: tuple[Decimal, ...]   # line 10 unrounded (25% of a whole-dollar line 5)
    underpayments: tuple[Decimal, ...]           # line 17 unrounded
    part_iv: tuple[PenaltyColumn, ...]
    rate_periods: tuple[RatePeriod, ...]
    penalty_period_end: dt.date | None
    penalty_exact: Decimal
    line_38: int
    penalty: int                      # line 38 → Form 990-T Part III line 8
    required: bool                    # a penalty is owed
    must_attach: bool                 # a Part II box is checked: Form 2220 must be attached
    explanation: str
    references: tuple[str, ...]


def line_1(total_tax: int) -> int:
    """1 Total tax (see instructions)."""
    return int(total_tax)


def line_3(line_1_amount: int, line_2d: int) -> int:
    """3 Subtract line 2d from line 1. If the result is less than $500, do not complete or file this
    form. The corporation does not owe the penalty."""
    return line_1_amount - line_2d


def line_4(prior_year_tax: int | None) -> tuple[int | None, str | None]:
    """4 Enter the tax shown on the corporation's prior year income tax return. Caution: If the tax is
    zero or the tax year was for less than 12 months, skip this line and enter the amount from line 3
    on line 5 (§6655(d)(1)(B): a 12-month preceding year whose return showed a liability)."""
    if prior_year_tax is None:
        return None, "no prior-year return of 12 months in the book"
    if prior_year_tax <= 0:
        return None, "the prior-year return showed no tax"
    return int(prior_year_tax), None


def line_5(line_3_amount: int, line_4_amount: int | None) -> int:
    """5 Required annual payment. Enter the smaller of line 3 or line 4. If the corporation is
    required to skip line 4, enter the amount from line 3."""
    return line_3_amount if line_4_amount is None else min(line_3_amount, line_4_amount)


def line_8(large_organization: bool, line_3_amount: int, line_4_amount: int | None) -> bool:
    """8 The corporation is a large corporation figuring its first required installment based on the
    prior year's tax (§6655(d)(2)(B))."""
    return large_organization and line_4_amount is not None and line_4_amount < line_3_amount


def is_large_organization(tax_year: int, testing_period_ubti: Sequence[int]) -> bool:
    """§6655(g)(2), (g)(3)(C): taxable income (for a §511 trust, unrelated business taxable income
    without NOL carryovers) of $1,000,000 or more in any of the 3 preceding taxable years."""
    testing_years, threshold = _large_organization_rule(tax_year)
    if len(testing_period_ubti) > testing_years:
        raise ValueError(f"the testing period is the {testing_years} preceding taxable years; "
                         f"got {len(testing_period_ubti)} amounts")
    return any(Decimal(amount) >= threshold for amount in testing_period_ubti)


@lru_cache(maxsize=None)   # asked for every account and year
def _large_organization_rule(tax_year: int) -> tuple[int, Decimal]:
    rule = parameters.value("large_organization_threshold", tax_year)
    return rule["testing_years"], Decimal(rule["amount"])


@lru_cache(maxsize=None)
def _estimated_tax_threshold(tax_year: int) -> Decimal:
    return Decimal(parameters.value("due_dates", tax_year)["estimated_tax_threshold"])


@lru_cache(maxsize=None)
def line_9(tax_year: int) -> tuple[dt.date, ...]:
    """9 Installment due dates: the 15th day of the 4th, 6th, 9th and 12th months of the tax year
    (§6655(c)(2)), moved to the next business day (§7503) or to a nationwide postponed date (§7508A)."""
    rule = parameters.value("due_dates", tax_year)
    postponed = parameters.value("estimated_tax_postponements", tax_year)["installments"]
    dates = []
    for number, item in enumerate(rule["estimated_tax_installments"], start=1):
        day = next_business_day(dt.date(tax_year, item["month"], item["day"]), rule["holiday_calendar"])
        dates.append(postponed.get(number, day))
    return tuple(dates)


def line_10(line_3_amount: int, line_4_amount: int | None, line_5_amount: int, box_8: bool) -> tuple[Decimal, ...]:
    """10 Required installments. If the box on line 8 is checked, see instructions for the amounts to
    enter. Otherwise enter 25% (0.25) of line 5 in each column (§6655(d)(1)(A)). A large corporation
    may use the prior year's tax for the first installment only and adds the reduction to the
    second (§6655(d)(2)(B))."""
    if not box_8:
        return (Decimal(line_5_amount) * QUARTER,) * 4
    current = Decimal(line_3_amount) * QUARTER
    first = Decimal(line_4_amount) * QUARTER
    return first, current + (current - first), current, current


def line_11(due_dates: Sequence[dt.date], payments: Sequence[tuple[dt.date, Decimal]]) -> tuple[Decimal, ...]:
    """11 Estimated tax paid or credited for each period: column (a) what was paid by its due date,
    each later column what was paid after the previous due date through its own."""
    totals = [ZERO] * 4
    for day, amount in payments:
        for index, due in enumerate(due_dates):
            if day <= due:
                totals[index] += amount
                break
    return tuple(totals)


def lines_12_to_18(line_10_amounts: Sequence[Decimal], line_11_amounts: Sequence[Decimal]) -> dict[int, list]:
    """12–18, column by column as the form carries them:
    12 Enter amount, if any, from line 18 of the preceding column. 13 Add lines 11 and 12.
    14 Add amounts on lines 16 and 17 of the preceding column. 15 Subtract line 14 from line 13. If
    zero or less, enter -0-. (Column (a): line 11.) 16 If the amount on line 15 is zero, subtract
    line 13 from line 14. Otherwise, enter -0-. 17 Underpayment. If line 15 is less than or equal to
    line 10, subtract line 15 from line 10. 18 Overpayment. If line 10 is less than line 15,
    subtract line 10 from line 15."""
    lines: dict[int, list] = {number: [None] * 4 for number in range(12, 19)}
    for index in range(4):
        if index == 0:
            lines[15][0] = line_11_amounts[0]
        else:
            lines[12][index] = lines[18][index - 1] or ZERO
            lines[13][index] = line_11_amounts[index] + lines[12][index]
            lines[14][index] = (lines[16][index - 1] or ZERO) + lines[17][index - 1]
            lines[15][index] = max(lines[13][index] - lines[14][index], ZERO)
            if index < 3:
                lines[16][index] = lines[14][index] - lines[13][index] if lines[15][index] == 0 else ZERO
        paid, required = lines[15][index], line_10_amounts[index]
        lines[17][index] = required - paid if paid <= required else ZERO
        if index < 3:
            lines[18][index] = paid - required if paid > required else ZERO
    return lines


def apply_payments(required: Sequence[Decimal], due_dates: Sequence[dt.date],
                   payments: Sequence[tuple[dt.date, Decimal]], settled_on: dt.date,
                   settled_by: str) -> tuple[list[tuple[int, Decimal, dt.date, str]], Decimal]:
    """§6655(b)(3): "a payment of estimated tax shall be credited against unpaid required
    installments in the order in which such installments are required to be paid". Returns the
    late parts (installment index, amount, date paid, what ended it) and what the balance paid on
    `settled_on` (everything still unpaid then) came to."""
    unpaid = list(required)
    late: list[tuple[int, Decimal, dt.date, str]] = []
    for day, amount in sorted(payments, key=lambda item: item[0]):
        if day > settled_on:
            break
        for index in range(4):
            if amount <= 0:
                break
            applied = min(unpaid[index], amount)
            if applied > 0:
                if day > due_dates[index]:
                    late.append((index, applied, day, "payment"))
                unpaid[index] -= applied
                amount -= applied
    balance = sum(unpaid, ZERO)
    for index in range(4):
        if unpaid[index] > 0 and settled_on > due_dates[index]:
            late.append((index, unpaid[index], settled_on, settled_by))
    return late, balance


def _money(value: int | Decimal, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"{what} must be whole dollars (int) or Decimal, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return Decimal(value)


def _whole(values: Sequence[Decimal | None]) -> tuple[int | None, ...]:
    # a zero (most cells: nothing paid, nothing over) is 0 without rounding it; a Decimal is rounded
    # as `whole_dollars` rounds it (the same quantize), without its call and type dispatch
    return tuple([None if value is None else 0 if not value
                  else int(value.quantize(ONE, rounding=ROUND_HALF_UP)) if type(value) is Decimal
                  else whole_dollars(value) for value in values])


@lru_cache(maxsize=4096)   # immutable, and the same few small taxes (zero above all) recur for every account
def _not_completed(tax_year: int, line_3_amount: int) -> Form2220:
    """The form of a year whose line 3 is under the threshold: lines 1–3 only (what follows line 3 is
    not completed), the same for every trust with that line 3."""
    threshold = _estimated_tax_threshold(tax_year)
    return Form2220(
        tax_year=tax_year, line_1=line_3_amount, line_2a=0, line_2b=0, line_2c=0, line_2d=0, line_3=line_3_amount,
        line_4=None, line_4_skipped=None, line_5=None, line_8=False, line_9=(),
        **{f"line_{number}": () for number in range(10, 19)},
        required_installments=(), underpayments=(), part_iv=(), rate_periods=(),
        penalty_period_end=None, penalty_exact=ZERO, line_38=0, penalty=0, required=False, must_attach=False,
        explanation=(f"Total tax ${line_3_amount:,} is under ${threshold:,}: no estimated tax penalty "
                     "(IRC §6655(f)); Form 2220 is not completed."),
        references=("IRC §6655(f)", "Form 2220 line 3"),
    )


@lru_cache(maxsize=None)
def _references(tax_year: int, used: frozenset[int]) -> tuple[str, ...]:
    """The form's references: the law, the year's nationwide postponement if any, and the revenue
    rulings of the rates used (`rate_periods(tax_year, used)`), each once in period order."""
    rate_references = tuple(dict.fromkeys(p.reference for p in rate_periods(tax_year, used) if p.reference))
    postponement = parameters.value("estimated_tax_postponements", tax_year)
    postponed = (postponement["reference"],) if postponement["installments"] else ()
    return REFERENCES + postponed + rate_references


def form_2220(tax_year: int, total_tax: int, prior_year_tax: int | None,
              payments: Sequence[tuple[dt.date, int]], prior_year_overpayment: int = 0,
              paid_through: dt.date | None = None, *, large_organization: bool = False) -> Form2220:
    """Form 2220 for one trust and tax year (calendar year).

    `total_tax`: the tax for estimated-tax purposes (Form 990-T total tax). `prior_year_tax`: the tax
    shown on the preceding year's return, or None when that year was not a 12-month year or no
    return was filed. `payments`: (date, amount) of every payment of this year's tax (estimated
    deposits, the Form 8868 deposit). `prior_year_overpayment`: credited from last year's return;
    counts as paid on the first installment date. `paid_through`: the day the balance still unpaid
    is paid (e.g. with the return); None when it is not paid before the penalty period ends.
    `large_organization`: see `is_large_organization`.
    """
    total = _money(total_tax, "total tax")
    if prior_year_tax is not None:
        _money(prior_year_tax, "prior-year tax")
    dated = [(day, _money(amount, f"payment of {day}")) for day, amount in payments]
    credit = _money(prior_year_overpayment, "prior-year overpayment")
    l1 = line_1(whole_dollars(total))
    l2 = 0  # personal holding company tax, look-back interest, fuel credit: none for a §511 trust
    l3 = line_3(l1, l2)
    if l3 < _estimated_tax_threshold(tax_year):
        return _not_completed(tax_year, l3)
    l4, l4_skipped = line_4(prior_year_tax)
    l5 = line_5(l3, l4)
    box_8 = line_8(large_organization, l3, l4)
    due = line_9(tax_year)
    required = line_10(l3, l4, l5, box_8)
    if credit:
        dated.append((due[0], credit))
    end = dt.date(tax_year + 1, 5, 15)  # 15th day of the 5th month after the year (§6655(g)(3))
    settled_on, settled_by = end, "end of penalty period"
    if paid_through is not None and paid_through < end:
        settled_on, settled_by = paid_through, "balance paid"
    late, balance = apply_payments(required, due, dated, settled_on, settled_by)
    paid_in_year = list(dated)
    if balance and settled_by == "balance paid":
        paid_in_year.append((settled_on, balance))
    paid = line_11(due, paid_in_year)
    lines = lines_12_to_18(required, paid)
    used: set[int] = set()
    for index, _, on, _ in late:
        used |= periods_with_days(tax_year, due[index], on)
    used_key = frozenset(used)
    periods = rate_periods(tax_year, used_key)
    columns = tuple(part_iv_column(index + 1, due[index], amount, on, how, periods,
                                   period_days_of_year(tax_year, used_key, due[index], on))
                    for index, amount, on, how in sorted(late, key=lambda part: (part[0], part[2])))
    exact = exact_sum(columns)
    penalty = whole_dollars(exact)
    references = _references(tax_year, used_key)
    if penalty:
        explanation = (f"Required installments total ${whole_dollars(sum(required, ZERO)):,}; each unpaid "
                       "part accrues the IRC §6621 underpayment rate from its due date to the day it was "
                       f"paid or {us_date(settled_on)}, whichever is earlier (§6655(b)(2), (g)(3)).")
    elif late:
        explanation = "Installments were paid late by amounts too small to round to a dollar of penalty."
    else:
        explanation = "Every required installment was paid by its due date: no penalty."
    return Form2220(
        tax_year=tax_year, line_1=l1, line_2a=0, line_2b=0, line_2c=0, line_2d=l2, line_3=l3,
        line_4=l4, line_4_skipped=l4_skipped, line_5=l5, line_8=box_8, line_9=due,
        line_10=_whole(required), line_11=_whole(paid), line_12=_whole(lines[12]), line_13=_whole(lines[13]),
        line_14=_whole(lines[14]), line_15=_whole(lines[15]), line_16=_whole(lines[16]), line_17=_whole(lines[17]),
        line_18=_whole(lines[18]),
        required_installments=required, underpayments=tuple(lines[17]), part_iv=columns,
        rate_periods=periods,
        penalty_period_end=end, penalty_exact=exact, line_38=penalty, penalty=penalty,
        required=penalty > 0, must_attach=box_8, explanation=explanation, references=references,
    )
