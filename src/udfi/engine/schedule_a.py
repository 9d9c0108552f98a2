"""Schedule A (Form 990-T), 2020+ layout: one schedule for the investment-activities trade or
business that holds every debt-financed property (Treas. Reg. §1.512(a)-6(c)(1)(iii)).

Functions are named by line and quote the form's caption. Form lines are whole dollars; a total is
the sum of the printed lines it adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from udfi.engine.property_year import PropertyYear
from udfi.money import ZERO, percent_str, whole_dollars
from udfi.parameters import TaxYearParameters

TRUST_CAPITAL_LOSS_LIMIT = Decimal("3000")  # IRC §1211(b)(1) as applied to trusts via §641(b)


# ---- Part V, one column per debt-financed property ------------------------------------------

def part_v_line_2(column: PropertyYear) -> int:
    """2 Gross income from or allocable to debt-financed property."""
    return whole_dollars(column.gross_income)


def part_v_line_3a(column: PropertyYear) -> int:
    """3a Straight line depreciation (attach statement)."""
    return whole_dollars(column.straight_line_depreciation)


def part_v_line_3b(column: PropertyYear) -> int:
    """3b Other deductions (attach statement)."""
    return whole_dollars(column.other_deductions)


def part_v_line_3c(column: PropertyYear) -> int:
    """3c Total deductions (add lines 3a and 3b, columns A through D)."""
    return part_v_line_3a(column) + part_v_line_3b(column)


def part_v_line_4(column: PropertyYear) -> int:
    """4 Amount of average acquisition debt on or allocable to debt-financed property (attach statement)."""
    return whole_dollars(column.average_acquisition_indebtedness)


def part_v_line_5(column: PropertyYear) -> int:
    """5 Average adjusted basis of or allocable to debt-financed property (attach statement)."""
    return whole_dollars(column.average_adjusted_basis)


def part_v_line_6(column: PropertyYear) -> str:
    """6 Divide line 4 by line 5 (shown as a percentage to 4 decimals; computed unrounded)."""
    return percent_str(column.ratio)


def part_v_line_7(column: PropertyYear) -> int:
    """7 Gross income reportable. Multiply line 2 by line 6."""
    return whole_dollars(column.gross_income_reportable)


def part_v_line_9(column: PropertyYear) -> int:
    """9 Allocable deductions. Multiply line 3c by line 6."""
    return whole_dollars(column.allocable_deductions)


def part_v_line_8(columns: list[PropertyYear]) -> int:
    """8 Total gross income (add line 7, columns A through D). Enter here and on Part I, line 7, column (A)."""
    return sum(part_v_line_7(column) for column in columns)


def part_v_line_10(columns: list[PropertyYear]) -> int:
    """10 Total allocable deductions. Add line 9, columns A through D. Enter here and on Part I, line 7, column (B)."""
    return sum(part_v_line_9(column) for column in columns)


def part_v_column(column: PropertyYear) -> dict:
    return {
        "2": part_v_line_2(column), "3a": part_v_line_3a(column), "3b": part_v_line_3b(column),
        "3c": part_v_line_3c(column), "4": part_v_line_4(column), "5": part_v_line_5(column),
        "6": part_v_line_6(column), "7": part_v_line_7(column), "9": part_v_line_9(column),
    }


# ---- Parts I and II -------------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleA:
    columns: tuple[PropertyYear, ...]          # the Part V properties, in book order
    part_v_line_8: int
    part_v_line_10: int
    capital_gains: int                          # sum of the reportable gains, whole dollars
    capital_loss_carryover_in: int
    capital_loss_carryover_out: int
    line_4a: int
    line_4c: int
    line_7a: int
    line_7b: int
    line_7c: int
    line_13a: int
    line_13b: int
    line_13c: int
    line_15: int
    line_16: int
    nol_in: int
    nol_limit: int | None
    line_17: int
    line_18: int
    nol_generated: int
    nol_out: int
    unrecaptured_1250_gain: int

    def as_lines(self) -> dict:
        return {
            "part_i": {"4a": self.line_4a, "4c": self.line_4c, "7a": self.line_7a, "7b": self.line_7b,
                       "7c": self.line_7c, "13a": self.line_13a, "13b": self.line_13b, "13c": self.line_13c},
            "part_ii": {"15": self.line_15, "16": self.line_16, "17": self.line_17, "18": self.line_18},
            "part_v": {"8": self.part_v_line_8, "10": self.part_v_line_10},
        }


def part_i_line_4a_and_4c(capital_gains: int, carryover_in: int) -> tuple[int, int, int]:
    """4a Capital gain net income (attach Schedule D (Form 1041 or 1120)); 4c Capital loss deduction
    for trusts. A net loss is deductible up to $3,000 (§1211(b)); the rest carries over, without
    applying the debt/basis percentage again (Reg. §1.514(a)-1(b)(4)). Returns (4a, 4c, carryover out)."""
    net = capital_gains - carryover_in
    if net >= 0:
        return net, 0, 0
    allowed = min(-net, int(TRUST_CAPITAL_LOSS_LIMIT))
    return 0, -allowed, -net - allowed


def part_ii_line_17(line_16: int, nol_in: int, parameters: TaxYearParameters) -> tuple[int, int | None]:
    """17 Deduction for net operating loss: the post-2017 carryover used, limited for years after 2020
    to 80% of line 16 (§172(a)(2)). Returns (deduction, limit)."""
    if line_16 <= 0 or nol_in <= 0:
        limit = None if parameters.post2017_nol_limit is None else 0
        return 0, limit
    if parameters.post2017_nol_limit is None:
        return min(nol_in, line_16), None
    limit = whole_dollars(Decimal(line_16) * parameters.post2017_nol_limit)
    return min(nol_in, limit), limit


def schedule_a(property_years: list[PropertyYear], nol_in: int, capital_loss_in: int,
               parameters: TaxYearParameters) -> ScheduleA:
    columns = [column for column in property_years if column.debt_financed]
    line_8 = part_v_line_8(columns)
    line_10 = part_v_line_10(columns)
    gains = [column.disposition for column in columns if column.disposition is not None]
    capital_gains = sum(whole_dollars(gain.gain_reportable) for gain in gains)
    unrecaptured = sum(whole_dollars(gain.unrecaptured_1250_reportable) for gain in gains)
    line_4a, line_4c, capital_loss_out = part_i_line_4a_and_4c(capital_gains, capital_loss_in)
    line_7a, line_7b = line_8, line_10
    line_7c = line_7a - line_7b
    line_13a = line_4a + line_4c + line_7a
    line_13b = line_7b
    line_13c = line_4a + line_4c + line_7c
    line_15 = 0  # every deduction is taken in Part V ("Deductions not taken elsewhere")
    line_16 = line_13c - line_15
    line_17, nol_limit = part_ii_line_17(line_16, nol_in, parameters)
    line_18 = max(line_16 - line_17, 0)
    nol_generated = max(-line_16, 0)  # computed without the specific deduction (§512(b)(12))
    return ScheduleA(
        columns=tuple(columns), part_v_line_8=line_8, part_v_line_10=line_10, capital_gains=capital_gains,
        capital_loss_carryover_in=capital_loss_in, capital_loss_carryover_out=capital_loss_out,
        line_4a=line_4a, line_4c=line_4c, line_7a=line_7a, line_7b=line_7b, line_7c=line_7c,
        line_13a=line_13a, line_13b=line_13b, line_13c=line_13c, line_15=line_15, line_16=line_16,
        nol_in=nol_in, nol_limit=nol_limit, line_17=line_17, line_18=line_18, nol_generated=nol_generated,
        nol_out=nol_in - line_17 + nol_generated, unrecaptured_1250_gain=min(unrecaptured, max(line_4a, 0)),
    )


def gross_unrelated_income(property_years: list[PropertyYear]) -> Decimal:
    """Gross income for the filing test: reportable gross income plus reportable gains (cents)."""
    total = ZERO
    for column in property_years:
        if not column.debt_financed:
            continue
        total += column.gross_income_reportable
        if column.disposition is not None and column.disposition.gain_reportable > ZERO:
            total += column.disposition.gain_reportable
    return total
