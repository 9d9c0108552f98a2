"""`udfi rollforward`: next year's opening carryovers.csv, and the identity it must keep — computing next
year from the written balances gives the same return as rolling the book forward."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from tests.bookbuilder import compute
from tests.test_law_dispositions import parking_lot_book
from tests.test_law_nol import fully_financed_lot
from udfi.cli import app


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_nols_by_loss_year_and_section_1231_losses(tmp_path):
    """The §1231 parking-lot sale of 2022 (tests/test_law_dispositions.py): an NOL of 10,020 arising in
    2022 and a net §1231 loss of 12,000 open for recapture through 2027."""
    book = parking_lot_book(tmp_path)
    outcome = CliRunner().invoke(app, ["rollforward", str(book), "--year", "2022"])
    assert outcome.exit_code == 0, outcome.output
    rows = _rows(book / "carryovers.csv")
    assert {(r["tax_year"], r["kind"], r["origin_year"], r["amount"]) for r in rows} == {
        ("2023", "post2017_nol", "2022", "10020.00"), ("2023", "section_1231_loss", "2022", "12000.00")}


def test_pre2018_first_leaves_the_post2017_loss_and_an_overpayment_credit(tmp_path):
    """NOL ordering case of tests/test_law_nol.py: 2022 uses all 20,000 of the 2016 pre-2018 NOL and
    24,000 of the 2019 post-2017 NOL → 76,000 of 2019 opens 2023. Estimated payments of 1,000 against a
    tax of 815 → overpayment 185, carried as 2023's line 6a with --overpayment credit."""
    book = fully_financed_lot(tmp_path, "50000.00", carryovers=[
        {"account_id": "A1", "tax_year": "2022", "kind": "pre2018_nol", "origin_year": "2016", "amount": "20000.00"},
        {"account_id": "A1", "tax_year": "2022", "kind": "post2017_nol", "origin_year": "2019", "amount": "100000.00"},
    ])
    (book / "payments.csv").write_text("account_id,tax_year,kind,date,amount\nA1,2022,estimated,2022-04-15,1000.00\n",
                                       encoding="utf-8")
    result = compute(book, 2022)["A1"]
    assert result.form.total_tax == 815 and result.form.part_iii["10"] == 185
    out = tmp_path / "next.csv"
    outcome = CliRunner().invoke(app, ["rollforward", str(book), "--year", "2022", "--output", str(out),
                                       "--overpayment", "credit"])
    assert outcome.exit_code == 0, outcome.output
    rows = [r for r in _rows(out) if r["tax_year"] == "2023"]
    assert {(r["kind"], r["origin_year"], r["amount"]) for r in rows} == {
        ("post2017_nol", "2019", "76000.00"), ("prior_year_overpayment", "", "185.00")}
    assert len(_rows(out)) == 2 + len(rows)  # the book's 2022 rows are kept


def test_next_year_from_the_written_balances_equals_the_rolled_year(tmp_path):
    """Identity: 2023 computed after writing 2023's opening rows = 2023 rolled from 2022 (no flag that a
    carryover replaced a different rolled balance)."""
    book = parking_lot_book(tmp_path)
    rolled = compute(book, 2023)["A1"]
    assert CliRunner().invoke(app, ["rollforward", str(book), "--year", "2022"]).exit_code == 0
    seeded = compute(book, 2023)["A1"]
    assert seeded.schedule.carry_in == rolled.schedule.carry_in
    assert seeded.form.as_lines() == rolled.form.as_lines()
    assert not any("replacing" in flag for flag in seeded.flags)


def test_bad_choice_is_a_usage_error(tmp_path):
    outcome = CliRunner().invoke(app, ["rollforward", str(parking_lot_book(tmp_path)), "--year", "2022",
                                       "--overpayment", "keep"])
    assert outcome.exit_code == 2 and "must be 'credit' or 'refund'" in outcome.output
