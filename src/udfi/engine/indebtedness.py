"""Acquisition indebtedness (IRC §514(c); Treas. Reg. §1.514(a)-1(a)(3), §1.514(c)-1).

A loan's balance on a day is its principal less the `principal` rows dated *before* that day (the
balance at the start of the day). A lender statement is the best evidence of principal: from its date
until the next statement the balance is the statement's, less the ledger's repayments after it. The share of a loan that is
acquisition indebtedness is fixed when the loan is made: all of an acquisition or improvement loan,
none of an `other` loan, and for a refinance the old loan's outstanding acquisition indebtedness up
to the new principal (§1.514(c)-1(c)(1)); because later repayments are apportioned pro rata between
the continued debt and the excess (§1.514(c)-1(c)(3)), that share stays constant for the loan's life.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from udfi.engine.records import record
from udfi.money import ONE, ZERO


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def to_day(value: dt.date) -> np.datetime64:
    # from the day number: the same datetime64[D] as np.datetime64(value, "D"), five times cheaper
    return np.datetime64(value.toordinal() - _EPOCH_ORDINAL, "D")


@dataclass
class Loan:
    loan_id: str
    purpose: str
    principal: Decimal
    originated_on: dt.date
    retired_on: dt.date | None            # the day a refinancing loan replaced it
    refinances: str | None
    recourse: bool
    lender_is_disqualified_person: bool
    payment_days: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    paid_cumulative_cents: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    statements: dict[dt.date, Decimal] = field(default_factory=dict)
    acquisition_fraction: Decimal = ONE
    excess_at_origination: Decimal = ZERO

    def ledger_balance(self, day: dt.date) -> Decimal:
        """Principal outstanding at the start of `day` per the ledger (0 before origination / after retirement)."""
        if day < self.originated_on or (self.retired_on is not None and day >= self.retired_on):
            return ZERO
        return self.principal - self._paid_before(day)

    def _paid_before(self, day: dt.date) -> Decimal:
        paid_index = int(np.searchsorted(self.payment_days, to_day(day), side="left"))
        return Decimal(int(self.paid_cumulative_cents[paid_index - 1]) if paid_index else 0) / 100

    def statement_in_effect(self, day: dt.date) -> tuple[dt.date, Decimal] | None:
        """The latest lender statement dated on or before `day` (its date and balance), if any."""
        if not self._statement_dates:   # most loans: no lender statement
            return None
        # bisect over the sorted dates: a numpy search for one day costs ten times more
        index = bisect_right(self._statement_dates, day) - 1
        if index < 0:
            return None
        as_of = self._statement_dates[index]
        return as_of, self.statements[as_of]

    def _outstanding(self, day: dt.date) -> Decimal:
        """Principal at the start of `day`: the statement in effect less later repayments, else the ledger."""
        in_effect = self.statement_in_effect(day)
        if in_effect is None:
            return self.principal - self._paid_before(day)
        as_of, stated = in_effect
        return stated - (self._paid_before(day) - self._paid_before(as_of))

    def balance(self, day: dt.date) -> Decimal:
        """Outstanding principal at the start of `day` (0 before origination and from retirement on)."""
        if day < self.originated_on or (self.retired_on is not None and day >= self.retired_on):
            return ZERO
        return self._outstanding(day)

    def balance_before_retirement(self) -> Decimal:
        """Outstanding principal on the day a refinancing loan replaced this one (a payoff row that
        day is not yet subtracted: the balance is taken at the start of the day)."""
        if self.retired_on is None:
            return ZERO
        return self._outstanding(self.retired_on)

    def __post_init__(self) -> None:
        self._originated_day = to_day(self.originated_on)
        self._retired_day = to_day(self.retired_on) if self.retired_on is not None else np.datetime64("9999-12-31")
        self._principal_cents = int(self.principal * 100)
        # Statements outside the loan's life say nothing about it (validation warns about them).
        self._statement_dates = sorted(day for day in self.statements
                                       if day >= self.originated_on and (self.retired_on is None or day <= self.retired_on))
        self._statement_days = np.array(self._statement_dates, dtype="datetime64[D]")
        self._statement_cents = np.array([int(self.statements[day] * 100) for day in self._statement_dates],
                                         dtype=np.int64)

    def _paid_before_many(self, day_array: np.ndarray) -> np.ndarray:
        if not len(self.paid_cumulative_cents):
            return np.zeros(len(day_array), dtype=np.int64)
        paid_index = np.searchsorted(self.payment_days, day_array, side="left")
        return np.where(paid_index > 0, self.paid_cumulative_cents[np.maximum(paid_index - 1, 0)], 0)

    def acquisition_balances(self, days: list[dt.date], day_array: np.ndarray | None = None) -> list[Decimal]:
        """`acquisition_balance` for many days at once (one search over the repayment dates)."""
        if day_array is None:
            day_array = np.array(days, dtype="datetime64[D]")
        paid = self._paid_before_many(day_array)
        cents = self._principal_cents - paid
        if len(self._statement_days):
            which = np.searchsorted(self._statement_days, day_array, side="right") - 1
            stated = which >= 0
            if stated.any():
                chosen = np.maximum(which, 0)
                paid_by_statement = self._paid_before_many(self._statement_days)[chosen]
                cents = np.where(stated, self._statement_cents[chosen] - (paid - paid_by_statement), cents)
        active = (day_array >= self._originated_day) & (day_array < self._retired_day)
        balances = [Decimal(amount) / 100 for amount in np.where(active, cents, 0).tolist()]
        if self.acquisition_fraction != ONE:
            balances = [balance * self.acquisition_fraction for balance in balances]
        return balances

    def acquisition_balance(self, day: dt.date) -> Decimal:
        return self.balance(day) * self.acquisition_fraction


def assign_acquisition_fractions(loans: dict[str, Loan]) -> None:
    """Set each loan's acquisition share, following refinance chains oldest first (§1.514(c)-1(c))."""
    done: set[str] = set()
    for loan in sorted(loans.values(), key=lambda item: item.originated_on):
        _resolve(loan, loans, done)


def _resolve(loan: Loan, loans: dict[str, Loan], done: set[str]) -> None:
    # A module function, not a closure that calls itself: that closure is a reference cycle per
    # property, left for the cyclic collector (paused while a book is computed).
    if loan.loan_id in done:
        return
    if loan.purpose in ("acquisition", "improvement"):
        loan.acquisition_fraction = ONE
    elif loan.purpose == "other":
        loan.acquisition_fraction = ZERO
    else:  # refinance: continues the old acquisition debt up to its outstanding principal
        old = loans[loan.refinances]
        _resolve(old, loans, done)
        continued = old.acquisition_fraction * old.balance_before_retirement()
        carried = min(continued, loan.principal)
        loan.acquisition_fraction = carried / loan.principal if loan.principal else ZERO
        loan.excess_at_origination = max(loan.principal - old.balance_before_retirement(), ZERO)
    done.add(loan.loan_id)


@record
class MonthBalance:
    month: dt.date             # first day of the calendar month
    measured_on: dt.date       # the first of the month, or the acquisition date in the acquisition month
    by_loan: dict[str, Decimal]  # acquisition indebtedness per loan
    total: Decimal


def month_balances(loans: list[Loan], first_day_held: dt.date, last_day_held: dt.date) -> list[MonthBalance]:
    """First-of-month acquisition indebtedness for every calendar month the property is held in the year.

    A partial month counts as a full month; in the month of acquisition the debt outstanding at
    acquisition is used (Reg. §1.514(a)-1(a)(3)(iii) Example 1: bought July 10 → July at full principal).
    """
    month_array = np.arange(np.datetime64(first_day_held, "M"), np.datetime64(last_day_held, "M") + 1)
    measured_array = month_array.astype("datetime64[D]")
    months = measured_array.tolist()
    measured_array[0] = max(measured_array[0], to_day(first_day_held))
    measured = measured_array.tolist()
    per_loan = {loan.loan_id: loan.acquisition_balances(measured, measured_array) for loan in loans}
    rows = []
    for index, (month, measured_on) in enumerate(zip(months, measured)):
        by_loan = {loan_id: balances[index] for loan_id, balances in per_loan.items()}
        rows.append(MonthBalance(month, measured_on, by_loan, sum(by_loan.values(), ZERO)))
    return rows


def highest_in_window(loans: list[Loan], window_start: dt.date, disposed_on: dt.date) -> tuple[Decimal, dt.date]:
    """Highest acquisition indebtedness in the 12 months ending on the disposition date (§514(c)(7)).

    Debt only rises when a loan is made, so the maximum is reached at the window's start, on a day a
    loan was made, or on a lender-statement day inside the window.
    """
    candidates = {window_start, disposed_on}
    for loan in loans:
        for day in [loan.originated_on, *loan.statements]:
            if window_start <= day <= disposed_on:
                candidates.add(day)
    best_day = window_start
    best = ZERO
    for day in sorted(candidates):
        total = sum((loan.acquisition_balance(day) for loan in loans), ZERO)
        if total > best:
            best, best_day = total, day
    return best, best_day
