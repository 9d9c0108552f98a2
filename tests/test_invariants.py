"""Property-based invariants over random books: percentage ≤ 100%, reportable ≤ gross, AAI ≤ the
highest balance, and every form total equals the sum of the printed lines it adds."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookbuilder import compute, monthly, write_book
from udfi.engine.report import account_object

D = Decimal


@st.composite
def books(draw):
    property_type = draw(st.sampled_from(["residential_rental", "nonresidential_real", "land"]))
    year = draw(st.integers(2019, 2022))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    acquired = f"{year}-{month:02d}-{day:02d}"
    cost = draw(st.integers(20_000, 2_000_000))
    land = cost if property_type == "land" else draw(st.integers(0, cost))
    principal = max(1, cost * draw(st.integers(0, 130)) // 100)
    payment = principal * draw(st.integers(0, 3)) // 100
    rent = draw(st.integers(0, cost // 50))
    expense = draw(st.integers(0, cost // 40))
    months = draw(st.integers(1, 40))
    sold = draw(st.booleans())
    property_row = {"property_id": "P1", "account_id": "A1", "description": "1 Random Way", "property_type": property_type,
                    "acquired_on": acquired, "cost_basis": f"{cost}.00", "land_value": f"{land}.00",
                    "recovery": draw(st.sampled_from(["ads", "gds"]))}
    end_index = year * 12 + month - 1 + months
    if sold:
        property_row["disposed_on"] = f"{end_index // 12:04d}-{end_index % 12 + 1:02d}-28"
        property_row["amount_realized"] = f"{draw(st.integers(0, 3 * cost))}.00"
    ledger = monthly(f"{year}-{month:02d}-{day:02d}", months, "P1", "rent", f"{rent}.00") if rent else []
    if expense:
        ledger += monthly(f"{year}-{month:02d}-{day:02d}", months, "P1", "repairs", f"{expense}.00")
    if payment:
        count = min(months, principal // payment)
        ledger += monthly(f"{year}-{month:02d}-{day:02d}", count, "P1", "principal", f"{payment}.00", "L1")
        ledger += monthly(f"{year}-{month:02d}-{day:02d}", count, "P1", "interest", f"{payment // 3 + 1}.00", "L1")
    loans = [{"loan_id": "L1", "property_id": "P1", "originated_on": acquired, "principal": f"{principal}.00"}]
    tax_year = min(end_index // 12, 2023)
    return {"properties": [property_row], "loans": loans, "ledger": ledger}, max(tax_year, year)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=books())
def test_percentage_reportable_and_footing(case):
    tables, tax_year = case
    with tempfile.TemporaryDirectory() as folder:
        book = write_book(Path(folder), **tables)
        result = compute(book, tax_year)["A1"]
    for column in result.property_years:
        assert D(0) <= column.ratio <= D(1)
        if column.gross_income >= 0:
            assert column.gross_income_reportable <= column.gross_income
        assert abs(column.allocable_deductions) <= abs(column.total_deductions)
        highest = max((sum(loan.principal for loan in column.facts.loans), D(0)))
        assert column.average_acquisition_indebtedness <= max(month.total for month in column.months) <= highest
        if column.disposition is not None:
            assert D(0) <= column.disposition.ratio <= D(1)
            assert abs(column.disposition.gain_reportable) <= abs(column.disposition.gain)
            assert column.disposition.unrecaptured_1250_reportable <= max(column.disposition.gain_reportable, D(0))
    data = account_object(result)
    for item in data["properties"]:
        lines = item["part_v"]
        assert lines["3c"] == lines["3a"] + lines["3b"]
    shown = [item["part_v"] for item in data["properties"] if item["debt_financed"]]
    part_i = data["schedule_a"]["part_i"]
    part_ii = data["schedule_a"]["part_ii"]
    assert data["schedule_a"]["part_v"]["8"] == sum(lines["7"] for lines in shown) == part_i["7a"]
    assert data["schedule_a"]["part_v"]["10"] == sum(lines["9"] for lines in shown) == part_i["7b"]
    assert part_i["7c"] == part_i["7a"] - part_i["7b"]
    assert part_i["13a"] == part_i["4a"] + part_i["4b"] + part_i["4c"] + part_i["7a"]
    assert part_i["13c"] == part_i["4a"] + part_i["4b"] + part_i["4c"] + part_i["7c"]
    assert part_ii["16"] == part_i["13c"] - part_ii["15"]
    assert part_ii["18"] == part_ii["16"] - part_ii["17"]
    form = data["form_990t"]
    assert form["part_i"]["1"] == max(part_ii["18"], 0)
    assert form["part_i"]["7"] == form["part_i"]["5"] - form["part_i"]["6"]
    assert form["part_i"]["10"] == form["part_i"]["8"] + form["part_i"]["9"]
    assert form["part_i"]["11"] == max(form["part_i"]["7"] - form["part_i"]["10"], 0)
    assert form["part_ii"]["7"] == form["part_ii"]["2"] >= 0
    assert form["part_iii"]["9"] - form["part_iii"]["10"] == form["part_iii"]["4"] + form["part_iii"]["8"] - form["part_iii"]["7"]
    nol = result.schedule
    assert nol.nol_out == nol.nol_in - nol.line_17 + nol.nol_generated >= 0
    assert result.must_file == (result.gross_unrelated_income >= 1000)


def test_decimal_precision_is_the_same_in_every_thread():
    # udfi serve computes in request threads and a Dask worker in its own threads: a ratio of two amounts
    # must carry the same digits there as in the main thread (money.py sets the context for every thread).
    import threading
    from decimal import Decimal, getcontext

    import udfi.money  # noqa: F401  (sets the precision)

    seen = {}

    def ratio():
        seen["digits"] = getcontext().prec
        seen["value"] = Decimal("123456789012.34") / Decimal("987654321098.76")

    worker = threading.Thread(target=ratio)
    worker.start()
    worker.join()
    assert seen["digits"] == getcontext().prec == 40
    assert seen["value"] == Decimal("123456789012.34") / Decimal("987654321098.76")
