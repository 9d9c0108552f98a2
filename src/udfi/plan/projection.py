"""Run the real engine on the planned book, year by year, and lay the scenarios side by side.

Every tax figure is the engine's (`compute_book` on the generated book, validated like any book);
the only arithmetic here is adding up the generated ledger for the cash flows.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from udfi.engine.compute import AccountYear, compute_book
from udfi.engine.report import account_object
from udfi.money import ZERO, money_str
from udfi.plan.book import amortization, monthly_payment, plan_csv_files, plan_tables, scenarios
from udfi.plan.terms import PlanTerms
from udfi.validate import validate_book


class PlanError(RuntimeError):
    """The generated book did not validate (a bug or terms the engine cannot take); says why."""


@dataclass(frozen=True)
class Projection:
    terms: PlanTerms
    results: dict[int, dict[str, AccountYear]]  # tax year → account id → the engine's result

    def as_json(self) -> dict:
        return projection_json(self)


def compute_plan(terms: PlanTerms) -> Projection:
    """Write the generated book to a private temporary folder, validate it and compute every year."""
    with tempfile.TemporaryDirectory(prefix="udfi-plan-") as folder:
        for name, data in plan_csv_files(terms).items():
            (Path(folder) / name).write_bytes(data)
        report = validate_book(folder)
        if not report.ok or report.book is None:
            detail = "; ".join(f"{p.file} row {p.row} {p.column}: {p.expected}" for p in report.errors[:5])
            raise PlanError(f"the planned book is not valid: {detail}")
        book = report.book
        results = {year: {result.account_id: result for result in compute_book(book, year)}
                   for year in terms.tax_years}
    return Projection(terms, results)


def _cash_by_year(terms: PlanTerms) -> dict[str, dict[int, dict[str, Decimal]]]:
    """Per account and year: rent, expenses, interest and principal paid (sums of the generated ledger)."""
    property_account = {row["property_id"]: row["account_id"] for row in plan_tables(terms)["properties"]}
    sums: dict[str, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for row in plan_tables(terms)["ledger"]:
        sums[property_account[row["property_id"]]][int(row["date"][:4])][row["category"]] += Decimal(row["amount"])
    return sums


def _year_row(terms: PlanTerms, index: int, result: AccountYear, cash: dict[str, Decimal]) -> dict:
    data = account_object(result)
    item = data["properties"][0] if data["properties"] else None
    part_v = item["part_v"] if item else {}
    schedule = data["schedule_a"]
    form = data["form_990t"]
    rent = cash.get("rent", ZERO)
    outflow = cash.get("other_expense", ZERO) + cash.get("interest", ZERO) + cash.get("principal", ZERO)
    tax = form["part_iii"]["4"]
    row = {
        "year": index + 1, "tax_year": result.tax_year,
        "average_acquisition_indebtedness": item["average_acquisition_indebtedness"] if item else "0.00",
        "average_adjusted_basis": item["average_adjusted_basis"] if item else "0.00",
        "debt_basis_percentage": item["debt_basis_percentage"] if item else "0.0000",
        "gross_rent": item["gross_income"] if item else "0.00",
        "depreciation": item["straight_line_depreciation"] if item else "0.00",
        "reportable_income": part_v.get("7", 0),            # Schedule A Part V line 7
        "allocable_deductions": part_v.get("9", 0),         # Part V line 9
        "net_udfi": schedule["part_i"]["7c"],               # Part I line 7 column (C)
        "reportable_gain": schedule["part_i"]["4a"],        # Part I line 4a
        "nol_used": schedule["part_ii"]["17"],
        "nol_carryover": data["nol_carryover"]["post2017_out"],
        "specific_deduction": form["part_i"]["8"],
        "ubti": form["part_i"]["11"],
        "tax": tax,
        "tax_method": data["tax_computation_method"],
        "must_file": data["must_file"],
        "gross_unrelated_income": data["gross_unrelated_income"],
        "rent_collected": money_str(rent),
        "expenses": money_str(cash.get("other_expense", ZERO)),
        "interest_paid": money_str(cash.get("interest", ZERO)),
        "principal_paid": money_str(cash.get("principal", ZERO)),
        "cash_flow_after_tax": money_str(rent - outflow - tax),
        "sale": None,
    }
    if item and item["disposition"]:
        row["sale"] = {key: item["disposition"][key] for key in (
            "date", "amount_realized", "adjusted_basis", "gain", "highest_acquisition_indebtedness", "highest_on",
            "percentage", "gain_reportable", "unrecaptured_1250_reportable")}
    return row


def projection_json(projection: Projection) -> dict:
    terms = projection.terms
    cash = _cash_by_year(terms)
    payments = amortization(terms)
    payoff = payments[-1].principal if payments and payments[-1].day == terms.sold_on else ZERO
    columns = []
    for scenario in scenarios(terms):
        years = [_year_row(terms, index, projection.results[year][scenario.account_id],
                           cash[scenario.account_id].get(year, {}))
                 for index, year in enumerate(terms.tax_years)]
        loan = terms.loan if scenario.financed else ZERO
        invested = terms.cost_basis - loan
        sale = years[-1]["sale"] or {}
        realized = Decimal(sale.get("amount_realized", "0"))
        # The last year's cash flow already repays the loan (the payoff is a principal row of the ledger).
        total_cash = sum((Decimal(row["cash_flow_after_tax"]) for row in years), ZERO) + realized
        columns.append({
            "key": scenario.key, "account_id": scenario.account_id, "label": scenario.label,
            "account_type": scenario.account_type, "financed": scenario.financed,
            "yours": scenario.key == ("solo_401k_loan" if terms.account_type == "solo_401k" else "ira_loan"),
            "loan": money_str(loan), "cash_invested": money_str(invested),
            "years": years,
            "totals": {
                "tax": sum(row["tax"] for row in years),
                "years_to_file": sum(1 for row in years if row["must_file"]),
                "net_udfi": sum(row["net_udfi"] for row in years),
                "reportable_gain": sum(row["reportable_gain"] for row in years),
                "cash_returned": money_str(total_cash),
                "profit_after_tax": money_str(total_cash - invested),
            },
        })
    return {
        "terms": terms.as_json(),
        "tax_years": list(terms.tax_years),
        "loan": {"principal": money_str(terms.loan), "rate": str(terms.rate), "term_years": terms.term_years,
                 "monthly_payment": money_str(monthly_payment(terms.loan, terms.rate, terms.term_years * 12)),
                 "payoff_at_sale": money_str(payoff)},
        "scenarios": columns,
        "notes": plan_notes(terms),
    }


def plan_notes(terms: PlanTerms) -> list[str]:
    years = terms.tax_years
    return [
        f"Computed by udfi's engine on a generated book: bought {terms.acquired_on.isoformat()}, sold "
        f"{terms.sold_on.isoformat()}, under the tax law of {years[0]}–{years[-1]} (the latest years udfi has "
        "parameters for; later years' brackets are indexed for inflation).",
        "Debt-financed share: average acquisition debt ÷ average adjusted basis each year (IRC §514(a)(1), Reg. "
        "§1.514(a)-1(a)); the gain on the sale uses the highest debt in the 12 months before it (§514(c)(7)).",
        "Solo 401(k): a qualified trust's debt to buy real property is not acquisition indebtedness "
        "(§514(c)(9)) — provided the price is fixed, the debt does not depend on the property's income, and "
        "neither the seller nor a disqualified person finances or leases it back (§514(c)(9)(B)).",
        "Cash flow after tax = rent less vacancy − expenses − mortgage interest and principal − the year's tax; "
        "in the sale year it includes repaying the loan. Profit after tax = all cash returned, including the "
        "sale proceeds, less the cash invested.",
    ]
