"""What the Part V statements need beyond the account object, read from the engine's dataclasses.

The account object carries each Part V line; the statements behind lines 3a, 3b and 5 itemize them:
the depreciable assets (basis, year placed in service, recovery period), the expense categories, and
the adjusted basis on the first and last day held. Nothing is recomputed: each figure is the engine's
own (PropertyYear / PropertyFacts / Asset), only gathered here. Also carries the accounts.csv
`name_control` override, which the account object does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

EXPENSE_LABELS = {
    "interest": "Interest on acquisition indebtedness", "taxes": "Taxes", "insurance": "Insurance",
    "repairs": "Repairs and maintenance", "management": "Management fees", "utilities": "Utilities",
    "other_expense": "Other expenses",
}


@dataclass(frozen=True)
class AssetDetail:
    label: str
    basis: Decimal
    placed_in_service_year: int
    recovery_years: Decimal
    for_year: Decimal
    accumulated_end: Decimal   # through the end of the tax year (or the disposal)


@dataclass(frozen=True)
class PropertyDetail:
    assets: tuple[AssetDetail, ...]
    depreciation_overridden: bool
    expenses: tuple[tuple[str, Decimal], ...]   # (label, amount), non-zero only
    basis_first_day: Decimal
    basis_last_day: Decimal


@dataclass(frozen=True)
class Details:
    name_control: str | None = None
    properties: dict[str, PropertyDetail] = field(default_factory=dict)


def _text(value) -> str | None:
    return None if value is None or value != value or str(value).strip() == "" else str(value).strip()


def details_of(result) -> Details:
    """Details from an engine AccountYear (udfi.engine.compute)."""
    from udfi.engine.property_year import EXPENSE_CATEGORIES  # noqa: PLC0415

    properties = {}
    for column in result.property_years:
        facts = column.facts
        assets = tuple(
            AssetDetail(asset.label, asset.basis, asset.placed_in_service.year, asset.recovery_years,
                        asset.for_year(result.tax_year, facts.disposed_on),
                        asset.accumulated_through(result.tax_year, facts.disposed_on))
            for asset in facts.assets if asset.recovery_years and asset.basis)
        expenses = tuple((EXPENSE_LABELS[category], column.amounts.get(category, Decimal(0)))
                         for category in EXPENSE_CATEGORIES if column.amounts.get(category))
        properties[column.property_id] = PropertyDetail(assets, column.depreciation_overridden, expenses,
                                                        column.basis_first_day, column.basis_last_day)
    return Details(_text(result.account.get("name_control")), properties)
