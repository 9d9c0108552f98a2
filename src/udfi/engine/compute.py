"""From a validated book to every account's return for a tax year, rolling the book's history forward.

The ledger is aggregated once, vectorized (sums by property, year and category; repayments per loan
as sorted arrays); the §514 arithmetic then runs per property-year in Decimal, and carryovers (NOLs,
capital losses) flow year by year per account.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from udfi import parameters as parameter_store
from udfi.book import Book
from udfi.engine import calendar
from udfi.engine.columnar import average_acquisition_debts
from udfi.engine.depreciation import LAND, Asset, recovery_years
from udfi.engine.form_2220 import Form2220, form_2220, is_large_organization
from udfi.engine.form_990t import Form990T, Payments, form_990t, with_estimated_tax_penalty
from udfi.engine.indebtedness import Loan, assign_acquisition_fractions
from udfi.engine.property_year import (EXPENSE_CATEGORIES, INCOME_CATEGORIES, INVESTMENT, RENTAL_BUSINESS, PropertyFacts,
                                       PropertyYear, compute_property_year)
from udfi.engine.k1 import K1Interest, k1_interests
from udfi.engine.nol import POST2017, PRE2018, NolLayer
from udfi.engine.schedule_a import CarryIn, ScheduleA, gross_unrelated_income
from udfi.engine.silos import INVESTMENT, SiloCarry, Silos, compute_silos
from udfi.money import ZERO, cents_to_decimal, whole_dollars

FIRST_PARAMETER_YEAR = min(parameter_store.years_available("trust_rate_schedule"))
RECONCILIATION_TOLERANCE = Decimal("0.50")

NON_INTEREST_EXPENSES = tuple(category for category in EXPENSE_CATEGORIES if category != "interest")

EXEMPT_UNDER = {
    "traditional_ira": "408(e)", "sep_ira": "408(e)", "simple_ira": "408(e)", "roth_ira": "408A", "solo_401k": "401(a)",
}
ORGANIZATION_TYPE = {"solo_401k": "401a_trust"}


@dataclass(frozen=True)
class Settings:
    """Choices a preparer may change (see README "Assumptions")."""

    activity_code: str = "900000"
    activity_description: str = "Debt-financed rental real estate (investment activities, Reg. 1.512(a)-6(c))"


class ComputationError(Exception):
    """A figure cannot be computed for an account (the message says why)."""

    def __init__(self, account_id: str | None, message: str):
        super().__init__(message)
        self.account_id = account_id


@dataclass
class AccountYear:
    account: dict
    tax_year: int
    parameters: parameter_store.TaxYearParameters
    settings: Settings
    property_years: list[PropertyYear]
    schedule: ScheduleA
    form: Form990T
    payments: Payments
    carry_in: CarryIn
    carry_out: CarryIn
    gross_unrelated_income: Decimal
    must_file: bool
    due_date: dt.date
    extended_due_date: dt.date
    estimated_tax_due_dates: list[dt.date]
    flags: list[str]
    history: dict[int, list[PropertyYear]] = field(default_factory=dict)
    first_year: int | None = None               # the first year rolled forward for this account
    prior_year_form: Form990T | None = None     # last year's return, when the book covers it
    silos: Silos | None = None                  # every unrelated trade or business (schedule = the investment one)
    k1s: tuple[K1Interest, ...] = ()            # the year's K-1s
    silo_carry_in: dict[str, SiloCarry] = field(default_factory=dict)   # partnership silos' NOLs carried in
    k1_gross_income: Decimal = ZERO             # the K-1s' part of gross_unrelated_income

    @property
    def account_id(self) -> str:
        return self.account["account_id"]


# ---------------------------------------------------------------------------------------------
# Gathering facts from the book (vectorized)
# ---------------------------------------------------------------------------------------------

def _date(value) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _book_flags_and_facts(book: Book, tax_year: int) -> tuple[dict[str, PropertyFacts], dict[str, list[str]],
                                                               dict[tuple[str, int], int]]:
    periods = parameter_store.for_year(tax_year).recovery_periods
    accounts = book.accounts.set_index("account_id")
    properties = book.properties
    ledger = book.ledger
    flags: dict[str, list[str]] = defaultdict(list)

    # Holding period of every ledger row; rows outside it are ignored (validation warned).
    property_index = properties.set_index("property_id")
    if len(ledger):
        acquired, disposed = _per_row(ledger["property_id"], property_index[["acquired_on", "disposed_on"]])
        in_period = (ledger["date"] >= acquired) & (disposed.isna() | (ledger["date"] <= disposed))
    else:  # an account with no ledger rows (mapping an empty frame loses the date dtype)
        in_period = pd.Series(False, index=ledger.index)
    years = ledger["date"].dt.year
    outside = ledger.loc[~in_period & ledger["category"].ne("principal"), ["property_id"]].assign(year=years)
    ignored_rows = outside.groupby(["property_id", "year"]).size().to_dict()

    working = ledger.assign(year=years)[in_period]
    amount_sums = (working[working["category"].isin(INCOME_CATEGORIES + NON_INTEREST_EXPENSES)]
                   .groupby(["property_id", "year", "category"])["amount_cents"].sum())
    interest_sums = (working[working["category"] == "interest"]
                     .groupby(["property_id", "year", "loan_id"])["amount_cents"].sum())
    improvements = working[working["category"] == "improvement"]

    amounts_by_property: dict[str, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for property_id, year, category, cents in _sum_rows(amount_sums):
        amounts_by_property[property_id][year][category] = cents_to_decimal(cents)
    interest_by_property: dict[str, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for property_id, year, loan_id, cents in _sum_rows(interest_sums):
        interest_by_property[property_id][year][loan_id] = cents_to_decimal(cents)
    improvements_by_property: dict[str, list] = defaultdict(list)
    for property_id, day, cents, source_row in zip(improvements["property_id"].tolist(), _dates(improvements["date"]),
                                                   improvements["amount_cents"].tolist(),
                                                   improvements["source_row"].tolist()):
        improvements_by_property[property_id].append((day, cents_to_decimal(cents), int(source_row)))

    # Loans: repayment arrays (all principal rows count toward balances, whatever their date).
    principal_rows = ledger[ledger["category"] == "principal"].sort_values(["loan_id", "date"], kind="stable")
    payment_days = principal_rows["date"].to_numpy(dtype="datetime64[D]")
    payment_cents = principal_rows["amount_cents"].to_numpy(dtype=np.int64)
    positions = principal_rows.groupby("loan_id", sort=False).indices
    statements: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    balances = book.loan_balances
    for loan_id, as_of, cents in zip(balances["loan_id"].tolist(), _dates(balances["as_of"]),
                                     balances["balance_cents"].tolist()):
        statements[loan_id][as_of] = cents_to_decimal(cents)
    loan_originated = _dates(book.loans["originated_on"])
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
            properties.itertuples(index=False), account_types, _dates(properties["acquired_on"]),
            _dates(properties["placed_in_service_on"]), _dates(properties["disposed_on"])):
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


def _dates(column: pd.Series) -> list[dt.date | None]:
    """`_date` of every value of a datetime column at once (NaT → None)."""
    return column.to_numpy(dtype="datetime64[D]").astype(object).tolist()


def _sum_rows(sums: pd.Series):
    """(key 0, year, key 2, cents) of a sum grouped by three keys, year as int."""
    if not len(sums):
        return []
    index = sums.index
    return zip(index.get_level_values(0).tolist(), [int(year) for year in index.get_level_values(1).tolist()],
               index.get_level_values(2).tolist(), sums.tolist())


def _per_row(keys: pd.Series, table: pd.DataFrame) -> list[pd.Series]:
    """`keys.map(table[column])` for every column of `table`, hashing the (millions of) keys once."""
    if not table.index.is_unique:
        return [keys.map(table[column]) for column in table.columns]
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
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


# ---------------------------------------------------------------------------------------------
# Flags: plain-language warnings per account and year
# ---------------------------------------------------------------------------------------------

def _year_flags(account_type: str, property_years: list[PropertyYear], ignored_rows: dict, tax_year: int) -> list[str]:
    flags = []
    for column in property_years:
        facts = column.facts
        year_start, year_end = dt.date(tax_year, 1, 1), dt.date(tax_year, 12, 31)
        for loan in facts.loans:
            active = loan.originated_on <= year_end and (loan.retired_on is None or loan.retired_on >= year_start)
            if not active:
                continue
            if loan.recourse:
                flags.append(f"{facts.property_id}: loan {loan.loan_id} is recourse — an IRA may borrow only "
                             "non-recourse; a recourse loan is a prohibited-transaction risk (IRC §4975(c)(1)(B))")
            if loan.lender_is_disqualified_person:
                flags.append(f"{facts.property_id}: loan {loan.loan_id} is from a disqualified person — "
                             "prohibited-transaction risk (IRC §4975(c)(1)(B))")
            if loan.purpose == "refinance" and loan.excess_at_origination > ZERO and loan.originated_on.year == tax_year:
                flags.append(f"{facts.property_id}: refinance {loan.loan_id} exceeded the old debt by "
                             f"{loan.excess_at_origination:,.2f}; the excess is treated as a separate debt that is not "
                             "acquisition indebtedness (Reg. §1.514(c)-1(c)(1)); repayments are apportioned pro rata")
            for as_of, stated in sorted(loan.statements.items()):
                if as_of.year != tax_year:
                    continue
                ledger_balance = loan.ledger_balance(as_of)
                if abs(stated - ledger_balance) > RECONCILIATION_TOLERANCE:
                    flags.append(f"{facts.property_id}: lender statement for {loan.loan_id} on {as_of.isoformat()} shows "
                                 f"{stated:,.2f} but the ledger implies {ledger_balance:,.2f} "
                                 f"(difference {stated - ledger_balance:,.2f}); the statement is used from that day on, less later repayments")
        if account_type == "solo_401k":
            if facts.qualified_organization_exception:
                flags.append(f"{facts.property_id}: §514(c)(9) exception applied — a qualified trust's real-property "
                             "acquisition debt is not acquisition indebtedness, so no UDFI")
            else:
                flags.append(f"{facts.property_id}: §514(c)(9) exception LOST — {facts.exception_lost_reason}")
        ignored = ignored_rows.get((facts.property_id, tax_year))
        if ignored:
            flags.append(f"{facts.property_id}: {ignored} ledger row(s) dated outside the holding period were ignored")
        if column.depreciation_overridden:
            flags.append(f"{facts.property_id}: depreciation taken from depreciation.csv "
                         f"({column.straight_line_depreciation:,.2f}) instead of the computed straight-line amount")
    return flags


# ---------------------------------------------------------------------------------------------
# The roll-forward
# ---------------------------------------------------------------------------------------------

SEEDED_KINDS = ("post2017_nol", "pre2018_nol", "short_term_capital_loss", "long_term_capital_loss", "section_1231_loss")


INVESTMENT_CODES = ("", "900000")  # carryovers.csv activity_code of the investment-activities silo


def _carryover_rows(book: Book) -> dict[str, dict[int, list[tuple[str, int | None, Decimal, str]]]]:
    """carryovers.csv by account and year: (kind, origin year, amount, silo: INVESTMENT or a NAICS
    two-digit code, with the row's activity code after a colon)."""
    rows: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    origin = book.carryovers["origin_year"] if "origin_year" in book.carryovers.columns else None
    codes = book.carryovers["activity_code"] if "activity_code" in book.carryovers.columns else None
    for position, row in enumerate(book.carryovers.itertuples(index=False)):
        year_of_origin = None if origin is None or pd.isna(origin.iloc[position]) else int(origin.iloc[position])
        code = "" if codes is None or not isinstance(codes.iloc[position], str) else codes.iloc[position].strip()
        silo = INVESTMENT if code in INVESTMENT_CODES else f"{code[:2]}:{code}"
        rows[row.account_id][int(row.tax_year)].append(
            (row.kind, year_of_origin, cents_to_decimal(row.amount_cents), silo))
    return rows


def _seed_silos(rows: list[tuple], year: int, silos: dict[str, SiloCarry], flags: list[str]) -> dict[str, SiloCarry]:
    """Replace a partnership silo's rolled-forward post-2017 NOL by the carryovers.csv rows that name
    its activity code (each silo keeps its own, Reg. §1.512(a)-6(h)(1))."""
    given: dict[str, list[tuple[int | None, int, str]]] = defaultdict(list)
    for kind, origin, amount, silo in rows:
        if kind == "post2017_nol" and silo != INVESTMENT:
            sector, _, code = silo.partition(":")
            given[sector].append((origin, whole_dollars(amount), code))
    if not given:
        return silos
    result = dict(silos)
    for sector, entries in given.items():
        opening = sum(amount for _, amount, _ in entries)
        rolled = silos[sector].post2017_nol if sector in silos else 0
        if rolled not in (0, opening):
            flags.append(f"carryovers.csv sets the post-2017 NOL of the NAICS {sector} silo available to {year} at "
                         f"{opening:,}, replacing {rolled:,} rolled forward from the book")
        result[sector] = SiloCarry(entries[0][2], tuple(NolLayer(POST2017, origin, amount)
                                                         for origin, amount, _ in entries if amount))
    return result


def _seed(rows: list[tuple[str, int | None, Decimal]], year: int, state: CarryIn, flags: list[str]) -> CarryIn:
    """Replace the rolled-forward balances of each kind carryovers.csv gives for `year`."""
    given: dict[str, list[tuple[int | None, int]]] = defaultdict(list)
    for kind, origin, amount, silo in rows:
        if kind in SEEDED_KINDS and silo == INVESTMENT:
            given[kind].append((origin, whole_dollars(amount)))
    if not given:
        return state
    rolled = {"post2017_nol": state.post2017_nol, "pre2018_nol": state.pre2018_nol,
              "short_term_capital_loss": state.short_term_capital_loss,
              "long_term_capital_loss": state.long_term_capital_loss,
              "section_1231_loss": sum(amount for _, amount in state.section_1231_losses)}
    for kind, entries in given.items():
        opening = sum(amount for _, amount in entries)
        if rolled[kind] not in (0, opening):
            flags.append(f"carryovers.csv sets the {kind.replace('_', ' ')} available to {year} at {opening:,}, "
                         f"replacing {rolled[kind]:,} rolled forward from the book")
    layers = list(state.nol_layers)
    for kind, nol_kind in (("post2017_nol", POST2017), ("pre2018_nol", PRE2018)):
        if kind in given:
            layers = [layer for layer in layers if layer.kind != nol_kind]
            layers += [NolLayer(nol_kind, origin, amount) for origin, amount in given[kind] if amount]
    return CarryIn(
        nol_layers=tuple(layers),
        short_term_capital_loss=sum(a for _, a in given["short_term_capital_loss"])
        if "short_term_capital_loss" in given else state.short_term_capital_loss,
        long_term_capital_loss=sum(a for _, a in given["long_term_capital_loss"])
        if "long_term_capital_loss" in given else state.long_term_capital_loss,
        section_1231_losses=tuple((origin, a) for origin, a in given["section_1231_loss"] if origin is not None)
        if "section_1231_loss" in given else state.section_1231_losses,
    )


def first_ledger_years(book: Book, ledger_years: dict[str, set[int]] | None = None) -> dict[str, int]:
    """The first year each account has ledger rows (the roll-forward starts there: history the book
    does not cover is not invented). `ledger_years`: `_ledger_years(book)` when already computed."""
    if not len(book.ledger):
        return {}
    ledger_years = _ledger_years(book) if ledger_years is None else ledger_years
    account_of = book.properties.drop_duplicates("property_id").set_index("property_id")["account_id"].to_dict()
    firsts: dict[str, int] = {}
    for property_id, years in ledger_years.items():
        account_id = account_of.get(property_id)
        if account_id is not None:   # rows of a property the book does not list count for no account
            first = min(years)
            firsts[account_id] = min(firsts.get(account_id, first), first)
    return firsts


def account_years(first_ledger_year: int | None, tax_year: int) -> range:
    """The years rolled forward for one account: its first ledger year (not before the first year
    with parameters) through `tax_year`; only `tax_year` when the ledger starts later or is empty."""
    start = tax_year if first_ledger_year is None else min(first_ledger_year, tax_year)
    return range(max(start, FIRST_PARAMETER_YEAR), tax_year + 1)


def book_years(book: Book, tax_year: int) -> range:
    """Every year some account of the book rolls through (for parameter fingerprints)."""
    firsts = first_ledger_years(book)
    return account_years(min(firsts.values()) if firsts else None, tax_year)


def _ledger_years(book: Book) -> dict[str, set[int]]:
    """The years each property has ledger rows in (any category, any date)."""
    if not len(book.ledger):
        return {}
    # (property, year) pairs as integers: one factorize and one unique over the rows, not a hash of pairs
    codes, properties = pd.factorize(book.ledger["property_id"].to_numpy(dtype=object))
    years = book.ledger["date"].dt.year.to_numpy(dtype=np.int64)
    low = int(years.min())
    span = int(years.max()) - low + 1
    pairs = np.unique(codes[codes >= 0].astype(np.int64) * span + (years[codes >= 0] - low))
    result: dict[str, set[int]] = {}
    for code, year in zip((pairs // span).tolist(), (pairs % span + low).tolist()):
        result.setdefault(properties[code], set()).add(year)
    return result


def _year_span(years: list[int]) -> str:
    return f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}" if years == list(range(years[0], years[-1] + 1)) \
        else ", ".join(str(year) for year in years)


def _coverage_flags(own: list[PropertyFacts], ledger_years: dict[str, set[int]], years: range,
                    tax_year: int) -> list[str]:
    """Held property-years the ledger does not cover: before the roll-forward starts, or a gap."""
    flags = []
    for item in own:
        present = ledger_years.get(item.property_id, set())
        held = [year for year in range(item.acquired_on.year, tax_year + 1) if item.held_in(year)]
        before = [year for year in held if year < years.start and year not in present]
        if before:
            flags.append(f"{item.property_id}: held in {_year_span(before)} but the ledger has no rows for "
                         f"{'that year' if len(before) == 1 else 'those years'}; the roll-forward starts in "
                         f"{years.start} and invents no history (give NOL and capital-loss carryovers into "
                         f"{years.start} in carryovers.csv)")
        if item.held_in(tax_year) and tax_year >= years.start and tax_year not in present:
            flags.append(f"{item.property_id}: held in {tax_year} but the ledger has no rows for it in {tax_year}; "
                         "the year is computed with no rent and no expenses")
    return flags


def compute_book(book: Book, tax_year: int, settings: Settings | None = None,
                 keep_history: bool = False, columnar: bool = True) -> list[AccountYear]:
    """Every account's return for `tax_year`. Raises `MissingParameterError` for a year with no parameters.

    `columnar`: the average acquisition debt of every property-year is computed at once in integer
    cents (`engine.columnar`); False computes each from its month balances (the reference path, which
    tests hold the columnar one to)."""
    settings = settings or Settings()
    parameter_store.for_year(tax_year)
    ledger_years = _ledger_years(book)
    firsts = first_ledger_years(book, ledger_years)
    for year in account_years(min(firsts.values()) if firsts else None, tax_year):   # = book_years
        parameter_store.for_year(year)  # fail early and clearly for any year without parameters
    facts, property_flags, ignored_rows = _book_flags_and_facts(book, tax_year)
    properties_by_account: dict[str, list[PropertyFacts]] = defaultdict(list)
    for item in facts.values():
        properties_by_account[item.account_id].append(item)
    carryovers = _carryover_rows(book)
    payment_sums: dict[tuple[str, int, str], int] = defaultdict(int)
    payment_dates: dict[tuple[str, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for row in book.payments.itertuples(index=False):
        payment_sums[(row.account_id, int(row.tax_year), row.kind)] += int(row.amount_cents)
        payment_dates[(row.account_id, int(row.tax_year))].append((_date(row.date), cents_to_decimal(row.amount_cents)))
    k1_by_account = k1_interests(book.k1s)
    for account_id, by_year in k1_by_account.items():   # K-1s of earlier years are rolled forward too
        if by_year:
            firsts[account_id] = min(firsts.get(account_id, min(by_year)), min(by_year))
    accounts = book.accounts.to_dict("records")
    years_of = {account["account_id"]: account_years(firsts.get(account["account_id"]), tax_year)
                for account in accounts}
    averages: dict[tuple[str, int], Decimal] = {}
    if columnar:
        averages = average_acquisition_debts([(item, year) for account_id, years in years_of.items()
                                              for item in properties_by_account.get(account_id, [])
                                              for year in years if item.held_in(year)])

    results = []
    for account in accounts:
        account_id = account["account_id"]
        own = properties_by_account.get(account_id, [])
        years = years_of[account_id]
        given = carryovers.get(account_id, {})
        state = CarryIn()
        silo_state: dict[str, SiloCarry] = {}
        k1_years = k1_by_account.get(account_id, {})
        history: dict[int, list[PropertyYear]] = {}
        notes = list(property_flags.get(account_id, [])) + _coverage_flags(own, ledger_years, years, tax_year)
        early = sorted(year for year in given if year < years.start)
        if early:
            notes.append(f"carryovers.csv gives balances available to {_year_span(early)}, before the account's first "
                         f"ledger year {years.start}; they are applied to {years.start}")
        prior_year: Form990T | None = None
        prior_return: Form990T | None = None   # last year's return, if one had to be filed
        testing_period: list[int] = []          # UBTI without NOL deductions, the 3 preceding years
        for year in years:
            year_parameters = parameter_store.for_year(year)
            rows = [row for early_year in early for row in given[early_year]] if year == years.start else []
            seeds = rows + given.get(year, [])
            state = _seed(seeds, year, state, notes if year == tax_year else [])
            silo_state = _seed_silos(seeds, year, silo_state, notes if year == tax_year else [])
            property_years = [compute_property_year(item, year, averages.get((item.property_id, year)))
                              for item in own if item.held_in(year)]
            interests = k1_years.get(year, [])
            silos = compute_silos(property_years, state, silo_state, interests, year_parameters,
                                  settings.activity_code, _investment_description(settings, property_years, interests))
            schedule = silos.investment.schedule
            overpayment = sum((row[2] for row in given.get(year, []) if row[0] == "prior_year_overpayment"),
                              ZERO)
            payments = Payments(
                prior_year_overpayment=whole_dollars(overpayment),
                estimated=whole_dollars(Decimal(payment_sums.get((account_id, year, "estimated"), 0)) / 100),
                extension=whole_dollars(Decimal(payment_sums.get((account_id, year, "extension"), 0)) / 100),
                dated=tuple(sorted(payment_dates.get((account_id, year), []))),
            )
            form = form_990t(silos, payments, year_parameters)
            # Form 2220 changes Part III lines 8–10 only, never the tax or what carries forward: it is
            # needed for the year computed and the year before it (`prior_year_form`), not earlier.
            penalty_note = None
            if year >= tax_year - 1:
                penalty, penalty_note = _estimated_tax_penalty(year, form, payments, prior_return, testing_period)
                form = with_estimated_tax_penalty(form, penalty)
            carry_in, state = state, silos.carry_out
            silo_carry_in, silo_state = silo_state, silos.silo_carry_out
            if keep_history:
                history[year] = property_years
            k1_gross = sum((item.gross_for_filing for item in interests), ZERO)
            gross = gross_unrelated_income(property_years) + k1_gross
            must_file = gross >= year_parameters.filing_threshold
            testing_period = (testing_period + [max(silos.income_before_nol - form.part_i["8"], 0)])[-3:]
            prior_return = form if must_file else None
            if year != tax_year:
                prior_year = form
                continue
            flags = notes + _year_flags(account["account_type"], property_years, ignored_rows, year)
            flags += _carryover_flags(schedule) + ([penalty_note] if penalty_note else [])
            flags += _k1_flags(silos, interests, must_file)
            if form.total_tax > 0 and not must_file:
                flags.append("tax is computed although gross unrelated income is under the filing threshold")
            if form.part_iii["10"] > 0:
                flags.append(f"overpayment of {form.part_iii['10']:,}: choose on line 11 to credit it to next year or "
                             "have it refunded; a credit is not carried automatically (add it to carryovers.csv)")
            threshold = Decimal(year_parameters.due_dates["estimated_tax_threshold"])
            estimated_dates = calendar.estimated_tax_due_dates(year) if form.total_tax >= threshold else []
            results.append(AccountYear(
                account=account, tax_year=year, parameters=year_parameters, settings=settings,
                property_years=property_years, schedule=schedule, form=form, payments=payments,
                carry_in=carry_in, carry_out=state, gross_unrelated_income=gross, must_file=must_file,
                due_date=calendar.return_due_date(year), extended_due_date=calendar.extended_due_date(year),
                estimated_tax_due_dates=estimated_dates, flags=flags, history=history,
                first_year=years.start, prior_year_form=prior_year if year - 1 in years else None,
                silos=silos, k1s=tuple(interests), silo_carry_in=silo_carry_in, k1_gross_income=k1_gross,
            ))
    return results


def _estimated_tax_penalty(year: int, form: Form990T, payments: Payments, prior_return: Form990T | None,
                           testing_period: list[int]) -> tuple[Form2220 | None, str | None]:
    """Form 2220 for the year, the balance assumed paid with the return on its due date. A quarter
    whose underpayment rate is not yet in the parameters leaves line 8 blank with a flag: the penalty
    is optional on the return (the IRS figures it), the rest of the return is not held up."""
    try:
        computed = form_2220(year, form.total_tax, None if prior_return is None else prior_return.total_tax,
                             payments.dated, payments.prior_year_overpayment, calendar.return_due_date(year),
                             large_organization=is_large_organization(year, testing_period))
    except parameter_store.MissingParameterError as exc:
        return None, (f"estimated tax penalty (Form 2220) not computed: {exc}; Part III line 8 is left blank — "
                      "add the rate to compute it, or let the IRS figure the penalty")
    if computed.penalty:
        return computed, (f"estimated tax penalty {computed.penalty:,} (Form 2220, IRC §6655) on Part III line 8"
                          + ("; Form 2220 is attached (a Part II box applies)" if computed.must_attach else
                             "; Form 2220 need not be attached (no Part II box applies), the amount is entered"))
    return computed, None


def _carryover_flags(schedule: ScheduleA) -> list[str]:
    flags = []
    for item in schedule.nol.schedule:
        if item.expired:
            flags.append(f"pre-2018 NOL of {item.origin_year} ({item.expired:,}) expired unused after "
                         f"{item.expires_after} (20-year carryforward, IRC §172(b)(1)(A) before 2018)")
    if schedule.capital_loss_worksheet.line_2 and schedule.capital_loss_worksheet.line_5 < schedule.capital_loss_worksheet.line_2:
        flags.append("taxable income before the capital loss deduction is "
                     f"{'zero or less' if not schedule.capital_loss_worksheet.line_4 else 'small'}: only "
                     f"{schedule.capital_loss_worksheet.line_5:,} of the {schedule.capital_loss_worksheet.line_2:,} "
                     "capital loss deduction is used up; the rest carries over (IRC §1212(b)(2))")
    return flags


def _k1_flags(silos: Silos, interests: list[K1Interest], must_file: bool) -> list[str]:
    """What a reviewer of a return with K-1s should look at."""
    flags = []
    for item in interests:
        if item.gross_income is None and not must_file:
            flags.append(f"K-1 {item.name}: gross_income not given — the filing test counted its UBTI "
                         f"({max(item.ubti, ZERO):,.2f}), a lower bound; with its gross income the return may be required")
        if item.qualification.test == "grace_period":
            flags.append(f"K-1 {item.name}: {item.qualification.explanation}")
    for silo in silos.items:
        if len(silo.activity_codes) > 1:
            flags.append(f"Schedule A for {silo.label}: its K-1s give several activity codes "
                         f"({', '.join(silo.activity_codes)}); item C shows {silo.activity_code}, the code of the "
                         "largest one")
        if silo.attached and silo.schedule.line_16 < 0 and len(silos.attached) > 1:
            flags.append(f"Schedule A for {silo.label}: a loss of {-silo.schedule.line_16:,} on line 16 stays in this "
                         "trade or business as its own NOL; it does not offset the other Schedules A (IRC §512(a)(6))")
    return flags


def _investment_description(settings: Settings, property_years: list[PropertyYear], interests: list[K1Interest]) -> str:
    """Schedule A item E of the investment-activities silo: the setting, named for what the silo holds when
    it holds qualifying partnership interests and the setting is the default."""
    if settings.activity_description != Settings.activity_description or not any(i.qualifying for i in interests):
        return settings.activity_description
    if any(column.debt_financed for column in property_years):
        return "Debt-financed rental real estate and qualifying partnership interests (investment activities)"
    return "Qualifying partnership interests (investment activities, Reg. 1.512(a)-6(c))"
