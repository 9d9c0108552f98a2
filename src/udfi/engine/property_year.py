"""One debt-financed property in one tax year: Schedule A (Form 990-T) Part V, one column.

IRC §514(a); Treas. Reg. §1.514(a)-1. Money is carried in cents (Decimal, rounded half-up after each
multiplication or division); the debt/basis ratio stays an exact Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from udfi.engine.depreciation import Asset
from udfi.engine.indebtedness import Loan, MonthBalance, highest_in_window, month_balances
from udfi.engine.records import record
from udfi.money import ONE, ZERO, round_cents

INCOME_CATEGORIES = ("rent", "other_income")
RENTAL_BUSINESS, INVESTMENT = "rental_business", "investment"
SHORT_TERM, LONG_TERM = "short_term", "long_term"
SECTION_1231, ORDINARY, CAPITAL = "section_1231", "ordinary", "capital"
EXPENSE_CATEGORIES = ("interest", "taxes", "insurance", "repairs", "management", "utilities", "other_expense")


@dataclass
class PropertyFacts:
    """What the book says about one property, gathered once for every year."""

    property_id: str
    account_id: str
    description: str
    property_type: str
    use: str                                                    # RENTAL_BUSINESS or INVESTMENT
    acquired_on: dt.date
    placed_in_service_on: dt.date
    recovery: str
    disposed_on: dt.date | None
    amount_realized: Decimal | None
    cost_basis: Decimal
    land_value: Decimal
    loans: list[Loan]
    assets: list[Asset]
    improvements: list[tuple[dt.date, Decimal, int]]            # (date, amount, source row)
    amounts_by_year: dict[int, dict[str, Decimal]] = field(default_factory=dict)   # category sums in the holding period
    interest_by_year: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # loan_id → interest
    depreciation_overrides: dict[int, Decimal] = field(default_factory=dict)
    qualified_organization_exception: bool = False              # §514(c)(9) applies (Solo 401(k))
    exception_lost_reason: str | None = None
    _depreciation_cache: dict[int, tuple[Decimal, bool]] = field(default_factory=dict, repr=False)
    _accumulated_cache: dict[int, Decimal] = field(default_factory=dict, repr=False)

    # By calendar year (acquired on or before December 31, not disposed of before January 1): the
    # same answers as comparing dates, without building them for every account and year.
    def held_in(self, tax_year: int) -> bool:
        return self.acquired_on.year <= tax_year and (self.disposed_on is None or self.disposed_on.year >= tax_year)

    def first_day_held(self, tax_year: int) -> dt.date:
        return self.acquired_on if self.acquired_on.year >= tax_year else dt.date(tax_year, 1, 1)

    def last_day_held(self, tax_year: int) -> dt.date:
        if self.disposed_on is not None and self.disposed_on.year <= tax_year:
            return self.disposed_on
        return dt.date(tax_year, 12, 31)

    def depreciation_for_year(self, tax_year: int) -> tuple[Decimal, bool]:
        """Straight-line depreciation of the year (override from depreciation.csv when given)."""
        cached = self._depreciation_cache.get(tax_year)
        if cached is None:
            if tax_year in self.depreciation_overrides:
                cached = (self.depreciation_overrides[tax_year], True)
            else:
                total = ZERO
                for index in range(len(self.assets)):   # Asset.for_year
                    total += self._asset_accumulated(index, tax_year) - self._asset_accumulated(index, tax_year - 1)
                cached = (total, False)
            self._depreciation_cache[tax_year] = cached
        return cached

    def _asset_accumulated(self, index: int, year: int) -> Decimal:
        # not cached: integer arithmetic, and a cache per property would be kept with every result
        return self.assets[index].accumulated_through(year, self.disposed_on)

    def _first_depreciation_year(self) -> int:
        if not self.improvements:
            return self.placed_in_service_on.year
        return min([self.placed_in_service_on.year] + [day.year for day, _, _ in self.improvements])

    def accumulated_depreciation_through(self, tax_year: int) -> Decimal:
        """All depreciation from placed-in-service through the end of `tax_year` (or the disposal):
        the years' amounts added up — each asset's straight-line amounts telescope to what it has
        accumulated by `tax_year`, and an override year replaces that year's computed amount. Exact
        (cents added at 40 digits), so equal digit for digit to adding the years one by one
        (`accumulated_depreciation_through_reference`) without walking back to a 1990s purchase."""
        cached = self._accumulated_cache.get(tax_year)
        if cached is None:
            first_year = self._first_depreciation_year()
            if tax_year < first_year:
                cached = ZERO
            else:
                cached = ZERO
                for index in range(len(self.assets)):
                    cached += self._asset_accumulated(index, tax_year)
                for year, amount in self.depreciation_overrides.items():
                    if first_year <= year <= tax_year:
                        computed = ZERO
                        for index in range(len(self.assets)):
                            computed += self._asset_accumulated(index, year) - self._asset_accumulated(index, year - 1)
                        cached += amount - computed
            self._accumulated_cache[tax_year] = cached
        return cached

    def accumulated_depreciation_through_reference(self, tax_year: int) -> Decimal:
        """The years' depreciation added one by one from the first year placed in service (the oracle)."""
        if tax_year < self._first_depreciation_year():
            return ZERO
        return self.accumulated_depreciation_through_reference(tax_year - 1) + self.depreciation_for_year(tax_year)[0]

    def basis_on(self, day: dt.date, depreciation_through_year: int) -> tuple[Decimal, Decimal, Decimal]:
        """Adjusted basis on `day`: cost + improvements to that day − depreciation through the given
        year-end. Returns (basis, improvements included, accumulated depreciation)."""
        improvements = sum((amount for when, amount, _ in self.improvements if when <= day), ZERO) \
            if self.improvements else ZERO
        accumulated = self.accumulated_depreciation_through(depreciation_through_year)
        return self.cost_basis + improvements - accumulated, improvements, accumulated


@record
class Disposition:
    date: dt.date
    amount_realized: Decimal
    cost_and_improvements: Decimal
    adjusted_basis: Decimal
    gain: Decimal
    window_start: dt.date
    highest_acquisition_indebtedness: Decimal
    highest_on: dt.date
    ratio: Decimal
    gain_reportable: Decimal
    accumulated_depreciation: Decimal
    unrecaptured_1250_reportable: Decimal
    acquired_on: dt.date
    holding_period: str            # SHORT_TERM or LONG_TERM (IRC §1222)
    use: str                       # RENTAL_BUSINESS or INVESTMENT
    character: str                 # SECTION_1231, ORDINARY or CAPITAL
    depreciable: bool              # a building (§1250 property), not bare land

    @property
    def amount_realized_reportable(self) -> Decimal:
        """The debt-financed share of the amount realized (the same percentage as the gain)."""
        return round_cents(self.amount_realized * self.ratio)

    @property
    def depreciation_reportable(self) -> Decimal:
        return round_cents(self.accumulated_depreciation * self.ratio)


def held_more_than_one_year(acquired_on: dt.date, disposed_on: dt.date) -> bool:
    """IRC §1222: long-term means held for more than 1 year. The holding period starts the day after
    acquisition and includes the day of disposition (IRC §1223; Rev. Rul. 66-7), so property is held more
    than a year when it is disposed of after the first anniversary of its acquisition date (for a
    February 29 acquisition, after February 28 of the next year)."""
    try:
        anniversary = acquired_on.replace(year=acquired_on.year + 1)
    except ValueError:
        anniversary = dt.date(acquired_on.year + 1, 2, 28)
    return disposed_on > anniversary


def character_of(use: str, long_term: bool) -> str:
    """Property held for the production of rents is generally treated as used in a trade or business
    (Pub. 544, "Section 1231 Transactions"): held more than a year it is §1231 property (IRC §1231(b)(1));
    held a year or less its gain or loss is ordinary (Form 4797 Part II). Investment property is a
    capital asset (IRC §1221(a)), short- or long-term by its holding period."""
    if use == RENTAL_BUSINESS:
        return SECTION_1231 if long_term else ORDINARY
    return CAPITAL


@record
class PropertyYear:
    """Every figure of one property's Part V column, with what it was computed from."""

    facts: PropertyFacts
    tax_year: int
    first_day_held: dt.date
    last_day_held: dt.date
    average_acquisition_indebtedness: Decimal
    basis_first_day: Decimal
    basis_last_day: Decimal
    improvements_first_day: Decimal
    improvements_last_day: Decimal
    accumulated_depreciation_first_day: Decimal
    accumulated_depreciation_last_day: Decimal
    average_adjusted_basis: Decimal
    ratio: Decimal
    amounts: dict[str, Decimal]
    interest_allocable: dict[str, Decimal]
    gross_income: Decimal
    straight_line_depreciation: Decimal
    depreciation_overridden: bool
    other_deductions: Decimal
    gross_income_reportable: Decimal
    allocable_deductions: Decimal
    disposition: Disposition | None
    acquisition_indebtedness_excluded: bool  # §514(c)(9)

    @property
    def property_id(self) -> str:
        return self.facts.property_id

    @cached_property
    def months(self) -> tuple[MonthBalance, ...]:
        """First-of-month acquisition debt of every month held (Reg. §1.514(a)-1(a)(3)): derived on
        first use when the average came from the columnar path (`engine.columnar`)."""
        return tuple(month_balances(self.facts.loans, self.first_day_held, self.last_day_held))

    @property
    def months_held(self) -> int:
        first, last = self.first_day_held, self.last_day_held
        return (last.year - first.year) * 12 + last.month - first.month + 1

    @property
    def total_deductions(self) -> Decimal:
        return self.straight_line_depreciation + self.other_deductions

    @property
    def debt_financed(self) -> bool:
        """On Schedule A Part V: acquisition debt at some time in the year, or a gain reached by the
        12-month look-back of §514(b)(1)."""
        if self.average_acquisition_indebtedness > ZERO:
            return True
        return self.disposition is not None and self.disposition.highest_acquisition_indebtedness > ZERO


def debt_basis_ratio(debt: Decimal, basis: Decimal) -> Decimal:
    """AAI ÷ AAB, "but not in excess of 100 percent" (§514(a)(1)); unrounded."""
    if debt <= ZERO:
        return ZERO
    if basis <= ZERO:
        return ONE
    return min(debt / basis, ONE)


def compute_property_year(facts: PropertyFacts, tax_year: int, average_debt: Decimal | None = None) -> PropertyYear:
    """One Part V column. `average_debt`: line 4 when already computed for many property-years at
    once (`columnar.average_acquisition_debts`); None computes it here from the month balances."""
    first_day = facts.first_day_held(tax_year)
    last_day = facts.last_day_held(tax_year)
    excluded = facts.qualified_organization_exception

    # Average acquisition indebtedness — Reg. §1.514(a)-1(a)(3)(i)
    months = None
    if average_debt is None:
        months = tuple(month_balances(facts.loans, first_day, last_day))
        if excluded:
            average_debt = ZERO
        else:
            average_debt = round_cents(sum((month.total for month in months), ZERO) / len(months))

    # Average adjusted basis — Reg. §1.514(a)-1(a)(2): first and last day held in the year
    basis_first, improvements_first, accumulated_first = facts.basis_on(first_day, tax_year - 1)
    basis_last, improvements_last, accumulated_last = facts.basis_on(last_day, tax_year)
    average_basis = round_cents((basis_first + basis_last) / 2)
    ratio = debt_basis_ratio(average_debt, average_basis)

    amounts = dict(facts.amounts_by_year.get(tax_year, {}))
    gross_income = ZERO   # ZERO + each category in order, as sum(…, ZERO), without a generator per column
    for category in INCOME_CATEGORIES:
        gross_income += amounts.get(category, ZERO)
    depreciation, overridden = facts.depreciation_for_year(tax_year)
    # Interest is directly connected only to the extent the loan is acquisition indebtedness of this
    # property (Reg. §1.514(c)-1(a)(2) Example 3(b): $150,000 × 2/2.5).
    interest_allocable = {}
    interest = facts.interest_by_year.get(tax_year)
    if interest:
        loans = {loan.loan_id: loan for loan in facts.loans}
        interest_allocable = {loan_id: round_cents(amount * loans[loan_id].acquisition_fraction)
                              for loan_id, amount in interest.items()}
    amounts["interest"] = sum(interest_allocable.values(), ZERO)
    other_deductions = ZERO
    for category in EXPENSE_CATEGORIES:
        other_deductions += amounts.get(category, ZERO)

    disposition = None
    if facts.disposed_on is not None and facts.disposed_on.year == tax_year:
        disposition = _disposition(facts, basis_last, accumulated_last, average_basis, excluded)

    column = PropertyYear(
        facts=facts, tax_year=tax_year, first_day_held=first_day, last_day_held=last_day,
        average_acquisition_indebtedness=average_debt,
        basis_first_day=basis_first, basis_last_day=basis_last,
        improvements_first_day=improvements_first, improvements_last_day=improvements_last,
        accumulated_depreciation_first_day=accumulated_first, accumulated_depreciation_last_day=accumulated_last,
        average_adjusted_basis=average_basis, ratio=ratio, amounts=amounts, interest_allocable=interest_allocable,
        gross_income=gross_income, straight_line_depreciation=depreciation, depreciation_overridden=overridden,
        other_deductions=other_deductions,
        gross_income_reportable=round_cents(gross_income * ratio),
        allocable_deductions=round_cents((depreciation + other_deductions) * ratio),
        disposition=disposition, acquisition_indebtedness_excluded=excluded,
    )
    if months is not None:
        column.__dict__["months"] = months   # already derived: the cached property keeps it
    return column


def _one_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1) + dt.timedelta(days=1)
    except ValueError:  # Feb 29
        return dt.date(day.year - 1, 3, 1)


def _disposition(facts: PropertyFacts, adjusted_basis: Decimal, accumulated: Decimal, average_basis: Decimal,
                 excluded: bool) -> Disposition:
    """Gain on disposition and its debt-financed share (§514(c)(7); Reg. §1.514(a)-1(a)(1)(v)):
    highest acquisition indebtedness in the 12 months ending on the disposition date ÷ the year's AAB."""
    disposed_on = facts.disposed_on
    assert disposed_on is not None and facts.amount_realized is not None
    window_start = max(_one_year_before(disposed_on), facts.acquired_on)
    if excluded:
        highest, highest_on = ZERO, window_start
    else:
        highest, highest_on = highest_in_window(facts.loans, window_start, disposed_on)
    ratio = debt_basis_ratio(highest, average_basis)
    gain = facts.amount_realized - adjusted_basis
    gain_reportable = round_cents(gain * ratio)
    long_term = held_more_than_one_year(facts.acquired_on, disposed_on)
    depreciable = accumulated > ZERO
    # Unrecaptured §1250 gain (IRC §1(h)(6)): the debt-financed share of the depreciation taken, limited
    # to the gain — only on property held more than a year (a short-term gain has no §1(h) rates).
    unrecaptured = ZERO
    if gain > ZERO and long_term and depreciable:
        unrecaptured = min(round_cents(accumulated * ratio), max(gain_reportable, ZERO))
    return Disposition(
        date=disposed_on, amount_realized=facts.amount_realized, cost_and_improvements=adjusted_basis + accumulated,
        adjusted_basis=adjusted_basis, gain=gain, window_start=window_start,
        highest_acquisition_indebtedness=highest, highest_on=highest_on, ratio=ratio,
        gain_reportable=gain_reportable, accumulated_depreciation=accumulated,
        unrecaptured_1250_reportable=unrecaptured, acquired_on=facts.acquired_on,
        holding_period=LONG_TERM if long_term else SHORT_TERM, use=facts.use,
        character=character_of(facts.use, long_term), depreciable=depreciable,
    )
