"""The per-account-year shortcuts of issue #16 against the arithmetic they replace: integer quotients
equal to the Decimal ones, the Form 2220 of a small tax equal to the one built line by line, the held
years counted from the holding period equal to testing every year."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from udfi import parameters as parameter_store
from udfi.engine import form_2220 as f2220
from udfi.engine.flags import coverage_flags, year_span
from udfi.engine.nol import post2017_limit

D = Decimal
YEARS = st.sampled_from(parameter_store.years_available("trust_rate_schedule"))


@given(st.integers(min_value=-10**12, max_value=10**35), st.integers(min_value=0, max_value=10**12),
       st.decimals(min_value=0, max_value=5, places=4, allow_nan=False, allow_infinity=False)
       | st.sampled_from([D("0.8"), D("0.80"), D("1"), D("8E+1"), D("0"), D("0.3333333333333")]))
def test_the_post2017_limit_in_integers_is_the_decimal_product_rounded_down(income, pre2018, fraction):
    base = max(income - pre2018, 0)
    expected = int((D(base) * fraction).to_integral_value(rounding=ROUND_DOWN))
    assert post2017_limit(income, pre2018, fraction) == expected
    assert post2017_limit(income, pre2018, None) is None


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
