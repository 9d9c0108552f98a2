"""Due dates: the return, its automatic extension, and next year's estimated-tax installments."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from udfi import parameters

if TYPE_CHECKING:
    import holidays


@lru_cache(maxsize=None)
def _holiday_calendar(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    # DC holidays (e.g. Emancipation Day, April 16) are legal holidays for IRC §7503. Imported here:
    # the package costs ~0.1 s to import, and only due dates need it.
    import holidays  # noqa: PLC0415

    return holidays.country_holidays(country, subdiv=subdivision, years=range(year - 1, year + 2))


def next_business_day(day: dt.date, calendar_rule: dict) -> dt.date:
    """IRC §7503: a due date on a Saturday, Sunday or legal holiday moves to the next business day."""
    while True:
        calendar = _holiday_calendar(calendar_rule["country"], calendar_rule["subdivision"], day.year)
        if day.weekday() < 5 and day not in calendar:
            return day
        day += dt.timedelta(days=1)


def _add_months(day: dt.date, months: int, on_day: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, on_day)


# The due dates depend only on the year (and the parameter files): computed once per year, since the
# roll-forward asks for them for every account and year.
@lru_cache(maxsize=None)
def return_due_date(tax_year: int) -> dt.date:
    """15th day of the 4th month after a calendar year end, rolled (§1.6072-2(c) as read in the irs.gov table)."""
    rule = parameters.value("due_dates", tax_year)
    year_end = dt.date(tax_year, 12, 1)
    unrolled = _add_months(year_end, rule["return_due"]["months_after_year_end"], rule["return_due"]["day"])
    return next_business_day(unrolled, rule["holiday_calendar"])


@lru_cache(maxsize=None)
def extended_due_date(tax_year: int) -> dt.date:
    """The automatic 6-month Form 8868 extension, counted from the unrolled due date, then rolled."""
    rule = parameters.value("due_dates", tax_year)
    year_end = dt.date(tax_year, 12, 1)
    months = rule["return_due"]["months_after_year_end"] + rule["extension_months"]
    unrolled = _add_months(year_end, months, rule["return_due"]["day"])
    return next_business_day(unrolled, rule["holiday_calendar"])


def estimated_tax_due_dates(tax_year: int) -> list[dt.date]:
    """Next year's four §6655 installment dates (calendar year), rolled for weekends and holidays."""
    return list(_estimated_tax_due_dates(tax_year))


@lru_cache(maxsize=None)
def _estimated_tax_due_dates(tax_year: int) -> tuple[dt.date, ...]:
    rule = parameters.value("due_dates", tax_year)
    return tuple(
        next_business_day(dt.date(tax_year + 1, item["month"], item["day"]), rule["holiday_calendar"])
        for item in rule["estimated_tax_installments"]
    )
