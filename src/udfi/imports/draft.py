"""`udfi import SOURCE --draft-profile OUT.yaml`: a stub profile listing every source account that no
rule maps (and every source property name that maps to no property_id), ready to fill in.

With ``--profile``, the draft ``extends:`` it and adds only what is missing; without, the source
layout (header row, date, account, amount and memo columns) is guessed from the column headings.
The stub deliberately does not load until each ``category: null`` is filled in, so a guess can
never be imported unreviewed: the suggested category is only a comment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from udfi.imports.amounts import money
from udfi.imports.problems import ImportResult
from udfi.imports.profile import CATEGORIES, LOAN_CATEGORIES, MORTGAGE_PAYMENT
from udfi.imports.reading import SourceError, _cell_text, _read_cells, column_letter

# Name fragments → the category a preparer would most likely choose (a hint in a comment only).
SUGGESTIONS = (
    (r"security deposit|checking|savings|money market|undeposited|cash|bank account|equity|contribution|distribution"
     r"|draw|transfer|receivable|payable|suspense|clearing", "skip"),
    (r"mortgage payment|loan payment|debt service", MORTGAGE_PAYMENT),
    (r"interest", "interest"),
    (r"principal|notes? payable|mortgage|loan", "principal"),
    (r"rent", "rent"),
    (r"late fee|laundry|parking|application fee|other income|fee income|pet fee", "other_income"),
    (r"tax", "taxes"),
    (r"insur", "insurance"),
    (r"repair|mainten", "repairs"),
    (r"manag", "management"),
    (r"utilit|water|electric|sewer|trash|\bgas\b", "utilities"),
    (r"improve|capital|roof|renovat", "improvement"),
    (r"hoa|association|licen|permit|bank charge|legal|professional|advertis|supplies|fees", "other_expense"),
)

SYNONYMS = {
    "date": ("Date", "Post Date", "Posting Date", "Transaction Date", "Txn Date", "Entry Date"),
    "account": ("Account", "Account Name", "Account name", "GL Account", "Category", "Account Full Name"),
    "debit": ("Debit", "Debits", "Debit Amount"),
    "credit": ("Credit", "Credits", "Credit Amount"),
    "amount": ("Amount", "Net Amount", "Net"),
    "property": ("Property", "Property Name", "Building"),
    "memo": ("Transaction Type", "Type", "Num", "Reference", "Ref #", "Name", "Payee", "Payee / Payer",
             "Memo", "Description", "Memo/Description", "Remarks"),
}


def suggest(account: str) -> str | None:
    text = account.casefold()
    for pattern, category in SUGGESTIONS:
        if re.search(pattern, text):
            return category
    return None


def guess_layout(source: Path, sheet: str | int = 0) -> dict:
    """A profile's `source:` block guessed from the export's column headings."""
    cells, label = _read_cells(source, sheet)
    texts = [[_cell_text(value) for value in row] for row in cells[:60]]
    for index, row in enumerate(texts[:50]):
        present = [cell for cell in row if cell]
        date = next((name for name in SYNONYMS["date"] if name in present), None)
        debit = next((name for name in SYNONYMS["debit"] if name in present), None)
        credit = next((name for name in SYNONYMS["credit"] if name in present), None)
        amount = next((name for name in SYNONYMS["amount"] if name in present), None)
        if not date or not ((debit and credit) or amount):
            continue
        layout: dict = {"header_row": "auto", "date": {"column": date, "format": _date_format(texts, index, row, date)}}
        account = next((name for name in SYNONYMS["account"] if name in present), None)
        if account:
            layout["account"] = account
        elif row and not row[0]:
            layout["account"] = {"heading": column_letter(0)}  # accounts on heading rows in the unnamed column A
        else:
            raise SourceError(f"{label}: row {index + 1} has dates and amounts but no account column "
                              f"({', '.join(present)}): write the profile's `source:` by hand")
        layout["amount"] = {"debit": debit, "credit": credit} if debit and credit else \
            {"column": amount, "positive": "debit"}
        prop = next((name for name in SYNONYMS["property"] if name in present), None)
        if prop:
            layout["property"] = {"column": prop}
        memo = [name for name in present if name in SYNONYMS["memo"]]
        if memo:
            layout["memo"] = memo
        return {"source": layout}
    raise SourceError(f"{label}: found no row (among the first 50) with a date column and a debit/credit or "
                      f"amount column ({', '.join(SYNONYMS['date'][:3])} …): write the profile's `source:` by hand")


def _date_format(texts: list[list[str]], header: int, row: list[str], date: str) -> str:
    column = row.index(date)
    for values in texts[header + 1:]:
        value = values[column] if column < len(values) else ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return "%Y-%m-%d"
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
            return "%m/%d/%Y"
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2}", value):
            return "%m/%d/%y"
    return "%m/%d/%Y"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _yaml_block(value, indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines += _yaml_block(item, indent + 2)
        elif isinstance(item, list):
            lines.append(f"{pad}{key}: [{', '.join(_q(str(v)) for v in item)}]")
        else:
            lines.append(f"{pad}{key}: {_q(str(item)) if isinstance(item, str) else item}")
    return lines


def draft_text(result: ImportResult, source: Path, base: str | None, layout: dict | None, command: str) -> str:
    """The stub profile as YAML text (comments say what to fill in and what each account holds)."""
    lines = [
        f"# Draft mapping profile for {source.name}, written by: {command}",
        "# Fill in every `category: null` (one of: " + ", ".join(CATEGORIES + (MORTGAGE_PAYMENT,)) + ")",
        "# and its property_id (or a loan_id for interest, principal and mortgage_payment), or move the",
        "# account under `skip:` when it is the other side of transactions (bank, deposits held, equity).",
        "# Suggestions are only comments. Then run:",
        f"#   udfi import {source.name} --profile THIS_FILE.yaml --into BOOK/",
        f"name: {_q(source.stem + '-draft')}",
    ]
    if base:
        lines.append(f"extends: {_q(base)}   # its source layout and rules apply after the rules below")
    if layout:
        lines += _yaml_block(layout, 0)
        if "column" in layout["source"].get("amount", {}):
            lines += ["# source.amount.positive: `debit` (a positive amount is a debit), `credit`, or `natural` (each",
                      "# account's own increase is positive, as QuickBooks Online shows it): check it on a rent row."]
    accounts = sorted(result.unmapped.items(), key=lambda item: (-len(item[1]["rows"]), item[0]))
    skip = [(name, info) for name, info in accounts if suggest(name) == "skip"]
    mapped = [(name, info) for name, info in accounts if suggest(name) != "skip"]
    if skip:
        lines += ["", "# These look like the other side of each transaction (bank, deposits, equity): uncomment",
                  "# the ones to skip; map the others under accounts.",
                  "skip:"]
        for name, info in skip:
            lines.append(f"  # - {{exact: {_q(name)}}}   # {_describe(info)}")
    lines += ["", "accounts:"]
    if not mapped:
        lines.append("  []   # every source account is mapped or skipped")
    for name, info in mapped:
        hint = suggest(name)
        lines.append(f"  # {_describe(info)}" + (f"; suggested: {hint}" if hint else ""))
        target = "loan_id" if hint in LOAN_CATEGORIES else "property_id"
        lines.append(f"  - {{exact: {_q(name)}, category: null, {target}: null}}")
    if result.unmapped_properties:
        lines += ["", "lookups:", "  property_id:   # source property name → property_id of properties.csv"]
        for name, rows in sorted(result.unmapped_properties.items()):
            lines.append(f"    {_q(name)}: null   # {len(rows)} row(s), e.g. row {rows[0]}")
    return "\n".join(lines) + "\n"


def _describe(info: dict) -> str:
    rows = info["rows"]
    shown = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
    memo = f'; e.g. "{info["memo"][:60]}"' if info.get("memo") else ""
    plus, minus = ("positive", "negative") if info.get("signed") else ("debits", "credits")
    return (f"{len(rows)} row(s) ({shown}), {plus} {money(info['debits'])}, {minus} {money(info['credits'])}"
            f"{memo}")
