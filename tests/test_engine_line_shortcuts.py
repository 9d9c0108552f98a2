"""The per-account-year shortcuts of issue #16 against the arithmetic they replace: integer quotients
equal to the Decimal ones, remembered taxes equal to a fresh computation, the Form 2220 of a small tax
equal to the one built line by line, the held years counted from the holding period equal to testing
every year — value for value and digit for digit (Decimal('0') ≠ Decimal('0.00'))."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from udfi import parameters as parameter_store
from udfi.engine import form_2220 as f2220
from udfi.engine.flags import coverage_flags, year_span
from udfi.engine.nol import post2017_limit
from udfi.engine.tax import _schedule_tax, _steps, trust_rate_tax, trust_rate_tax_dollars
from udfi.money import CENT, ZERO, whole_dollars
from udfi.parameters import Bracket

D = Decimal
YEARS = st.sampled_from(parameter_store.years_available("trust_rate_schedule"))


def same(one: Decimal, other: Decimal) -> bool:
    return one.as_tuple() == other.as_tuple()


@given(st.integers(min_value=-10**12, max_value=10**35), st.integers(min_value=0, max_value=10**12),
       st.decimals(min_value=0, max_value=5, places=4, allow_nan=False, allow_infinity=False)
       | st.sampled_from([D("0.8"), D("0.80"), D("1"), D("8E+1"), D("0"), D("0.3333333333333")]))
def test_the_post2017_limit_in_integers_is_the_decimal_product_rounded_down(income, pre2018, fraction):
    base = max(income - pre2018, 0)
    expected = int((D(base) * fraction).to_integral_value(rounding=ROUND_DOWN))
    assert post2017_limit(income, pre2018, fraction) == expected
    assert post2017_limit(income, pre2018, None) is None


@given(YEARS, st.integers(min_value=0, max_value=10**9))
def test_the_remembered_whole_dollar_tax_is_the_trust_rate_tax_rounded(year, income):
    parameters = parameter_store.for_year(year)
    expected = whole_dollars(trust_rate_tax(D(income), parameters))
    assert trust_rate_tax_dollars(income, parameters) == expected
    assert trust_rate_tax_dollars(income, parameters) == expected   # asked again: from the cache


@given(st.decimals(min_value=-10**6, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
       st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([D("0.1"), D("0.24"), D("0.35"), D("0.37")])),
                min_size=1, max_size=5))
def test_the_tax_added_bracket_by_bracket_is_the_sum_of_the_steps(income, raw):
    overs = sorted({over for over, _ in raw})
    brackets = tuple(Bracket(D(over), rate) for over, (_, rate) in zip(overs, raw))
    expected = sum((step.tax for step in _steps(income, brackets)), ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
    assert same(_schedule_tax(income, brackets), expected)


@settings(max_examples=100)
@given(YEARS, st.integers(min_value=0, max_value=10**6), st.none() | st.integers(min_value=-5, max_value=10**6))
def test_a_form_2220_under_the_threshold_is_the_one_built_line_by_line(year, tax, prior):
    """The remembered form of a tax under $500 against building it: every field equal, and the same for
    any prior-year tax (lines 4 onward are not completed)."""
    threshold = f2220._estimated_tax_threshold(year)
    if tax >= threshold or (prior is not None and prior < 0):
        return
    built = f2220.form_2220(year, tax, prior, (), 0, dt.date(year + 1, 4, 15))
    f2220._not_completed.cache_clear()
    fresh = f2220.form_2220(year, tax, prior, (), 0, None)
    assert built == fresh
    assert (built.line_1, built.line_3, built.line_4, built.line_5, built.penalty, built.required) == \
        (tax, tax, None, None, 0, False)
    assert built.explanation == (f"Total tax ${tax:,} is under ${threshold:,}: no estimated tax penalty "
                                 "(IRC §6655(f)); Form 2220 is not completed.")


class _Held:
    """What coverage_flags reads of a property: its id, dates and `held_in`."""

    def __init__(self, acquired_on: dt.date, disposed_on: dt.date | None):
        self.property_id, self.acquired_on, self.disposed_on = "P1", acquired_on, disposed_on

    def held_in(self, tax_year: int) -> bool:
        return self.acquired_on.year <= tax_year and (self.disposed_on is None or self.disposed_on.year >= tax_year)


@given(st.dates(dt.date(1990, 1, 1), dt.date(2026, 12, 31)), st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2027, 12, 31)),
       st.sets(st.integers(1990, 2027), max_size=12), st.integers(2018, 2026), st.integers(2018, 2026))
def test_the_years_held_before_the_roll_forward_are_those_held_in_counts(acquired, disposed, present, start, tax_year):
    if disposed is not None and disposed < acquired:
        return
    start = min(start, tax_year)
    item = _Held(acquired, disposed)
    flags = coverage_flags([item], {"P1": present}, range(start, tax_year + 1), tax_year)
    before = [year for year in range(acquired.year, tax_year + 1)
              if item.held_in(year) and year < start and year not in present]
    assert any("the ledger has no rows for" in flag and "roll-forward starts" in flag for flag in flags) == bool(before)
    if before:
        assert f"held in {year_span(before)} but" in flags[0]
