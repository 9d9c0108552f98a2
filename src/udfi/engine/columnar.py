"""Average acquisition indebtedness of many property-years at once, in integer cents.

The scalar path (`indebtedness.month_balances`, one `MonthBalance` per month, `Decimal` per loan and
month) is the reference and stays what explain and the statements show. This module computes the
same Schedule A Part V line 4 for every property-year of a book with a few numpy operations over
(property-year, loan, month) rows: each loan's balance at the start of each measured day is its
principal (or the lender statement in effect) less the ledger's repayments before that day, 0 outside
the loan's life (Reg. §1.514(a)-1(a)(3); see `indebtedness` for the rules).

Exactness: a loan whose acquisition share is 1 contributes whole cents, so the sum over months and
loans is an exact integer and the average is that integer ÷ months rounded half-up to the cent —
what `round_cents(Σ Decimal / n)` gives. A property-year in which a loan with a fractional share
(the excess of a cash-out refinance) is outstanding repeats the scalar path's Decimal operations in
their order on the same integer balances (a 40-digit product is rounded, so the order matters).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from udfi.engine.indebtedness import Loan
from udfi.engine.property_year import PropertyFacts
from udfi.money import ONE, ZERO, cents_to_decimal, round_cents


def _days(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


class _LoanTable:
    """Every loan's repayments and lender statements as flat arrays keyed by (loan, day)."""

    def __init__(self, loans: list[Loan]):
        self.loans = loans
        count = len(loans)
        self.principal = np.array([loan._principal_cents for loan in loans], dtype=np.int64)
        self.originated = _days([loan._originated_day for loan in loans]) if count else np.zeros(0, np.int64)
        self.retired = _days([loan._retired_day for loan in loans]) if count else np.zeros(0, np.int64)
        pay_days = [loan.payment_days for loan in loans]
        pay_cum = [loan.paid_cumulative_cents for loan in loans]
        stmt_days = [loan._statement_days for loan in loans]
        stmt_cents = [loan._statement_cents for loan in loans]
        self.pay_codes = np.repeat(np.arange(count), [len(days) for days in pay_days])
        self.pay_days = _days(np.concatenate(pay_days)) if count else np.zeros(0, np.int64)
        self.pay_cum = np.concatenate(pay_cum).astype(np.int64) if count else np.zeros(0, np.int64)
        self.stmt_codes = np.repeat(np.arange(count), [len(days) for days in stmt_days])
        self.stmt_days = _days(np.concatenate(stmt_days)) if count else np.zeros(0, np.int64)
        self.stmt_cents = np.concatenate(stmt_cents).astype(np.int64) if count else np.zeros(0, np.int64)

    def frame(self, days: np.ndarray) -> tuple[int, int]:
        """(base, span) so that code * span + (day − base) orders (loan, day) pairs."""
        every = [days, self.pay_days, self.stmt_days]
        low = min(int(array.min()) for array in every if len(array))
        high = max(int(array.max()) for array in every if len(array))
        return low, high - low + 2

    def paid_before(self, codes: np.ndarray, days: np.ndarray, base: int, span: int) -> np.ndarray:
        """Repayments of loan `codes[i]` dated before `days[i]` (cents)."""
        if not len(self.pay_days):
            return np.zeros(len(codes), dtype=np.int64)
        keys = self.pay_codes * span + (self.pay_days - base)
        first = np.searchsorted(keys, codes * span, side="left")
        position = np.searchsorted(keys, codes * span + (days - base), side="left")
        return np.where(position > first, self.pay_cum[np.maximum(position - 1, 0)], 0)

    def balances(self, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """`Loan.acquisition_balances` before the acquisition share: cents at the start of each day."""
        base, span = self.frame(days)
        paid = self.paid_before(codes, days, base, span)
        cents = self.principal[codes] - paid
        if len(self.stmt_days):
            keys = self.stmt_codes * span + (self.stmt_days - base)
            first = np.searchsorted(keys, codes * span, side="left")
            which = np.searchsorted(keys, codes * span + (days - base), side="right") - 1
            stated = which >= first
            if stated.any():
                chosen = np.maximum(which, 0)
                paid_by_statement = self.paid_before(self.stmt_codes, self.stmt_days, base, span)[chosen]
                cents = np.where(stated, self.stmt_cents[chosen] - (paid - paid_by_statement), cents)
        active = (days >= self.originated[codes]) & (days < self.retired[codes])
        return np.where(active, cents, 0)


def _decimal_averages(wanted: np.ndarray, rows_py: np.ndarray, rows_code: np.ndarray, offset: np.ndarray,
                      cents: np.ndarray, loans: list[Loan], counts: list[int]) -> dict[int, Decimal]:
    """The average of the property-years in `wanted` with the scalar path's Decimal operations in its
    order — per month, ZERO + each loan's balance × its share in loan order; then ZERO + each month;
    ÷ months; rounded — from the same integer balances, so the result is the scalar one digit for digit."""
    averages: dict[int, Decimal] = {}
    rows = np.flatnonzero(wanted[rows_py])
    if not len(rows):
        return averages
    by_py: dict[int, list[list]] = {}
    for py, code, month, amount in zip(rows_py[rows].tolist(), rows_code[rows].tolist(), offset[rows].tolist(),
                                       cents[rows].tolist()):
        months = by_py.setdefault(py, [[] for _ in range(counts[py])])
        balance = Decimal(amount) / 100
        fraction = loans[code].acquisition_fraction
        months[month].append(balance if fraction == ONE else balance * fraction)
    for py, months in by_py.items():
        total = sum((sum(values, ZERO) for values in months), ZERO)
        averages[py] = round_cents(total / len(months))
    return averages


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def average_acquisition_debts(property_years: list[tuple[PropertyFacts, int]]) -> dict[tuple[str, int], Decimal]:
    """Schedule A Part V line 4 (unrounded to dollars) by (property_id, tax_year) for the property-years
    given (each held in its year); property-years the §514(c)(9) exception covers are ZERO."""
    result: dict[tuple[str, int], Decimal] = {}
    loans: list[Loan] = []
    code_of: dict[int, int] = {}
    pair_py, pair_loan, fractional_pairs = [], [], []
    firsts, counts, keys = [], [], []
    for facts, year in property_years:
        if facts.qualified_organization_exception:
            result[(facts.property_id, year)] = ZERO
            continue
        first_day, last_day = facts.first_day_held(year), facts.last_day_held(year)
        index = len(keys)
        keys.append((facts.property_id, year))
        firsts.append(first_day)
        counts.append(_month_index(last_day) - _month_index(first_day) + 1)
        for loan in facts.loans:
            if loan.acquisition_fraction == ZERO:
                continue   # contributes 0 in every month
            code = code_of.get(id(loan))
            if code is None:
                code = code_of[id(loan)] = len(loans)
                loans.append(loan)
            pair_py.append(index)
            pair_loan.append(code)
            fractional_pairs.append(loan.acquisition_fraction != ONE)
    if not keys:
        return result
    table = _LoanTable(loans)
    months = np.array(counts, dtype=np.int64)
    first_days = _days(firsts)
    first_months = np.array([_month_index(day) for day in firsts], dtype=np.int64)
    totals = np.zeros(len(keys), dtype=np.int64)
    unusable = np.zeros(len(keys), dtype=bool)
    exact: dict[int, Decimal] = {}
    if pair_py:
        pairs = np.array(pair_py, dtype=np.int64)
        codes = np.array(pair_loan, dtype=np.int64)
        per_pair = months[pairs]
        rows_py = np.repeat(pairs, per_pair)
        rows_code = np.repeat(codes, per_pair)
        # month number within the property-year: 0, 1, … for each (property-year, loan) pair
        starts = np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        offset = np.arange(len(rows_py), dtype=np.int64) - starts
        month = first_months[rows_py] + offset
        first_of_month = (month - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        # in the first month held the debt is measured on the first day held (acquisition day)
        days = np.where(offset == 0, np.maximum(first_of_month, first_days[rows_py]), first_of_month)
        cents = table.balances(rows_code, days)
        fractional = np.repeat(np.array(fractional_pairs, dtype=bool), per_pair)
        np.add.at(unusable, rows_py[fractional & (cents != 0)], True)
        np.add.at(totals, rows_py, np.where(fractional, 0, cents))
        exact = _decimal_averages(unusable, rows_py, rows_code, offset, cents, loans, counts)
    for index, key in enumerate(keys):
        if unusable[index]:
            result[key] = exact[index]
            continue
        total, count = int(totals[index]), int(counts[index])
        # half-up to the cent (ties away from zero), like Decimal.quantize(ROUND_HALF_UP)
        rounded = (2 * abs(total) + count) // (2 * count)
        result[key] = cents_to_decimal(rounded if total >= 0 else -rounded)
    return result
