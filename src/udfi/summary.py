"""One row per account: the triage that `udfi check --format csv` prints and `summary.csv` records."""

from __future__ import annotations

from udfi.engine.compute import AccountYear

SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "problem")


def summary_row(result: AccountYear) -> dict:
    form = result.form
    return {
        "account_id": result.account_id, "name": result.account.get("name") or "", "ein": result.account.get("ein") or "",
        "account_type": result.account["account_type"], "status": "file" if result.must_file else "not_required",
        "gross_unrelated_income": f"{result.gross_unrelated_income:.2f}", "ubti": form.ubti, "tax": form.total_tax,
        "payments": form.part_iii["7"], "balance_due": form.part_iii["9"], "overpayment": form.part_iii["10"],
        "due_date": result.due_date.isoformat(), "extended_due_date": result.extended_due_date.isoformat(),
        "problem": "",
    }
