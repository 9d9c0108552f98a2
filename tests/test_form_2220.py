"""Form 2220 (regular method) for a §511 trust, against hand-worked cases and the law's invariants.

Sources: IRC §6655 (a)–(d), (f), (g)(2)–(3); IRC §6621(a)(2); Form 2220 Parts I–IV; the quarterly
rates in src/udfi/parameters/underpayment_rates.yaml (each with its revenue ruling). Every day count
and product below is worked by hand; `Fraction` keeps the arithmetic exact.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.engine.form_2220 import form_2220, is_large_organization
from udfi.parameters import MissingParameterError

D = dt.date


def exact(value: Decimal) -> Fraction:
    return Fraction(str(value))


def close(value: Decimal, expected: Fraction) -> bool:
    return abs(exact(value) - expected) < Fraction(1, 10**25)


def test_2023_trust_owing_28000_with_nothing_paid():
    # Line 1 = line 3 = $28,000; no prior-year return in the book, so line 4 is skipped and
    # line 5 = line 3 (§6655(d)(1)(B) last sentence). Line 10: 25% × 28,000 = 7,000 per column.
    form = form_2220(2023, 28_000, None, [])
    assert (form.line_3, form.line_4, form.line_5) == (28_000, None, 28_000)
    # Line 9: Apr 15, 2023 was a Saturday and Monday Apr 17 was DC Emancipation Day (observed),
    # so the first installment was due Tue Apr 18 (§7503); Jun 15, Sep 15, Dec 15 were weekdays.
    assert form.line_9 == (D(2023, 4, 18), D(2023, 6, 15), D(2023, 9, 15), D(2023, 12, 15))
    assert form.line_10 == (7_000,) * 4 and form.line_11 == (0,) * 4 and form.line_17 == (7_000,) * 4
    # Nothing is paid, so line 19 is the 15th day of the 5th month after the year: May 15, 2024
    # (§6655(b)(2)(A) with "5th month" for a §511 organization, §6655(g)(3); Form 2220 line 19).
    assert [column.line_19 for column in form.part_iv] == [D(2024, 5, 15)] * 4
    # Rates (§6621(a)(2)): 2023 Q2 7%, Q3 7%, Q4 8%; 2024 Q1 8%, Q2 8%. 2024 has 366 days.
    # Column (a), due 4/18/2023: line 21 = Apr 19–Jun 30 = 12 + 31 + 30 = 73 days,
    # line 23 = Jul–Sep = 92, line 25 = Oct–Dec = 92, line 27 = Jan–Mar 2024 = 31 + 29 + 31 = 91,
    # line 29 = Apr 1–May 15, 2024 = 30 + 15 = 45; line 20 = 73 + 92 + 92 + 91 + 45 = 393.
    a = form.part_iv[0]
    assert a.days[:5] == (73, 92, 92, 91, 45) and a.line_20 == 393
    # line 22 = 7,000 × 73 × 7% / 365 = 98.00; line 24 = 7,000 × 92 × 7% / 365 = 123.51;
    # line 26 = 7,000 × 92 × 8% / 365 = 141.15; line 28 = 7,000 × 91 × 8% / 366 = 139.23;
    # line 30 = 7,000 × 45 × 8% / 366 = 68.85; line 37(a) = 570.74 → $571.
    q2_23, q3_23 = Fraction(7000 * 73 * 7, 100 * 365), Fraction(7000 * 92 * 7, 100 * 365)
    q4_23 = Fraction(7000 * 92 * 8, 100 * 365)
    q1_24, q2_24 = Fraction(7000 * 91 * 8, 100 * 366), Fraction(7000 * 45 * 8, 100 * 366)
    column_a = q2_23 + q3_23 + q4_23 + q1_24 + q2_24
    assert [a.line(n) for n in (22, 24, 26, 28, 30)] == [98, 124, 141, 139, 69]
    assert close(a.line_37_exact, column_a) and a.line_37 == 571
    # Column (b), due 6/15/2023: 15 days (Jun 16–30) at 7%, then as (a): 15+92+92+91+45 = 335 days.
    # 7,000 × 15 × 7% / 365 = 20.14; (b) = 20.14 + 123.51 + 141.15 + 139.23 + 68.85 = 492.88 → $493.
    first_15 = Fraction(7000 * 15 * 7, 100 * 365)
    column_b = first_15 + q3_23 + q4_23 + q1_24 + q2_24
    # Column (c), due 9/15/2023: 15 days (Sep 16–30) at 7%, 92 at 8%, 91 and 45 in 2024: 243 days.
    # (c) = 20.14 + 141.15 + 139.23 + 68.85 = 369.38 → $369.
    column_c = first_15 + q4_23 + q1_24 + q2_24
    # Column (d), due 12/15/2023: 16 days (Dec 16–31) at 8%: 7,000 × 16 × 8% / 365 = 24.55;
    # (d) = 24.55 + 139.23 + 68.85 = 232.64 → $233; 16 + 91 + 45 = 152 days.
    column_d = Fraction(7000 * 16 * 8, 100 * 365) + q1_24 + q2_24
    assert [c.line_20 for c in form.part_iv] == [393, 335, 243, 152]
    assert [c.line_37 for c in form.part_iv] == [571, 493, 369, 233]
    # Line 38 = 570.74 + 492.88 + 369.38 + 232.64 = 1,665.64 → $1,666 (before: no penalty shown).
    assert close(form.penalty_exact, column_a + column_b + column_c + column_d)
    assert form.line_38 == form.penalty == 1_666 and form.required
    assert not form.must_attach  # no Part II box: the IRS figures it; enter it on 990-T III line 8


def test_2022_late_and_partial_payments_across_three_rate_changes():
    # Tax $20,000, no prior-year return → 4 × 5,000. Paid: $3,000 on 6/15/2022, $8,000 on
    # 10/20/2022, $5,000 on 12/15/2022; the $4,000 balance with the return on 3/1/2023.
    form = form_2220(2022, 20_000, None,
                     [(D(2022, 6, 15), 3_000), (D(2022, 10, 20), 8_000), (D(2022, 12, 15), 5_000)],
                     paid_through=D(2023, 3, 1))
    # Line 9: Apr 15, 2022 (Fri) was DC Emancipation Day observed → Mon Apr 18.
    assert form.line_9 == (D(2022, 4, 18), D(2022, 6, 15), D(2022, 9, 15), D(2022, 12, 15))
    # Line 11 by period: (a) ≤4/18: 0; (b) ≤6/15: 3,000; (c) ≤9/15: 0; (d) ≤12/15: 8,000 + 5,000.
    assert form.line_11 == (0, 3_000, 0, 13_000)
    # (a): 15 = 0, 17 = 5,000. (b): 13 = 3,000, 14 = 16a + 17a = 5,000, 15 = 0, 16 = 2,000, 17 = 5,000.
    # (c): 13 = 0, 14 = 2,000 + 5,000 = 7,000, 15 = 0, 16 = 7,000, 17 = 5,000.
    # (d): 13 = 13,000, 14 = 7,000 + 5,000 = 12,000, 15 = 1,000, 17 = 5,000 − 1,000 = 4,000.
    assert form.line_13 == (None, 3_000, 0, 13_000)
    assert form.line_14 == (None, 5_000, 7_000, 12_000)
    assert form.line_15 == (0, 0, 0, 1_000)
    assert form.line_16 == (None, 2_000, 7_000, None)
    assert form.line_17 == (5_000, 5_000, 5_000, 4_000)
    assert form.line_18 == (0, 0, 0, None)
    # §6655(b)(3) earliest installment first: 6/15 pays 3,000 of (a); 10/20 pays (a)'s 2,000, all of
    # (b), 1,000 of (c); 12/15 pays (c)'s 4,000 and 1,000 of (d) on time; 3/1/2023 pays (d)'s 4,000.
    parts = [(c.column, int(c.underpayment), c.line_19) for c in form.part_iv]
    assert parts == [("a", 3_000, D(2022, 6, 15)), ("a", 2_000, D(2022, 10, 20)), ("b", 5_000, D(2022, 10, 20)),
                     ("c", 1_000, D(2022, 10, 20)), ("c", 4_000, D(2022, 12, 15)), ("d", 4_000, D(2023, 3, 1))]
    # Rates: 2022 Q2 4%, Q3 5%, Q4 6%, 2023 Q1 7% (365-day years).
    r = lambda amount, days, percent: Fraction(amount * days * percent, 100 * 365)  # noqa: E731
    expected = [
        r(3000, 58, 4),                                 # Apr 19–Jun 15 = 12 + 31 + 15 = 58 days: 19.07
        # 73 + 92 + Oct 1–20 = 185 days: 16.00 + 25.21 + 6.58
        r(2000, 73, 4) + r(2000, 92, 5) + r(2000, 20, 6),
        # Jun 16–30, Q3, Oct 1–20 = 127 days: 8.22 + 63.01 + 16.44
        r(5000, 15, 4) + r(5000, 92, 5) + r(5000, 20, 6),
        r(1000, 15, 5) + r(1000, 20, 6),                # Sep 16–30, Oct 1–20 = 35 days: 2.05 + 3.29
        r(4000, 15, 5) + r(4000, 76, 6),                # 15 + Oct 1–Dec 15 (31 + 30 + 15) = 91 days: 8.22 + 49.97
        r(4000, 16, 6) + r(4000, 60, 7),                # Dec 16–31, Jan 1–Mar 1 (31 + 28 + 1) = 76 days: 10.52 + 46.03
    ]
    assert [c.line_20 for c in form.part_iv] == [58, 185, 127, 35, 91, 76]
    assert all(close(c.line_37_exact, e) for c, e in zip(form.part_iv, expected))
    # 19.07 + 47.79 + 87.67 + 5.34 + 58.19 + 56.55 = 274.60 → $275.
    assert close(form.penalty_exact, sum(expected)) and form.penalty == 275
    assert form.part_iv[-1].ended_by == "balance paid"


def test_2024_prior_year_exception_lowers_the_required_installments():
    # 2024 tax $40,000; the 2023 return (12 months) showed $12,000. Line 5 = min(40,000, 12,000)
    # = 12,000 (§6655(d)(1)(B)(ii)) → line 10 = 3,000 each. Paid 3,000 on each of the first three
    # due dates (Apr 15; Jun 15 and Sep 15, 2024 were weekend days → Jun 17, Sep 16); the fourth,
    # due Mon Dec 16 (Dec 15 a Sunday), is paid with the return on 4/15/2025.
    paid = [(D(2024, 4, 15), 3_000), (D(2024, 6, 17), 3_000), (D(2024, 9, 16), 3_000)]
    form = form_2220(2024, 40_000, 12_000, paid, paid_through=D(2025, 4, 15))
    assert (form.line_4, form.line_5, form.line_10) == (12_000, 12_000, (3_000,) * 4)
    assert form.line_17 == (0, 0, 0, 3_000)
    (d,) = form.part_iv
    # Dec 17–31 = 15 days at 8% / 366 (2024 Q4); Jan 1–Mar 31, 2025 = 90 days at 7% / 365;
    # Apr 1–15 = 15 days at 7% / 365: 120 days.
    assert d.days[2:5] == (15, 90, 15) and d.line_20 == 120
    # 3,000 × 15 × 8% / 366 = 9.84; 3,000 × 90 × 7% / 365 = 51.78; 3,000 × 15 × 7% / 365 = 8.63: 70.25.
    expected = (Fraction(3000 * 15 * 8, 100 * 366) + Fraction(3000 * 90 * 7, 100 * 365)
                + Fraction(3000 * 15 * 7, 100 * 365))
    assert close(form.penalty_exact, expected) and form.penalty == 70
    # Without a usable prior year, line 5 = 40,000 → 10,000 each. The June and September payments go
    # first to the earliest unpaid installment (§6655(b)(3)), so at each due date (a) lacks 7,000 and
    # (b)–(d) lack all 10,000 (line 14 carries the rest): a far larger penalty.
    without = form_2220(2024, 40_000, None, paid, paid_through=D(2025, 4, 15))
    assert without.line_10 == (10_000,) * 4 and without.line_17 == (7_000, 10_000, 10_000, 10_000)
    assert without.penalty > 10 * form.penalty


@pytest.mark.parametrize("prior", [None, 0])
def test_line_4_is_skipped_without_a_prior_year_liability(prior):
    # "If the tax is zero or the tax year was for less than 12 months, skip this line" (line 4).
    form = form_2220(2023, 10_000, prior, [])
    assert form.line_4 is None and form.line_4_skipped and form.line_5 == 10_000


def test_a_prior_year_larger_than_this_year_changes_nothing():
    form = form_2220(2023, 10_000, 50_000, [])
    assert form.line_4 == 50_000 and form.line_5 == 10_000 and form.line_10 == (2_500,) * 4


def test_large_organization_uses_prior_year_tax_for_the_first_installment_only():
    # §6655(d)(2): (a) = 25% × 12,000 = 3,000; the 7,000 reduction (25% × 40,000 − 3,000) is
    # recaptured in (b) = 10,000 + 7,000 = 17,000; (c), (d) = 10,000. Part II line 8 is checked, so
    # Form 2220 must be attached even without a penalty.
    dates = (D(2024, 4, 15), D(2024, 6, 17), D(2024, 9, 16), D(2024, 12, 16))
    form = form_2220(2024, 40_000, 12_000, [], large_organization=True)
    assert form.line_8 and form.must_attach and form.line_10 == (3_000, 17_000, 10_000, 10_000)
    on_time = form_2220(2024, 40_000, 12_000, list(zip(dates, (3_000, 17_000, 10_000, 10_000))),
                        large_organization=True)
    assert on_time.penalty == 0 and on_time.must_attach and not on_time.required


def test_is_large_organization_counts_ubti_of_the_three_preceding_years():
    assert is_large_organization(2024, [999_999, 1_000_000, 0])   # "$1,000,000 or more" (§6655(g)(2)(A))
    assert not is_large_organization(2024, [999_999, 0, 250_000])
    with pytest.raises(ValueError):
        is_large_organization(2024, [0, 0, 0, 0])


def test_tax_under_500_owes_no_penalty():
    # §6655(f): no addition to tax if the tax shown on the return is less than $500.
    form = form_2220(2024, 499, None, [])
    assert form.penalty == 0 and not form.required and form.part_iv == () and form.line_5 is None
    assert form_2220(2024, 500, None, []).required


def test_prior_year_overpayment_is_paid_on_the_first_installment_date():
    # A $7,000 credit from 2022 pays installment (a) of 2023 on 4/18/2023, on time.
    form = form_2220(2023, 28_000, None, [], prior_year_overpayment=7_000)
    assert form.line_11 == (7_000, 0, 0, 0) and form.line_17 == (0, 7_000, 7_000, 7_000)
    assert [c.column for c in form.part_iv] == ["b", "c", "d"]
    # A credit larger than the first installment carries to (b) through line 18 → 12 (§6655(b)(3)).
    big = form_2220(2023, 28_000, None, [], prior_year_overpayment=10_000)
    assert big.line_18[0] == 3_000 and big.line_12[1] == 3_000 and big.line_17[1] == 4_000


def test_2020_installments_due_april_and_june_were_postponed_to_july_15():
    # Notice 2020-23 postponed estimated income tax payments due Apr 1–Jul 14, 2020 to Jul 15.
    form = form_2220(2020, 8_000, None, [(D(2020, 7, 15), 4_000), (D(2020, 9, 15), 2_000), (D(2020, 12, 15), 2_000)])
    assert form.line_9 == (D(2020, 7, 15), D(2020, 7, 15), D(2020, 9, 15), D(2020, 12, 15))
    assert form.penalty == 0


def test_the_penalty_period_ends_on_the_15th_day_of_the_5th_month_not_the_return_due_date():
    # An IRA's 990-T is due Apr 15, but §6655(g)(3) runs the penalty to May 15 unless paid first.
    unpaid = form_2220(2025, 10_000, None, [])
    assert unpaid.penalty_period_end == D(2026, 5, 15) and unpaid.part_iv[0].line_19 == D(2026, 5, 15)
    paid_with_return = form_2220(2025, 10_000, None, [], paid_through=D(2026, 4, 15))
    assert paid_with_return.part_iv[0].line_19 == D(2026, 4, 15)
    # Paying a month earlier removes 30 days × 2,500 × 6% / 365 for each of the four columns
    # (Apr 16–May 15, 2026 is 2026 Q2 at 6%): 4 × 12.33 = 49.32.
    saved = exact(unpaid.penalty_exact) - exact(paid_with_return.penalty_exact)
    assert abs(saved - 4 * Fraction(2500 * 30 * 6, 100 * 365)) < Fraction(1, 10**25)


def test_rate_periods_are_the_forms_and_carry_the_quarters_rates():
    # Form 2220 (2022 revision) Part IV: line 21 "after 4/15/2022 and before 7/1/2022" … line 35
    # "after 12/31/2023 and before 3/16/2024"; each period is one quarter at its §6621 rate.
    form = form_2220(2022, 20_000, None, [])
    captions = [period.caption for period in form.rate_periods]
    assert captions[0] == "Number of days on line 20 after 4/15/2022 and before 7/1/2022"
    assert captions[3] == "Number of days on line 20 after 12/31/2022 and before 4/1/2023"
    assert captions[7] == "Number of days on line 20 after 12/31/2023 and before 3/16/2024"
    assert [p.days_line for p in form.rate_periods] == [21, 23, 25, 27, 29, 31, 33, 35]
    # Unpaid to May 15, 2023 the columns touch 2022 Q2–Q4 (4%, 5%, 6%) and 2023 Q1–Q2 (7%, 7%);
    # later periods are not needed and carry no rate.
    rates = [p.rate for p in form.rate_periods]
    assert rates[:5] == [Decimal("0.04"), Decimal("0.05"), Decimal("0.06"), Decimal("0.07"), Decimal("0.07")]
    assert rates[5:] == [None, None, None]
    assert [p.days_in_year for p in form_2220(2023, 20_000, None, []).rate_periods[3:5]] == [366, 366]


def test_greyed_cells_are_blank_as_on_the_form():
    # Form 2220 / MeF IRS2220: lines 12–14 exist in (b)–(d), line 16 in (b)–(c), line 18 in (a)–(c).
    form = form_2220(2023, 28_000, None, [])
    for number, blank in {12: {0}, 13: {0}, 14: {0}, 16: {0, 3}, 18: {3}}.items():
        cells = getattr(form, f"line_{number}")
        assert {i for i, cell in enumerate(cells) if cell is None} == blank, number
    for number in (10, 11, 15, 17):
        assert None not in getattr(form, f"line_{number}")


def test_a_quarter_without_a_published_rate_is_an_error():
    # 2026 installments unpaid would run into 2026 Q3, which has no entry yet.
    with pytest.raises(MissingParameterError, match="2026 Q3"):
        form_2220(2026, 10_000, None, [])


def test_a_tax_year_without_parameters_is_an_error():
    with pytest.raises(MissingParameterError):
        form_2220(2017, 10_000, None, [])


@pytest.mark.parametrize("payments, message", [
    ([(D(2023, 4, 18), -5)], "negative"),
    ([(D(2023, 4, 18), 1.5)], "whole dollars"),
])
def test_bad_payments_are_refused(payments, message):
    with pytest.raises((ValueError, TypeError), match=message):
        form_2220(2023, 28_000, None, payments)


# --- invariants ---------------------------------------------------------------------------------

YEARS = st.integers(2020, 2025)  # every penalty period of these years has published rates


@st.composite
def cases(draw):
    year = draw(YEARS)
    start, end = D(year, 1, 1).toordinal(), D(year + 1, 6, 30).toordinal()
    payments = draw(st.lists(st.tuples(st.integers(start, end).map(D.fromordinal), st.integers(0, 40_000)),
                             max_size=6))
    return dict(
        tax_year=year,
        total_tax=draw(st.integers(0, 150_000)),
        prior_year_tax=draw(st.one_of(st.none(), st.integers(0, 150_000))),
        payments=payments,
        prior_year_overpayment=draw(st.integers(0, 15_000)),
        paid_through=draw(st.one_of(st.none(), st.integers(D(year + 1, 1, 1).toordinal(), end).map(D.fromordinal))),
        large_organization=draw(st.booleans()),
    )


def run(case, **changes):
    arguments = {**case, **changes}
    large = arguments.pop("large_organization")
    return form_2220(**arguments, large_organization=large)


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_penalty_is_never_negative_and_the_parts_agree(case):
    form = run(case)
    assert form.penalty >= 0 and form.penalty_exact >= 0 and form.required == (form.penalty > 0)
    if not form.part_iv:
        return
    for index in range(4):
        # Part IV carries exactly the underpayment of Part III line 17, split by payment.
        parts = [c.underpayment for c in form.part_iv if c.installment == index + 1]
        assert sum(parts, Decimal(0)) == form.underpayments[index]
    for column in form.part_iv:
        assert sum(column.days) == column.line_20 == (column.line_19 - column.due_date).days > 0
        assert column.line_19 <= form.penalty_period_end


@settings(max_examples=100, deadline=None)
@given(case=cases())
def test_paying_every_required_installment_on_time_owes_nothing(case):
    form = run(case, payments=[], prior_year_overpayment=0)
    if form.line_5 is None:
        return
    on_time = list(zip(form.line_9, form.required_installments))
    paid = run(case, payments=on_time, prior_year_overpayment=0)
    assert paid.penalty == 0 and paid.part_iv == ()
    # Paying the whole dollars printed on line 10 leaves at most $0.75 short per installment: cents.
    printed = run(case, payments=list(zip(form.line_9, form.line_10)), prior_year_overpayment=0)
    assert printed.penalty == 0


@settings(max_examples=150, deadline=None)
@given(case=cases(), which=st.integers(0, 5), delay=st.integers(1, 200))
def test_paying_later_never_lowers_the_penalty(case, which, delay):
    if not case["payments"]:
        return
    index = which % len(case["payments"])
    payments = list(case["payments"])
    day, amount = payments[index]
    payments[index] = (day + dt.timedelta(days=delay), amount)
    before, after = run(case), run(case, payments=payments)
    assert after.penalty_exact >= before.penalty_exact - Decimal("1e-25")
    assert after.penalty >= before.penalty


@settings(max_examples=150, deadline=None)
@given(case=cases(), extra=st.tuples(st.integers(0, 540), st.integers(1, 40_000)))
def test_more_payment_never_raises_the_penalty(case, extra):
    offset, amount = extra
    more = list(case["payments"]) + [(D(case["tax_year"], 1, 1) + dt.timedelta(days=offset), amount)]
    before, after = run(case), run(case, payments=more)
    assert after.penalty_exact <= before.penalty_exact + Decimal("1e-25")
    assert after.penalty <= before.penalty


@settings(max_examples=100, deadline=None)
@given(case=cases(), earlier=st.integers(1, 120))
def test_paying_the_balance_sooner_never_raises_the_penalty(case, earlier):
    late = run(case, paid_through=None)
    end = D(case["tax_year"] + 1, 5, 15)
    sooner = run(case, paid_through=end - dt.timedelta(days=earlier))
    assert sooner.penalty_exact <= late.penalty_exact + Decimal("1e-25")
