"""k1s.csv checks a custodian needs (issue #14): each problem named by file, row (header = row 1) and
column, and the account set aside — never a traceback, never a half-computed return."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.bookbuilder import ACCOUNT, write_book
from udfi.cli import app
from udfi.validate import validate_book

LOT = dict(
    properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 3, Boise, ID 83702", "property_type": "land",
                 "acquired_on": "2022-01-01", "cost_basis": "100000.00", "land_value": "100000.00"}],
    loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": "2022-01-01", "principal": "100000.00"}],
    ledger=[{"date": "2022-06-01", "property_id": "P1", "category": "rent", "amount": "5000.00"}],
)
GOOD = {"account_id": "A1", "tax_year": "2022", "partnership_id": "CEDAR", "partnership_name": "Cedar Ridge LP",
        "partnership_ein": "82-4410937", "ubti": "1200.00", "profits_pct_beginning": "1.5", "profits_pct_end": "1.5",
        "capital_pct_beginning": "1.5", "capital_pct_end": "1.5", "activity_code": "531110"}


def problems(tmp_path, rows, **tables):
    report = validate_book(write_book(tmp_path, **{**LOT, **tables}, k1s=rows))
    return report, [(p.severity, p.file, p.row, p.column) for p in report.problems]


def test_a_good_k1_is_valid(tmp_path):
    report, found = problems(tmp_path, [GOOD])
    assert report.ok and not found


@pytest.mark.parametrize("change, column", [
    ({"partnership_ein": ""}, "partnership_ein"),            # no EIN
    ({"partnership_ein": "82-441093"}, "partnership_ein"),   # malformed EIN
    ({"capital_pct_end": "120"}, "capital_pct_end"),         # outside 0–100
    ({"profits_pct_beginning": "-1"}, "profits_pct_beginning"),
    ({"profits_pct_end": "one percent"}, "profits_pct_end"),
    ({"account_id": "A9"}, "account_id"),                    # an account that does not exist
    ({"activity_code": "5311"}, "activity_code"),            # not a 6-digit NAICS code
    ({"activity_code": "991234"}, "activity_code"),          # no NAICS sector 99
    ({"ubti": "12.345"}, "ubti"),
])
def test_each_bad_value_is_an_error_at_its_row_and_column(tmp_path, change, column):
    report, found = problems(tmp_path, [{**GOOD, **change}])
    assert ("error", "k1s.csv", 2, column) in found, found
    assert not report.ok


def test_the_same_partnership_twice_in_a_year(tmp_path):
    second = {**GOOD, "ubti": "300.00"}
    _, found = problems(tmp_path, [GOOD, second])
    assert ("error", "k1s.csv", 3, "partnership_id") in found
    other_id_same_ein = {**GOOD, "partnership_id": "CEDAR-2"}
    _, found = problems(tmp_path / "b", [GOOD, other_id_same_ein])
    assert ("error", "k1s.csv", 3, "partnership_ein") in found
    next_year = {**GOOD, "tax_year": "2023"}
    report, _ = problems(tmp_path / "c", [GOOD, next_year])
    assert report.ok


def test_a_nonqualifying_interest_needs_its_naics_code(tmp_path):
    """25% of capital fails both tests: its Schedule A is named by its NAICS code, which must be given."""
    report, found = problems(tmp_path, [{**GOOD, "capital_pct_beginning": "25", "capital_pct_end": "25",
                                         "activity_code": ""}])
    assert ("error", "k1s.csv", 2, "activity_code") in found
    message = next(p.expected for p in report.problems if p.column == "activity_code")
    assert "25%" in message and "participation test" in message


def test_warning_when_a_qualifying_interest_stops_qualifying(tmp_path):
    """2021 at 1.5% (de minimis); 2022 at 25% of capital: a warning on the 2022 row, and the book is valid."""
    report, found = problems(tmp_path, [{**GOOD, "tax_year": "2021"},
                                        {**GOOD, "capital_pct_beginning": "25", "capital_pct_end": "25"}])
    assert report.ok
    assert ("warning", "k1s.csv", 3, "capital_pct_end") in found
    message = next(p.expected for p in report.warnings if p.column == "capital_pct_end")
    assert "de minimis test in 2021" in message and "increase_by_other_partners" in message


def test_grace_period_without_a_qualifying_prior_year_is_warned(tmp_path):
    report, found = problems(tmp_path, [{**GOOD, "capital_pct_beginning": "25", "capital_pct_end": "25",
                                         "increase_by_other_partners": "true"}])
    assert report.ok and ("warning", "k1s.csv", 2, "increase_by_other_partners") in found


def test_carryover_activity_code_only_on_post2017_nols(tmp_path):
    rows = [{"account_id": "A1", "tax_year": "2022", "kind": "pre2018_nol", "origin_year": "2015", "amount": "10.00",
             "activity_code": "531110"},
            {"account_id": "A1", "tax_year": "2022", "kind": "post2017_nol", "origin_year": "2019", "amount": "10.00",
             "activity_code": "5311"},
            {"account_id": "A1", "tax_year": "2022", "kind": "post2017_nol", "origin_year": "2019", "amount": "10.00",
             "activity_code": "900000"}]
    report, found = problems(tmp_path, [GOOD], carryovers=rows)
    assert ("error", "carryovers.csv", 2, "activity_code") in found
    assert ("error", "carryovers.csv", 3, "activity_code") in found
    assert ("error", "carryovers.csv", 4, "activity_code") not in found


def test_the_bad_account_is_set_aside_and_the_others_computed(tmp_path):
    """A K-1 with a percentage over 100 stops only its own account; `udfi check` says why (exit 3)."""
    book = write_book(tmp_path, accounts=[ACCOUNT, {**ACCOUNT, "account_id": "A2", "ein": "12-3456780"}], **LOT,
                      k1s=[{**GOOD, "account_id": "A2", "capital_pct_end": "120"},
                           {**GOOD, "account_id": "A9", "partnership_id": "ORPHAN"}])
    outcome = CliRunner().invoke(app, ["check", str(book), "--year", "2022", "--format", "json"])
    assert outcome.exit_code == 3 and isinstance(outcome.exception, SystemExit), outcome.output  # no traceback
    document = json.loads(outcome.stdout)
    status = {row["account_id"]: (row["status"], row["problem"]) for row in document["accounts"]}
    assert status["A1"][0] in ("file", "not_required")
    assert status["A2"] == ("exception", "k1s.csv row 2 column capital_pct_end: expected a percentage from 0 to 100, "
                                         "like 1.5 (meaning 1.5%) (a share of a partnership cannot exceed 100%)")
    assert status["A9"][0] == "exception" and "k1s.csv row 3 column account_id" in status["A9"][1]
