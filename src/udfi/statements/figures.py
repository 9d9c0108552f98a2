"""Figures the statements and `udfi explain` both show, computed from the engine's dataclasses.

Nothing here changes a figure: every amount is re-derived from the same dataclasses the engine
filled (AccountYear / PropertyYear / PropertyFacts) and checked to equal the engine's result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from udfi.engine.depreciation import Asset
from udfi.engine.property_year import INCOME_CATEGORIES, PropertyFacts, PropertyYear
from udfi.engine.tax import BracketStep, trust_rate_tax
from udfi.engine.tax import trust_rate_steps as bracket_steps
from udfi.money import ZERO, round_cents
from udfi.parameters import TaxYearParameters

# Citations printed in the statements and `udfi explain`: the Code, regulations, Rev. Procs and IRS
# instructions only.
CITE = {
    "filing": "Instructions for Form 990-T, Who Must File; Treas. Reg. §1.6012-3(a)(5)",
    "udfi": "IRC §514(a)(1); Treas. Reg. §1.514(a)-1(a)(1)",
    "gross_income": "IRC §514(a)(1); Treas. Reg. §1.514(a)-1(a)(1)(ii)",
    "depreciation": "IRC §514(a)(3); Treas. Reg. §1.514(a)-1(b)(2)(ii); IRC §168(c), (g)(2), (d)(2)",
    "deductions": "IRC §514(a)(2); Treas. Reg. §1.514(a)-1(b)(1)",
    "interest": "Treas. Reg. §1.514(c)-1(a)(2) Ex. 3(b); §1.514(c)-1(c)(1), (3)",
    "aai": "Treas. Reg. §1.514(a)-1(a)(3)(i), (iii)",
    "aab": "Treas. Reg. §1.514(a)-1(a)(2)",
    "ratio": "IRC §514(a)(1) (not in excess of 100 percent); Treas. Reg. §1.514(a)-1(a)(1)(iii)",
    "disposition": "IRC §514(b)(1), §514(c)(7); Treas. Reg. §1.514(a)-1(a)(1)(v)",
    "unrecaptured": "IRC §1(h)(6)",
    "exception": "IRC §514(c)(9)(A), (B), (C)(ii)",
    "capital_loss": "IRC §1211(b), §1212(b); Treas. Reg. §1.514(a)-1(b)(4); Schedule D (Form 1041) line 20 and the "
                    "Capital Loss Carryover Worksheet",
    "holding": "IRC §1222, §1223; Rev. Rul. 66-7",
    "character": "IRC §1221(a)(2), §1231(a)-(c); Pub. 544 (rental property is generally used in a trade or business); "
                 "Form 4797; Schedule D (Form 1041)",
    "nol": "IRC §172(a)(2), §172(d)(2); Treas. Reg. §1.512(a)-6(h)(1); Schedule A (Form 990-T) Part II line 17",
    "pre2018": "IRC §172(a)(2)(A), §172(b)(1)(A) (20-year carryforward before 2018); Treas. Reg. §1.512(a)-6(h)(2); "
               "Form 990-T Part I line 6, Part IV line 4",
    "specific": "IRC §512(b)(12); Treas. Reg. §1.512(b)-1(h)(1)",
    "silo": "IRC §512(a)(6); Treas. Reg. §1.512(a)-6(c)(1)(iii), (g)",
    "tax": "IRC §511(b); IRC §1(e), §1(j)(2)(E); Form 990-T Part II line 2",
    "capital_gain_tax": "IRC §1(h)(1), §1(j)(5); Schedule D (Form 1041)",
    "due": "Instructions for Form 990-T, When To File (15th day of the 4th month for employees' trusts under "
           "§401(a) and IRAs); IRC §6072(a) (§6072(e)'s 5th-month rule excludes §401(a) trusts, and IRAs are exempt "
           "under §408(e), not §501(a)); Form 8868 and Treas. Reg. §1.6081-9 (6-month extension); IRC §7503",
    "estimated": "IRC §6655(a)–(d), (f), (g)(2)–(3); Form 2220",
    "payments": "Form 990-T Part III lines 6a–10",
}


def format_cents(value: Decimal | int | None) -> str:
    """Dollars and cents with separators, negatives in parentheses: -1234.5 → ``(1,234.50)``."""
    if value is None:
        return ""
    amount = round_cents(Decimal(value))
    text = f"{abs(amount):,.2f}"
    return f"({text})" if amount < 0 else text


def format_rate(rate: Decimal) -> str:
    percent = Decimal(rate) * 100
    return f"{percent.normalize():f}%"


# ---- tax ------------------------------------------------------------------------------------

def trust_rate_steps(income: Decimal, parameters: TaxYearParameters) -> tuple[list[BracketStep], Decimal]:
    """The engine's bracket-by-bracket trust rate computation; returns (steps, tax to the cent)."""
    return bracket_steps(income, parameters), trust_rate_tax(income, parameters)


# ---- depreciation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AssetLine:
    label: str
    placed_in_service: dt.date
    basis: Decimal
    recovery_system: str
    recovery_years: Decimal
    for_year: Decimal
    accumulated: Decimal
    source_rows: tuple[int, ...]


def asset_lines(facts: PropertyFacts, tax_year: int) -> list[AssetLine]:
    lines = []
    for asset in facts.assets:
        lines.append(AssetLine(
            label=asset.label, placed_in_service=asset.placed_in_service, basis=asset.basis,
            recovery_system=asset.recovery_system.upper(), recovery_years=asset.recovery_years,
            for_year=asset.for_year(tax_year, facts.disposed_on),
            accumulated=asset.accumulated_through(tax_year, facts.disposed_on),
            source_rows=asset.source_rows,
        ))
    return lines


def months_in_service(asset: Asset, tax_year: int, disposed_on: dt.date | None) -> Decimal:
    """Months of `tax_year` the mid-month convention counts for `asset` (half months allowed)."""
    if asset.recovery_years == ZERO or asset.basis == ZERO:
        return ZERO
    per_month = asset.basis / (asset.recovery_years * 12)
    return (asset.for_year(tax_year, disposed_on) / per_month).quantize(Decimal("0.5")) if per_month else ZERO


def depreciation_years(facts: PropertyFacts, through_year: int) -> list[tuple[int, Decimal, bool]]:
    """(year, depreciation, overridden) from the first year in service through `through_year`."""
    first_year = min([facts.placed_in_service_on.year] + [day.year for day, _, _ in facts.improvements])
    return [(year, *facts.depreciation_for_year(year)) for year in range(first_year, through_year + 1)]


# ---- ledger rows ----------------------------------------------------------------------------

def source_label(book) -> str:
    """How rows of the book are named: ``ledger.csv`` for a folder, the sheet for a workbook."""
    if book is None:
        return "csv"
    return "xlsx" if str(book.source).lower().endswith((".xlsx", ".xlsm")) else "csv"


def table_name(book, table: str) -> str:
    return f"{table} sheet" if source_label(book) == "xlsx" else f"{table}.csv"


def ledger_rows(book, facts: PropertyFacts, tax_year: int, categories: tuple[str, ...],
                loan_id: str | None = None) -> list[int]:
    """Spreadsheet rows of the ledger summed into a figure: the property's rows of `categories`
    dated in `tax_year` and inside the holding period (rows outside it are ignored by the engine)."""
    if book is None:
        return []
    ledger = _ledger_by_property(book).get(facts.property_id)
    if ledger is None:
        return []
    year_start = pd.Timestamp(max(facts.acquired_on, dt.date(tax_year, 1, 1)))
    year_end = pd.Timestamp(dt.date(tax_year, 12, 31) if facts.disposed_on is None
                            else min(facts.disposed_on, dt.date(tax_year, 12, 31)))
    mask = ledger["category"].isin(categories) & (ledger["date"] >= year_start) & (ledger["date"] <= year_end)
    if loan_id is not None:
        mask &= ledger["loan_id"] == loan_id
    return sorted(int(row) for row in ledger.loc[mask, "source_row"])


def principal_rows_before(book, loan_id: str, day: dt.date) -> list[int]:
    """Ledger rows of `principal` for a loan dated before `day` (they reduce its balance that day)."""
    if book is None:
        return []
    ledger = book.ledger
    mask = (ledger["category"] == "principal") & (ledger["loan_id"] == loan_id) & (ledger["date"] < pd.Timestamp(day))
    return sorted(int(row) for row in ledger.loc[mask, "source_row"])


_LEDGER_CACHE: dict[int, tuple[object, dict]] = {}


def _ledger_by_property(book) -> dict[str, pd.DataFrame]:
    """The ledger split by property once per book (explaining many lines filters it many times)."""
    key = id(book.ledger)
    cached = _LEDGER_CACHE.get(key)
    if cached is not None and cached[0] is book.ledger:
        return cached[1]
    columns = ["property_id", "date", "category", "loan_id", "amount_cents", "source_row"]
    split = {pid: frame for pid, frame in book.ledger[columns].groupby("property_id", sort=False)}
    _LEDGER_CACHE.clear()
    _LEDGER_CACHE[key] = (book.ledger, split)
    return split


def rows_of(frame: pd.DataFrame, **equal) -> list[int]:
    if frame is None or not len(frame):
        return []
    mask = pd.Series(True, index=frame.index)
    for column, value in equal.items():
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            mask &= frame[column] == pd.Timestamp(value)
        else:
            mask &= frame[column].astype(str) == str(value)
    return sorted(int(row) for row in frame.loc[mask, "source_row"])


def income_categories() -> tuple[str, ...]:
    return INCOME_CATEGORIES


def property_history(result, column: PropertyYear) -> list[PropertyYear]:
    """The property's columns for every year of the book through the tax year: from the
    roll-forward history when kept, otherwise recomputed from the property's facts."""
    from udfi.engine.property_year import compute_property_year  # noqa: PLC0415

    history = getattr(result, "history", None) or {}
    found = {}
    for year, columns in sorted(history.items()):
        for item in columns:
            if item.property_id == column.property_id:
                found[year] = item
    if not found:
        facts = column.facts
        for year in range(facts.acquired_on.year, result.tax_year + 1):
            if facts.held_in(year):
                found[year] = column if year == result.tax_year else compute_property_year(facts, year)
    return [found[year] for year in sorted(found)]
