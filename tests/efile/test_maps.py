"""The element maps against the reference lists, and the engine's lines against the maps."""

from __future__ import annotations

import dataclasses

from udfi.efile.checks import map_problems, unmapped_lines
from udfi.efile.data import MapEntry, element_map, mapped_years, reference, return_version

from conftest import YEARS


def test_every_year_has_map_reference_and_versions():
    assert mapped_years() == list(YEARS)
    for year in YEARS:
        assert element_map(year).tax_year == year
        assert reference(year).order["IRS990T"]
        assert return_version("990T", year).version.startswith(str(year))
        assert return_version("8868", year).version.startswith(str(year))


def test_known_versions_are_not_placeholders_and_unknown_ones_are():
    # mef-990t.md §1: packages are known for 2020–2024; the 2025 990-T string was not found.
    assert [return_version("990T", y).placeholder for y in YEARS] == [False] * 5 + [True] * 2
    assert return_version("990T", 2025, {2025: "2025v5.0"}).version == "2025v5.0"


def test_maps_name_only_elements_of_their_years_reference():
    for year in YEARS:
        assert map_problems(element_map(year), reference(year)) == []


def test_a_map_naming_an_element_the_reference_lacks_fails():
    maps = element_map(2022)
    bogus = dataclasses.replace(maps.documents["IRS990T"], entries=maps.documents["IRS990T"].entries
                                + (MapEntry("form_990t.part_i.11", "TotalUBTIAmountBogusAmt"),))
    doctored = dataclasses.replace(maps, documents={**maps.documents, "IRS990T": bogus})
    assert any("TotalUBTIAmountBogusAmt" in problem for problem in map_problems(doctored, reference(2022)))
    # an element that exists only from 2024 (Part II line 4a) is refused in a 2022 map
    later = dataclasses.replace(bogus, entries=maps.documents["IRS990T"].entries
                                + (MapEntry("form_990t.part_ii.4a", "TotalChapter1TaxAmt"),))
    doctored = dataclasses.replace(maps, documents={**maps.documents, "IRS990T": later})
    assert any("TotalChapter1TaxAmt" in problem for problem in map_problems(doctored, reference(2022)))
    only_990t = dataclasses.replace(doctored, documents={"IRS990T": later})
    assert map_problems(only_990t, reference(2024)) == []


def test_per_year_differences_follow_the_reference():
    # mef-990t.md §4: Part IV lines 4 and 5 exist from TY2021; the 2020 map says why they are absent.
    entries_2020 = {e.key: e for e in element_map(2020).documents["IRS990T"].entries}
    assert entries_2020["form_990t.part_iv.4"].element is None and entries_2020["form_990t.part_iv.4"].reason
    entries_2021 = {e.key: e for e in element_map(2021).documents["IRS990T"].entries}
    assert entries_2021["form_990t.part_iv.4"].element == "AvlblPre2018NOLCarryoverAmt"
    # Form 8868: the Automatic6MonthExtensionOfTime wrapper until 2023, EOAutomaticExtensionFileTmGrp from 2024
    code = {y: {e.key: e.element for e in element_map(y).documents["IRS8868"].entries}["return_code"] for y in YEARS}
    assert code[2023] == "Automatic6MonthExtensionOfTime/ExtensionReturnCd" and code[2024] == "ExtensionReturnCd"


def test_every_line_the_engine_fills_has_an_element(sample_accounts, synthetic_accounts):
    for accounts in (sample_accounts, synthetic_accounts):
        for year, items in accounts.items():
            for account, _ in items:
                assert unmapped_lines(account, year) == [], (year, account["account_id"])


def test_a_new_engine_line_without_an_element_is_caught(sample_accounts):
    account, _ = sample_accounts[2022][0]
    grown = {**account, "form_990t": {**account["form_990t"], "part_v": {"1": 5}}}
    assert unmapped_lines(grown, 2022) == ["form_990t.part_v.1"]
