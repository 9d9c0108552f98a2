"""The investor's answer in plain words, per account and tax year: must it file and why, the tax, the
due dates, who files and who pays (the trustee or custodian, from the account's own funds), how to
pay, and — for an account that need not file — why not.

Pure: an engine result in, sentences out. `udfi check` prints them and the web page shows them, so
both give the same answer. Every sentence carries the rule it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from udfi.engine.compute import AccountYear
from udfi.money import ZERO, format_dollars

IRA_TYPES = ("traditional_ira", "roth_ira", "sep_ira", "simple_ira")

CITE = {
    "threshold": "Form 990-T instructions, Who Must File ($1,000 of gross unrelated business income); "
                 "Reg. §1.6012-3(a)(5)",
    "filer": "Form 990-T instructions, Who Must File (a custodian is treated as a trustee); IRC §6012(b)(4)",
    "taxpayer_ira": "IRC §408(e)(1) (the IRA is subject to the §511 tax); §511(b)",
    "taxpayer_plan": "IRC §511(b)(2) (a §401(a) trust is taxed on its UBTI at trust rates)",
    "tax": "IRC §511(b)(1) and §1(e)/(j) trust rates; $1,000 specific deduction, §512(b)(12)",
    "time_to_pay": "IRC §6151(a): tax is due at the time fixed for filing, determined without regard to "
                   "any extension",
    "due": "Reg. §1.6072-2(a); Form 8868 (automatic 6-month extension to file); IRC §7503",
    "eftps": "irs.gov, Federal tax deposits: a tax-exempt organization must deposit electronically (EFTPS)",
    "efile": "Form 990-T instructions (2020 and later): a §511 trust must file electronically",
    "estimated": "IRC §6655(c), (f), (g)(3): four installments when the tax is $500 or more",
    "penalty": "IRC §6655(a), (b); Form 2220",
    "udfi": "IRC §514(a)(1), §512(b)(4): only the debt-financed share of rent and gain is taxable",
    "no_debt": "IRC §512(b)(3) (rents from real property are excluded) and §514(b)(1) (no acquisition "
               "indebtedness, no debt-financed property)",
    "514c9": "IRC §514(c)(9)(A), (C)(ii): a qualified trust's debt to buy or improve real property is not "
             "acquisition indebtedness",
}


@dataclass(frozen=True)
class Sentence:
    """One plain statement with the rule it rests on."""

    topic: str       # why, tax, due, who_files, who_pays, how_to_pay, estimated_tax, keep_records
    text: str
    citation: str = ""


@dataclass(frozen=True)
class PlainAnswer:
    account_id: str
    name: str
    tax_year: int
    must_file: bool
    headline: str
    sentences: tuple[Sentence, ...] = field(default_factory=tuple)

    def sentence(self, topic: str) -> Sentence | None:
        return next((item for item in self.sentences if item.topic == topic), None)


def _dollars(amount: int | Decimal) -> str:
    return "$" + (format_dollars(amount) or "0")


def _cents(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _long_date(day) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _why_required(result: AccountYear) -> Sentence:
    gross = result.gross_unrelated_income
    gains = sum((column.disposition.gain_reportable for column in result.property_years
                 if column.debt_financed and column.disposition is not None
                 and column.disposition.gain_reportable > ZERO), ZERO)
    direct = "the debt-financed share of its rent" + (" and of its gain on a sale" if gains > ZERO else "")
    parts = ([direct] if gross > result.k1_gross_income else []) + (
        ["the gross income its partnership Schedules K-1 report"] if result.k1_gross_income > ZERO else [])
    what = " plus ".join(parts) or direct
    return Sentence("why", f"Its gross unrelated income for {result.tax_year} — {what} — is {_cents(gross)}, "
                           f"at least the {_dollars(result.parameters.filing_threshold)} that requires a return "
                           "(even when no tax is due).", CITE["threshold"])


def _why_not_required(result: AccountYear) -> Sentence:
    year = result.tax_year
    threshold = _dollars(result.parameters.filing_threshold)
    held = result.property_years
    if result.k1s:   # partnership income counts toward the $1,000 with the account's own property
        return Sentence("why", f"Its gross unrelated income for {year} — the debt-financed share of its own rent and "
                               "gain plus the gross income its partnership Schedules K-1 report — is "
                               f"{_cents(result.gross_unrelated_income)}, under the {threshold} that requires a "
                               "return.", CITE["threshold"])
    if not held:
        return Sentence("why", f"The account held no real property in {year}, so it had no debt-financed income.",
                        CITE["no_debt"])
    excluded = [column for column in held if column.acquisition_indebtedness_excluded]
    financed = [column for column in held if column.debt_financed]
    if excluded and not financed:
        return Sentence("why", "As a Solo 401(k) (a qualified trust under §401), its loans to buy or improve real "
                               "property are not acquisition indebtedness, so none of its rent or gain is "
                               "debt-financed income — provided the §514(c)(9)(B) conditions hold (a fixed price, "
                               "no seller or disqualified-person financing or lease-back).", CITE["514c9"])
    if not financed:
        return Sentence("why", f"None of its property had acquisition debt in {year} (nor in the 12 months before a "
                               "sale), so its rent is excluded from unrelated business income.", CITE["no_debt"])
    return Sentence("why", f"Its gross unrelated income for {year} — the debt-financed share of its rent and gain — "
                           f"is {_cents(result.gross_unrelated_income)}, under the {threshold} that requires a "
                           "return.", CITE["threshold"])


def _who_files(result: AccountYear) -> Sentence:
    account = result.account
    ein = account.get("ein") or "its own EIN"
    care_of = account.get("books_in_care_of")
    care = f" ({care_of})" if isinstance(care_of, str) and care_of.strip() else ""
    if account["account_type"] == "solo_401k":
        return Sentence("who_files", f"The plan's trustee{care} files Form 990-T for the plan's trust, under the "
                                     f"trust's EIN {ein}; it is not part of your own Form 1040. It must be filed "
                                     "electronically.", CITE["filer"] + "; " + CITE["efile"])
    return Sentence("who_files", f"The IRA's trustee or custodian{care} files Form 990-T for the IRA, under the IRA's "
                                 f"own EIN {ein} — not you on your Form 1040. It must be filed electronically; "
                                 "give the custodian the return to sign and file.", CITE["filer"] + "; " + CITE["efile"])


def _who_pays(result: AccountYear) -> Sentence:
    plan = result.account["account_type"] == "solo_401k"
    whose = "the plan's trust" if plan else "the IRA"
    return Sentence("who_pays", f"Any tax is owed by {whose} and is paid from the account's own funds, not from your "
                                "personal money.", CITE["taxpayer_plan" if plan else "taxpayer_ira"])


def answer(result: AccountYear) -> PlainAnswer:
    """The plain-words answer for one account's tax year."""
    year = result.tax_year
    name = result.account.get("name") or result.account_id
    form = result.form
    if not result.must_file:
        sentences = [
            _why_not_required(result),
            Sentence("keep_records", f"No Form 990-T is due for {year} and no tax is owed. Keep the records: a return "
                                     "is required for any year in which the debt-financed share of gross rent and "
                                     f"gain reaches {_dollars(result.parameters.filing_threshold)}.", CITE["udfi"]),
        ]
        if form.total_tax > 0:  # a gain can make tax without crossing the gross-income test
            sentences.append(Sentence("tax", f"The computation still shows tax of {_dollars(form.total_tax)}; "
                                             "have a preparer review it.", CITE["tax"]))
        return PlainAnswer(result.account_id, name, year, False, f"No Form 990-T required for {year}",
                           tuple(sentences))

    tax, balance, paid = form.total_tax, form.part_iii["9"], form.part_iii["7"]
    rates = ("the trust rates, with the capital-gain rates on the gain (Schedule D (Form 1041))"
             if form.capital_gain_tax is not None else "the trust rates")
    tax_text = (f"Tax {_dollars(tax)}: unrelated business taxable income of {_dollars(form.ubti)} (after the "
                f"{_dollars(form.part_i['8'])} specific deduction) at {rates}.")
    penalty = form.part_iii.get("8") or 0
    if penalty:
        tax_text += (f" Plus {_dollars(penalty)} of estimated-tax penalty for installments paid late or short "
                     "(Form 2220, Part III line 8).")
    if paid:
        tax_text += f" Payments already made {_dollars(paid)}; "
        if balance:
            tax_text += f"balance due {_dollars(balance)}."
        elif form.part_iii["10"]:
            tax_text += f"overpaid {_dollars(form.part_iii['10'])} (refunded, or credited to next year)."
        else:
            tax_text += "nothing more is due."
    elif tax or penalty:
        tax_text += f" Balance due {_dollars(balance)}."
    else:
        tax_text = (f"No tax is due: unrelated business taxable income is {_dollars(form.ubti)} after deductions, "
                    f"losses carried over and the {_dollars(form.part_i['8'])} specific deduction — but the return "
                    "must still be filed.")
    sentences = [
        _why_required(result),
        Sentence("tax", tax_text, CITE["tax"] + ("; " + CITE["penalty"] if penalty else "")),
        Sentence("due", f"File by {_long_date(result.due_date)}. Form 8868 extends the time to file to "
                        f"{_long_date(result.extended_due_date)}, but not the time to pay: pay the tax by "
                        f"{_long_date(result.due_date)}.", CITE["due"] + "; " + CITE["time_to_pay"]),
        _who_files(result),
        _who_pays(result),
    ]
    if balance:
        sentences.append(Sentence("how_to_pay", f"Pay {_dollars(balance)} by electronic funds transfer through EFTPS "
                                                "(the Electronic Federal Tax Payment System), enrolled under the "
                                                "account's EIN, from the account's cash — ask the custodian to "
                                                "send it.", CITE["eftps"]))
    if result.estimated_tax_due_dates:
        dates = ", ".join(_long_date(day) for day in result.estimated_tax_due_dates)
        sentences.append(Sentence("estimated_tax", f"Estimated tax: the tax is $500 or more; if the account expects "
                                                   f"$500 or more for {year + 1} as well, it pays that tax in four "
                                                   f"installments by {dates}.", CITE["estimated"]))
    return PlainAnswer(result.account_id, name, year, True, f"MUST FILE Form 990-T for {year}", tuple(sentences))


def text_lines(plain: PlainAnswer) -> list[str]:
    """The answer as terminal lines: the headline, then one indented line per sentence."""
    lines = [f"{plain.name} ({plain.account_id}): {plain.headline}."]
    lines += [f"   {item.text}" for item in plain.sentences]
    return lines
