"""Field maps derived from a blank's captions (udfi.forms.derive): equal to the reviewed maps on the
official 2020-2022 blanks, right on a synthetic revision where the captions match, refused by name
where one does not, and what lets `udfi forms fetch` accept a current-year blank."""

from __future__ import annotations

import hashlib

import pytest
from forms_helpers import YEARS, blanks_for, load_account, pdftotext
from synthetic_blanks import renamed, revise
from typer.testing import CliRunner

from udfi.cli import app
from udfi.forms.acroform import list_fields, read_pdf, xfa_captions
from udfi.forms.blanks import BlankSet, fetch_blanks
from udfi.forms.derive import DerivationError, derive_from_fields, derive_map, resolve_map
from udfi.forms.fieldmaps import known_maps
from udfi.forms.fill import fill_return, read_filled_values
from udfi.forms.lines import F990T, F990TSA, FORMS, fill_keys, form_values

# Form 990-T (2022) Part I line 11 is field f1_26 on the 2022 blank; Part III line 1a (not filled) f2_1.
LINE_11, LINE_1A = "f1_26", "f2_1"


def _reviewed(form: str, year: int):
    return next(m for m in known_maps(form) if m.tax_year == year)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("form", FORMS)
def test_derived_maps_equal_the_reviewed_maps_field_for_field(form, year):
    path = blanks_for(year).path(form)
    data = path.read_bytes()
    derived = derive_map(form, year, data, _sha(data), path)
    reviewed = _reviewed(form, year)
    assert derived.derived and not reviewed.derived
    assert {k: (v["field"], v.get("on")) for k, v in derived.lines.items()} == \
        {k: (v["field"], v.get("on")) for k, v in reviewed.lines.items()}
    assert derived.blank_fields == reviewed.blank_fields


def test_derivation_does_not_depend_on_field_names_or_their_order(tmp_path):
    """Renamed fields in a reversed AcroForm tree: every line finds the renamed counterpart."""
    for form in FORMS:
        data = revise(blanks_for(2022).path(form))
        derived = resolve_map(form, 2022, data, _sha(data))
        assert derived.derived
        assert {k: v["field"] for k, v in derived.lines.items()} == \
            {k: renamed(v["field"]) for k, v in _reviewed(form, 2022).lines.items()}


def _synthetic_set(tmp_path, year: int, f990t: bytes, f990tsa: bytes) -> BlankSet:
    folder = tmp_path / "forms" / str(year)
    folder.mkdir(parents=True)
    (folder / "f990t.pdf").write_bytes(f990t)
    (folder / "f990tsa.pdf").write_bytes(f990tsa)
    return BlankSet(year, folder / "f990t.pdf", folder / "f990tsa.pdf", "forms-dir", tmp_path / "forms")


def test_a_synthetic_revision_is_filled_where_its_captions_match(tmp_path):
    """Renamed and reordered fields, and one caption changed on a line udfi does not fill (Part III
    line 1a): the derived map fills every value into the renamed counterpart of the reviewed field."""
    original = blanks_for(2022)
    blanks = _synthetic_set(tmp_path, 2022,
                            revise(original.f990t, captions={
                                LINE_1A: "Page 2. Part I I I. Tax and Payments. 1a. Foreign tax credit (attach Form 1116)."}),
                            revise(original.f990tsa))
    account = load_account("two_properties", 2022)
    pdf = fill_return(account, 2022, blanks)
    found = read_filled_values(pdf)
    expected_values = form_values(account, 2022)
    filled = 0
    for form in FORMS:
        reviewed = _reviewed(form, 2022)
        for line, value in expected_values[form].items():
            if value in ("", False, None):
                continue
            entry = found[f"{form}.{renamed(reviewed.lines[line]['field'])}"]
            if value is True:
                assert entry["state"] == reviewed.lines[line]["on"], line
            else:
                assert entry["value"] == value, line
            filled += 1
    assert filled > 40
    text = pdftotext(pdf, tmp_path)
    for shown in ("Acme Trust Co FBO Jane Doe IRA", "27,166", "812,400", "123 Main St, Reno, NV 89501"):
        assert shown in text, shown


def test_a_synthetic_revision_is_refused_where_a_filled_lines_caption_does_not_match(tmp_path):
    original = blanks_for(2022)
    changed = "11. Unrelated business income. Subtract line 10 from line 7."
    blanks = _synthetic_set(tmp_path, 2022, revise(original.f990t, captions={LINE_11: changed}), revise(original.f990tsa))
    with pytest.raises(DerivationError) as refused:
        fill_return(load_account("two_properties", 2022), 2022, blanks)
    message = str(refused.value)
    assert refused.value.problems == [
        "line part_i.11 ('11. unrelated business taxable income. subtract line 10 from line 7. if line 10 is "
        "greater than line 7, enter zero.') matches no field; closest field "
        f"topmostSubform[0].Page1[0].r{LINE_11}[0] reads {changed!r}"]
    assert "matches no known field map" in message  # and how it differs from the closest reviewed map


def test_every_other_line_of_a_refused_revision_still_matches():
    """Refusal is per line: the changed caption fails alone, the other lines match their renamed field."""
    reader = read_pdf(revise(blanks_for(2022).f990t, captions={LINE_11: "11. Something else."}))
    lines, problems = derive_from_fields(F990T, 2022, list_fields(reader), list(xfa_captions(reader)))
    assert [problem.split(" ", 2)[1] for problem in problems] == ["part_i.11"]
    assert set(lines) == set(fill_keys(F990T, 2022)) - {"part_i.11"}


def test_an_ambiguous_caption_is_refused():
    # Two fields captioned as Part I line 11: neither is taken.
    text = "11. Unrelated business taxable income. Subtract line 10 from line 7. If line 10 is greater than line 7, enter zero."
    reader = read_pdf(revise(blanks_for(2022).f990t, captions={"f1_25": text}))
    _, problems = derive_from_fields(F990T, 2022, list_fields(reader), list(xfa_captions(reader)))
    assert any(p.startswith("line part_i.11 ") and "ambiguous" in p and f"r{LINE_11}[0]" in p and "rf1_25[0]" in p
               for p in problems), problems


def test_a_blank_printing_another_year_or_without_captions_is_refused():
    data = revise(blanks_for(2022).f990t, title="2021 Form 990-T")
    with pytest.raises(DerivationError, match="prints 2021, not 2022"):
        resolve_map(F990T, 2022, data, _sha(data))
    bare = revise(blanks_for(2022).f990tsa, replace={})
    reader = read_pdf(bare)
    reader.Root.AcroForm.XFA = None
    from io import BytesIO
    from pdfrw import PdfWriter
    out = BytesIO()
    PdfWriter(trailer=reader).write(out)
    with pytest.raises(DerivationError, match="no XFA captions"):
        resolve_map(F990TSA, 2022, out.getvalue(), _sha(out.getvalue()))


# --- a current-year blank: `udfi forms fetch 2023` ----------------------------------------------

def synthetic_2023() -> tuple[bytes, bytes]:
    """What a 2023 blank would look like to udfi: the 2022 blank with other field names, the 2023
    title and years, and Part III line 7 captioned as the 2023 layout says."""
    years = {"2022": "2023", "2021": "2022"}
    f990t = revise(blanks_for(2022).f990t, title="2023 Form 990-T", replace={"2023": "2024", **years},
                   captions={"f2_21": "7. Total payments. Add lines 6a through 6j."})
    f990tsa = revise(blanks_for(2022).f990tsa, title="2023 Schedule A (Form 990-T)")
    return f990t, f990tsa


def test_fetch_accepts_a_2023_blank_whose_map_derives_and_the_return_fills(irs_server, tmp_path):
    root, base_url = irs_server
    f990t, f990tsa = synthetic_2023()
    (root / "irs-pdf" / "f990t.pdf").write_bytes(f990t)
    (root / "irs-pdf" / "f990tsa.pdf").write_bytes(f990tsa)
    result = CliRunner().invoke(app, ["forms", "fetch", "2023", "--cache-dir", str(tmp_path / "c"), "--base-url", base_url])
    assert result.exit_code == 0, result.output
    assert "derived" in result.output
    blanks = BlankSet(2023, tmp_path / "c" / "2023" / "f990t.pdf", tmp_path / "c" / "2023" / "f990tsa.pdf",
                      "cache", tmp_path / "c")
    pdf = fill_return(load_account("two_properties", 2023), 2023, blanks)
    text = pdftotext(pdf, tmp_path)
    assert "27,166" in text and "40,766" in text


def test_fetch_refuses_a_2023_blank_with_the_2022_line_7_and_names_it(irs_server, tmp_path):
    root, base_url = irs_server
    f990t = revise(blanks_for(2022).f990t, title="2023 Form 990-T", replace={"2023": "2024", "2022": "2023", "2021": "2022"})
    (root / "irs-pdf" / "f990t.pdf").write_bytes(f990t)
    (root / "irs-pdf" / "f990tsa.pdf").write_bytes(synthetic_2023()[1])
    with pytest.raises(Exception, match=r"line part_iii\.7 .* matches no field"):
        fetch_blanks(2023, cache_dir=tmp_path / "c", base_url=base_url)
    assert not (tmp_path / "c").exists()
