"""One row per account: the triage that `udfi check --format csv` prints and `summary.csv` records."""

from __future__ import annotations

from udfi.engine.compute import AccountYear
from udfi.money import format_dollars

SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "reason", "problem")
# Columns that carry the user's own text (masked and neutralized when written for a spreadsheet).
USER_COLUMNS = ("account_id", "name", "ein", "account_type", "reason", "problem")


def not_required_reason(result: AccountYear) -> str:
    """Why an account need not file, in plain words, from the engine's figures.

    Gross unrelated income (Schedule A line 13(A)) under the filing threshold is the test (Form 990-T
    instructions, Who Must File; Reg. §1.6012-3(a)(5) — rules.md §1); the reason says what made it small: no property held, the §514(c)(9) exception
    (qualified trust's real property: its debt is not acquisition indebtedness), no acquisition
    indebtedness in the year (nor in the 12 months before a sale), or debt-financed income that is
    simply under the threshold."""
    if result.must_file:
        return ""
    year = result.tax_year
    threshold = format_dollars(result.parameters.filing_threshold)
    gross = f"${result.gross_unrelated_income:,.2f}"
    held = result.property_years
    if not held:
        return f"no property held in {year}; gross unrelated income {gross}"
    financed = [column for column in held if column.debt_financed]
    if financed:
        return f"gross unrelated income {gross} is under the ${threshold} filing threshold"
    excluded = [column.property_id for column in held if column.acquisition_indebtedness_excluded]
    if excluded and len(excluded) == len(held):
        return (f"§514(c)(9) exception: the debt on {', '.join(excluded)} is not acquisition indebtedness "
                "(qualified trust's real property); no debt-financed income")
    if excluded:
        others = [column.property_id for column in held if not column.acquisition_indebtedness_excluded]
        return (f"§514(c)(9) exception for {', '.join(excluded)}; no acquisition indebtedness in {year} for "
                f"{', '.join(others)}; no debt-financed income")
    return f"no acquisition indebtedness in {year} (nor in the 12 months before a sale): no debt-financed income"


def summary_row(result: AccountYear) -> dict:
    form = result.form
    return {
        "account_id": result.account_id, "name": result.account.get("name") or "", "ein": result.account.get("ein") or "",
        "account_type": result.account["account_type"], "status": "file" if result.must_file else "not_required",
        "gross_unrelated_income": f"{result.gross_unrelated_income:.2f}", "ubti": form.ubti, "tax": form.total_tax,
        "payments": form.part_iii["7"], "balance_due": form.part_iii["9"], "overpayment": form.part_iii["10"],
        "due_date": result.due_date.isoformat(), "extended_due_date": result.extended_due_date.isoformat(),
        "reason": not_required_reason(result), "problem": "",
    }
