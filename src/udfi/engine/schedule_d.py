"""Schedule D (Form 1041), Capital Gains and Losses, as attached to a trust's Form 990-T.

Capital assets (investment property, IRC §1221) sold in the year go on Form 8949 (box C short-term,
box F long-term: real estate is reported on Form 1099-S, not 1099-B) and from there to lines 3 and 10;
a net §1231 gain comes in on line 14 from Form 4797; capital loss carryovers keep their character
(IRC §1212(b)) on lines 6 and 15. Line 19 is the net gain (loss): a gain is Schedule A Part I line 4a
(capital gain net income), a loss is deductible up to $3,000 (line 20 → line 4c, IRC §1211(b)) and the
rest carries over, short- and long-term as the Capital Loss Carryover Worksheet of the instructions
splits it. The debt-financed percentage is applied once, in the year of sale: carryovers are not
reduced again (Treas. Reg. §1.514(a)-1(b)(4)). Whole dollars.
"""

from __future__ import annotations

from typing import Iterable

from udfi.engine.form_4797 import Form4797
from udfi.engine.property_year import CAPITAL, LONG_TERM, PropertyYear
from udfi.engine.records import record
from udfi.money import whole_dollars

TRUST_CAPITAL_LOSS_LIMIT = 3000  # IRC §1211(b)(1) as applied to trusts (§641(b)); Schedule D line 20


@record
class Form8949Row:
    property_id: str
    description: str       # (a)
    acquired_on: str       # (b)
    sold_on: str           # (c)
    proceeds: int          # (d) amount realized × percentage
    cost_or_basis: int     # (e) adjusted basis × percentage (balancing: (h) = (d) − (e))
    gain_or_loss: int      # (h)
    box: str               # "C" short-term / "F" long-term, no Form 1099-B
    unrecaptured_1250: int  # the row's part of Unrecaptured §1250 Gain Worksheet line 10 (long-term buildings)


@record
class ScheduleD:
    short_term_rows: tuple[Form8949Row, ...]   # Form 8949 Part I, box C → line 3
    long_term_rows: tuple[Form8949Row, ...]    # Form 8949 Part II, box F → line 10
    line_3: int
    line_6: int          # short-term capital loss carryover (negative)
    line_7: int          # net short-term gain (loss)
    line_10: int
    line_14: int         # gain from Form 4797, Part I
    line_15: int         # long-term capital loss carryover (negative)
    line_16: int         # net long-term gain (loss)
    line_17: int
    line_18a: int
    line_18b: int        # unrecaptured section 1250 gain (worksheet)
    line_19: int         # total net gain (loss)
    line_20: int         # capital loss limitation (a positive amount, ≤ $3,000)

    @property
    def capital_gain_net_income(self) -> int:
        """Schedule A Part I line 4a."""
        return max(self.line_19, 0)

    @property
    def capital_loss_deduction(self) -> int:
        """Schedule A Part I line 4c (negative)."""
        return -self.line_20

    @property
    def net_capital_gain(self) -> int:
        """IRC §1222(11): net long-term gain over net short-term loss — the smaller of line 18a and
        line 19, not below zero (Part V line 22)."""
        return max(min(self.line_18a, self.line_19), 0)

    def as_lines(self) -> dict:
        return {
            "form_8949": {"box_c": [row.__dict__ for row in self.short_term_rows],
                          "box_f": [row.__dict__ for row in self.long_term_rows]},
            "part_i": {"3": self.line_3, "6": self.line_6, "7": self.line_7},
            "part_ii": {"10": self.line_10, "14": self.line_14, "15": self.line_15, "16": self.line_16},
            "part_iii": {"17": self.line_17, "18a": self.line_18a, "18b": self.line_18b, "19": self.line_19},
            "part_iv": {"20": self.line_20},
        }


def form_8949_row(column: PropertyYear) -> Form8949Row:
    sale = column.disposition
    assert sale is not None
    proceeds = whole_dollars(sale.amount_realized_reportable)
    gain = whole_dollars(sale.gain_reportable)
    long_term = sale.holding_period == LONG_TERM
    return Form8949Row(column.property_id, column.facts.description, sale.acquired_on.isoformat(),
                       sale.date.isoformat(), proceeds, proceeds - gain, gain, "F" if long_term else "C",
                       whole_dollars(sale.unrecaptured_1250_reportable) if long_term else 0)


def schedule_d(columns: Iterable[PropertyYear], form_4797: Form4797 | None, short_term_carryover: int,
               long_term_carryover: int) -> ScheduleD | None:
    """Schedule D for the year, or None when there is nothing to report on it."""
    capital = [form_8949_row(column) for column in columns
               if column.disposition is not None and column.disposition.character == CAPITAL]
    from_4797 = form_4797.line_9 if form_4797 is not None and form_4797.line_9 > 0 else 0
    if not capital and not from_4797 and not short_term_carryover and not long_term_carryover:
        return None
    short = tuple(row for row in capital if row.box == "C")
    long = tuple(row for row in capital if row.box == "F")
    line_3 = sum(row.gain_or_loss for row in short)
    line_6 = -short_term_carryover
    line_7 = line_3 + line_6
    line_10 = sum(row.gain_or_loss for row in long)
    line_15 = -long_term_carryover
    line_16 = line_10 + from_4797 + line_15
    line_19 = line_7 + line_16
    line_20 = min(-line_19, TRUST_CAPITAL_LOSS_LIMIT) if line_19 < 0 else 0
    return ScheduleD(
        short_term_rows=short, long_term_rows=long, line_3=line_3, line_6=line_6, line_7=line_7,
        line_10=line_10, line_14=from_4797, line_15=line_15, line_16=line_16, line_17=line_7, line_18a=line_16,
        line_18b=line_18b(long, form_4797, line_7, long_term_carryover, line_16, line_19), line_19=line_19,
        line_20=line_20,
    )


def line_18b(long_term_rows: tuple[Form8949Row, ...], form_4797: Form4797 | None, line_7: int,
             long_term_carryover: int, line_16: int, line_19: int) -> int:
    """18b Unrecaptured section 1250 gain (IRC §1(h)(6)), per the instructions' worksheet: the part from
    §1231 property (Form 4797, worksheet lines 1–9), plus long-term §1250 property held as a capital
    asset (line 10), reduced by a net short-term loss and the long-term loss carryover (IRC §1(h)(4)(B),
    §1(h)(6)(A)(ii)), and never more than the net capital gain."""
    total = sum(row.unrecaptured_1250 for row in long_term_rows)
    if form_4797 is not None:
        total += form_4797.unrecaptured_1250_from_1231
    total -= max(-line_7, 0) + long_term_carryover
    return max(min(total, line_16, line_19), 0)


@record
class CapitalLossCarryover:
    """The Capital Loss Carryover Worksheet of the Schedule D (Form 1041) instructions, lines 1–14."""

    line_1: int    # taxable income (loss)
    line_2: int    # the loss from line 20, as a positive amount
    line_3: int    # the deduction in lieu of the personal exemption (none within a Schedule A silo)
    line_4: int    # adjusted taxable income (not below zero)
    line_5: int    # the smaller of line 2 or line 4: the part of the year's loss actually used
    line_9: int    # short-term capital loss carryover to next year
    line_14: int   # long-term capital loss carryover to next year


def capital_loss_carryover(schedule: ScheduleD | None, taxable_income: int) -> CapitalLossCarryover:
    """Split the unused net capital loss into short- and long-term carryovers (IRC §1212(b)(1)); the
    part of the $3,000 allowance that the year could use counts as a short-term gain (§1212(b)(2)), and
    none of it when taxable income before the allowance is zero or less (adjusted taxable income)."""
    if schedule is None or schedule.line_19 >= 0:
        return CapitalLossCarryover(taxable_income, 0, 0, max(taxable_income, 0), 0, 0, 0)
    line_2 = schedule.line_20
    line_3 = 0
    line_4 = max(taxable_income + line_2 + line_3, 0)
    line_5 = min(line_2, line_4)
    line_6 = -schedule.line_7 if schedule.line_7 < 0 else 0
    line_7 = max(schedule.line_16, 0)
    line_9 = max(line_6 - (line_5 + line_7), 0)
    line_14 = 0
    if schedule.line_16 < 0:
        line_10 = -schedule.line_16
        line_11 = max(schedule.line_7, 0)
        line_12 = max(line_5 - line_6, 0)
        line_14 = max(line_10 - (line_11 + line_12), 0)
    return CapitalLossCarryover(taxable_income, line_2, line_3, line_4, line_5, line_9, line_14)

