"""Form 2220 Part IV, the penalty: its eight rate periods (lines 21–36, each with its §6621 underpayment
rate) and one column per underpayment or part of one (lines 19–37), with the exact sum of line 38.
`engine.form_2220` builds the form around them."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Sequence

from udfi import parameters
from udfi.engine.records import record
from udfi.money import ZERO, whole_dollars

COLUMNS = ("a", "b", "c", "d")

# Part IV rate periods as the form prints them: days on line 20 "after" one date "and before" the
# other, dates as (years after the tax year, month, day). Each period lies in one calendar quarter
# whose §6621 rate applies, divided by the days of that calendar year (the form's "365" or "366").
RATE_PERIOD_LAYOUT = (
    (21, 22, (0, 4, 15), (0, 7, 1)),
    (23, 24, (0, 6, 30), (0, 10, 1)),
    (25, 26, (0, 9, 30), (1, 1, 1)),
    (27, 28, (0, 12, 31), (1, 4, 1)),
    (29, 30, (1, 3, 31), (1, 7, 1)),
    (31, 32, (1, 6, 30), (1, 10, 1)),
    (33, 34, (1, 9, 30), (2, 1, 1)),
    (35, 36, (1, 12, 31), (2, 3, 16)),
)


@record
class RatePeriod:
    """One rate period of Part IV (lines 21/22 … 35/36); `rate` is None where no column has a day
    in it (its rate may not be published yet and is not needed)."""

    days_line: int
    penalty_line: int
    after: dt.date
    before: dt.date
    days_in_year: int
    rate: Decimal | None
    reference: str | None

    @property
    def caption(self) -> str:
        return f"Number of days on line 20 after {us_date(self.after)} and before {us_date(self.before)}"

    def days_of(self, start: dt.date, end: dt.date) -> int:
        """Days d with start < d ≤ end that lie in this period (after < d < before)."""
        return _days_within(start, end, self.after, self.before)


def us_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


@lru_cache(maxsize=4096)   # a handful of due dates and payment days recur across every account
def _days_within(start: dt.date, end: dt.date, after: dt.date, before: dt.date) -> int:
    first = max(start, after)
    last = min(end, before - dt.timedelta(days=1))
    return max((last - first).days, 0)


@record
class PenaltyColumn:
    """One Part IV column: an installment's underpayment, or the part of it that one payment paid
    ("If more than one payment was applied to fully pay the underpayment, use a separate column")."""

    installment: int                  # 1–4: Part III column (a)–(d)
    due_date: dt.date                 # line 9
    underpayment: Decimal             # the part of line 17 this column carries
    line_19: dt.date
    ended_by: str                     # "payment", "balance paid" or "end of penalty period"
    line_20: int
    days: tuple[int, ...]             # lines 21, 23, …, 35
    products: tuple[Decimal, ...]     # underpayment × days × rate of each period (exact)
    divisors: tuple[int, ...]         # 365 or 366 for each period

    @property
    def column(self) -> str:
        return COLUMNS[self.installment - 1]

    @property
    def penalties(self) -> tuple[Decimal, ...]:
        """Lines 22, 24, …, 36, unrounded."""
        return tuple(product / divisor for product, divisor in zip(self.products, self.divisors))

    @property
    def line_37_exact(self) -> Decimal:
        return exact_sum([self])

    @property
    def line_37(self) -> int:
        """37 Add lines 22, 24, 26, 28, 30, 32, 34, and 36."""
        return whole_dollars(self.line_37_exact)

    def line(self, number: int) -> int:
        """Lines 21–36 of this column in whole dollars (days on odd lines, penalty on even)."""
        index = (number - 21) // 2
        return self.days[index] if number % 2 else whole_dollars(self.penalties[index])


def exact_sum(columns: Sequence[PenaltyColumn]) -> Decimal:
    """The sum of the columns' penalties, dividing once per divisor so that the same products give
    the same total however they are split into columns."""
    by_divisor: dict[int, Decimal] = {}
    for column in columns:
        for product, divisor in zip(column.products, column.divisors):
            if product is ZERO and divisor in by_divisor:
                continue   # x + 0 is x, digit for digit (x's exponent is at most 0, ZERO's is 0)
            by_divisor[divisor] = by_divisor.get(divisor, ZERO) + product
    return sum((total / divisor for divisor, total in sorted(by_divisor.items())), ZERO)


@lru_cache(maxsize=None)
def underpayment_rate(year: int, quarter: int) -> tuple[Decimal, str]:
    """The §6621(a)(2) underpayment rate for a calendar quarter, with its revenue ruling."""
    entry = parameters.quarterly_value("underpayment_rates", year, quarter)
    return Decimal(entry["rate"]), entry["reference"]


@lru_cache(maxsize=None)
def _rate_period_frames(tax_year: int) -> tuple[tuple[int, int, dt.date, dt.date], ...]:
    return tuple((days_line, penalty_line, dt.date(tax_year + y1, m1, d1), dt.date(tax_year + y2, m2, d2))
                 for days_line, penalty_line, (y1, m1, d1), (y2, m2, d2) in RATE_PERIOD_LAYOUT)


def rate_periods(tax_year: int, used: set[int] | None = None) -> tuple[RatePeriod, ...]:
    """The eight rate periods of Part IV; the rate is looked up for the periods in `used` (indexes),
    or for all of them when `used` is None."""
    return _rate_periods(tax_year, None if used is None else frozenset(used))


@lru_cache(maxsize=None)   # immutable, and the same few combinations recur for every account
def _rate_periods(tax_year: int, used: frozenset[int] | None) -> tuple[RatePeriod, ...]:
    periods = []
    for index, (days_line, penalty_line, after, before) in enumerate(_rate_period_frames(tax_year)):
        last_day = before - dt.timedelta(days=1)
        rate = reference = None
        if used is None or index in used:
            rate, reference = underpayment_rate(last_day.year, (last_day.month - 1) // 3 + 1)
        year_days = 366 if calendar.isleap(last_day.year) else 365
        periods.append(RatePeriod(days_line, penalty_line, after, before, year_days, rate, reference))
    return tuple(periods)


def part_iv_column(installment: int, due: dt.date, amount: Decimal, paid_on: dt.date, ended_by: str,
                   periods: Sequence[RatePeriod], days: tuple[int, ...] | None = None) -> PenaltyColumn:
    """19 Enter the date of payment or the 15th day of the 4th month after the close of the tax year,
    whichever is earlier (Form 990-T filers: 5th month). 20 Number of days from due date of
    installment on line 9 to the date shown on line 19. 21–36 Number of days on line 20 in each rate
    period; underpayment on line 17 × number of days ÷ 365 (366) × the period's rate. `days`: lines
    21, 23, … when already counted for these periods (`period_days_of_year`)."""
    if days is None:
        days = _period_days(due, paid_on, periods)
    line_20 = (paid_on - due).days
    if sum(days) != line_20:
        raise ValueError(f"installment {installment}: {line_20} days from {due} to {paid_on} "
                         f"fall outside the form's rate periods")
    products = tuple([ZERO if count == 0 else amount * count * period.rate
                      for count, period in zip(days, periods)])
    divisors = tuple([period.days_in_year for period in periods])
    return PenaltyColumn(installment, due, amount, paid_on, ended_by, line_20, days, products, divisors)


@lru_cache(maxsize=4096)   # the same due dates and payment days recur across accounts
def _period_days(due: dt.date, paid_on: dt.date, periods: tuple[RatePeriod, ...]) -> tuple[int, ...]:
    return tuple(period.days_of(due, paid_on) for period in periods)


@lru_cache(maxsize=4096)
def period_days_of_year(tax_year: int, used: frozenset[int], due: dt.date, paid_on: dt.date) -> tuple[int, ...]:
    """`_period_days` for the periods `rate_periods(tax_year, used)`, keyed by what they are made from:
    hashing the eight RatePeriods, every field, on every column cost more than counting the days."""
    return _period_days(due, paid_on, rate_periods(tax_year, used))


@lru_cache(maxsize=4096)
def periods_with_days(tax_year: int, due: dt.date, paid_on: dt.date) -> frozenset[int]:
    """The rate periods (indexes) in which a part due `due` and paid `paid_on` has days."""
    return frozenset(position for position, (_, _, after, before) in enumerate(_rate_period_frames(tax_year))
                     if _days_within(due, paid_on, after, before))
