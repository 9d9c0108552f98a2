"""Tax on UBTI at trust rates (Form 990-T Part II line 2), the §1(h) computation, due dates, parameters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi import parameters
from udfi.engine import calendar
from udfi.engine.tax import capital_gain_tax, trust_rate_tax

D = Decimal

# Bracket edges and the tax at each edge, as published in the Rev. Procs. for each year
# (shared/reference/rules.md §4.1: the base amounts at the top of the 10%, 24% and 35% brackets).
PUBLISHED_SCHEDULES = {
    2018: ((2550, "255"), (9150, "1839"), (12500, "3011.50")),
    2019: ((2600, "260"), (9300, "1868"), (12750, "3075.50")),
    2020: ((2600, "260"), (9450, "1904"), (12950, "3129")),
    2021: ((2650, "265"), (9550, "1921"), (13050, "3146")),
    2022: ((2750, "275"), (9850, "1979"), (13450, "3239")),
    2023: ((2900, "290"), (10550, "2126"), (14450, "3491")),
    2024: ((3100, "310"), (11150, "2242"), (15200, "3659.50")),
    2025: ((3150, "315"), (11450, "2307"), (15650, "3777")),
    2026: ((3300, "330"), (11700, "2346"), (16000, "3851")),
}


@pytest.mark.parametrize("year", sorted(PUBLISHED_SCHEDULES))
def test_trust_rate_schedule_at_every_bracket_edge(year):
    """Rev. Proc. tables for estates and trusts (rules.md §4.1): tax at each edge, one dollar below
    (at the lower rate) and one dollar above (at the next rate)."""
    year_parameters = parameters.for_year(year)
    rates = [D("0.10"), D("0.24"), D("0.35"), D("0.37")]
    for index, (edge, tax_at_edge) in enumerate(PUBLISHED_SCHEDULES[year]):
        edge = D(edge)
        assert trust_rate_tax(edge, year_parameters) == D(tax_at_edge)
        assert trust_rate_tax(edge - 1, year_parameters) == D(tax_at_edge) - rates[index]
        assert trust_rate_tax(edge + 1, year_parameters) == D(tax_at_edge) + rates[index + 1]
    assert trust_rate_tax(D(0), year_parameters) == 0
    assert trust_rate_tax(D(-500), year_parameters) == 0


def test_year_without_parameters_is_an_error():
    """A year with no entry is an error — never a default or a value carried forward."""
    with pytest.raises(parameters.MissingParameterError, match="2027"):
        parameters.for_year(2027)
    with pytest.raises(parameters.MissingParameterError, match="2017"):
        parameters.for_year(2017)


def test_every_parameter_value_has_a_reference():
    for name in parameters.PARAMETER_FILES:
        for year in parameters.years_available(name):
            assert parameters.value(name, year).get("reference"), (name, year)


def test_capital_gain_computation_by_hand_2022():
    """IRC §1(h)(1) with the 2022 trust breakpoints ($2,800 / $13,700; 24% bracket top $9,850).
    TI $20,000 of which NCG $15,000 incl. $5,000 unrecaptured §1250 gain:
    (A) max(5,000, min(9,850, 10,000)) = 9,850 at the schedule = 1,979;
    (B) 0% on max(0, 2,800 − 10,000) = 0; (C) 15% on min(10,000, 13,700 − 9,850) = 3,850 → 577.50;
    (D) 20% on 6,150 → 1,230; (E) 25% on 5,000 − (9,850 + 15,000 − 20,000) = 150 → 37.50; (F) 0.
    Total 3,824 < regular 5,662.50."""
    result = capital_gain_tax(D(20000), D(15000), D(5000), parameters.for_year(2022))
    assert (result.ordinary_base, result.zero_rate_base, result.fifteen_rate_base, result.twenty_rate_base,
            result.unrecaptured_base, result.rate_28_base) == (D(9850), D(0), D(3850), D(6150), D(150), D(0))
    assert result.regular_tax == D("5662.50")
    assert result.tax == D("3824.00")


def test_capital_gain_zero_rate_band_2021():
    """All-capital-gain income inside the 0% band (2021 max zero rate amount $2,700) is taxed at 0%."""
    result = capital_gain_tax(D(2500), D(2500), D(0), parameters.for_year(2021))
    assert result.zero_rate_base == D(2500)
    assert result.tax == 0


@settings(max_examples=300, deadline=None)
@given(
    year=st.sampled_from(sorted(PUBLISHED_SCHEDULES)),
    taxable=st.integers(min_value=0, max_value=2_000_000),
    gain_share=st.fractions(min_value=0, max_value=1),
    unrecaptured_share=st.fractions(min_value=0, max_value=1),
)
def test_capital_gain_tax_never_exceeds_regular_tax(year, taxable, gain_share, unrecaptured_share):
    """§1(h)(1): the tax "shall not exceed" the regular tax; every base is non-negative and the bases
    add up to taxable income; more income never lowers the tax."""
    year_parameters = parameters.for_year(year)
    gain = (D(taxable) * D(gain_share.numerator) / D(gain_share.denominator)).quantize(D(1))
    unrecaptured = (gain * D(unrecaptured_share.numerator) / D(unrecaptured_share.denominator)).quantize(D(1))
    result = capital_gain_tax(D(taxable), gain, unrecaptured, year_parameters)
    bases = (result.ordinary_base, result.zero_rate_base, result.fifteen_rate_base, result.twenty_rate_base,
             result.unrecaptured_base, result.rate_28_base)
    assert all(base >= 0 for base in bases)
    assert sum(bases) == D(taxable)
    assert 0 <= result.tax <= result.regular_tax
    more = capital_gain_tax(D(taxable + 100), gain, unrecaptured, year_parameters)
    assert more.tax >= result.tax


@pytest.mark.parametrize("year, due, extended", [
    # rules.md §2 worked dates: 2022 → Apr 15, 2023 is a Saturday and Mon Apr 17 is DC Emancipation Day
    (2022, dt.date(2023, 4, 18), dt.date(2023, 10, 16)),
    (2023, dt.date(2024, 4, 15), dt.date(2024, 10, 15)),
    (2024, dt.date(2025, 4, 15), dt.date(2025, 10, 15)),
    # 2021: Emancipation Day (Sat Apr 16, 2022) observed Fri Apr 15 → Mon Apr 18; Oct 15 is a Saturday
    (2021, dt.date(2022, 4, 18), dt.date(2022, 10, 17)),
])
def test_due_dates_15th_day_of_4th_month_rolled(year, due, extended):
    """IRAs and §401(a) trusts: 15th day of the 4th month (not May 15); Form 8868 adds 6 months;
    weekends and legal holidays (incl. DC Emancipation Day) roll to the next business day (§7503)."""
    assert calendar.return_due_date(year) == due
    assert calendar.extended_due_date(year) == extended


def test_estimated_tax_installments_roll_forward():
    """§6655(c): Apr 15, Jun 15, Sep 15, Dec 15 of the next year; 2024: Jun 15 and Sep 15 are weekends."""
    assert calendar.estimated_tax_due_dates(2023) == [dt.date(2024, 4, 15), dt.date(2024, 6, 17),
                                                      dt.date(2024, 9, 16), dt.date(2024, 12, 16)]
