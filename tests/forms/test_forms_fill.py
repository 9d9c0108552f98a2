"""Filling the official blanks: values land in the mapped fields, show in viewers, read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from forms_helpers import ACCOUNTS, blanks_for, filled, load_account, pdftotext
from pdfrw import PdfName, PdfReader, PdfString, PdfWriter

from udfi.forms.appearance import encode_win_ansi, pdf_literal
from udfi.forms.blanks import BlankSet
from udfi.forms.fieldmaps import UnknownRevisionError, known_maps
from udfi.forms.fill import ReadBackError, _Intent, _verify, fill_return, read_filled_values
from udfi.forms.lines import FORMS, SEE_STATEMENT, form_values


def _map(form: str, year: int):
    return next(m for m in known_maps(form) if m.tax_year == year)


def _expected_fields(name: str, year: int) -> dict[str, str | bool]:
    """Output field name (form-prefixed) → intended text, or True for a ticked box."""
    expected = {}
    for form, values in form_values(load_account(name, year), year).items():
        fieldmap = _map(form, year)
        for line, value in values.items():
            field = fieldmap.lines[line]["field"]
            if value not in ("", False) and field is not None:
                expected[f"{form}.{field}"] = value if value is True else str(value)
    return expected


@pytest.mark.parametrize("name", ACCOUNTS)
def test_every_filled_field_reads_back_with_an_appearance(name, year):
    pdf = filled(name, year)
    found = read_filled_values(pdf)
    expected = _expected_fields(name, year)
    assert expected, "nothing to fill?"
    for field, value in expected.items():
        entry = found[field]
        if value is True:
            assert entry["state"] is not None, field
        else:
            assert entry["value"] == value, field
            assert any(pdf_literal(encode_win_ansi(value)) in ap for ap in entry["appearances"]), field
    filled_names = {n for n, e in found.items() if e["value"] or e["state"]}
    assert filled_names == set(expected)


def test_output_has_no_xfa_and_no_need_appearances():
    reader = PdfReader(fdata=filled("two_properties", 2021))
    assert reader.Root.AcroForm.XFA is None
    assert reader.Root.AcroForm.NeedAppearances is None
    assert reader.ID is None  # no random file identifier


def test_values_show_in_rendered_text(tmp_path):
    text = pdftotext(filled("two_properties", 2022), tmp_path)
    for shown in ("Acme Trust Co FBO Jane Doe IRA", "12-3456789", "500 Custodian Plaza, Suite 210",
                  "Reno, NV 89501", "775-555-0142", "40,766", "25,532", "15,432", "27,166",
                  "65.2401", "60.0000", "123 Main St, Reno, NV 89501", "900000"):
        assert shown in text, shown


def test_negative_amounts_in_parentheses_and_zero_lines_blank(tmp_path):
    pdf = filled("negative_line", 2021)
    text = pdftotext(pdf, tmp_path)
    assert "(11,700)" in text
    found = read_filled_values(pdf)
    fields = _map("f990tsa", 2021).lines
    # Schedule A line 18 shows the silo's loss in parentheses; line 17 (zero) is left blank.
    assert found[f"f990tsa.{fields['part_ii.18']['field']}"]["value"] == "(11,700)"
    assert found[f"f990tsa.{fields['part_ii.17']['field']}"]["value"] is None


def test_check_boxes_follow_account_type():
    def state(name, form, line):
        field = _map(form, 2021).lines[line]["field"]
        return read_filled_values(filled(name, 2021))[f"{form}.{field}"]["state"]

    assert state("two_properties", "f990t", "header.B.408e") == "2"
    assert state("two_properties", "f990t", "header.G.other_trust") == "4"
    assert state("roth", "f990t", "header.B.408A") == "4"
    assert state("roth", "f990t", "header.B.408e") is None
    assert state("solo_401k", "f990t", "header.G.401a_trust") == "3"
    assert state("solo_401k", "f990t", "header.B.408e") is None
    assert state("solo_401k", "f990t", "header.B.408A") is None


def test_nol_carryover_lines_only_where_the_form_has_them(tmp_path):
    field_2021 = _map("f990t", 2021).lines["part_iv.5.row1.amount"]["field"]
    assert read_filled_values(filled("roth", 2021))[f"f990t.{field_2021}"]["value"] == "4,000"
    # 2020 has no Part IV line 5: the map declares the absence and nothing else gets the value.
    values_2020 = read_filled_values(filled("roth", 2020))
    assert "4,000" not in {e["value"] for n, e in values_2020.items() if n.startswith("f990t.")}


def test_two_fills_are_byte_identical():
    account = load_account("six_properties")
    first = fill_return(account, 2021, blanks_for(2021))
    second = fill_return(account, 2021, blanks_for(2021))
    assert first == second
    assert first == filled("six_properties", 2021)


def test_more_than_four_properties_column_d_and_continuation(tmp_path):
    pdf = filled("six_properties", 2021)
    account = load_account("six_properties")
    fieldmap = _map("f990tsa", 2021)
    found = read_filled_values(pdf)

    def value(line):
        return found[f"f990tsa.{fieldmap.lines[line]['field']}"]["value"]

    rest = [p for p in account["properties"] if p["debt_financed"]][3:]
    assert value("part_v.1.D") == SEE_STATEMENT
    assert value("part_v.2.D") == f"{sum(p['part_v']['2'] for p in rest):,}"
    assert value("part_v.7.D") == f"{sum(p['part_v']['7'] for p in rest):,}"
    assert value("part_v.6.D") is None
    assert value("part_v.6.C") == account["properties"][2]["part_v"]["6"]
    reader = PdfReader(fdata=pdf)
    assert len(reader.pages) == 2 + 4 + 1  # 990-T, Schedule A, one statement page
    statement = pdftotext(pdf, tmp_path, first=7)
    assert "continuation statement" in statement.lower()
    for prop in account["properties"]:
        assert prop["description"].split(",")[0] in statement
        assert f"{prop['part_v']['7']:,}" in statement
        assert prop["part_v"]["6"] in statement
    assert f"{account['schedule_a']['part_v']['8']:,}" in statement


def test_four_or_fewer_properties_have_no_statement():
    assert len(PdfReader(fdata=filled("two_properties", 2021)).pages) == 6


def test_flatten_burns_values_into_the_page(tmp_path):
    pdf = filled("six_properties", 2022, flatten=True)
    reader = PdfReader(fdata=pdf)
    assert reader.Root.AcroForm is None
    for page in reader.pages:
        for annot in page.Annots or []:
            assert annot.Subtype != PdfName.Widget and annot.FT is None
    text = pdftotext(pdf, tmp_path)
    for shown in ("Acme Trust Co FBO Robert Q. Public SEP IRA", "91,862", "35,921", SEE_STATEMENT, "40.0000"):
        assert shown in text, shown


def _copy_blanks(tmp_path: Path, year: int) -> Path:
    target = tmp_path / "forms" / str(year)
    target.mkdir(parents=True)
    for form in FORMS:
        shutil.copyfile(blanks_for(year).path(form), target / f"{form}.pdf")
    return target


def test_unknown_revision_is_refused_with_the_mismatch(tmp_path):
    year_dir = _copy_blanks(tmp_path, 2021)
    reader = PdfReader(str(year_dir / "f990t.pdf"))
    top = reader.Root.AcroForm.Fields[0]
    page1 = next(kid for kid in top.Kids if kid.T.to_unicode() == "Page1[0]")
    renamed = next(kid for kid in page1.Kids if kid.T is not None and kid.T.to_unicode() == "f1_26[0]")
    renamed.T = PdfString.from_unicode("f1_26_renamed[0]")
    PdfWriter(trailer=reader).write(str(year_dir / "f990t.pdf"))
    blanks = BlankSet(2021, year_dir / "f990t.pdf", year_dir / "f990tsa.pdf", "forms-dir", tmp_path / "forms")
    with pytest.raises(UnknownRevisionError) as caught:
        fill_return(load_account("two_properties"), 2021, blanks)
    message = str(caught.value)
    assert "f1_26[0]" in message and "f1_26_renamed[0]" in message
    assert "missing 1" in message and "extra 1" in message


def test_read_back_catches_a_wrong_value():
    pdf = filled("two_properties", 2021)
    field = _map("f990t", 2021).lines["part_i.11"]["field"]
    good = _Intent("f990t", "part_i.11", field, text="27,166")
    _verify(pdf, [i for i in [good]] + [
        _Intent("f990t", k, _map("f990t", 2021).lines[k]["field"], text=v)
        for k, v in form_values(load_account("two_properties"), 2021)["f990t"].items()
        if v not in ("", True) and k != "part_i.11" and _map("f990t", 2021).lines[k]["field"]
    ] + [
        _Intent("f990t", k, _map("f990t", 2021).lines[k]["field"], on_state=str(_map("f990t", 2021).lines[k]["on"]))
        for k, v in form_values(load_account("two_properties"), 2021)["f990t"].items() if v is True
    ] + [
        _Intent("f990tsa", k, _map("f990tsa", 2021).lines[k]["field"], text=v)
        for k, v in form_values(load_account("two_properties"), 2021)["f990tsa"].items() if v
    ])
    with pytest.raises(ReadBackError, match="part_i.11"):
        _verify(pdf, [_Intent("f990t", "part_i.11", field, text="99,999")])


def test_float_amounts_are_refused():
    account = load_account("two_properties")
    account["form_990t"]["part_i"]["11"] = 27166.0
    with pytest.raises(TypeError, match="float"):
        form_values(account, 2021)


def test_blank_of_another_year_is_refused():
    with pytest.raises(UnknownRevisionError, match="2020 revision"):
        fill_return(load_account("two_properties"), 2021, blanks_for(2020))
