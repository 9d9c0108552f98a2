"""The committed (reviewed) field maps agree with the blanks they were proposed from."""

from __future__ import annotations

import hashlib

import pytest

from forms_helpers import YEARS, blanks_for
from udfi.forms.acroform import list_fields, read_pdf
from udfi.forms.fieldmap_gen import build_map
from udfi.forms.fieldmaps import fieldmaps_dir, known_maps, match_revision
from udfi.forms.lines import FORMS, LINE_KEYS, fill_keys


def _map(form: str, year: int):
    (fieldmap,) = [m for m in known_maps(form) if m.tax_year == year]
    return fieldmap


@pytest.mark.parametrize("form", FORMS)
def test_map_matches_its_blank(form, year):
    fieldmap = _map(form, year)
    path = blanks_for(year).path(form)
    assert fieldmap.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    fields = {f.name: f for f in list_fields(read_pdf(path), captions=False)}
    assert match_revision(form, year, list(fields.values())) is fieldmap
    for line, entry in fieldmap.lines.items():
        if entry["field"] is None:
            continue
        assert entry["field"] in fields, f"{line}: map names {entry['field']} which the blank lacks"
        info = fields[entry["field"]]
        assert not info.read_only, line
        if "on" in entry:
            assert info.kind == "checkbox" and str(entry["on"]) in info.on_states, line
        else:
            assert info.kind == "text", line
        assert entry.get("caption"), f"{line}: no caption recorded for review"


@pytest.mark.parametrize("form", FORMS)
def test_no_two_lines_share_a_field(form, year):
    fieldmap = _map(form, year)
    seen: dict[str, str] = {}
    for line, entry in fieldmap.lines.items():
        if entry["field"] is not None:
            assert entry["field"] not in seen, f"{line} and {seen[entry['field']]} share {entry['field']}"
            seen[entry["field"]] = line


@pytest.mark.parametrize("form", FORMS)
def test_every_line_udfi_fills_on_the_revision_has_a_field(form, year):
    """The map covers exactly the lines of the year's layout that udfi fills, each with a field."""
    fieldmap = _map(form, year)
    assert set(fieldmap.lines) == set(fill_keys(form, year))
    assert [line for line, entry in fieldmap.lines.items() if entry["field"] is None] == []


def test_lines_not_on_a_revision_are_not_filled_there():
    # 2020 asks the accounting-method question on Part IV 4a/4b and has no NOL carryover lines (4, 5);
    # 2021-2022 ask it on 6a/6b (Form 990-T 2020, 2021, 2022 Part IV).
    assert {"part_iv.4a.yes", "part_iv.4b.no"} <= set(fill_keys("f990t", 2020))
    assert not {"part_iv.4", "part_iv.5.row1.amount", "part_iv.6a.yes"} & set(fill_keys("f990t", 2020))
    assert {"part_iv.4", "part_iv.5.row1.amount", "part_iv.6a.yes"} <= set(fill_keys("f990t", 2021))
    assert not {"part_iv.4a.yes", "part_iv.4b.no"} & set(fill_keys("f990t", 2022))
    assert set(fill_keys("f990t", 2020)) | set(fill_keys("f990t", 2021)) == set(LINE_KEYS["f990t"])


@pytest.mark.parametrize("form", FORMS)
def test_generator_reproduces_committed_map(form, year):
    """The reviewed map and a fresh proposal from the captions agree field for field."""
    proposal = build_map(blanks_for(year).path(form), form, year)
    committed = _map(form, year)
    assert {k: v["field"] for k, v in proposal["lines"].items()} == {k: v["field"] for k, v in committed.lines.items()}
    assert proposal["blank_fields"] == committed.blank_fields


def test_maps_directory_has_one_map_per_form_and_year():
    names = sorted(p.name for p in fieldmaps_dir().glob("*.yaml"))
    assert names == sorted(f"{form}-{year}.yaml" for form in FORMS for year in YEARS)
