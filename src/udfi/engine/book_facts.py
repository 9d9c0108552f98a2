"""What the book says about every property, gathered once per run, vectorized: ledger sums by
property, year and category, repayments per loan as sorted arrays, lender statements, improvements,
depreciation overrides, and the years each property has ledger rows in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pandas as pd

from udfi import parameters as parameter_store
from udfi.book import Book
from udfi.engine.depreciation import LAND, Asset, recovery_years
from udfi.engine.indebtedness import Loan, assign_acquisition_fractions
from udfi.engine.property_year import (EXPENSE_CATEGORIES, INCOME_CATEGORIES, INVESTMENT, RENTAL_BUSINESS,
                                       PropertyFacts)
from udfi.money import ZERO, cents_to_decimal

NON_INTEREST_EXPENSES = tuple(category for category in EXPENSE_CATEGORIES if category != "interest")


def book_flags_and_facts(book: Book, tax_year: int) -> tuple[dict[str, PropertyFacts], dict[str, list[str]],
                                                               dict[tuple[str, int], int]]:
    periods = parameter_store.for_year(tax_year).recovery_periods
    accounts = book.accounts.set_index("account_id")
    properties = book.properties
    ledger = book.ledger
    flags: dict[str, list[str]] = defaultdict(list)

    # Holding period of every ledger row; rows outside it are ignored (validation warned).
    property_index = properties.set_index("property_id")
    # the rows' properties as sorted integer codes, once: the holding periods and the sums below use them
    property_codes, property_ids = pd.factorize(ledger["property_id"].to_numpy(dtype=object), sort=True)
    if len(ledger):
        acquired, disposed = _per_row(ledger["property_id"], property_index[["acquired_on", "disposed_on"]],
                                      (property_codes, property_ids))
        in_period = (ledger["date"] >= acquired) & (disposed.isna() | (ledger["date"] <= disposed))
    else:  # an account with no ledger rows (mapping an empty frame loses the date dtype)
        in_period = pd.Series(False, index=ledger.index)
    years = ledger["date"].dt.year
    # Categories, properties and loans as integer codes (sorted, as a groupby orders them): the sums
    # below group integers instead of hashing strings of every row again for each grouping.
    category_codes, categories = pd.factorize(ledger["category"].to_numpy(dtype=object), sort=True)
    code_of = {category: code for code, category in enumerate(categories.tolist())}
    is_category = lambda *names: np.isin(category_codes, [code_of[name] for name in names if name in code_of])
    outside = ledger.loc[~in_period.to_numpy() & ~is_category("principal"), ["property_id"]].assign(year=years)
    ignored_rows = outside.groupby(["property_id", "year"]).size().to_dict()

    amounts_by_property: dict[str, dict[int, dict[str, Decimal]]] = {}
    interest_by_property: dict[str, dict[int, dict[str, Decimal]]] = {}
    improvements_by_property: dict[str, list] = defaultdict(list)
    held = in_period.to_numpy(dtype=bool)
    if held.any():
        loan_codes, loan_ids = pd.factorize(ledger["loan_id"].to_numpy(dtype=object), sort=True)
        year_values = years.to_numpy(dtype=np.int64)
        low = int(year_values.min())
        year_codes, year_count = year_values - low, int(year_values.max()) - low + 1
        cents = ledger["amount_cents"].fillna(0).to_numpy(dtype=np.int64)
        rows = held & is_category(*INCOME_CATEGORIES, *NON_INTEREST_EXPENSES) & (property_codes >= 0)
        property_names = property_ids.tolist()
        amounts_by_property = _nested(_grouped_sums(
            [(property_codes, len(property_ids)), (year_codes, year_count), (category_codes, len(categories))],
            cents, rows), property_names, categories.tolist(), low)
        rows = held & is_category("interest") & (property_codes >= 0) & (loan_codes >= 0)
        interest_by_property = _nested(_grouped_sums(
            [(property_codes, len(property_ids)), (year_codes, year_count), (loan_codes, len(loan_ids))],
            cents, rows), property_names, loan_ids.tolist(), low)
        improvements = ledger[held & is_category("improvement")]
        for property_id, day, amount, source_row in zip(improvements["property_id"].tolist(),
                                                         dates_of(improvements["date"]),
                                                         improvements["amount_cents"].tolist(),
                                                         improvements["source_row"].tolist()):
            improvements_by_property[property_id].append((day, cents_to_decimal(amount), int(source_row)))

    # Loans: repayment arrays (all principal rows count toward balances, whatever their date).
    principal_rows = ledger[is_category("principal")].sort_values(["loan_id", "date"], kind="stable")
    payment_days = principal_rows["date"].to_numpy(dtype="datetime64[D]")
    payment_cents = principal_rows["amount_cents"].to_numpy(dtype=np.int64)
    positions = _runs(principal_rows["loan_id"].to_numpy(dtype=object))
    statements: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    balances = book.loan_balances
    for loan_id, as_of, cents in zip(balances["loan_id"].tolist(), dates_of(balances["as_of"]),
                                     balances["balance_cents"].tolist()):
        statements[loan_id][as_of] = cents_to_decimal(cents)
    loan_originated = dates_of(book.loans["originated_on"])
    refinanced_on = {row.refinances: originated
                     for row, originated in zip(book.loans.itertuples(index=False), loan_originated)
                     if isinstance(row.refinances, str)}
    loans_by_property: dict[str, dict[str, Loan]] = defaultdict(dict)
    for row, originated in zip(book.loans.itertuples(index=False), loan_originated):
        where = positions.get(row.loan_id)
        days = payment_days[where] if where is not None else np.array([], dtype="datetime64[D]")
        paid = np.cumsum(payment_cents[where]) if where is not None else np.array([], dtype=np.int64)
        loans_by_property[row.property_id][row.loan_id] = Loan(
            loan_id=row.loan_id, purpose=row.purpose, principal=cents_to_decimal(row.principal_cents),
            originated_on=originated, retired_on=refinanced_on.get(row.loan_id),
            refinances=row.refinances if isinstance(row.refinances, str) else None,
            recourse=bool(row.recourse), lender_is_disqualified_person=bool(row.lender_is_disqualified_person),
            payment_days=days, paid_cumulative_cents=paid, statements=statements.get(row.loan_id, {}),
        )

    overrides: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for row in book.depreciation.itertuples(index=False):
        overrides[row.property_id][int(row.tax_year)] = cents_to_decimal(row.amount_cents)

    facts: dict[str, PropertyFacts] = {}
    account_types = properties["account_id"].map(accounts["account_type"]).tolist()
    for row, account_type, acquired, placed, disposed in zip(
            properties.itertuples(index=False), account_types, dates_of(properties["acquired_on"]),
            dates_of(properties["placed_in_service_on"]), dates_of(properties["disposed_on"])):
        loans = loans_by_property.get(row.property_id, {})
        assign_acquisition_fractions(loans)
        system = row.recovery or "ads"
        cost = cents_to_decimal(row.cost_basis_cents)
        land = cents_to_decimal(row.land_value_cents)
        assets = [Asset("building", cost - land if row.property_type != LAND else ZERO, placed,
                        recovery_years(row.property_type, system, placed, periods), system)]
        for day, amount, source_row in improvements_by_property.get(row.property_id, []):
            assets.append(Asset(f"improvement {day.isoformat()}", amount, day,
                                recovery_years(row.property_type, system, day, periods), system, (source_row,)))
            if row.property_type == LAND:
                flags[row.account_id].append(
                    f"{row.property_id}: improvement of {amount:,.2f} on land is added to basis but not depreciated; "
                    "supply its depreciation in depreciation.csv if it is a depreciable land improvement")
        exception = False
        lost = None
        if account_type == "solo_401k":
            disqualified = [loan.loan_id for loan in loans.values() if loan.lender_is_disqualified_person]
            if disqualified:
                lost = (f"loan(s) {', '.join(disqualified)} from a disqualified person "
                        "(IRC §514(c)(9)(B)(iv)-(v))")
            else:
                exception = True
        facts[row.property_id] = PropertyFacts(
            property_id=row.property_id, account_id=row.account_id, description=row.description,
            property_type=row.property_type, use=_use(row), acquired_on=acquired,
            placed_in_service_on=placed,
            recovery=system, disposed_on=disposed,
            amount_realized=None if pd.isna(row.amount_realized_cents) else cents_to_decimal(row.amount_realized_cents),
            cost_basis=cost, land_value=land, loans=list(loans.values()), assets=assets,
            improvements=improvements_by_property.get(row.property_id, []),
            amounts_by_year=amounts_by_property.get(row.property_id, {}),
            interest_by_year=interest_by_property.get(row.property_id, {}),
            depreciation_overrides=overrides.get(row.property_id, {}),
            qualified_organization_exception=exception, exception_lost_reason=lost,
        )
    return facts, flags, ignored_rows


def dates_of(column: pd.Series) -> list[dt.date | None]:
    """Every value of a datetime column as a date, at once (NaT → None)."""
    return column.to_numpy(dtype="datetime64[D]").astype(object).tolist()


def _grouped_sums(keys: list[tuple[np.ndarray, int]], cents: np.ndarray, rows: np.ndarray):
    """((code, …), Σ cents) of the selected rows grouped by integer codes (each in range(n)), in
    ascending order of the codes — what a groupby over the coded columns gives, in integers."""
    key = np.zeros(int(rows.sum()), dtype=np.int64)
    for codes, count in keys:
        key = key * count + codes[rows]
    order = np.argsort(key, kind="stable")
    key = key[order]
    if not len(key):
        return []
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    totals = np.add.reduceat(cents[rows][order], starts)
    unique = key[starts]
    decoded = []
    for _, count in reversed(keys):
        decoded.append((unique % count).tolist())
        unique = unique // count
    return zip(zip(*reversed(decoded)), totals.tolist())


def _nested(grouped, outer_names: list, inner_names: list, low: int) -> dict[str, dict[int, dict[str, Decimal]]]:
    """{outer name: {year: {inner name: Decimal}}} from `_grouped_sums` over (outer, year − low, inner)
    codes: its keys come in ascending order, so each outer and year dict is looked up once, not per
    sum. The year level is a defaultdict(dict), as the properties have always carried it."""
    result: dict[str, dict[int, dict[str, Decimal]]] = {}
    last_outer = last_year = None
    by_year = by_inner = None
    for (outer, year, inner), total in grouped:
        if outer != last_outer:
            by_year = result[outer_names[outer]] = defaultdict(dict)
            last_outer, last_year = outer, None
        if year != last_year:
            by_inner = by_year[year + low] = {}
            last_year = year
        by_inner[inner_names[inner]] = cents_to_decimal(total)
    return result


def _runs(values: np.ndarray) -> dict:
    """Positions of each value in an array sorted by value (missing values left out): `groupby.indices`."""
    codes, uniques = pd.factorize(values)
    if not len(codes):
        return {}
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    ends = np.append(starts[1:], len(codes))
    return {uniques[codes[start]]: np.arange(start, end) for start, end in zip(starts.tolist(), ends.tolist())
            if codes[start] >= 0}


def _per_row(keys: pd.Series, table: pd.DataFrame, factorized: tuple | None = None) -> list[pd.Series]:
    """`keys.map(table[column])` for every column of `table`, hashing the (millions of) keys once
    (`factorized`: `pd.factorize` of the keys when already done)."""
    if not table.index.is_unique:
        return [keys.map(table[column]) for column in table.columns]
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object)) if factorized is None else factorized
    where = table.index.get_indexer(uniques) if len(uniques) else np.zeros(0, dtype=np.int64)
    position = np.where(codes >= 0, where[np.maximum(codes, 0)] if len(where) else -1, -1)
    found = position >= 0
    columns = []
    for column in table.columns:
        values = table[column].take(np.maximum(position, 0)) if len(table) else pd.Series(
            [None] * len(keys), dtype=table[column].dtype)
        columns.append(pd.Series(values.to_numpy(), index=keys.index).where(found))
    return columns


def _use(row) -> str:
    """`use` from properties.csv; by default land is held for investment and buildings for rent
    (README Assumptions: the character of a sale)."""
    given = getattr(row, "use", None)
    if isinstance(given, str) and given:
        return given
    return INVESTMENT if row.property_type == LAND else RENTAL_BUSINESS


def first_ledger_years(book: Book, ledger_years: dict[str, set[int]] | None = None) -> dict[str, int]:
    """The first year each account has ledger rows (the roll-forward starts there: history the book
    does not cover is not invented). `ledger_years`: `property_ledger_years(book)` when already computed."""
    if not len(book.ledger):
        return {}
    ledger_years = property_ledger_years(book) if ledger_years is None else ledger_years
    account_of = book.properties.drop_duplicates("property_id").set_index("property_id")["account_id"].to_dict()
    firsts: dict[str, int] = {}
    for property_id, years in ledger_years.items():
        account_id = account_of.get(property_id)
        if account_id is not None:   # rows of a property the book does not list count for no account
            first = min(years)
            firsts[account_id] = min(firsts.get(account_id, first), first)
    return firsts


def earliest_ledger_year(book: Book) -> int | None:
    """`min(first_ledger_years(book).values())` (None when it is empty) without gathering every
    property's years: the book's years are asked for before any chunk is computed, in the one process,
    while the workers wait. The years with dated rows are tried from the first; the answer is the first
    one holding a row of a property that properties.csv lists with an account (usually the first year:
    its rows alone are hashed, not the whole ledger's)."""
    ledger = book.ledger
    if not len(ledger):
        return None
    listed_rows = book.properties.drop_duplicates("property_id")
    listed = pd.Index([property_id for property_id, account_id in zip(listed_rows["property_id"].tolist(),
                                                                      listed_rows["account_id"].tolist())
                       if account_id is not None and not pd.isna(property_id)], dtype=object)
    if not len(listed):
        return None
    years = ledger["date"].dt.year.to_numpy(dtype=np.float64)   # NaN: a row without a readable date
    property_ids = ledger["property_id"].to_numpy(dtype=object)
    candidates = years[~np.isnan(years)]
    while len(candidates):                                       # the earliest year left first
        year = candidates.min()
        if (listed.get_indexer(pd.Index(property_ids[years == year], dtype=object)) >= 0).any():
            return int(year)
        candidates = candidates[candidates != year]
    return None


def property_ledger_years(book: Book) -> dict[str, set[int]]:
    """The years each property has ledger rows in (any category, any date)."""
    if not len(book.ledger):
        return {}
    # (property, year) pairs as integers: one factorize and one unique over the rows, not a hash of pairs
    codes, properties = pd.factorize(book.ledger["property_id"].to_numpy(dtype=object))
    dated = book.ledger["date"].notna().to_numpy()
    # a row without a readable date (an error validation reported; its account is not computed) has no year
    kept = (codes >= 0) & dated
    if not kept.any():
        return {}
    years = book.ledger["date"].dt.year.to_numpy(dtype=np.float64)[kept].astype(np.int64)
    codes = codes[kept].astype(np.int64)
    low = int(years.min())
    span = int(years.max()) - low + 1
    pairs = np.unique(codes * span + (years - low))
    result: dict[str, set[int]] = {}
    for code, year in zip((pairs // span).tolist(), (pairs % span + low).tolist()):
        result.setdefault(properties[code], set()).add(year)
    return result
