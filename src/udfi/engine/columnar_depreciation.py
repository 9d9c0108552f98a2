"""Depreciation of every property-year of a book at once, in integer cents.

`PropertyFacts` answers depreciation one property and year at a time (`depreciation_for_year`,
`accumulated_depreciation_through`), asset by asset, and caches each answer. This module computes
the same answers for all the property-years a run will ask about with a few numpy operations over
(asset, year) rows and stores them in those caches, in the order the scalar path would, so the
per-year computation (`compute_property_year`) only reads them.

Exactness — each answer is the scalar one digit for digit:
- An asset accumulates basis in cents × half-months elapsed ÷ half-months of life, rounded half-up
  (ties away from zero) — `Asset.accumulated_through`'s integer path. Properties with an asset that
  path does not cover (a life that is not whole half-months) or with a depreciation override
  (depreciation.csv) are left to the scalar path.
- The scalar sums start from `ZERO` (exponent 0) and add two-place amounts: the result is the
  integer total with two places when some asset depreciates, else `Decimal("0")`; a zero total is
  +0.00 either way (Decimal adds +0 and −0 to +0), which `cents_to_decimal` gives.
- Accumulated depreciation before the first year placed in service is `ZERO` itself.
"""

from __future__ import annotations

import numpy as np

from udfi.engine.depreciation import _integer_fraction
from udfi.engine.property_year import PropertyFacts
from udfi.money import ZERO, cents_to_decimal

_SAFE_CENTS = 10**12   # |basis| × 2 × elapsed half-months stays far inside int64 (a $10 billion asset)


def _exact_assets(facts: PropertyFacts) -> list[tuple[int, int, int]] | None:
    """(cents, half-months of life, first half-month) of each depreciating asset, or None when the
    property is left to the scalar path."""
    if facts.depreciation_overrides:
        return None
    assets = []
    for asset in facts.assets:
        if asset.recovery_years == ZERO or asset.basis == ZERO:
            continue   # contributes ZERO in every year
        exact = _integer_fraction(asset.basis, asset.recovery_years)
        if exact is None or abs(exact[0]) > _SAFE_CENTS:
            return None
        day = asset.placed_in_service
        assets.append((exact[0], exact[1], (day.year * 12 + day.month - 1) * 2 + 1))
    return assets


def prefill_depreciation(property_years: list[tuple[PropertyFacts, int]]) -> None:
    """Fill the depreciation caches of the property-years given (each held in its year, a property's
    years in ascending order) with what `compute_property_year` will ask: the accumulated
    depreciation through the year before and through the year, then the year's depreciation."""
    years_of: dict[int, tuple[PropertyFacts, list[int]]] = {}
    for facts, year in property_years:
        years_of.setdefault(id(facts), (facts, []))[1].append(year)
    rows_facts, rows_year, rows_cents, rows_life, rows_start, rows_stop = [], [], [], [], [], []
    plans = []
    for facts, years in years_of.values():
        assets = _exact_assets(facts)
        if assets is None:
            continue
        index = len(plans)
        low, high = years[0] - 1, years[-1]
        plans.append((facts, years, low, bool(assets)))
        disposed = facts.disposed_on
        disposed_stop = None if disposed is None else (disposed.year * 12 + disposed.month - 1) * 2 + 1
        for year in range(low, high + 1):
            stop = (year + 1) * 24   # the first half-month of the next year
            if disposed is not None and disposed.year <= year:
                stop = min(stop, disposed_stop)
            for cents, life, start in assets:
                rows_facts.append(index)
                rows_year.append(year - low)
                rows_cents.append(cents)
                rows_life.append(life)
                rows_start.append(start)
                rows_stop.append(stop)
    if not plans:
        return
    cents = np.array(rows_cents, dtype=np.int64)
    life = np.array(rows_life, dtype=np.int64)
    start = np.array(rows_start, dtype=np.int64)
    elapsed = np.maximum(np.minimum(np.array(rows_stop, dtype=np.int64), start + life) - start, 0)
    # basis × elapsed ÷ life rounded half-up, ties away from zero, sign kept
    magnitude = (2 * np.abs(cents) * elapsed + life) // (2 * life)
    amounts = np.where(cents >= 0, magnitude, -magnitude)
    spans = [plan[1][-1] - plan[2] + 1 for plan in plans]
    offsets = np.concatenate(([0], np.cumsum(spans)[:-1])).astype(np.int64)
    totals = np.zeros(int(sum(spans)), dtype=np.int64)
    if len(amounts):
        np.add.at(totals, offsets[np.array(rows_facts, dtype=np.int64)] + np.array(rows_year, dtype=np.int64), amounts)
    totals_list = totals.tolist()
    for (facts, years, low, depreciates), offset in zip(plans, offsets.tolist()):
        first_year = facts._first_depreciation_year()
        accumulated, yearly = facts._accumulated_cache, facts._depreciation_cache
        for year in years:
            for through in (year - 1, year):
                if through not in accumulated:
                    if through < first_year:
                        accumulated[through] = ZERO
                    else:
                        total = totals_list[offset + through - low]
                        accumulated[through] = cents_to_decimal(total) if depreciates else ZERO + ZERO
            if year not in yearly:
                change = totals_list[offset + year - low] - totals_list[offset + year - 1 - low]
                yearly[year] = (cents_to_decimal(change) if depreciates else ZERO + ZERO, False)
