"""Schedule A (Form 990-T), 2020+ layout: one schedule per unrelated trade or business (silo). The
investment-activities silo holds every debt-financed property and the qualifying partnership
interests (Treas. Reg. §1.512(a)-6(c)(1)); a partnership silo holds the K-1s of one two-digit NAICS
code (line 5 only). The NOL deduction (line 17) is the silo's own (§1.512(a)-6(h)(1)).

Functions are named by line and quote the form's caption. Form lines are whole dollars; a total is
the sum of the printed lines it adds.
"""

from __future__ import annotations

from decimal import Decimal

from udfi.engine.form_4797 import Form4797, carry_1231_losses, form_4797
from udfi.engine.nol import POST2017, PRE2018, NolLayer, NolYear, nol_year
from udfi.engine.property_year import PropertyYear
from udfi.engine.records import record
from udfi.engine.schedule_d import CapitalLossCarryover, ScheduleD, capital_loss_carryover, schedule_d
from udfi.money import ZERO, percent_str, whole_dollars
from udfi.parameters import TaxYearParameters


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
    return sum([part_v_line_7(column) for column in columns])


def part_v_line_10(columns: list[PropertyYear]) -> int:
    """10 Total allocable deductions. Add line 9, columns A through D. Enter here and on Part I, line 7, column (B)."""
    return sum([part_v_line_9(column) for column in columns])


def part_v_column(column: PropertyYear) -> dict:
    return {
        "2": part_v_line_2(column), "3a": part_v_line_3a(column), "3b": part_v_line_3b(column),
        "3c": part_v_line_3c(column), "4": part_v_line_4(column), "5": part_v_line_5(column),
        "6": part_v_line_6(column), "7": part_v_line_7(column), "9": part_v_line_9(column),
    }


# ---- Parts I and II -------------------------------------------------------------------------

@record
class CarryIn:
    """What earlier years leave to this one (whole dollars)."""

    nol_layers: tuple[NolLayer, ...] = ()
    short_term_capital_loss: int = 0
    long_term_capital_loss: int = 0
    section_1231_losses: tuple[tuple[int, int], ...] = ()   # (loss year, nonrecaptured amount)

    @property
    def post2017_nol(self) -> int:
        return sum(layer.amount for layer in self.nol_layers if layer.kind == POST2017)

    @property
    def pre2018_nol(self) -> int:
        return sum(layer.amount for layer in self.nol_layers if layer.kind == PRE2018)

    @property
    def capital_loss(self) -> int:
        return self.short_term_capital_loss + self.long_term_capital_loss


@record
class ScheduleA:
    columns: tuple[PropertyYear, ...]          # the Part V properties, in book order
    part_v_line_8: int
    part_v_line_10: int
    form_4797: Form4797 | None
    schedule_d: ScheduleD | None
    carry_in: CarryIn
    line_4a: int
    line_4b: int
    line_4c: int
    line_7a: int
    line_7b: int
    line_7c: int
    line_13a: int
    line_13b: int
    line_13c: int
    line_15: int
    line_16: int
    nol: NolYear
    line_17: int
    line_18: int
    loss_for_nol: int                           # line 16 without the capital loss deduction (§172(d)(2))
    capital_loss_worksheet: CapitalLossCarryover
    carry_out: CarryIn
    line_5: int = 0                             # K-1 UBTI of the partnership interests of this silo

    @property
    def nol_in(self) -> int:
        return self.nol.post2017_available

    @property
    def nol_limit(self) -> int | None:
        return self.nol.post2017_limit

    @property
    def nol_generated(self) -> int:
        return self.nol.generated

    @property
    def nol_out(self) -> int:
        return self.carry_out.post2017_nol

    @property
    def capital_loss_carryover_in(self) -> int:
        return self.carry_in.capital_loss

    @property
    def capital_loss_carryover_out(self) -> int:
        return self.carry_out.capital_loss

    @property
    def net_capital_gain(self) -> int:
        """IRC §1222(11), for the Schedule D (Form 1041) tax computation."""
        return 0 if self.schedule_d is None else self.schedule_d.net_capital_gain

    @property
    def unrecaptured_1250_gain(self) -> int:
        return 0 if self.schedule_d is None else self.schedule_d.line_18b

    def as_lines(self) -> dict:
        return {
            "part_i": {"4a": self.line_4a, "4b": self.line_4b, "4c": self.line_4c, "5": self.line_5, "7a": self.line_7a,
                       "7b": self.line_7b, "7c": self.line_7c, "13a": self.line_13a, "13b": self.line_13b,
                       "13c": self.line_13c},
            "part_ii": {"15": self.line_15, "16": self.line_16, "17": self.line_17, "18": self.line_18},
            "part_v": {"8": self.part_v_line_8, "10": self.part_v_line_10},
        }


def part_i_line_4a(schedule: ScheduleD | None) -> int:
    """4a Capital gain net income (attach Schedule D (Form 1041 or Form 1120)): Schedule D line 19, if a gain."""
    return 0 if schedule is None else schedule.capital_gain_net_income


def part_i_line_4b(form: Form4797 | None) -> int:
    """4b Net gain (loss) (Form 4797) (attach Form 4797): Form 4797 Part II line 17."""
    return 0 if form is None else form.line_17


def part_i_line_4c(schedule: ScheduleD | None) -> int:
    """4c Capital loss deduction for trusts: Schedule D line 20 — the smaller of the net capital loss or
    $3,000 (IRC §1211(b)); the rest carries over (§1212(b))."""
    return 0 if schedule is None else schedule.capital_loss_deduction


def part_i_line_5(interests) -> int:
    """5 Income (loss) from a partnership or an S corporation (attach statement): the sum of the K-1
    amounts (box 20 code V, whole dollars each) of the partnership interests of this trade or business,
    so the line is the total of the statement's rows."""
    return sum(interest.line_5 for interest in interests)


def part_i_line_13(line_4a: int, line_4b: int, line_4c: int, line_7a: int, line_7b: int,
                   line_5: int = 0) -> tuple[int, int, int]:
    """13 Total. Combine lines 3 through 12 — columns (A), (B) and (C)."""
    line_13a = line_4a + line_4b + line_4c + line_5 + line_7a
    line_13b = line_7b
    return line_13a, line_13b, line_13a - line_13b


def part_ii_line_16(line_13c: int, line_15: int) -> int:
    """16 Unrelated business income before net operating loss deduction. Subtract line 15 from Part I,
    line 13, column (C)."""
    return line_13c - line_15


def part_ii_line_18(line_16: int, line_17: int) -> int:
    """18 Unrelated business taxable income. Subtract line 17 from line 16 — a loss shows as a loss here;
    the zero floor of IRC §512(a)(6)(C) applies when the Schedules A are added on Form 990-T line 1."""
    return line_16 - line_17


def loss_for_nol(line_16: int, line_4c: int) -> int:
    """The year's NOL: a loss on line 16 computed without the capital loss deduction, since for a
    non-corporate taxpayer capital losses count only up to capital gains (IRC §172(d)(2)(A)), and without
    the specific deduction (IRC §512(b)(12); Treas. Reg. §1.512(b)-1(h)(1))."""
    return max(-(line_16 - line_4c), 0)


@record
class BeforeNol:
    """Schedule A through line 16: what the NOL deduction of line 17 is computed from."""

    columns: tuple[PropertyYear, ...]
    part_v_line_8: int
    part_v_line_10: int
    form_4797: Form4797 | None
    schedule_d: ScheduleD | None
    line_4a: int
    line_4b: int
    line_4c: int
    line_5: int
    line_7a: int
    line_7b: int
    line_7c: int
    line_13a: int
    line_13b: int
    line_13c: int
    line_15: int
    line_16: int
    loss_for_nol: int


def before_nol(property_years: list[PropertyYear], carry_in: CarryIn, parameters: TaxYearParameters,
               interests=()) -> BeforeNol:
    """Parts V and I and lines 15–16 of one Schedule A; `interests` are the K-1s reported on line 5."""
    columns = [column for column in property_years if column.debt_financed]
    line_8 = part_v_line_8(columns)
    line_10 = part_v_line_10(columns)
    # Without a sale there is no Form 4797 (nothing sold), nor a Schedule D unless a capital loss is
    # carried in: what `form_4797` and `schedule_d` answer then, without asking them (most years)
    sold = any(column.disposition is not None for column in columns)
    form_4797_ = form_4797(columns, carry_in.section_1231_losses, parameters.tax_year) if sold else None
    schedule_d_ = schedule_d(columns, form_4797_, carry_in.short_term_capital_loss, carry_in.long_term_capital_loss) \
        if sold or carry_in.short_term_capital_loss or carry_in.long_term_capital_loss else None
    line_4a, line_4b, line_4c = part_i_line_4a(schedule_d_), part_i_line_4b(form_4797_), part_i_line_4c(schedule_d_)
    line_5 = part_i_line_5(interests)
    line_7a, line_7b = line_8, line_10
    line_7c = line_7a - line_7b
    line_13a, line_13b, line_13c = part_i_line_13(line_4a, line_4b, line_4c, line_7a, line_7b, line_5)
    line_15 = 0  # every deduction is taken in Part V ("Deductions not taken elsewhere")
    line_16 = part_ii_line_16(line_13c, line_15)
    return BeforeNol(
        columns=tuple(columns), part_v_line_8=line_8, part_v_line_10=line_10, form_4797=form_4797_,
        schedule_d=schedule_d_, line_4a=line_4a, line_4b=line_4b, line_4c=line_4c, line_5=line_5,
        line_7a=line_7a, line_7b=line_7b, line_7c=line_7c, line_13a=line_13a, line_13b=line_13b,
        line_13c=line_13c, line_15=line_15, line_16=line_16, loss_for_nol=loss_for_nol(line_16, line_4c),
    )


def with_nol(income: BeforeNol, carry_in: CarryIn, parameters: TaxYearParameters) -> ScheduleA:
    """Lines 17–18 and what carries to next year, from the NOL layers of `carry_in` (this silo's
    post-2017 NOLs and the pre-2018 NOLs allocated to it)."""
    nol = nol_year(parameters.tax_year, carry_in.nol_layers, income.line_16, parameters.post2017_nol_limit,
                   income.loss_for_nol)
    line_17 = nol.post2017_used
    line_18 = part_ii_line_18(income.line_16, line_17)
    # The trust's taxable income for the carryover worksheet: this silo's line 18 (before the
    # §512(a)(6)(C) floor), less the pre-2018 NOLs deducted on Form 990-T line 6.
    worksheet = capital_loss_carryover(income.schedule_d, line_18 - nol.pre2018_used)
    section_1231 = (income.form_4797.nonrecaptured_out if income.form_4797 is not None
                    else carry_1231_losses(carry_in.section_1231_losses, parameters.tax_year))
    carry_out = CarryIn(nol_layers=nol.layers_out, short_term_capital_loss=worksheet.line_9,
                        long_term_capital_loss=worksheet.line_14, section_1231_losses=section_1231)
    return ScheduleA(
        columns=income.columns, part_v_line_8=income.part_v_line_8, part_v_line_10=income.part_v_line_10,
        form_4797=income.form_4797, schedule_d=income.schedule_d, carry_in=carry_in, line_4a=income.line_4a,
        line_4b=income.line_4b, line_4c=income.line_4c, line_7a=income.line_7a, line_7b=income.line_7b,
        line_7c=income.line_7c, line_13a=income.line_13a, line_13b=income.line_13b, line_13c=income.line_13c,
        line_15=income.line_15, line_16=income.line_16, nol=nol, line_17=line_17, line_18=line_18,
        loss_for_nol=income.loss_for_nol, capital_loss_worksheet=worksheet, carry_out=carry_out,
        line_5=income.line_5,
    )


def schedule_a(property_years: list[PropertyYear], carry_in: CarryIn, parameters: TaxYearParameters,
               interests=()) -> ScheduleA:
    """One Schedule A whose NOL deduction uses every layer of `carry_in` (an account with one silo)."""
    return with_nol(before_nol(property_years, carry_in, parameters, interests), carry_in, parameters)


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
