"""letter.pdf: one page for the signer of the return and the account owner — what is due and when,
the balance to pay from the account and how, what to sign (and what the transmitter adds for
e-filing), next year's estimated-tax installments, or why no return is required. Every figure is
the engine's (account object); the installment amounts apply the prior-year safe harbour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from udfi import parameters
from udfi.efile.custodian import TRANSMITTER_ADDS
from udfi.engine.compute import AccountYear
from udfi.statements.words import account_type, exemption, taxed_under

QUARTER = Decimal("0.25")
CITE = {
    "filing": "Instructions for Form 990-T, Who Must File",
    "due": "IRC §6072(a); Instructions for Form 990-T, When To File; Form 8868 (automatic 6-month extension); IRC §7503",
    "pay": "Instructions for Form 990-T, payment of the tax by electronic funds transfer (EFTPS); IRC §6601, "
           "§6651(a)(2) (interest and the late-payment penalty on an unpaid balance)",
    "estimated": "IRC §6655(c), (d)(1)(B)(ii), (d)(2), (f), (g)(2)-(3); Form 2220",
    "sign": "Instructions for Form 990-T, Signature; Form 8879-TE, IRS e-file Signature Authorization for a Tax "
            "Exempt Entity",
}


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def estimated_installments(result: AccountYear, data: dict) -> dict:
    """Next year's installments under the prior-year safe harbour: 25% of this year's total tax by
    each of next year's due dates (IRC §6655(d)(1)(B)(ii)) — when this year's return shows tax."""
    form = data["form_990t"]
    tax = int(form["part_iii"]["4"])
    next_year = result.tax_year + 1
    dates = [_date(day) for day in data["estimated_tax_due_dates"]]
    threshold = Decimal(parameters.value("due_dates", result.tax_year)["estimated_tax_threshold"])
    # the testing period of next year ends with this year: this year's entry of the §6655(g)(2) threshold
    large = parameters.value("large_organization_threshold", result.tax_year)
    testing = [int(form["part_i"]["11"])]
    if result.prior_year_form is not None:
        testing.append(int(result.prior_year_form.part_i["11"]))
    is_large = any(Decimal(amount) >= Decimal(large["amount"]) for amount in testing)
    if tax <= 0 or not dates:
        return {"applies": False, "tax": tax, "year": next_year, "threshold": threshold, "rows": [],
                "large": is_large, "large_amount": Decimal(large["amount"])}
    each = Decimal(tax) * QUARTER
    return {"applies": True, "tax": tax, "year": next_year, "threshold": threshold,
            "rows": [{"number": number, "date": day, "amount": each} for number, day in enumerate(dates, start=1)],
            "total": each * len(dates), "large": is_large, "large_amount": Decimal(large["amount"])}


def letter_context(result: AccountYear, data: dict) -> dict:
    form = data["form_990t"]
    part_iii = form["part_iii"]
    gross = Decimal(data["gross_unrelated_income"])
    threshold = Decimal(data["filing_threshold"])
    plan_trust = data["account_type"] == "solo_401k"
    named = bool(data.get("books_in_care_of"))
    custodian = data["books_in_care_of"] if named else ("the plan's trustee" if plan_trust else "the custodian (trustee)")
    return {
        "year": result.tax_year, "name": data["name"] or data["account_id"], "ein": data["ein"],
        "account_id": data["account_id"], "account_type": account_type(data["account_type"]),
        "exemption": exemption(data["account_type"]), "custodian": custodian, "custodian_named": named,
        "must_file": data["must_file"], "gross": gross, "threshold": threshold,
        "due_date": result.due_date, "extended_due_date": result.extended_due_date,
        "tax": int(part_iii["4"]), "payments": int(part_iii["7"]), "penalty": int(part_iii.get("8") or 0),
        "balance_due": int(part_iii["9"]), "overpayment": int(part_iii["10"]),
        "form_2220_attached": data.get("form_2220_attached", False),
        "estimated": estimated_installments(result, data),
        "transmitter_adds": [who for _, who in TRANSMITTER_ADDS],
        # a Solo 401(k)'s trustee is often its owner, who then signs as trustee
        "plan_trust": plan_trust,
        "attachments": [], "cite": {**CITE, "tax": taxed_under(data["account_type"])},
    }
