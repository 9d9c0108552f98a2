"""The line 4 statement per loan: the lender's balance on the first day of each month held, the
loan's acquisition share (and why), and the acquisition debt it carries into line 4 — so each month
ties to the lender statement and the line ties to the Part V column. Every figure is the engine's
(`Loan.balance`, `Loan.acquisition_fraction`, `MonthBalance.by_loan`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from udfi.money import ZERO, round_cents
from udfi.statements.figures import format_cents

REFINANCE_CITE = "Treas. Reg. §1.514(c)-1(c)(1), (3)"
PURPOSE_WORDS = {"acquisition": "acquisition", "improvement": "improvement", "refinance": "refinance",
                 "other": "other purpose"}


def share_reason(loan, loans_by_id: dict, excluded: bool) -> str:
    """Why the loan's acquisition share is what it is, in words."""
    if excluded:
        return ("excepted: the account is a qualified trust and the debt was incurred to acquire or improve real "
                "property, so it is not acquisition indebtedness (IRC §514(c)(9))")
    if loan.purpose == "acquisition":
        return "incurred to acquire the property: all of it is acquisition indebtedness (IRC §514(c)(1)(A))"
    if loan.purpose == "improvement":
        return "incurred to improve the property: all of it is acquisition indebtedness (IRC §514(c)(1)(A))"
    if loan.purpose == "other":
        return "not incurred to acquire or improve the property: not acquisition indebtedness (IRC §514(c)(1))"
    old = loans_by_id.get(loan.refinances)
    if old is None:
        return f"refinances {loan.refinances} ({REFINANCE_CITE})"
    continued = old.acquisition_fraction * old.balance_before_retirement()
    text = (f"refinances {old.loan_id}: continues its acquisition debt of {format_cents(continued)} outstanding on "
            f"{loan.originated_on.isoformat()}, out of a principal of {format_cents(loan.principal)}")
    if loan.excess_at_origination > ZERO:
        text += (f"; the excess of {format_cents(loan.excess_at_origination)} is a separate debt that is not "
                 "acquisition indebtedness, and repayments are shared pro rata")
    return f"{text} ({REFINANCE_CITE})"


def _statement_on(loan, previous: dt.date | None, day: dt.date):
    """A lender statement that took effect after the previous measuring day and by this one."""
    in_effect = loan.statement_in_effect(day)
    if in_effect is None:
        return None
    as_of, stated = in_effect
    if previous is not None and as_of <= previous:
        return None
    return as_of, stated


def loan_tables(column, facts, excluded: bool) -> dict:
    """Loans shown for the year (those with a balance in a month held), their shares and the monthly rows."""
    loans_by_id = {loan.loan_id: loan for loan in facts.loans}
    shown = [loan for loan in facts.loans
             if any(loan.balance(month.measured_on) != ZERO for month in column.months)]
    loans = [{"id": loan.loan_id, "purpose": PURPOSE_WORDS.get(loan.purpose, loan.purpose),
              "originated_on": loan.originated_on, "principal": loan.principal,
              "share": None if excluded else loan.acquisition_fraction * 100,
              "why": share_reason(loan, loans_by_id, excluded)} for loan in shown]
    rows, statements = [], []
    previous: dt.date | None = None
    for month in column.months:
        cells = []
        for loan in shown:
            balance = loan.balance(month.measured_on)
            acquisition = month.by_loan.get(loan.loan_id, ZERO)
            expected = balance * loan.acquisition_fraction
            if round_cents(expected) != round_cents(acquisition):
                raise RuntimeError(f"line 4 statement: {loan.loan_id} on {month.measured_on}: balance x share "
                                   f"{expected} is not the engine's {acquisition}")
            statement = _statement_on(loan, previous, month.measured_on)
            if statement is not None:
                statements.append({"loan": loan.loan_id, "as_of": statement[0], "stated": statement[1],
                                   "measured_on": month.measured_on, "balance": balance,
                                   "ledger": loan.ledger_balance(statement[0])})
            # §514(c)(9): the debt is measured but is not acquisition indebtedness (line 4 is zero)
            cells.append({"balance": balance, "acquisition": None if excluded else acquisition,
                          "statement": statement is not None})
        rows.append({"month": month.month, "measured_on": month.measured_on, "loans": cells, "total": month.total})
        previous = month.measured_on
    for item in statements:
        item["difference"] = item["stated"] - item["ledger"]
    # One acquisition loan, all of it acquisition debt: the balance is the acquisition debt, so one
    # amount column and a sentence say it all (cheaper to lay out than a loans table and two columns).
    simple = (len(shown) == 1 and not excluded and loans[0]["share"] == 100
              and shown[0].purpose in ("acquisition", "improvement"))
    return {"loans": loans, "rows": rows, "statements": statements, "simple": simple,
            "month_sum": sum((month.total for month in column.months), ZERO)}


def percent(value: Decimal) -> str:
    return f"{Decimal(value):.4f}%"
