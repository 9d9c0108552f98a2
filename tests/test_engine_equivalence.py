"""The columnar path (`engine.columnar`, on by default in `compute_book`) against the scalar reference
(`compute_book(..., columnar=False)`: every Part V column from its month balances in Decimal,
Reg. §1.514(a)-1(a)(3)). Both must give the same AccountYear — every line, flag, carryover, month
balance and Decimal digit — on synthetic books with sales, refinances (cash-out excess: a fractional
acquisition share), lender statements, NOLs, capital-loss carryovers and K-1s."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.engine.columnar import average_acquisition_debts
from udfi.engine.compute import compute_book
from udfi.engine.indebtedness import Loan
from udfi.engine.property_year import PropertyFacts, compute_property_year
from udfi.synth import synth
from udfi.validate import validate_book

D = Decimal


def plain(value):
    """A comparable picture of an engine object: dataclasses field by field (a PropertyYear with its
    month balances), Decimals as text so 1.0 and 1.00 differ, arrays as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)
                  if not field.name.startswith("_") and field.name not in ("facts", "parameters")}
        if hasattr(value, "months") and hasattr(value, "facts"):
            fields["months"] = plain(value.months)
            fields["property_id"] = value.facts.property_id
        return type(value).__name__, fields
    if isinstance(value, Decimal):
        return "D" + str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def _append_rows(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _book(folder: Path, seed: int) -> Path:
    synth(16, (2020, 2025), seed, folder)
    with open(folder / "accounts.csv", newline="", encoding="utf-8") as handle:
        accounts = [row["account_id"] for row in csv.DictReader(handle)]
    # NOLs and capital losses carried into the first years; K-1s: a qualifying interest (investment
    # silo, Reg. §1.512(a)-6(c)) with a loss, and a non-qualifying one (its own NAICS silo).
    _append_rows(folder / "carryovers.csv", ["account_id", "tax_year", "kind", "origin_year", "amount", "activity_code"], [
        [accounts[0], 2020, "post2017_nol", 2019, "250000.00", ""],
        [accounts[1], 2020, "pre2018_nol", 2015, "40000.00", ""],
        [accounts[2], 2020, "long_term_capital_loss", "", "30000.00", ""],
        [accounts[3], 2021, "post2017_nol", 2020, "5000.00", "531110"],
    ])
    k1 = ["account_id", "tax_year", "partnership_id", "partnership_name", "partnership_ein", "ubti", "gross_income",
          "profits_pct_beginning", "profits_pct_end", "capital_pct_beginning", "capital_pct_end", "control",
          "publicly_traded", "activity_code"]
    rows = []
    for year in range(2020, 2026):
        rows.append([accounts[3], year, "OAK", "Oak Apartments LP", "82-1234567", f"{-2000 + 1500 * (year - 2020)}.00",
                     "9000.00", "1", "1", "1", "1", "false", "false", "531110"])
        rows.append([accounts[4], year, "DRILL", "Drill Energy LP", "83-7654321", f"{6000 - 2500 * (year % 3)}.00",
                     "", "60", "60", "60", "60", "true", "false", "211120"])
    _append_rows(folder / "k1s.csv", k1, rows)
    return folder


@pytest.fixture(scope="module", params=[6, 27])
def computed(request, tmp_path_factory):
    book_path = _book(tmp_path_factory.mktemp(f"equivalence-{request.param}"), request.param)
    report = validate_book(book_path)
    assert not report.book_wide_errors
    clean = set(report.book.accounts["account_id"]) - report.accounts_with_errors
    book = report.book.for_accounts(clean)
    return {year: (compute_book(book, year, keep_history=True), compute_book(book, year, keep_history=True,
                                                                             columnar=False))
            for year in (2022, 2025)}


def test_columnar_and_scalar_paths_give_the_same_returns(computed):
    for year, (fast, reference) in computed.items():
        assert [result.account_id for result in fast] == [result.account_id for result in reference]
        for one, other in zip(fast, reference):
            assert plain(one) == plain(other), (year, one.account_id)
            for history_year in one.history:
                assert plain(one.history[history_year]) == plain(other.history[history_year])


def test_the_books_exercise_what_the_columnar_path_must_get_right(computed):
    """Not vacuous: the compared returns hold sales, fractional refinance shares, statements, NOLs and K-1s."""
    results = [result for fast, _ in computed.values() for result in fast]
    columns = [column for result in results for year in result.history.values() for column in year]
    assert any(column.disposition is not None for column in columns)
    assert any(loan.acquisition_fraction not in (D(0), D(1)) for column in columns for loan in column.facts.loans)
    assert any(loan.statements for column in columns for loan in column.facts.loans)
    assert any(result.carry_in.nol_layers for result in results)
    assert any(result.k1s for result in results)
    assert any(column.facts.qualified_organization_exception for column in columns)   # §514(c)(9)


# ---- the average of one property-year, for random loans (hypothesis) ----------------------------

days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2024, 12, 31))


@st.composite
def financed_property(draw):
    acquired = draw(days)
    principal = draw(st.integers(1_000_00, 900_000_00))
    payment_days = sorted(draw(st.lists(st.dates(min_value=acquired, max_value=dt.date(2025, 12, 31)), max_size=8)))
    payments = draw(st.lists(st.integers(1, principal // 10), min_size=len(payment_days), max_size=len(payment_days)))
    statements = {}
    for day in draw(st.lists(st.dates(min_value=acquired, max_value=dt.date(2025, 12, 31)), max_size=2)):
        statements[day] = D(draw(st.integers(0, principal))) / 100
    fraction = draw(st.sampled_from([D(1), D(0), D(2) / D(3), D("0.625")]))
    loan = Loan("L1", "acquisition", D(principal) / 100, acquired, None, None, False, False,
                np.array(payment_days, dtype="datetime64[D]"), np.cumsum(np.array(payments, dtype=np.int64)),
                statements, acquisition_fraction=fraction)
    year = draw(st.integers(acquired.year, 2025))
    disposed = draw(st.one_of(st.none(), st.dates(min_value=max(acquired, dt.date(year, 1, 1)),
                                                  max_value=dt.date(year, 12, 31))))
    facts = PropertyFacts("P1", "A1", "", "residential_rental", "rental_business", acquired, acquired, "ads", disposed,
                          None if disposed is None else D("1"), D("500000.00"), D("50000.00"), [loan], [], [])
    return facts, year


@settings(max_examples=40, deadline=None)
@given(financed_property())
def test_average_debt_of_one_property_year_matches_its_month_balances(case):
    facts, year = case
    # Scalar reference: Σ first-of-month acquisition debt ÷ months held, half-up to the cent.
    reference = compute_property_year(facts, year).average_acquisition_indebtedness
    assert str(average_acquisition_debts([(facts, year)])[("P1", year)]) == str(reference)
