"""Line layouts per revision (schemas/layouts): what each year's Form 990-T and Schedule A print, and
the move of the engine's canonical line numbers to the year's own."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
from forms_helpers import YEARS, blanks_for
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.forms.captions import normalize
from udfi.forms.fieldmaps import known_maps
from udfi.forms.layout_gen import propose_layout
from udfi.forms.layouts import LayoutError, MissingLayoutError, layout_years, load_layout, year_lines
from udfi.forms.lines import F990T, F990TSA, FORMS, LINE_KEYS

LAYOUT_YEARS = tuple(range(2020, 2027))
# The engine's canonical Form 990-T lines (udfi.engine.form_990t, 2021-2022 numbering) and the answers.
CANONICAL = {
    "part_i": ("1", "3", "4", "5", "6", "7", "8", "9", "10", "11"),
    "part_ii": ("2", "7"),
    "part_iii": ("2", "4", "6a", "6b", "6c", "7", "8", "9", "10"),
}


def _map(form: str, year: int):
    return next(m for m in known_maps(form) if m.tax_year == year)


@pytest.mark.parametrize("form", FORMS)
def test_every_year_2020_to_2026_has_a_layout_and_others_are_an_error(form):
    assert layout_years(form) == list(LAYOUT_YEARS)
    for year in LAYOUT_YEARS:
        assert load_layout(form, year).tax_year == year
    for year in (2019, 2027):
        with pytest.raises(MissingLayoutError, match=f"tax year {year}"):
            load_layout(form, year)


@pytest.mark.parametrize("form", FORMS)
def test_reviewed_maps_and_layouts_agree_on_the_lines_that_exist(form, year):
    """Every line a reviewed map fills is a line of that year's layout, with the same caption and kind."""
    layout = load_layout(form, year)
    for key, entry in _map(form, year).lines.items():
        assert key in layout.lines, f"{form} {year}: map line {key} is not in the layout"
        line = layout.lines[key]
        assert normalize(entry["caption"], year) == line.caption, key
        assert line.kind == ("checkbox" if "on" in entry else "text"), key
        assert not line.read_only, key


@pytest.mark.parametrize("form", FORMS)
def test_layout_lines_are_the_blanks_captions(form, year):
    """The committed 2020-2022 layouts (with inheritance resolved) are what the generator reads off the
    official blanks: every listed field's key, caption and kind."""
    proposal = propose_layout(blanks_for(year).path(form), form, year, _map(form, year).lines)
    committed = load_layout(form, year)
    assert set(committed.lines) == set(proposal)
    for key, entry in proposal.items():
        line = committed.lines[key]
        assert (line.caption, line.kind, line.read_only) == (entry["caption"], entry["kind"],
                                                              bool(entry.get("read_only"))), key


def test_per_year_differences_of_form_990t():
    """mef-990t.md §4 and the blanks: 2020 asks the accounting-method question on Part IV 4a/4b and has
    no NOL lines; 2023 replaces Part III line 3 with 3a-3f and 6g with 6g-6j and reserves Part IV
    6a/6b; 2024 splits Part II line 4 into 4a/4b."""
    def has(year, key):
        return load_layout(F990T, year).has_line(key)

    assert has(2020, "part_iv.4a") and not has(2020, "part_iv.4") and not has(2020, "part_iv.5")
    assert all(has(year, "part_iv.5") and has(year, "part_iv.6a") for year in (2021, 2022))
    for year in range(2023, 2027):
        assert all(has(year, f"part_iii.3{sub}") for sub in "abcdef") and not has(year, "part_iii.3")
        assert all(has(year, f"part_iii.6{sub}") for sub in "ghij")
        assert not has(year, "part_iii.6g.form_2439") and not has(year, "part_iv.6a")
    assert has(2023, "part_ii.4") and not has(2023, "part_ii.4a")
    for year in (2024, 2025, 2026):
        assert has(year, "part_ii.4a") and has(year, "part_ii.4b") and not has(year, "part_ii.4")
    # totals follow: Part III line 7 adds 6a-6g through 2022 and 6a-6j from 2023
    assert load_layout(F990T, 2022).totals["part_iii.7"].add[-1] == "part_iii.6g"
    assert load_layout(F990T, 2023).totals["part_iii.7"].add[-1] == "part_iii.6j"
    assert "part_ii.4b" in load_layout(F990T, 2024).totals["part_ii.7"].add


def test_schedule_a_keeps_its_lines_every_year():
    keys = set(load_layout(F990TSA, 2020).lines)
    for year in LAYOUT_YEARS:
        assert set(load_layout(F990TSA, year).lines) == keys


@pytest.mark.parametrize("form", FORMS)
def test_a_filled_line_never_changes_meaning(form):
    """A key udfi fills exists in one unbroken run of years: a line whose number is reused for other
    content (2023's 6g) is removed and is not a key udfi fills, so captions of one year's line may
    stand in for another's (udfi.forms.derive)."""
    for key in LINE_KEYS[form]:
        years = [year for year in LAYOUT_YEARS if key in load_layout(form, year).lines]
        assert years, f"{key} is on no revision"
        assert years == list(range(years[0], years[-1] + 1)), f"{key}: {years}"


def test_year_lines_moves_renumbered_lines_and_drops_only_declared_absences():
    canonical = {"part_ii": {"2": 100, "4": 7, "7": 107}, "part_iv": {"4": 2500, "5": [{"activity_code": "900000",
                                                                                          "amount": 4000}]}}
    before = copy.deepcopy(canonical)
    assert year_lines(canonical, F990T, 2022) == canonical
    in_2024 = year_lines(canonical, F990T, 2024)
    assert in_2024["part_ii"] == {"2": 100, "4b": 7, "7": 107}  # 2024: "4b. Other tax amounts" was line 4
    in_2020 = year_lines(canonical, F990T, 2020)
    assert in_2020["part_iv"] == {}  # the 2020 revision has no NOL carryover lines
    answers = {"part_iv": {"1": False, "6a": True, "6b": False}}
    assert year_lines(answers, F990T, 2020) == {"part_iv": {"1": False, "4a": True, "4b": False}}
    assert year_lines(answers, F990T, 2023) == {"part_iv": {"1": False}}  # 6a/6b reserved from 2023
    assert canonical == before


def test_a_value_without_a_line_on_the_revision_is_an_error():
    with pytest.raises(LayoutError, match=r"no line part_iii\.3 "):
        year_lines({"part_iii": {"3": 500}}, F990T, 2023)  # 2023 has lines 3a-3f, not 3


@settings(max_examples=60, deadline=None)
@given(year=st.sampled_from(LAYOUT_YEARS),
       values=st.fixed_dictionaries({part: st.fixed_dictionaries({line: st.integers(-10**9, 10**9) for line in lines})
                                     for part, lines in CANONICAL.items()}))
def test_every_canonical_figure_lands_on_exactly_one_line_of_every_revision(year, values):
    """No engine figure is lost or doubled on any revision: Parts I-III exist on every layout."""
    moved = year_lines(values, F990T, year)
    assert sorted(v for lines in moved.values() for v in lines.values()) == \
        sorted(v for lines in values.values() for v in lines.values())
    layout = load_layout(F990T, year)
    for part, lines in moved.items():
        for line in lines:
            assert layout.has_line(f"{part}.{line}")


def test_layout_files_name_their_form_and_year(tmp_path, monkeypatch):
    bad = tmp_path / "layouts"
    bad.mkdir()
    (bad / "f990t-2022.yaml").write_text("form: f990tsa\ntax_year: 2022\nlines: {}\n", encoding="utf-8")
    monkeypatch.setattr("udfi.forms.layouts.layouts_dir", lambda: Path(bad))
    load_layout.cache_clear()
    try:
        with pytest.raises(LayoutError, match="says form 'f990tsa'"):
            load_layout(F990T, 2022)
    finally:
        load_layout.cache_clear()


_KEY_PIECES = st.sampled_from(["part_i", "part_iv", "1", "1a", "4", "4a", "yes", "no", "", "x.y"])


@given(st.lists(st.lists(_KEY_PIECES, min_size=1, max_size=4).map(".".join), max_size=8),
       st.lists(_KEY_PIECES, min_size=1, max_size=4).map(".".join))
@settings(max_examples=300, deadline=None)
def test_has_line_is_listed_or_an_entry_of_a_listed_line(listed, key):
    """has_line's definition: the key is listed itself, or some listed key continues it after a dot
    ("part_iv.1" exists through "part_iv.1.yes"; "part_i" does not exist through "part_iv.1")."""
    layout = dataclasses.replace(load_layout(F990T, 2022), lines=dict.fromkeys(listed))
    expected = key in listed or any(other.startswith(key + ".") for other in listed)
    assert layout.has_line(key) == expected

