"""Form 4797 (Sales of Business Property) for the debt-financed share of rental property sold.

Only the debt-financed (reportable) share of a sale is unrelated business income (IRC §514(a)(1),
§514(c)(7)), so every column is that share: amount realized, cost, depreciation and gain each × the
disposition's debt/basis percentage. Whole dollars; the cost column is the balancing figure so that
each row foots ((g) = (d) + (e) − (f); line 24 = line 20 − line 23) with the gain rounded once.

- Part III: a gain on depreciable (§1250) rental property held more than a year. Straight-line
  depreciation after 1986 has no "additional depreciation" (IRC §1250(b)(1)), so lines 26a–26g are 0
  and the whole gain goes through line 32 to Part I line 6 as §1231 gain.
- Part I line 2: a loss on §1231 property, and §1231 land.
- Part I lines 7–9: the year's net §1231 gain or loss; a net gain is first ordinary income to the
  extent of the nonrecaptured net §1231 losses of the 5 preceding years (IRC §1231(c)), oldest first.
- Part II: a sale of rental property held a year or less (line 10), a net §1231 loss (line 11) and the
  recaptured amount (line 12); line 17 goes to Schedule A Part I line 4b.
"""

from __future__ import annotations

from typing import Iterable

from udfi.engine.property_year import ORDINARY, SECTION_1231, PropertyYear
from udfi.engine.records import record
from udfi.money import whole_dollars

SECTION_1231_LOOKBACK_YEARS = 5  # IRC §1231(c)(1)


@record
class SaleRow:
    """One row of line 2 or line 10: (a)–(g)."""

    property_id: str
    description: str
    acquired_on: str
    sold_on: str
    gross_sales_price: int      # (d) amount realized (net of selling costs) × percentage
    depreciation_allowed: int   # (e)
    cost_or_basis: int          # (f) cost plus improvements and expense of sale × percentage
    gain_or_loss: int           # (g) = (d) + (e) − (f)


@record
class Part3Property:
    """Lines 19–26 for one §1250 property (one column A–D)."""

    property_id: str
    description: str
    acquired_on: str
    sold_on: str
    line_20: int   # gross sales price
    line_21: int   # cost or other basis plus expense of sale
    line_22: int   # depreciation allowed or allowable
    line_23: int   # adjusted basis: 21 − 22
    line_24: int   # total gain: 20 − 23
    line_26a: int = 0   # additional depreciation after 1975 (none: straight line)
    line_26g: int = 0   # 26b + 26e + 26f


@record
class Form4797:
    part_i_rows: tuple[SaleRow, ...]     # line 2
    line_6: int                          # gain from line 32
    line_7: int                          # net §1231 gain (loss): line 2 (g) + line 6
    line_8: int                          # nonrecaptured net §1231 losses from prior years
    line_9: int                          # line 7 − line 8 → Schedule D line 14 (long-term)
    part_ii_rows: tuple[SaleRow, ...]    # line 10
    line_11: int                         # loss from line 7
    line_12: int                         # gain from line 7 or amount from line 8
    line_17: int                         # → Schedule A Part I line 4b
    part_iii: tuple[Part3Property, ...]
    line_30: int
    line_31: int
    line_32: int
    recaptured: tuple[tuple[int, int], ...]             # (loss year, amount) recaptured on line 8
    nonrecaptured_out: tuple[tuple[int, int], ...]      # (loss year, amount) left for later years
    unrecaptured_1250_from_1231: int                    # Unrecaptured §1250 Gain Worksheet line 9

    def as_lines(self) -> dict:
        return {
            "part_i": {"2": [row.__dict__ for row in self.part_i_rows], "6": self.line_6, "7": self.line_7,
                       "8": self.line_8, "9": self.line_9},
            "part_ii": {"10": [row.__dict__ for row in self.part_ii_rows], "11": self.line_11, "12": self.line_12,
                        "17": self.line_17},
            "part_iii": {"properties": [item.__dict__ for item in self.part_iii], "30": self.line_30,
                         "31": self.line_31, "32": self.line_32},
        }


def sale_row(column: PropertyYear) -> SaleRow:
    """(d)–(g) of one sale, the debt-financed share, footing in whole dollars."""
    sale = column.disposition
    assert sale is not None
    proceeds = whole_dollars(sale.amount_realized_reportable)
    depreciation = whole_dollars(sale.depreciation_reportable)
    gain = whole_dollars(sale.gain_reportable)
    return SaleRow(column.property_id, column.facts.description, sale.acquired_on.isoformat(), sale.date.isoformat(),
                   proceeds, depreciation, proceeds + depreciation - gain, gain)


def part_iii_property(column: PropertyYear) -> Part3Property:
    row = sale_row(column)
    line_23 = row.cost_or_basis - row.depreciation_allowed
    return Part3Property(row.property_id, row.description, row.acquired_on, row.sold_on,
                         line_20=row.gross_sales_price, line_21=row.cost_or_basis, line_22=row.depreciation_allowed,
                         line_23=line_23, line_24=row.gross_sales_price - line_23)


def line_8(line_7: int, prior_losses: Iterable[tuple[int, int]], tax_year: int) -> tuple[int, tuple, tuple]:
    """8 Nonrecaptured net section 1231 losses from prior years: the losses of the 5 preceding years not
    yet recaptured, used oldest first up to the net gain. Returns (line 8, recaptured, still open)."""
    window = sorted((year, amount) for year, amount in prior_losses
                    if tax_year - SECTION_1231_LOOKBACK_YEARS <= year < tax_year and amount > 0)
    left = max(line_7, 0)
    recaptured, still_open = [], []
    for year, amount in window:
        take = min(amount, left)
        left -= take
        if take:
            recaptured.append((year, take))
        if amount - take:
            still_open.append((year, amount - take))
    return sum(amount for _, amount in recaptured), tuple(recaptured), tuple(still_open)


def form_4797(columns: Iterable[PropertyYear], prior_1231_losses: Iterable[tuple[int, int]],
              tax_year: int) -> Form4797 | None:
    """Form 4797 for the year's sales of rental-business property, or None when there are none."""
    sold = [column for column in columns if column.disposition is not None
            and column.disposition.character in (SECTION_1231, ORDINARY)]
    if not sold:
        return None
    part_iii = tuple(part_iii_property(column) for column in sold
                     if column.disposition.character == SECTION_1231 and column.disposition.depreciable
                     and column.disposition.gain_reportable > 0)
    in_part_iii = {item.property_id for item in part_iii}
    part_i_rows = tuple(sale_row(column) for column in sold
                        if column.disposition.character == SECTION_1231 and column.property_id not in in_part_iii)
    part_ii_rows = tuple(sale_row(column) for column in sold if column.disposition.character == ORDINARY)
    line_30 = sum(item.line_24 for item in part_iii)
    line_31 = sum(item.line_26g for item in part_iii)
    line_32 = line_30 - line_31
    line_7 = sum(row.gain_or_loss for row in part_i_rows) + line_32
    recapture, recaptured, still_open = line_8(line_7, prior_1231_losses, tax_year)
    line_9 = line_7 - recapture if line_7 > 0 else 0
    line_11 = min(line_7, 0)
    line_12 = recapture
    # This year's net §1231 loss is open for recapture in the next 5 years.
    nonrecaptured = still_open + (((tax_year, -line_7),) if line_7 < 0 else ())
    # Unrecaptured §1250 Gain Worksheet (Schedule D (Form 1041) instructions), lines 1–9: the smaller of
    # each Part III property's depreciation and gain, less line 26g; limited to line 7; less line 8.
    from_part_iii = sum(min(item.line_22, item.line_24) - item.line_26g for item in part_iii)
    unrecaptured = max(min(from_part_iii, max(line_7, 0)) - recapture, 0)
    return Form4797(
        part_i_rows=part_i_rows, line_6=line_32, line_7=line_7, line_8=recapture if line_7 > 0 else 0,
        line_9=line_9, part_ii_rows=part_ii_rows, line_11=line_11, line_12=line_12,
        line_17=sum(row.gain_or_loss for row in part_ii_rows) + line_11 + line_12,
        part_iii=part_iii, line_30=line_30, line_31=line_31, line_32=line_32, recaptured=recaptured,
        nonrecaptured_out=nonrecaptured, unrecaptured_1250_from_1231=unrecaptured,
    )


def carry_1231_losses(prior: Iterable[tuple[int, int]], tax_year: int) -> tuple[tuple[int, int], ...]:
    """The open losses of a year without Form 4797: unchanged, but those older than the look-back drop."""
    if not prior:   # most years of most accounts: nothing open
        return ()
    return tuple((year, amount) for year, amount in sorted(prior)
                 if year >= tax_year + 1 - SECTION_1231_LOOKBACK_YEARS and amount > 0)
