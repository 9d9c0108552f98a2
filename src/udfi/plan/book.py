"""From purchase terms to a book: the same tables a user would fill in, one account per scenario.

The scenarios side by side: an IRA that borrows, a Solo 401(k) that borrows the same loan (§514(c)(9)),
and the same property bought for cash. The property is bought on January 1 of the first year and sold
on December 31 of the last; rent and expenses are posted on the 1st of every month; the loan is a
fixed-rate, fully amortizing mortgage paid monthly from the month after purchase and repaid from the
sale proceeds. The tax figures then come from the engine, exactly as for a real book.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from udfi.money import ZERO, round_cents
from udfi.plan.terms import PlanTerms
from udfi.schemas import table_specs

IRA_LABELS = {"traditional_ira": "Traditional IRA", "roth_ira": "Roth IRA", "sep_ira": "SEP IRA",
              "simple_ira": "SIMPLE IRA", "solo_401k": "Solo 401(k)"}


@dataclass(frozen=True)
class Scenario:
    key: str
    account_id: str
    label: str
    account_type: str
    financed: bool
    ein: str  # a placeholder: the book must be valid, and EINs are unique per account

    @property
    def property_id(self) -> str:
        return f"{self.account_id}-PROPERTY"

    @property
    def loan_id(self) -> str:
        return f"{self.account_id}-LOAN"


def scenarios(terms: PlanTerms) -> tuple[Scenario, ...]:
    """IRA with the loan, Solo 401(k) with the loan, and the chosen account paying cash."""
    ira_type = terms.account_type if terms.account_type != "solo_401k" else "traditional_ira"
    cash_label = f"{IRA_LABELS[terms.account_type]} paying cash"
    return (
        Scenario("ira_loan", "PLAN-IRA-LOAN", f"{IRA_LABELS[ira_type]} with the loan", ira_type, True, "00-0000001"),
        Scenario("solo_401k_loan", "PLAN-401K-LOAN", "Solo 401(k) with the loan", "solo_401k", True, "00-0000002"),
        Scenario("cash", "PLAN-CASH", cash_label, terms.account_type, False, "00-0000003"),
    )


@dataclass(frozen=True)
class Payment:
    day: dt.date
    interest: Decimal
    principal: Decimal


def monthly_payment(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """The level payment of a fully amortizing loan: P·i / (1 − (1 + i)^−n), i the monthly rate; P / n at 0 %."""
    if principal <= ZERO:
        return ZERO
    if annual_rate_percent == ZERO:
        return round_cents(principal / months)
    monthly = annual_rate_percent / 100 / 12
    return round_cents(principal * monthly / (1 - (1 + monthly) ** -months))


def _add_months(day: dt.date, months: int) -> dt.date:
    absolute = day.year * 12 + day.month - 1 + months
    return dt.date(absolute // 12, absolute % 12 + 1, 1)


def amortization(terms: PlanTerms) -> list[Payment]:
    """Every payment while the account holds the property; the last one, on the sale date, repays the
    balance with the interest of the sale month."""
    balance = terms.loan
    if balance <= ZERO:
        return []
    months = terms.term_years * 12
    payment = monthly_payment(balance, terms.rate, months)
    monthly = terms.rate / 100 / 12
    schedule = []
    for number in range(1, months + 1):
        day = _add_months(terms.acquired_on, number)
        if day > terms.sold_on or balance <= ZERO:
            break
        interest = round_cents(balance * monthly)
        principal = balance if number == months else min(payment - interest, balance)
        schedule.append(Payment(day, interest, principal))
        balance -= principal
    if balance > ZERO:
        schedule.append(Payment(terms.sold_on, round_cents(balance * monthly), balance))
    return schedule


def yearly_amount(base: Decimal, growth_percent: Decimal, year_index: int) -> Decimal:
    """`base` grown by `growth_percent` a year for `year_index` years, to the cent."""
    return round_cents(base * (1 + growth_percent / 100) ** year_index)


def amount_realized(terms: PlanTerms) -> Decimal:
    """Sale price (price grown by the appreciation for the years held) less the selling costs."""
    sale_price = yearly_amount(terms.price, terms.appreciation, terms.hold_years)
    return round_cents(sale_price * (1 - terms.selling_costs / 100))


def _operating_rows(terms: PlanTerms, property_id: str) -> list[dict]:
    rows = []
    for index, year in enumerate(terms.tax_years):
        rent = round_cents(yearly_amount(terms.rent_monthly, terms.growth, index) * (1 - terms.vacancy / 100))
        expenses = yearly_amount(terms.expenses_annual, terms.growth, index)
        month_expense = round_cents(expenses / 12)
        for month in range(1, 13):
            day = dt.date(year, month, 1).isoformat()
            if rent:
                rows.append({"date": day, "property_id": property_id, "category": "rent", "amount": str(rent),
                             "memo": "rent less vacancy (plan)"})
            # December takes the rounding so each year's expenses sum to the yearly amount
            expense = month_expense if month < 12 else expenses - month_expense * 11
            if expense:
                rows.append({"date": day, "property_id": property_id, "category": "other_expense",
                             "amount": str(expense), "memo": "operating expenses (plan)"})
    return rows


def _loan_rows(payments: list[Payment], scenario: Scenario) -> list[dict]:
    rows = []
    for payment in payments:
        for category, amount in (("interest", payment.interest), ("principal", payment.principal)):
            if amount:
                rows.append({"date": payment.day.isoformat(), "property_id": scenario.property_id,
                             "category": category, "amount": str(amount), "loan_id": scenario.loan_id,
                             "memo": "mortgage payment (plan)"})
    return rows


def plan_tables(terms: PlanTerms) -> dict[str, list[dict]]:
    """The book's tables (rows of text cells) for every scenario."""
    payments = amortization(terms)
    tables: dict[str, list[dict]] = {"accounts": [], "properties": [], "loans": [], "ledger": []}
    realized = amount_realized(terms)
    for scenario in scenarios(terms):
        tables["accounts"].append({"account_id": scenario.account_id, "name": f"Plan: {scenario.label} (not a return)",
                                   "ein": scenario.ein, "account_type": scenario.account_type})
        tables["properties"].append({
            "property_id": scenario.property_id, "account_id": scenario.account_id,
            "description": "Planned purchase", "property_type": terms.property_type,
            "acquired_on": terms.acquired_on.isoformat(), "cost_basis": str(terms.cost_basis),
            "land_value": str(terms.land_value), "placed_in_service_on": terms.acquired_on.isoformat(),
            "recovery": terms.recovery, "disposed_on": terms.sold_on.isoformat(), "amount_realized": str(realized),
        })
        tables["ledger"] += _operating_rows(terms, scenario.property_id)
        if scenario.financed and payments:
            tables["loans"].append({"loan_id": scenario.loan_id, "property_id": scenario.property_id,
                                    "originated_on": terms.acquired_on.isoformat(), "principal": str(terms.loan),
                                    "purpose": "acquisition"})
            tables["ledger"] += _loan_rows(payments, scenario)
    return tables


def plan_csv_files(terms: PlanTerms) -> dict[str, bytes]:
    """The generated book as CSV files (file name → bytes), columns in the schema's order."""
    specs = table_specs()
    files = {}
    for name, rows in plan_tables(terms).items():
        columns = list(specs[name].column_names)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({column: row.get(column, "") for column in columns} for row in rows)
        files[specs[name].filename] = buffer.getvalue().encode("utf-8")
    return files
