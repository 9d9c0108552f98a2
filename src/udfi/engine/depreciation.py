"""Straight-line depreciation with the mid-month convention (IRC §514(a)(3), §168(b)(3), §168(d)(2)).

Time is counted in half-months so the mid-month convention is exact: an asset placed in service in
month m starts at the middle of m and, when disposed of in month d, stops at the middle of d. The
accumulated amount is rounded once per year-end from the exact fraction, so yearly amounts always
add up to at most the depreciable basis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from udfi.money import ZERO, round_cents

RESIDENTIAL = "residential_rental"
NONRESIDENTIAL = "nonresidential_real"
LAND = "land"


def _mid_month_index(day: dt.date) -> int:
    """Half-month index of the middle of the month containing `day`."""
    return (day.year * 12 + day.month - 1) * 2 + 1


def _year_start_index(year: int) -> int:
    return year * 12 * 2


@dataclass(frozen=True)
class Asset:
    """A separately depreciated asset: the building, or one capital improvement."""

    label: str
    basis: Decimal            # depreciable basis (cost less land for the building)
    placed_in_service: dt.date
    recovery_years: Decimal   # 0 = not depreciated (land)
    recovery_system: str
    source_rows: tuple[int, ...] = ()

    def accumulated_through(self, year: int, disposed_on: dt.date | None = None) -> Decimal:
        """Depreciation allowed from placed-in-service through the end of `year` (or the disposal)."""
        if self.recovery_years == ZERO or self.basis == ZERO:
            return ZERO
        start = _mid_month_index(self.placed_in_service)
        end_of_life = start + int(self.recovery_years * 24)
        stop = _year_start_index(year + 1)
        if disposed_on is not None and disposed_on.year <= year:
            stop = min(stop, _mid_month_index(disposed_on))
        elapsed = max(min(stop, end_of_life) - start, 0)
        return round_cents(self.basis * Decimal(elapsed) / (self.recovery_years * 24))

    def for_year(self, year: int, disposed_on: dt.date | None = None) -> Decimal:
        return self.accumulated_through(year, disposed_on) - self.accumulated_through(year - 1, disposed_on)


def recovery_years(property_type: str, system: str, placed_in_service: dt.date,
                   periods: dict[str, dict[str, Decimal]]) -> Decimal:
    """Recovery period for real property under the chosen straight-line system."""
    if property_type == LAND:
        return ZERO
    table = periods[system]
    if property_type == RESIDENTIAL:
        key = "residential_rental_placed_before_2018" if placed_in_service.year < 2018 else "residential_rental"
        return table[key]
    return table["nonresidential_real"]
