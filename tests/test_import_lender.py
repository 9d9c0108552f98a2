"""Splitting lumped loan payments with the lender's figures (udfi.imports.lender).

Hand-worked loan used below: $10,000.00 at 1 % per month, three level payments. The level payment is
10,000 × 0.01 / (1 − 1.01^−3) = 3,400.22. Amortized with interest rounded half-up to the cent:
  payment 1: interest 10,000.00 × 1 % = 100.00, principal 3,300.22, balance 6,699.78
  payment 2: interest  6,699.78 × 1 % =  67.00 (66.9978), principal 3,333.22, balance 3,366.56
  payment 3: interest  3,366.56 × 1 % =  33.67 (33.6656), principal 3,366.55, balance 0.01
Year-end statement: interest paid 100.00 + 67.00 + 33.67 = 200.67; principal 10,000.00 → 0.01.
Reconciliation: 3 × 3,400.22 = 10,200.66 = 200.67 + (10,000.00 − 0.01).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.imports.lender import (Payment, ScheduleLine, Statement, level_rate, read_schedule, read_statements,
                                 split_payments)

DAYS = [dt.date(2022, 3, 1), dt.date(2022, 4, 1), dt.date(2022, 5, 1)]


def _payments(amounts, days=DAYS, loan="L-1"):
    return [Payment(position=i, row=10 + i, day=day, loan_id=loan, cents=amount)
            for i, (day, amount) in enumerate(zip(days, amounts))]


def _statement(interest=20067, start=1000000, end=1, escrow=0, year=2022):
    return Statement("lender-statement.csv", 2, "L-1", year, interest, start, end, escrow)


def test_level_rate_reproduces_the_hand_worked_schedule():
    outcome = split_payments(_payments([340022] * 3), [], [_statement()], {})
    assert not outcome.problems, [str(p) for p in outcome.problems]
    assert [(s.interest, s.principal) for s in outcome.splits] == [(10000, 330022), (6700, 333322), (3367, 336655)]
    # The rate found is 1 % per payment (to well within a cent on these balances).
    rate = level_rate(1000000, [340022] * 3, 20067)
    assert abs(rate - Decimal("0.01")) < Decimal("0.000001")
    note = outcome.notes[0]
    assert "3 payment(s) 10,200.66 = interest paid 200.67 + principal repaid 9,999.99" in note
    assert "(10,000.00 at the start − 0.01 at the end) — reconciles" in note
    # Each memo states its arithmetic: the balance before the payment times the level rate.
    assert outcome.splits[0].note.startswith(f"split of 3,400.22: interest 100.00 (balance 10,000.00 × "
                                             f"{rate * 100:.6f} % per payment) + principal 3,300.22")
    assert "(balance 6,699.78 ×" in outcome.splits[1].note


def test_a_statement_that_does_not_reconcile_is_an_error_with_the_arithmetic():
    # Interest given as 210.67 instead of 200.67: 10,200.66 ≠ 210.67 + 9,999.99 = 10,210.66 (−10.00).
    outcome = split_payments(_payments([340022] * 3), [], [_statement(interest=21067)], {})
    assert not outcome.splits
    (problem,) = outcome.problems
    assert problem.rows == [10, 11, 12]
    assert "total 10,200.66" in problem.message and "= 10,210.66; difference -10.00" in problem.message


def test_escrow_is_split_equally_and_left_out():
    # Each payment 3,400.22 + 250.00 escrow = 3,650.22; the statement's escrow 750.00.
    outcome = split_payments(_payments([365022] * 3), [], [_statement(escrow=75000)], {})
    assert not outcome.problems
    assert [(s.interest, s.principal, s.escrow) for s in outcome.splits] == [
        (10000, 330022, 25000), (6700, 333322, 25000), (3367, 336655, 25000)]
    assert "Escrow 750.00 is left out" in outcome.notes[0]


def test_opening_balance_must_be_the_loans_principal_in_its_first_year():
    originations = {"L-1": (dt.date(2022, 2, 15), 1050000)}
    outcome = split_payments(_payments([340022] * 3), [], [_statement()], originations)
    (problem,) = outcome.problems
    assert problem.column == "principal_start" and "10,500.00" in problem.message


def test_schedule_lines_are_matched_by_amount_within_31_days():
    lines = [ScheduleLine("schedule.csv", 2 + i, "L-1", dt.date(2022, 3 + i, 1), interest, principal, 0, None)
             for i, (interest, principal) in enumerate([(10000, 330022), (6700, 333322), (3367, 336655)])]
    # Paid a few days late each month: still matched to that month's line.
    late = [dt.date(2022, 3, 4), dt.date(2022, 4, 6), dt.date(2022, 5, 2)]
    outcome = split_payments(_payments([340022] * 3, late), lines, [], {})
    assert not outcome.problems
    assert [(s.interest, s.principal) for s in outcome.splits] == [(10000, 330022), (6700, 333322), (3367, 336655)]
    assert outcome.splits[1].note == "split of 3,400.22: interest 67.00 + principal 3,333.22 (schedule.csv row 3)"
    # With the statement as well, the two must agree (they do: 200.67 and 9,999.99).
    both = split_payments(_payments([340022] * 3, late), lines, [_statement()], {})
    assert not both.problems and "agrees with the lender's statement" in both.notes[0]


def test_a_payment_the_schedule_does_not_have_is_reported_with_the_nearest_line():
    lines = [ScheduleLine("schedule.csv", 2, "L-1", dt.date(2022, 3, 1), 10000, 330022, 0, None)]
    outcome = split_payments(_payments([350022]), lines, [], {})
    (problem,) = outcome.problems
    assert problem.rows == [10]
    assert "payment of 3,500.22 on 2022-03-01" in problem.message
    assert "schedule.csv row 2 (2022-03-01: interest 100.00 + principal 3,300.22 = 3,400.22)" in problem.message


def test_no_lender_figures_names_both_options():
    outcome = split_payments(_payments([340022]), [], [], {})
    (problem,) = outcome.problems
    assert "--lender-schedule" in problem.message and "--lender-statement" in problem.message


def test_reversal_cannot_be_split():
    outcome = split_payments(_payments([-340022]), [], [_statement()], {})
    assert outcome.problems and "reversal" in outcome.problems[0].message


def test_reading_lender_files_reports_file_row_and_column(tmp_path: Path):
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("loan_id,date,interest,principal,balance\n"
                        "L-1,2022-03-01,100.00,3300.22,6699.78\n"
                        "L-1,2022-04-01,67.00,3333.22,3366.50\n"       # 6,699.78 − 3,333.22 = 3,366.56, not .50
                        "L-1,04/01/2022,33.67,3366.55,0.01\n")
    lines, problems = read_schedule(schedule)
    messages = {(p.column, tuple(p.rows)): p.message for p in problems}
    assert ("date", (4,)) in messages and "YYYY-MM-DD" in messages[("date", (4,))]
    statement = tmp_path / "statement.csv"
    statement.write_text("loan_id,tax_year,interest_paid,principal_start\nL-1,2022,200.67,10000.00\n")
    items, problems = read_statements(statement)
    assert not items and "principal_end" in problems[0].message and problems[0].file == "statement.csv"


def test_schedule_balances_must_hold_together(tmp_path: Path):
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("loan_id,date,interest,principal,balance\n"
                        "L-1,2022-03-01,100.00,3300.22,6699.78\n"
                        "L-1,2022-04-01,67.00,3333.22,3366.50\n")
    _, problems = read_schedule(schedule)
    (problem,) = problems
    assert problem.rows == [3] and problem.column == "balance"
    assert "previous balance 6,699.78 − principal 3,333.22 = 3,366.56" in problem.message


def _amortize(start: int, rate_bp: int, count: int) -> tuple[int, list[tuple[int, int]]]:
    """A lender's own schedule: level payment, interest = balance × monthly rate rounded half-up."""
    from fractions import Fraction

    r = Fraction(rate_bp, 120000)
    payment = Fraction(start) * r / (1 - (1 + r) ** -360) if rate_bp else Fraction(start, 360)
    payment = int(payment + Fraction(1, 2))
    balance, lines = start, []
    for _ in range(count):
        interest = int(Fraction(balance * rate_bp, 120000) + Fraction(1, 2))
        lines.append((interest, payment - interest))
        balance -= payment - interest
    return payment, lines


@settings(max_examples=60, deadline=None)
@given(start=st.integers(100_000, 200_000_000), rate_bp=st.integers(0, 1200), count=st.integers(1, 12))
def test_statement_split_invariants(start, rate_bp, count):
    """For any amortizing loan: the split's interest is exactly the lender's, its principal exactly
    start − end, every payment is interest + principal, nothing is negative, and each payment's
    interest is within a cent of the lender's own schedule (the last absorbs the rounding)."""
    payment, lines = _amortize(start, rate_bp, count)
    interest = sum(i for i, _ in lines)
    end = start - sum(p for _, p in lines)
    days = [dt.date(2022, 1 + i, 1) for i in range(count)]
    outcome = split_payments(_payments([payment] * count, days), [], [_statement(interest, start, end)], {})
    assert not outcome.problems, [str(p) for p in outcome.problems]
    assert sum(s.interest for s in outcome.splits) == interest
    assert sum(s.principal for s in outcome.splits) == start - end
    assert all(s.interest + s.principal == payment and s.interest >= 0 and s.principal >= 0 for s in outcome.splits)
    # Each payment within a cent of the lender's own rounding; the last one carries what those cents add up to.
    deviations = [s.interest - i for s, (i, _) in zip(outcome.splits, lines)]
    assert all(abs(d) <= 1 for d in deviations[:-1])
    assert abs(deviations[-1]) <= max(1, count - 1)
