"""The assumptions a return rests on, read from the book and the engine's own facts (never recomputed):
a property with no `use` got its default, a loan with no lender statement in the year was carried on
the ledger's balance, the activity code default, no account_years.csv row (Part IV answered No) ...

Their wording, README Assumption number and authority are data: `schemas/assumptions.yaml`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from udfi.book import ACCOUNT_YEARS_COLUMN
from udfi.diagnostics.model import ASSUMPTION, INFO, Item
from udfi.diagnostics.topics import in_year
from udfi.engine.compute import AccountYear, Settings
from udfi.engine.depreciation import LAND
from udfi.engine.property_year import INVESTMENT
from udfi.resources import read_yaml, schemas_dir
from udfi.safety import mask_ssn

ASSUMPTIONS_FILE = "assumptions.yaml"
# Readings that every return takes: listed as info, so an account "has nothing to report" without them.
STANDING = ("statutory_due_date", "not_computed")


@dataclass(frozen=True)
class Assumption:
    id: str
    readme: int
    title: str
    topic: str
    sentence: str
    line: str
    authority: str


@lru_cache(maxsize=1)
def assumptions() -> dict[str, Assumption]:
    """schemas/assumptions.yaml: id → Assumption."""
    data = read_yaml((schemas_dir() / ASSUMPTIONS_FILE).read_text(encoding="utf-8"))
    return {key: Assumption(key, int(entry["readme"]), entry["title"], entry["topic"], entry["sentence"],
                            entry.get("line", ""), entry.get("authority", "")) for key, entry in data["assumptions"].items()}


def topic_of(assumption: Assumption) -> str:
    return f"{assumption.topic} (Assumption {assumption.readme})"


def item(assumption_id: str, where: str = "", kind: str = ASSUMPTION, tax_year: int | None = None, **values) -> Item:
    entry = assumptions()[assumption_id]
    line = entry.line.format(**values)
    return Item(kind=kind, topic=topic_of(entry), message=str(mask_ssn(entry.sentence.format(**values))),
                where=str(mask_ssn(where)), line=in_year(line, tax_year) if tax_year else line,
                authority=entry.authority, source="book")


_PROPERTY_ROWS: dict[int, tuple[pd.DataFrame, dict[str, tuple[int | None, bool]]]] = {}


def _property_rows(properties: pd.DataFrame) -> dict[str, tuple[int | None, bool]]:
    """property_id → (spreadsheet row, whether `use` was given), built once per frame (a batch chunk or
    a whole book), so an account costs a lookup rather than a scan."""
    cached = _PROPERTY_ROWS.get(id(properties))
    if cached is not None and cached[0] is properties:
        return cached[1]
    rows = properties["source_row"].tolist() if "source_row" in properties.columns else [None] * len(properties)
    uses = properties["use"].tolist() if "use" in properties.columns else [None] * len(properties)
    index: dict[str, tuple[int | None, bool]] = {}
    for property_id, row, use in zip(properties["property_id"].tolist(), rows, uses):
        given = isinstance(use, str) and use != ""
        index.setdefault(property_id, (None if row is None else int(row), given))
    _PROPERTY_ROWS.clear()  # one frame at a time: the pages of one book or one chunk
    _PROPERTY_ROWS[id(properties)] = (properties, index)
    return index


def _where(book, rows: dict, property_id: str, column: str) -> str:
    """'properties.csv row 3, column use' (header = row 1), without the row when it is not known."""
    from udfi.statements.figures import table_name  # noqa: PLC0415 — keeps the import graph light

    name = table_name(book, "properties") if book is not None else "properties.csv"
    row = rows.get(property_id, (None, False))[0]
    return f"{name} row {row}, column {column}" if row is not None else f"{name}, column {column}"


def _year_rows(account: dict, tax_year: int) -> list:
    raw = account.get(ACCOUNT_YEARS_COLUMN) or "{}"
    return json.loads(raw).get(str(tax_year), []) if isinstance(raw, str) else []


def _statement_basis(loan, year_start: dt.date) -> str:
    earlier = loan.statement_in_effect(year_start)
    if earlier is not None:
        return (f"the lender's statement of {earlier[0].isoformat()} ({earlier[1]:,.2f}) less the ledger's later "
                "principal rows")
    return f"the loan's principal ({loan.principal:,.2f}) less the ledger's principal rows"


def assumption_items(result: AccountYear, book=None) -> list[Item]:
    """Every assumption this account's return rests on, in property order."""
    year = result.tax_year
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = _property_rows(book.properties) if book is not None else {}
    found: list[Item] = []
    for column in result.property_years:
        facts = column.facts
        pid = facts.property_id
        if facts.property_type != LAND and facts.recovery == "ads":
            found.append(item("recovery_default", _where(book, rows, pid, "recovery"), property=pid,
                              years=f"{facts.assets[0].recovery_years.normalize():f}"))
        if book is not None and pid in rows and not rows[pid][1]:
            why = ("land is held for investment, a capital asset" if facts.use == INVESTMENT else
                   "a building held for the production of rents is used in a trade or business: §1231 property "
                   "when held more than a year")
            sold = column.disposition is not None
            found.append(item("use_default", _where(book, rows, pid, "use"),
                              kind=ASSUMPTION if sold else INFO, property=pid, value=facts.use, why=why,
                              sale="; it decides the character of this year's sale" if sold else
                              f"; it matters only on a sale, and there is none in {year}"))
            if not sold:
                found[-1] = replace(found[-1], line="")
        if facts.qualified_organization_exception:
            continue  # its debt is not acquisition indebtedness: no balance enters line 4
        for loan in facts.loans:
            active = loan.originated_on <= year_end and (loan.retired_on is None or loan.retired_on >= year_start)
            if not active or loan.purpose == "other":
                continue
            if not any(day.year == year for day in loan.statements):
                found.append(item("no_lender_statement", f"property {pid}, loan {loan.loan_id}", property=pid,
                                  loan=loan.loan_id, year=year, basis=_statement_basis(loan, year_start)))
    for interest in result.k1s:
        silo = ("the investment-activities silo" if interest.qualifying else
                f"the silo of NAICS {interest.sector or '(no code)'}")
        found.append(item("k1_silo", f"k1s.csv row {interest.source_row}", name=interest.name, silo=silo,
                          explanation=interest.qualification.explanation, ubti=f"{interest.ubti:,.2f}"))
    if result.settings.activity_code == Settings.activity_code:
        found.append(item("activity_code_default", "option --activity-code", value=result.settings.activity_code))
    if not _year_rows(result.account, year):
        found.append(item("account_year_missing", f"account_years.csv (no row for {year})", year=year,
                          tax_year=year))
    if result.account.get("account_type") == "solo_401k":
        found.append(item("solo_401k_item_b", "accounts.csv, column account_type", tax_year=year))
    found.append(item("statutory_due_date", "", kind=INFO, value=result.due_date.isoformat()))
    found.append(item("not_computed", "", kind=INFO, tax_year=year))
    return found
