"""`udfi explain` on a K-1 book (fixtures/k1): every line key — each Schedule A's lines included —
explains itself with the value of the return, references resolve, K-1 figures reach their k1s.csv row,
and Form 990-T line 1 is shown as the sum of the Schedules A."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from udfi.cli import app
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.explain import derivations, line_keys, line_value
from udfi.validate import validate_book

K1_BOOK = Path(__file__).resolve().parents[1] / "fixtures" / "k1"


@pytest.fixture(scope="module")
def cases():
    book = validate_book(K1_BOOK).book
    found = []
    for year in (2021, 2022):
        for result in compute_book(book, year):
            data = account_object(result)
            found.append((year, result, data, derivations(result, book, data)))
    return found


def test_every_line_key_of_every_schedule_a_ties(cases):
    for year, result, data, derived in cases:
        for key in line_keys(data):
            assert key in derived, (year, result.account_id, key)
            assert derived[key]["value"] == line_value(data, key), (year, result.account_id, key)
        for node in derived.values():
            for value in node["inputs"].values():
                if isinstance(value, dict) and "ref" in value:
                    assert derived[value["ref"]]["value"] == value["value"]


def test_line_1_is_the_sum_of_the_schedules_a_and_line_5_reaches_the_k1_rows(cases):
    """IRA-OSEI 2022: line 1 = 180 (Schedule A 1) + 18,420 (Schedule A 2) = 18,600; Schedule A 2 line 5 is
    Harbor Point's 2022 K-1 (k1s.csv row 5, box 20 code V 18,420.00)."""
    _, result, data, derived = next(case for case in cases if case[0] == 2022 and case[1].account_id == "IRA-OSEI")
    line_1 = derived["form_990t.part_i.1"]
    assert line_1["value"] == 18600
    assert sorted(value["value"] for value in line_1["inputs"].values()) == [180, 18420]
    line_5 = derived["schedules_a.2.part_i.5"]
    (harbor,) = line_5["inputs"].values()
    assert harbor["ref"] == "k1.HARBOR-POINT.ubti"
    assert derived["k1.HARBOR-POINT.ubti"]["source"]["file"] == "k1s.csv"
    assert derived["k1.HARBOR-POINT.ubti"]["source"]["rows"] == [5]
    assert derived["k1.PERMIAN-MID.test"]["value"] == "de minimis test"
    assert derived["schedules_a.1.part_ii.17"]["value"] == 720   # the investment silo's own NOL


def test_explain_command_prints_a_silo_line(tmp_path):
    outcome = CliRunner().invoke(app, ["explain", str(K1_BOOK), "--year", "2022", "--account", "ROTH-VANCE",
                                       "--line", "schedules_a.1.part_ii.17"])
    assert outcome.exit_code == 0, outcome.output
    assert "own post-2017 NOLs only" in outcome.output
    assert "rolled forward from 2021" in outcome.output   # its 6,000 came from its own 2021 balance
