"""One filled Schedule A per unrelated trade or business (IRC §512(a)(6); Treas. Reg. §1.512(a)-6), on
the official blanks: item D "sequence n of N", item C per silo, Part I line 5 (K-1 income), Form 990-T
item J (the number of Schedules A) and Part I line 1 (the sum of their line 18s).

The figures are worked by hand from fixtures/k1 (k1s.csv, carryovers.csv):

IRA-OSEI, 2022 — two Schedules A:
  * Permian Midstream (an MLP): profits and capital (0.0012% + 0.0011%) / 2 = 0.00115% ≤ 2% → de minimis
    test met, a qualifying partnership interest (§1.512(a)-6(c)(2)) → the investment-activities
    Schedule A (item C 900000), line 5 = 900. Its 2021 loss of 2,130 is that silo's post-2017 NOL;
    line 17 = 80% × 900 = 720 (IRC §172(a)(2)), line 18 = 900 − 720 = 180.
  * Harbor Point: capital 25% > 20% → neither test → its own Schedule A by NAICS 531110 → "53";
    line 5 = line 16 = line 18 = 18,420 (its own silo has no NOL: Permian's loss cannot offset it).
  * Form 990-T line 1 = 180 + 18,420 = 18,600; item J = 2.

ROTH-VANCE, 2022 — one Schedule A, a partnership silo only (no debt-financed property):
  * Oakmont 30% capital and Riverbend (5% but control) qualify under neither test; their NAICS codes
    531110 and 531390 share "53" → one Schedule A (sequence 1 of 1, item C 531110):
    line 5 = 9,400 + 3,650 = 13,050. Its post-2017 NOL 6,000 (carryovers.csv, 2019) is used in full:
    the limit is 80% × (13,050 − 2,600 pre-2018 on Form 990-T line 6) = 8,360 ≥ 6,000; line 18 = 7,050.
"""

from __future__ import annotations

from pdfrw import PdfReader

import pytest
from forms_helpers import REPO_ROOT, blanks_for

from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.forms.fieldmaps import known_maps
from udfi.forms.fill import fill_return, read_filled_values, schedule_a_copy
from udfi.forms.lines import F990T, F990TSA
from udfi.validate import validate_book

K1_BOOK = REPO_ROOT / "fixtures" / "k1"


def _accounts(year: int) -> dict[str, dict]:
    report = validate_book(K1_BOOK)
    assert report.ok
    return {result.account_id: account_object(result) for result in compute_book(report.book, year)}


@pytest.fixture(scope="module")
def accounts_2022() -> dict[str, dict]:
    return _accounts(2022)


def _shown(found: dict, copy: str, form: str, line: str, year: int = 2022) -> str | None:
    field = next(m for m in known_maps(form) if m.tax_year == year).lines[line]["field"]
    entry = found[f"{copy}.{field}"]
    return entry["value"] if entry["state"] is None else entry["state"]


def test_two_silos_print_two_schedules_a_in_sequence(accounts_2022):
    pdf = fill_return(accounts_2022["IRA-OSEI"], 2022, blanks_for(2022))
    found = read_filled_values(pdf)
    first, second = schedule_a_copy(1), schedule_a_copy(2)
    assert _shown(found, F990T, F990T, "header.J.schedules_a") == "2"
    assert _shown(found, F990T, F990T, "part_i.1") == "18,600"  # 180 + 18,420
    expected = {first: {"header.C.activity_code": "900000", "header.D.sequence": "1", "header.D.of": "2",
                        "part_i.5.A": "900", "part_i.5.C": "900", "part_i.13.C": "900",
                        "part_ii.16": "900", "part_ii.17": "720", "part_ii.18": "180"},
                second: {"header.C.activity_code": "531110", "header.D.sequence": "2", "header.D.of": "2",
                         "part_i.5.A": "18,420", "part_i.5.C": "18,420", "part_i.13.C": "18,420",
                         "part_ii.16": "18,420", "part_ii.17": None, "part_ii.18": "18,420"}}
    for copy, lines in expected.items():
        assert {line: _shown(found, copy, F990TSA, line) for line in lines} == lines, copy
    # Each Schedule A is its own four pages after the two of Form 990-T (2022 revision).
    assert len(PdfReader(fdata=pdf).pages) == 2 + 4 + 4
    assert schedule_a_copy(3) not in {name.split(".", 1)[0] for name in found}


def test_a_return_with_only_a_partnership_silo_has_one_schedule_a(accounts_2022):
    account = accounts_2022["ROTH-VANCE"]
    found = read_filled_values(fill_return(account, 2022, blanks_for(2022)))
    assert _shown(found, F990T, F990T, "header.J.schedules_a") == "1"
    lines = {"header.C.activity_code": "531110", "header.D.sequence": "1", "header.D.of": "1",
             "part_i.5.A": "13,050", "part_ii.17": "6,000", "part_ii.18": "7,050"}
    assert {line: _shown(found, F990TSA, F990TSA, line) for line in lines} == lines
    # line 1 = 7,050; line 6 (pre-2018 NOL) 2,600; line 7 = 7,050 − 2,600 = 4,450
    assert [_shown(found, F990T, F990T, f"part_i.{n}") for n in ("1", "6", "7")] == ["7,050", "2,600", "4,450"]
    assert schedule_a_copy(2) not in {name.split(".", 1)[0] for name in found}


def test_the_flattened_print_copy_keeps_every_schedule_a(accounts_2022):
    pdf = fill_return(accounts_2022["IRA-OSEI"], 2022, blanks_for(2022), flatten=True)
    reader = PdfReader(fdata=pdf)
    assert len(reader.pages) == 10 and reader.Root.AcroForm is None


def test_a_saved_return_without_schedules_a_fills_as_one_schedule_a(accounts_2022):
    """A return.json saved before schedules_a existed: its schedule_a is the only Schedule A, and the
    filled PDF is byte for byte that of the same return with its one-entry schedules_a."""
    account = accounts_2022["IRA-LINDEN"]  # own rental + a qualifying K-1: one Schedule A
    assert len(account["schedules_a"]) == 1
    saved = {key: value for key, value in account.items() if key != "schedules_a"}
    assert fill_return(saved, 2022, blanks_for(2022)) == fill_return(account, 2022, blanks_for(2022))


def test_one_and_two_schedule_a_fills_do_not_disturb_each_other(accounts_2022):
    """The merged blanks are cached per number of Schedules A: filling one shape never changes another."""
    blanks = blanks_for(2022)
    alone = fill_return(accounts_2022["IRA-LINDEN"], 2022, blanks)
    two = fill_return(accounts_2022["IRA-OSEI"], 2022, blanks)
    assert fill_return(accounts_2022["IRA-LINDEN"], 2022, blanks) == alone
    assert fill_return(accounts_2022["IRA-OSEI"], 2022, blanks) == two


@pytest.mark.parametrize("year", (2020, 2021))
def test_every_official_revision_prints_each_silo(year):
    """2021, IRA-OSEI: Permian's loss (−2,130) on the investment Schedule A (line 18 prints the loss),
    Harbor Point 15,260 on the NAICS 53 one; line 1 = 0 + 15,260 (a loss counts as zero)."""
    account = _accounts(year)["IRA-OSEI"]
    found = read_filled_values(fill_return(account, year, blanks_for(year)))
    if year == 2020:  # no K-1s in 2020: one Schedule A
        assert _shown(found, F990T, F990T, "header.J.schedules_a", year) == "1"
        return
    assert _shown(found, F990T, F990T, "header.J.schedules_a", year) == "2"
    assert _shown(found, schedule_a_copy(1), F990TSA, "part_i.5.A", year) == "(2,130)"
    assert _shown(found, schedule_a_copy(1), F990TSA, "part_ii.18", year) == "(2,130)"
    assert _shown(found, schedule_a_copy(2), F990TSA, "part_ii.18", year) == "15,260"
    assert _shown(found, F990T, F990T, "part_i.1", year) == "15,260"
