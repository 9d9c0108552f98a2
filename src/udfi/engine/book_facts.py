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
from udfi.engine.ledger_codes import NAT, LedgerCodes, nested_sums
from udfi.engine.property_year import (EXPENSE_CATEGORIES, INCOME_CATEGORIES, INVESTMENT, RENTAL_BUSINESS,
                                       PropertyFacts)
from udfi.money import ZERO, cents_to_decimal

NON_INTEREST_EXPENSES = tuple(category for category in EXPENSE_CATEGORIES if category != "interest")


def book_flags_and_facts(book: Book, tax_year: int, coded: LedgerCodes | None = None) -> tuple[
        dict[str, PropertyFacts], dict[str, list[str]], dict[tuple[str, int], int]]:
    """Every property's facts, the flags they raise per account, and the count of ledger rows dated
    outside their property's holding period by (property, year). `coded`: `LedgerCodes.of(book.ledger)`
    when already computed."""
    periods = parameter_store.for_year(tax_year).recovery_periods
    accounts = book.accounts.set_index("account_id")
    properties = book.properties
    ledger = book.ledger
    coded = LedgerCodes.of(ledger) if coded is None else coded
    flags: dict[str, list[str]] = defaultdict(list)
    property_codes, property_ids = coded.property_codes, coded.property_ids

    # Holding period of every ledger row; rows outside it are ignored (validation warned).
    held = _in_holding_period(ledger, properties, coded)
    # Categories and loans as integer codes (sorted, as a groupby orders them): the sums below
    # group integers instead of hashing strings of every row again for each grouping.
    category_codes, categories = pd.factorize(ledger["category"].to_numpy(dtype=object), sort=True)
    code_of = {category: code for code, category in enumerate(categories.tolist())}
    is_category = lambda *names: np.isin(category_codes, [code_of[name] for name in names if name in code_of])
    principal = is_category("principal")
    ignored_rows = _ignored_rows(coded, ~held & ~principal)

    loan_codes, loan_ids = pd.factorize(ledger["loan_id"].to_numpy(dtype=object), sort=True)
    amounts_by_property: dict[str, dict[int, dict[str, Decimal]]] = {}
    interest_by_property: dict[str, dict[int, dict[str, Decimal]]] = {}
    improvements_by_property: dict[str, list] = defaultdict(list)
    if held.any():
        cents = ledger["amount_cents"].fillna(0).to_numpy(dtype=np.int64)
        rows = held & is_category(*INCOME_CATEGORIES, *NON_INTEREST_EXPENSES) & (property_codes >= 0)
        amounts_by_property = nested_sums(property_codes, property_ids, coded.years, category_codes,
                                          categories.tolist(), cents, rows)
        rows = held & is_category("interest") & (property_codes >= 0) & (loan_codes >= 0)
        interest_by_property = nested_sums(property_codes, property_ids, coded.years, loan_codes, loan_ids.tolist(),
                                           cents, rows)
        improvements = ledger[held & is_category("improvement")]
        for property_id, day, amount, source_row in zip(improvements["property_id"].tolist(),
                                                         dates_of(improvements["date"]),
                                                         improvements["amount_cents"].tolist(),
                                                         improvements["source_row"].tolist()):
            improvements_by_property[property_id].append((day, cents_to_decimal(amount), int(source_row)))

    loans_by_property = _loans(book, ledger, principal, loan_codes, loan_ids.tolist(), coded)

    overrides: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for row in book.depreciation.itertuples(index=False):
        overrides[row.property_id][int(row.tax_year)] = cents_to_decimal(row.amount_cents)

    facts: dict[str, PropertyFacts] = {}
    account_types = properties["account_id"].map(accounts["account_type"]).tolist()
    # the columns as lists, not itertuples: a row of Python values costs a tuple, not a Series lookup per value
    uses = properties["use"].tolist() if "use" in properties.columns else [None] * len(properties)
    columns = [properties[name].tolist() for name in ("property_id", "account_id", "description", "property_type",
                                                      "recovery", "cost_basis_cents", "land_value_cents",
                                                      "amount_realized_cents")]
    for (property_id, account_id, description, property_type, recovery, cost_cents, land_cents, realized_cents,
         use, account_type, acquired, placed, disposed) in zip(
            *columns, uses, account_types, dates_of(properties["acquired_on"]),
            dates_of(properties["placed_in_service_on"]), dates_of(properties["disposed_on"])):
        loans = loans_by_property.get(property_id, {})
        assign_acquisition_fractions(loans)
        system = recovery or "ads"
        cost = cents_to_decimal(cost_cents)
        land = cents_to_decimal(land_cents)
        assets = [Asset("building", cost - land if property_type != LAND else ZERO, placed,
                        recovery_years(property_type, system, placed, periods), system)]
        for day, amount, source_row in improvements_by_property.get(property_id, []):
            assets.append(Asset(f"improvement {day.isoformat()}", amount, day,
                                recovery_years(property_type, system, day, periods), system, (source_row,)))
            if property_type == LAND:
                flags[account_id].append(
                    f"{property_id}: improvement of {amount:,.2f} on land is added to basis but not depreciated; "
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
        facts[property_id] = PropertyFacts(
            property_id=property_id, account_id=account_id, description=description,
            property_type=property_type, use=_use(use, property_type), acquired_on=acquired,
            placed_in_service_on=placed,
            recovery=system, disposed_on=disposed,
            amount_realized=None if pd.isna(realized_cents) else cents_to_decimal(realized_cents),
            cost_basis=cost, land_value=land, loans=list(loans.values()), assets=assets,
            improvements=improvements_by_property.get(property_id, []),
            amounts_by_year=amounts_by_property.get(property_id, {}),
            interest_by_year=interest_by_property.get(property_id, {}),
            depreciation_overrides=overrides.get(property_id, {}),
            qualified_organization_exception=exception, exception_lost_reason=lost,
        )
    return facts, flags, ignored_rows


def _in_holding_period(ledger: pd.DataFrame, properties: pd.DataFrame, coded: LedgerCodes) -> np.ndarray:
    """Whether each ledger row is dated within its property's holding period (acquired on or before,
    not disposed of before); False for a row without a date or of a property not listed."""
    property_index = pd.Index(properties["property_id"].to_numpy(dtype=object), dtype=object)
    if not len(ledger) or not len(properties):
        return np.zeros(len(ledger), dtype=bool)
    if not property_index.is_unique:   # the general path (`Series.map`), which refuses repeated ids
        acquired, disposed = _per_row(ledger["property_id"], properties.set_index("property_id")[
            ["acquired_on", "disposed_on"]])
        return ((ledger["date"] >= acquired) & (disposed.isna() | (ledger["date"] <= disposed))).to_numpy(dtype=bool)
    # each distinct id's row in properties.csv, then each ledger row's through its code
    where = property_index.get_indexer(coded.property_ids) if coded.property_ids else np.zeros(0, dtype=np.intp)
    position = where[np.maximum(coded.property_codes, 0)] if len(where) else np.full(len(ledger), -1)
    position = np.where(coded.property_codes >= 0, position, -1)
    listed = position >= 0
    at = np.maximum(position, 0)
    acquired = properties["acquired_on"].to_numpy(dtype="datetime64[ns]").view(np.int64)[at]
    disposed = properties["disposed_on"].to_numpy(dtype="datetime64[ns]").view(np.int64)[at]
    days = coded.days
    # NaT compares False, as in the frames: no date, or no acquisition date, is never held
    return (listed & coded.dated & (acquired != NAT) & (days >= acquired)
            & ((disposed == NAT) | (days <= disposed)))


def _ignored_rows(coded: LedgerCodes, rows: np.ndarray) -> dict[tuple[str, int], int]:
    """How many of the selected rows each (property, year) has — `groupby([property_id, year]).size()`:
    rows without an id or a year left out, keys sorted, the year a float when some ledger row has no
    date (the year column is then a float column)."""
    rows = rows & (coded.property_codes >= 0) & coded.dated
    if not rows.any():
        return {}
    years = coded.years[rows]
    low = int(years.min())
    span = int(years.max()) - low + 1
    counts = np.bincount(coded.property_codes[rows].astype(np.int64) * span + (years - low))
    pairs = np.flatnonzero(counts)   # = np.unique(…, return_counts=True), without a sort of the rows
    counts = counts[pairs]
    year_type = int if coded.dated.all() else float
    names = coded.property_ids
    keyed = sorted(((names[code], year_type(year)), count) for code, year, count in
                   zip((pairs // span).tolist(), (pairs % span + low).tolist(), counts.tolist()))
    return dict(keyed)


def _loans(book: Book, ledger: pd.DataFrame, principal: np.ndarray, loan_codes: np.ndarray, loan_ids: list,
           coded: LedgerCodes) -> dict[str, dict[str, Loan]]:
    """{property_id: {loan_id: Loan}} in loans.csv order, each loan with its repayments (every
    principal row counts toward balances, whatever its date) and lender statements."""
    # the principal rows by loan, then date (a missing date last, ties in ledger order: a stable sort)
    rows = np.flatnonzero(principal & (loan_codes >= 0))
    days = np.where(coded.dated[rows], coded.days[rows], np.iinfo(np.int64).max)
    rows = rows[np.lexsort((days, loan_codes[rows]))]
    payment_days = ledger["date"].to_numpy(dtype="datetime64[D]")[rows]
    amounts = ledger["amount_cents"]
    payment_cents = amounts.to_numpy(dtype=np.int64)[rows] if not amounts.hasnans else \
        amounts.iloc[rows].to_numpy(dtype=np.int64)   # a missing amount fails here, as it always has
    # each loan's run of rows, and its repayments added up within the run (a cumulative sum of the
    # whole array less what the runs before it add: int64 sums, exact)
    sorted_codes = loan_codes[rows]
    starts = np.searchsorted(sorted_codes, np.arange(len(loan_ids)), side="left")
    ends = np.searchsorted(sorted_codes, np.arange(len(loan_ids)), side="right")
    running = np.cumsum(payment_cents)
    before = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0) if len(running) else np.zeros_like(starts)
    paid_cumulative = running - np.repeat(before, ends - starts)
    code_of = dict(zip(loan_ids, zip(starts.tolist(), ends.tolist())))
    statements: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    balances = book.loan_balances
    for loan_id, as_of, cents in zip(balances["loan_id"].tolist(), dates_of(balances["as_of"]),
                                     balances["balance_cents"].tolist()):
        statements[loan_id][as_of] = cents_to_decimal(cents)
    loans = book.loans
    columns = [loans[name].tolist() for name in ("loan_id", "property_id", "purpose", "principal_cents", "refinances",
                                                 "recourse", "lender_is_disqualified_person")]
    originated_on = dates_of(loans["originated_on"])
    refinanced_on = {refinances: originated for refinances, originated in zip(columns[4], originated_on)
                     if isinstance(refinances, str)}
    loans_by_property: dict[str, dict[str, Loan]] = defaultdict(dict)
    empty = (0, 0)
    for loan_id, property_id, purpose, principal_cents, refinances, recourse, disqualified, originated in zip(
            *columns, originated_on):
        start, end = code_of.get(loan_id, empty) if isinstance(loan_id, str) else empty
        loans_by_property[property_id][loan_id] = Loan(
            loan_id=loan_id, purpose=purpose, principal=cents_to_decimal(principal_cents),
            originated_on=originated, retired_on=refinanced_on.get(loan_id),
            refinances=refinances if isinstance(refinances, str) else None,
            recourse=bool(recourse), lender_is_disqualified_person=bool(disqualified),
            payment_days=payment_days[start:end], paid_cumulative_cents=paid_cumulative[start:end],
            statements=statements.get(loan_id, {}),
        )
    return loans_by_property


def dates_of(column: pd.Series) -> list[dt.date | None]:
    """Every value of a datetime column as a date, at once (NaT → None)."""
    return column.to_numpy(dtype="datetime64[D]").astype(object).tolist()


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


def _use(given, property_type: str) -> str:
    """`use` from properties.csv; by default land is held for investment and buildings for rent
    (README Assumptions: the character of a sale)."""
    if isinstance(given, str) and given:
        return given
    return INVESTMENT if property_type == LAND else RENTAL_BUSINESS


def first_ledger_years(book: Book, ledger_years: dict[str, set[int]] | None = None) -> dict[str, int]:
    """The first year each account has ledger rows (the roll-forward starts there: history the book
    does not cover is not invented). `ledger_years`: `property_ledger_years(book)` when already computed."""
    if not len(book.ledger):
        return {}
    ledger_years = property_ledger_years(book) if ledger_years is None else ledger_years
    properties = book.properties
    # each id's first row (drop_duplicates' choice): the reversed rows' last assignment wins
    account_of = dict(zip(reversed(properties["property_id"].tolist()), reversed(properties["account_id"].tolist())))
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


def property_ledger_years(book: Book, coded: LedgerCodes | None = None) -> dict[str, set[int]]:
    """The years each property has ledger rows in (any category, any date). `coded`:
    `LedgerCodes.of(book.ledger)` when already computed."""
    if not len(book.ledger):
        return {}
    coded = LedgerCodes.of(book.ledger) if coded is None else coded
    # (property, year) pairs as integers: one unique over the rows, not a hash of pairs; a row without
    # a readable date (an error validation reported; its account is not computed) has no year
    kept = (coded.property_codes >= 0) & coded.dated
    if not kept.any():
        return {}
    years = coded.years[kept]
    codes = coded.property_codes[kept].astype(np.int64)
    low = int(years.min())
    span = int(years.max()) - low + 1
    # the distinct pairs, ascending, from a count per possible pair (no sort of the rows)
    pairs = np.flatnonzero(np.bincount(codes * span + (years - low), minlength=0))
    result: dict[str, set[int]] = {}
    properties = coded.property_ids
    for code, year in zip((pairs // span).tolist(), (pairs % span + low).tolist()):
        result.setdefault(properties[code], set()).add(year)
    return result
