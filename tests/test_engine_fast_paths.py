"""The engine's integer-cent fast paths against the Decimal arithmetic they replace (the oracles kept
beside them): every result equal value for value and digit for digit (Decimal('0') ≠ Decimal('0.00'))."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from test_engine_equivalence import plain
from udfi.engine.compute import compute_book
from udfi.engine.depreciation import Asset
from udfi.engine.nol import NolLayer
from udfi.engine.property_year import PropertyFacts
from udfi.money import CENT, HUNDRED, ONE, cents_to_decimal, round_cents, whole_dollars
from udfi.synth import synth
from udfi.validate import validate_book

D = Decimal
YEARS = st.sampled_from([D("27.5"), D("30"), D("39"), D("40"), D("0"), D("7.3")])   # 7.3: not whole half-months
DAYS = st.dates(min_value=dt.date(1985, 1, 1), max_value=dt.date(2026, 12, 31))


def same(one: Decimal, other: Decimal) -> bool:
    return one.as_tuple() == other.as_tuple()


@given(st.integers(min_value=-10**14, max_value=10**14))
def test_cents_to_decimal_is_cents_divided_by_100_to_the_cent(cents):
    # 12345 → 123.45, 0 → 0.00 (two places always), -5 → -0.05
    assert same(cents_to_decimal(cents), (D(cents) / HUNDRED).quantize(CENT))


@given(st.integers(min_value=-10**45, max_value=10**45))
def test_cents_to_decimal_multiplies_exactly_where_it_can_and_shifts_beyond(cents):
    # below 10**38 cents the product × 0.01 has at most 40 digits (exact); beyond, scaleb as before
    assert same(cents_to_decimal(cents), D(cents).scaleb(-2))


@given(st.integers(min_value=-10**12, max_value=10**12) | st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                                                        min_value=-10**9, max_value=10**9))
def test_whole_dollars_and_round_cents_round_half_up(amount):
    assert whole_dollars(amount) == int(D(amount).quantize(ONE, rounding=ROUND_HALF_UP))
    assert same(round_cents(amount), D(amount).quantize(CENT, rounding=ROUND_HALF_UP))


@settings(max_examples=200)
@given(st.integers(min_value=-10**9, max_value=10**11), st.integers(min_value=0, max_value=3), YEARS, DAYS,
       st.none() | DAYS, st.integers(min_value=1984, max_value=2070))
def test_asset_depreciation_in_integer_cents_equals_the_decimal_quotient(coefficient, places, years, placed,
                                                                       disposed, year):
    asset = Asset("building", D(coefficient).scaleb(-places), placed, years, "ads")
    assert same(asset.accumulated_through(year, disposed), asset.accumulated_through_reference(year, disposed))


def test_the_worked_depreciation_example():
    # A $275,000.00 building, 27.5 years = 660 half-months, placed in March 2020 (mid-month): through
    # 2020 it has mid-March to December 31 = 9.5 months = 19 half-months: 27,500,000 × 19 / 660 =
    # 791,666.67 cents → $7,916.67 (half-up); through 2021, 43 half-months: 1,791,666.67 → $17,916.67.
    asset = Asset("building", D("275000.00"), dt.date(2020, 3, 10), D("27.5"), "gds")
    assert str(asset.accumulated_through(2020)) == "7916.67"
    assert str(asset.accumulated_through(2021)) == "17916.67"
    assert str(asset.for_year(2021)) == "10000.00"                   # 24/660 of the basis a full year
    assert str(Asset("land", D("0.00"), dt.date(2020, 1, 1), D("30"), "ads").accumulated_through(2020)) == "0"


def _facts(assets, improvements, overrides, placed) -> PropertyFacts:
    return PropertyFacts(
        property_id="P1", account_id="A1", description="", property_type="residential_rental", use="rental_business",
        acquired_on=placed, placed_in_service_on=placed, recovery="ads", disposed_on=None, amount_realized=None,
        cost_basis=D("300000.00"), land_value=D("50000.00"), loans=[], assets=assets, improvements=improvements,
        depreciation_overrides=overrides)


@settings(max_examples=150)
@given(DAYS, st.lists(st.tuples(DAYS, st.integers(min_value=0, max_value=10**7)), max_size=3),
       st.dictionaries(st.integers(min_value=1984, max_value=2027), st.integers(min_value=0, max_value=10**6),
                       max_size=4),
       st.sampled_from([D("0"), D("30"), D("27.5")]), st.integers(min_value=1984, max_value=2027))
def test_accumulated_depreciation_added_at_once_equals_adding_year_by_year(placed, improvements, overrides, years,
                                                                            through):
    assets = [Asset("building", D("250000.00") if years else D("0"), placed, years, "ads")]
    rows = []
    for number, (day, cents) in enumerate(improvements):
        if day >= placed:
            assets.append(Asset(f"improvement {day}", cents_to_decimal(cents), day, years, "ads"))
            rows.append((day, cents_to_decimal(cents), number))
    make = lambda: _facts(assets, rows, {year: cents_to_decimal(c) for year, c in overrides.items()}, placed)
    fast, reference = make(), make()
    assert same(fast.accumulated_depreciation_through(through),
                reference.accumulated_depreciation_through_reference(through))


def test_returns_of_early_years_are_skipped_without_changing_the_testing_period(tmp_path):
    """compute_book builds no return for years before tax_year − 2 (only their carryovers and their
    Form 2220 testing-period UBTI are kept). A debt-financed property with $4,000,000 of rent in 2022
    makes the trust a large organization for 2025 (UBTI of $1,000,000 or more in one of 2022–2024,
    IRC §6655(g)(2)); the 2025 and 2024 returns must equal the reference path's, which builds every year."""
    synth(6, (2020, 2025), 5, tmp_path)
    with open(tmp_path / "properties.csv", newline="", encoding="utf-8") as handle:
        properties = list(csv.DictReader(handle))
    with open(tmp_path / "loans.csv", newline="", encoding="utf-8") as handle:
        financed = {row["property_id"] for row in csv.DictReader(handle)}
    target = next(row for row in properties if row["property_id"] in financed and row["acquired_on"] < "2021-06-01"
                  and not row["disposed_on"])
    with open(tmp_path / "ledger.csv", "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(["2022-06-01", target["property_id"], "rent", "4000000.00", "", "one-off"])
    report = validate_book(tmp_path)
    book = report.book.for_accounts(set(report.book.accounts["account_id"]) - report.accounts_with_errors)
    assert target["account_id"] in set(book.accounts["account_id"])
    year_2022 = next(r for r in compute_book(book, 2022) if r.account_id == target["account_id"])
    assert year_2022.silos.income_before_nol >= 1_001_000   # counts in the 2025 testing period
    fast, reference = compute_book(book, 2025), compute_book(book, 2025, columnar=False)
    assert [plain(result) for result in fast] == [plain(result) for result in reference]


def test_a_ledger_row_without_a_readable_date_gives_its_property_no_year(tmp_path):
    """A date validation could not read is NaT in the typed ledger (its account is an exception and is
    not computed), but the book's years are still gathered over every row: a NaT row adds no year,
    the dated rows give theirs (an integer year from NaT overflowed and sank the whole run)."""
    import pandas as pd

    from udfi.engine.book_facts import first_ledger_years, property_ledger_years

    synth(2, "2021-2022", 5, tmp_path)
    book = validate_book(tmp_path).book
    dates = book.ledger["date"].copy()
    first_property = book.ledger["property_id"].iloc[0]
    dates.iloc[0] = pd.NaT
    damaged = dataclasses.replace(book, ledger=book.ledger.assign(date=dates))
    expected = {}
    for property_id, date in zip(damaged.ledger["property_id"], damaged.ledger["date"]):
        if not pd.isna(date):
            expected.setdefault(property_id, set()).add(date.year)
    assert property_ledger_years(damaged) == expected
    assert expected[first_property] <= {2021, 2022}
    assert set(first_ledger_years(damaged).values()) <= {2021, 2022}


@settings(max_examples=150)
@given(DAYS, st.none() | DAYS, st.lists(st.tuples(DAYS, st.integers(min_value=-10**6, max_value=10**8)), max_size=3),
       st.dictionaries(st.integers(min_value=2015, max_value=2027), st.integers(min_value=0, max_value=10**6),
                       max_size=2),
       st.sampled_from([D("0"), D("30"), D("27.5"), D("39"), D("7.3")]),
       st.integers(min_value=0, max_value=10**10), st.integers(min_value=2015, max_value=2027),
       st.integers(min_value=0, max_value=5))
def test_depreciation_filled_for_all_years_at_once_equals_asking_year_by_year(
        placed, disposed, improvements, overrides, years, building_cents, first, count):
    """`columnar_depreciation.prefill_depreciation` leaves in the caches what `compute_property_year`
    would have put there — the same years in the same order, the same Decimal digits (Decimal('0') for
    a property nothing depreciates on, ZERO before it is placed in service); properties with an
    override or a life of fractional half-months are left to the scalar path."""
    from udfi.engine.columnar_depreciation import prefill_depreciation

    if disposed is not None and disposed < placed:
        placed, disposed = disposed, placed
    assets = [Asset("building", cents_to_decimal(building_cents) if years else D("0"), placed, years, "ads")]
    rows = []
    for number, (day, cents) in enumerate(improvements):
        if day >= placed:
            assets.append(Asset(f"improvement {day}", cents_to_decimal(cents), day, years, "ads"))
            rows.append((day, cents_to_decimal(cents), number))

    def make():
        facts = _facts(assets, rows, {year: cents_to_decimal(c) for year, c in overrides.items()}, placed)
        facts.disposed_on = disposed
        return facts

    fast, reference = make(), make()
    held = [year for year in range(first, first + count + 1) if fast.held_in(year)]
    prefill_depreciation([(fast, year) for year in held])
    for year in held:   # the order compute_property_year asks in
        for facts in (fast, reference):
            facts.accumulated_depreciation_through(year - 1)
            facts.accumulated_depreciation_through(year)
            facts.depreciation_for_year(year)
    assert list(fast._accumulated_cache) == list(reference._accumulated_cache)
    assert list(fast._depreciation_cache) == list(reference._depreciation_cache)
    for year, amount in reference._accumulated_cache.items():
        assert same(fast._accumulated_cache[year], amount)
    for year, (amount, overridden) in reference._depreciation_cache.items():
        assert same(fast._depreciation_cache[year][0], amount) and fast._depreciation_cache[year][1] == overridden


@given(DAYS)
def test_a_day_from_its_day_number_is_numpys_day(day):
    import numpy as np

    from udfi.engine.indebtedness import to_day

    assert to_day(day) == np.datetime64(day, "D") and to_day(day).dtype == np.dtype("datetime64[D]")


@given(st.integers(min_value=2018, max_value=2026), st.integers(min_value=-10**9, max_value=10**9),
       st.integers(min_value=0, max_value=10**9), st.sampled_from([None, D("0.8")]))
def test_a_year_with_no_nol_carried_in_deducts_nothing_and_carries_its_own_loss(year, income, loss, limit):
    """nol_year's shortcut for no layers: nothing is available or used; the §172(a)(2)(B)(ii) limit is
    still reported — 80% of taxable income, e.g. $1,001 → $800 (800.8 rounded down) — and the year's
    own loss is the one layer carried out (a post-2017 loss of this year)."""
    from udfi.engine.nol import POST2017, NolLayer, nol_year

    result = nol_year(year, (), income, limit, loss)
    assert (result.pre2018_available, result.pre2018_used, result.post2017_available, result.post2017_used) == (0,) * 4
    assert result.post2017_limit == (None if limit is None else max(income, 0) * 8 // 10)
    assert result.schedule == () and result.generated == loss
    assert result.layers_out == ((NolLayer(POST2017, year, loss),) if loss else ())
    assert nol_year(2022, (), 1001, D("0.8"), 0).post2017_limit == 800


@dataclasses.dataclass(frozen=True)
class _Column:
    """What Schedule A reads of a Part V column in a year without a sale."""

    gross_income_reportable: Decimal
    allocable_deductions: Decimal
    debt_financed: bool
    disposition: None = None


NOL_LAYERS = st.lists(st.builds(NolLayer, st.sampled_from(["post2017", "pre2018"]), st.none() | st.integers(1998, 2024),
                                st.integers(1, 10**7)), max_size=4)
CENTS = st.integers(min_value=-10**9, max_value=10**9).map(cents_to_decimal)


@settings(max_examples=150)
@given(st.integers(min_value=2020, max_value=2024), NOL_LAYERS,
       st.lists(st.tuples(CENTS, CENTS, st.booleans()), max_size=4))
def test_a_year_kept_only_for_its_carryovers_carries_what_its_schedules_a_carry(year, layers, columns):
    """silos.carry_forward_only (an early year with one trade or business and no sale) against
    compute_silos: the same carryovers (NOL layers by origin year after the year's deduction and its
    own loss, no capital or §1231 loss) and the same income before NOL for Form 2220's testing period."""
    from udfi import parameters as parameter_store
    from udfi.engine.schedule_a import CarryIn
    from udfi.engine.silos import carry_forward_only, compute_silos

    parameters = parameter_store.for_year(year)
    property_years = [_Column(gross, deductions, financed) for gross, deductions, financed in columns]
    carry_in = CarryIn(nol_layers=tuple(layers))
    silos = compute_silos(property_years, carry_in, {}, [], parameters, "900000", "investment")
    assert carry_forward_only(property_years, carry_in, {}, [], parameters) == (silos.carry_out, silos.income_before_nol)
    # what it does not cover, it leaves to compute_silos
    assert carry_forward_only(property_years, CarryIn(carry_in.nol_layers, short_term_capital_loss=1), {}, [],
                              parameters) is None
    assert carry_forward_only(property_years, CarryIn(section_1231_losses=((2019, 5),)), {}, [], parameters) is None


_SMALL_BOOK: list = []


def _small_book(tmp_path_factory):
    if not _SMALL_BOOK:
        folder = tmp_path_factory.mktemp("earliest")
        synth(4, (2020, 2023), 7, folder)
        _SMALL_BOOK.append(validate_book(folder).book)
    return _SMALL_BOOK[0]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_earliest_ledger_year_is_the_first_of_the_accounts_first_years(tmp_path_factory, data):
    """`earliest_ledger_year` (what `book_years` and the parameter check ask for before any chunk is
    computed) must be `min(first_ledger_years(book).values())` — the year the earliest account's
    roll-forward starts — on any book: rows without a readable date add no year, rows of a property
    properties.csv does not list (or lists without an account) count for no account, a property listed
    twice counts through its first row."""
    import pandas as pd

    from udfi.engine.book_facts import earliest_ledger_year, first_ledger_years

    book = _small_book(tmp_path_factory)
    ledger, properties = book.ledger, book.properties
    picks = st.lists(st.integers(min_value=0, max_value=len(ledger) - 1), max_size=40, unique=True)
    dates = ledger["date"].copy()
    undated = data.draw(picks)
    dates.iloc[undated] = pd.NaT
    ids = ledger["property_id"].copy()
    orphaned = data.draw(picks)
    ids.iloc[orphaned] = "NOT-LISTED"
    ledger = ledger.assign(date=dates, property_id=ids)
    property_picks = st.lists(st.integers(min_value=0, max_value=len(properties) - 1), max_size=3, unique=True)
    accounts = properties["account_id"].astype(object).copy()
    accounts.iloc[data.draw(property_picks)] = None
    properties = properties.assign(account_id=accounts)
    if data.draw(st.booleans()):   # a property listed again under another account, after its first row
        properties = pd.concat([properties, properties.iloc[[0]].assign(account_id=None)], ignore_index=True)
    if data.draw(st.booleans()):   # the earliest rows all of unlisted properties
        first_year = ledger["date"].dt.year.min()
        ledger = ledger.assign(property_id=ledger["property_id"].where(ledger["date"].dt.year != first_year,
                                                                       "NOT-LISTED"))
    damaged = dataclasses.replace(book, ledger=ledger, properties=properties)
    firsts = first_ledger_years(damaged)
    assert earliest_ledger_year(damaged) == (min(firsts.values()) if firsts else None)
