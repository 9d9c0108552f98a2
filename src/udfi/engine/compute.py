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

from udfi import parameters as parameter_store
from udfi.book import Book, records
from udfi.engine import calendar
from udfi.engine.book_facts import (book_flags_and_facts, dates_of, earliest_ledger_year, first_ledger_years,
                                   property_ledger_years)
from udfi.engine.carryovers import carryover_rows, seed, seed_silos
from udfi.engine.columnar import average_acquisition_debts
from udfi.engine.columnar_depreciation import prefill_depreciation
from udfi.engine.flags import carryover_flags, coverage_flags, k1_flags, year_flags, year_span
from udfi.engine.form_2220 import Form2220, form_2220, is_large_organization
from udfi.engine.form_990t import Form990T, Payments, form_990t, part_i_line_8, with_estimated_tax_penalty
from udfi.engine.k1 import K1Interest, k1_interests
from udfi.engine.ledger_codes import LedgerCodes
from udfi.engine.property_year import PropertyFacts, PropertyYear, compute_property_year
from udfi.engine.records import record
from udfi.engine.schedule_a import CarryIn, ScheduleA, gross_unrelated_income
from udfi.engine.silos import SiloCarry, Silos, carry_forward_only, compute_silos
from udfi.money import ZERO, cents_to_decimal, whole_dollars

FIRST_PARAMETER_YEAR = min(parameter_store.years_available("trust_rate_schedule"))
EXEMPT_UNDER = {
    "traditional_ira": "408(e)", "sep_ira": "408(e)", "simple_ira": "408(e)", "roth_ira": "408A", "solo_401k": "401(a)",
}
ORGANIZATION_TYPE = {"solo_401k": "401a_trust"}


@record
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


def account_years(first_ledger_year: int | None, tax_year: int) -> range:
    """The years rolled forward for one account: its first ledger year (not before the first year
    with parameters) through `tax_year`; only `tax_year` when the ledger starts later or is empty."""
    start = tax_year if first_ledger_year is None else min(first_ledger_year, tax_year)
    return range(max(start, FIRST_PARAMETER_YEAR), tax_year + 1)


def book_years(book: Book, tax_year: int) -> range:
    """Every year some account of the book rolls through (for parameter fingerprints)."""
    return account_years(earliest_ledger_year(book), tax_year)


def compute_book(book: Book, tax_year: int, settings: Settings | None = None,
                 keep_history: bool = False, columnar: bool = True) -> list[AccountYear]:
    """Every account's return for `tax_year`. Raises `MissingParameterError` for a year with no parameters.

    `columnar`: the average acquisition debt and the depreciation of every property-year are computed
    at once in integer cents (`engine.columnar`, `engine.columnar_depreciation`), and the returns of years before `tax_year` − 2 are not built (only what
    they carry forward is kept); False computes each average from its month balances and builds every
    year's return (the reference path, which tests hold the columnar one to)."""
    return _compute_book(book, tax_year, settings, keep_history, columnar)


def _compute_book(book: Book, tax_year: int, settings: Settings | None, keep_history: bool,
                  columnar: bool) -> list[AccountYear]:
    settings = settings or Settings()
    parameter_store.for_year(tax_year)
    coded = LedgerCodes.of(book.ledger)   # the ledger's property ids hashed once for the three below
    ledger_years = property_ledger_years(book, coded)
    firsts = first_ledger_years(book, ledger_years)
    for year in account_years(min(firsts.values()) if firsts else None, tax_year):   # = book_years
        parameter_store.for_year(year)  # fail early and clearly for any year without parameters
    facts, property_flags, ignored_rows = book_flags_and_facts(book, tax_year, coded)
    properties_by_account: dict[str, list[PropertyFacts]] = defaultdict(list)
    for item in facts.values():
        properties_by_account[item.account_id].append(item)
    carryovers = carryover_rows(book)
    payment_sums: dict[tuple[str, int, str], int] = defaultdict(int)
    payment_dates: dict[tuple[str, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for row, day in zip(book.payments.itertuples(index=False), dates_of(book.payments["date"])):
        payment_sums[(row.account_id, int(row.tax_year), row.kind)] += int(row.amount_cents)
        payment_dates[(row.account_id, int(row.tax_year))].append((day, cents_to_decimal(row.amount_cents)))
    k1_by_account = k1_interests(book.k1s)
    for account_id, by_year in k1_by_account.items():   # K-1s of earlier years are rolled forward too
        if by_year:
            firsts[account_id] = min(firsts.get(account_id, min(by_year)), min(by_year))
    accounts = records(book.accounts)   # = book.accounts.to_dict("records")
    years_of = {account["account_id"]: account_years(firsts.get(account["account_id"]), tax_year)
                for account in accounts}
    averages: dict[tuple[str, int], Decimal] = {}
    if columnar:
        held = [(item, year) for account_id, years in years_of.items()
                for item in properties_by_account.get(account_id, []) for year in years if item.held_in(year)]
        averages = average_acquisition_debts(held)
        prefill_depreciation(held)

    results = []
    specific_deduction: dict[int, int] = {}   # Form 990-T line 8 by year: figured once a year, not per account
    for account in accounts:
        account_id = account["account_id"]
        own = properties_by_account.get(account_id, [])
        years = years_of[account_id]
        given = carryovers.get(account_id, {})
        state = CarryIn()
        silo_state: dict[str, SiloCarry] = {}
        k1_years = k1_by_account.get(account_id, {})
        history: dict[int, list[PropertyYear]] = {}
        notes = list(property_flags.get(account_id, [])) + coverage_flags(own, ledger_years, years, tax_year)
        early = sorted(year for year in given if year < years.start)
        if early:
            notes.append(f"carryovers.csv gives balances available to {year_span(early)}, before the account's first "
                         f"ledger year {years.start}; they are applied to {years.start}")
        prior_year: Form990T | None = None
        prior_return: Form990T | None = None   # last year's return, if one had to be filed
        testing_period: list[int] = []          # UBTI without NOL deductions, the 3 preceding years
        for year in years:
            year_parameters = parameter_store.for_year(year)
            if year not in specific_deduction:
                specific_deduction[year] = part_i_line_8(year_parameters)
            rows = [row for early_year in early for row in given[early_year]] if year == years.start else []
            seeds = rows + given.get(year, [])
            if seeds:   # nothing given for the year (most years): seed and seed_silos return what they get
                state = seed(seeds, year, state, notes if year == tax_year else [])
                silo_state = seed_silos(seeds, year, silo_state, notes if year == tax_year else [])
            property_years = [compute_property_year(item, year, averages.get((item.property_id, year)))
                              for item in own if item.held_in(year)]
            interests = k1_years.get(year, [])
            if keep_history:
                history[year] = property_years
            if columnar and year < tax_year - 2:
                # What is kept of an earlier year is what it carries forward and its testing-period
                # amount (UBTI without NOL deductions, less the specific deduction of Form 990-T line 8,
                # for the next years' Form 2220); its return is read only as the prior year of a
                # Form 2220 (tax_year − 1 and tax_year), so it is not built — nor its Schedules A
                # when `carry_forward_only` can say what they carry.
                carried = carry_forward_only(property_years, state, silo_state, interests, year_parameters)
                if carried is None:
                    silos = compute_silos(property_years, state, silo_state, interests, year_parameters,
                                          settings.activity_code,
                                          _investment_description(settings, property_years, interests))
                    carried = silos.carry_out, silos.income_before_nol
                    silo_state = silos.silo_carry_out
                else:
                    silo_state = {}
                state, income_before_nol = carried
                testing_period = (testing_period + [max(income_before_nol - specific_deduction[year], 0)])[-3:]
                prior_return = None
                continue
            silos = compute_silos(property_years, state, silo_state, interests, year_parameters,
                                  settings.activity_code, _investment_description(settings, property_years, interests))
            schedule = silos.investment.schedule
            carry_in, state = state, silos.carry_out
            silo_carry_in, silo_state = silo_state, silos.silo_carry_out
            # UBTI without NOL deductions, for the testing period of the next years' Form 2220 (line 8 of
            # Form 990-T is the specific deduction)
            testing_amount = max(silos.income_before_nol - specific_deduction[year], 0)
            given_rows = given.get(year)
            overpayment = sum((row[2] for row in given_rows if row[0] == "prior_year_overpayment"), ZERO) \
                if given_rows else ZERO
            payments = Payments(
                prior_year_overpayment=whole_dollars(overpayment),
                estimated=_whole_dollars_of_cents(payment_sums.get((account_id, year, "estimated"), 0)),
                extension=_whole_dollars_of_cents(payment_sums.get((account_id, year, "extension"), 0)),
                dated=tuple(sorted(payment_dates.get((account_id, year), ()))),
            )
            form = form_990t(silos, payments, year_parameters)
            # Form 2220 changes Part III lines 8–10 only, never the tax or what carries forward: it is
            # needed for the year computed and the year before it (`prior_year_form`), not earlier.
            penalty_note = None
            if year >= tax_year - 1:
                penalty, penalty_note = _estimated_tax_penalty(year, form, payments, prior_return, testing_period)
                form = with_estimated_tax_penalty(form, penalty)
            k1_gross = sum((item.gross_for_filing for item in interests), ZERO)
            gross = gross_unrelated_income(property_years) + k1_gross
            must_file = gross >= year_parameters.filing_threshold
            testing_period = (testing_period + [testing_amount])[-3:]
            prior_return = form if must_file else None
            if year != tax_year:
                prior_year = form
                continue
            flags = notes + year_flags(account["account_type"], property_years, ignored_rows, year)
            flags += carryover_flags(schedule) + ([penalty_note] if penalty_note else [])
            flags += k1_flags(silos, interests, must_file)
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


def _whole_dollars_of_cents(cents: int) -> int:
    """`whole_dollars(Decimal(cents) / 100)`: no cents (most account-years have no payment) is 0."""
    return 0 if cents == 0 else whole_dollars(Decimal(cents) / 100)


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


def _investment_description(settings: Settings, property_years: list[PropertyYear], interests: list[K1Interest]) -> str:
    """Schedule A item E of the investment-activities silo: the setting, named for what the silo holds when
    it holds qualifying partnership interests and the setting is the default."""
    if settings.activity_description != Settings.activity_description or not any(i.qualifying for i in interests):
        return settings.activity_description
    if any(column.debt_financed for column in property_years):
        return "Debt-financed rental real estate and qualifying partnership interests (investment activities)"
    return "Qualifying partnership interests (investment activities, Reg. 1.512(a)-6(c))"
