"""The items of Form 990-T that are answers rather than figures, and the return's lines in the year's
own numbering.

- Item B "Exempt under section": an IRA is exempt under §408(e)(1) (traditional, SEP and SIMPLE IRAs:
  box 408(e)); a Roth IRA under §408A(a) (box 408A); a Solo 401(k) trust is a §401(a) trust, exempt
  under §501(a) (box "501( )( )" with "a" in the first parentheses, none in the second) [M].
- Item C: book value of all assets at the end of the year (account_years.csv; blank and flagged when
  the book does not give it: udfi does not know the account's cash and other assets).
- Item G "Check organization type": a Solo 401(k) trust "401(a) trust", an IRA "Other trust".
- Item K (subsidiary in a controlled group), Part IV line 1 (foreign financial account), line 2 (foreign
  trust), line 3 (tax-exempt interest) and, on the 2020–2022 revisions, the change-in-accounting-method
  question: "No" / none unless account_years.csv says otherwise.

Values are keyed by the canonical (2021–2022) line numbers, like the engine's figures; `return_header`
moves both to the year's own numbers with `udfi.forms.layouts.year_lines`. Pure: an AccountYear in,
new dicts out.
"""

from __future__ import annotations

import json
from dataclasses import field

from udfi.book import ACCOUNT_YEARS_COLUMN
from udfi.engine.compute import AccountYear
from udfi.engine.records import record
from udfi.forms.layouts import MissingLayoutError, layout_years, year_lines
from udfi.money import cents_to_decimal, whole_dollars

F990T = "f990t"

# Item B; the sections are the statute's: §408(e)(1) exempts an IRA (and, by §408(k)/(p), a SEP or SIMPLE
# IRA), §408A(a) treats a Roth IRA as an IRA, §501(a) exempts a trust described in §401(a).
EXEMPT_UNDER = {"traditional_ira": "408(e)", "sep_ira": "408(e)", "simple_ira": "408(e)", "roth_ira": "408A",
                "solo_401k": "501(a)"}
ORGANIZATION_TYPE = {"solo_401k": "401a_trust"}  # item G; every IRA: "other_trust"


@record
class ReturnHeader:
    exempt_under: str
    organization_type: str
    form_990t: dict  # the engine's figures in the year's own line numbers
    items: dict  # {"header": {...}, "part_iv": {...}} in the year's own line numbers
    flags: list[str] = field(default_factory=list)


def _rows_for_year(account: dict, tax_year: int) -> list[dict]:
    raw = account.get(ACCOUNT_YEARS_COLUMN) or "{}"
    return json.loads(raw).get(str(tax_year), []) if isinstance(raw, str) else []


def _dollars(cents) -> int | None:
    return None if cents is None else whole_dollars(cents_to_decimal(cents))


def canonical_items(account: dict, tax_year: int) -> tuple[dict, list[str]]:
    """Items B, C, G, K and the Part IV answers in canonical numbering, and flags for what is missing."""
    account_type = account["account_type"]
    rows = _rows_for_year(account, tax_year)
    flags: list[str] = []
    header = {"B": EXEMPT_UNDER[account_type], "G": ORGANIZATION_TYPE.get(account_type, "other_trust")}
    if len(rows) > 1:
        numbers = " and ".join(str(row.get("source_row")) for row in rows)
        flags.append(f"account_years.csv rows {numbers} both answer tax year {tax_year}: items C and K and Part IV "
                     "are left blank until one row remains")
        header.update({"C": None, "K": None, "K.parent": ""})
        part_iv = {"1": None, "1.country": "", "2": None, "3": 0, "6a": None, "6b": None}
        return {"header": header, "part_iv": part_iv}, flags
    row = rows[0] if rows else {}
    where = f"account_years.csv row {row['source_row']}" if row else "account_years.csv"
    book_value = _dollars(row.get("book_value_eoy_cents"))
    if book_value is None:
        flags.append(f"Form 990-T item C (book value of all assets at end of year) is blank: give book_value_eoy "
                     f"for {tax_year} in account_years.csv")
    subsidiary = bool(row.get("controlled_group_subsidiary", False))
    header.update({"C": book_value, "K": subsidiary, "K.parent": (row.get("parent_corporation") or "") if subsidiary else ""})
    if subsidiary and not header["K.parent"]:
        flags.append(f"{where}, column parent_corporation: item K is Yes, so the parent's name and identifying "
                     "number are needed")
    foreign_account = bool(row.get("foreign_account", False))
    country = (row.get("foreign_account_country") or "") if foreign_account else ""
    if foreign_account:
        flags.append("Part IV line 1 is Yes (foreign financial account): FinCEN Form 114 (FBAR) may be due")
        if not country:
            flags.append(f"{where}, column foreign_account_country: Part IV line 1 is Yes, so the country is needed")
    foreign_trust = bool(row.get("foreign_trust", False))
    if foreign_trust:
        flags.append("Part IV line 2 is Yes (foreign trust): see the instructions for other forms to file "
                     "(e.g. Form 3520)")
    changed = bool(row.get("accounting_method_changed", False))
    described = bool(row.get("accounting_method_change_described", False)) if changed else None
    if changed and not described:
        flags.append("the change in accounting method was not described on Form 990, 990-EZ, 990-PF or 1128: "
                     "explain it in Form 990-T Part V")
    part_iv = {"1": foreign_account, "1.country": country, "2": foreign_trust,
               "3": _dollars(row.get("tax_exempt_interest_cents")) or 0, "6a": changed, "6b": described}
    return {"header": header, "part_iv": part_iv}, flags


def _numbered(lines: dict, tax_year: int, flags: list[str]) -> dict:
    try:
        return year_lines(lines, F990T, tax_year)
    except MissingLayoutError:
        first = min(layout_years(F990T))
        if tax_year >= first:
            raise
        # The pre-2020 Form 990-T is another form altogether (Parts I-V, line 41 ...); udfi prepares 2020+.
        note = (f"Form 990-T for {tax_year} is the pre-{first} revision, which udfi does not lay out: the line "
                f"numbers are those of the {first}+ revision")
        if note not in flags:
            flags.append(note)
        return lines


def return_header(result: AccountYear) -> ReturnHeader:
    items, flags = canonical_items(result.account, result.tax_year)
    return ReturnHeader(
        exempt_under=items["header"]["B"],
        organization_type=items["header"]["G"],
        form_990t=_numbered(result.form.as_lines(), result.tax_year, flags),
        items=_numbered(items, result.tax_year, flags),
        flags=flags,
    )
