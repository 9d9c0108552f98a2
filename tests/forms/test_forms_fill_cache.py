"""The per-process template cache and the strict read-back reader (speed without weaker checks)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from forms_helpers import ACCOUNTS, blanks_for, filled, load_account
from pdfrw import PdfReader, PdfWriter

from udfi.forms import fill, readback
from udfi.forms.fill import fill_return, read_filled_values


@pytest.mark.parametrize("name", ACCOUNTS)
def test_strict_reader_reads_exactly_what_pdfrw_reads(name):
    pdf = filled(name, 2021)
    assert fill._read_filled_values_strict(pdf) == fill._read_filled_values_pdfrw(pdf)


def test_other_file_shapes_fall_back_to_pdfrw():
    # pdfrw's own rewrite of our output is readable by pdfrw; whatever the strict reader makes of
    # it, read_filled_values must give the same answer as pdfrw.
    pdf = filled("two_properties", 2021)
    reader = PdfReader(fdata=pdf)
    import io

    buffer = io.BytesIO()
    PdfWriter(trailer=reader).write(buffer)
    rewritten = buffer.getvalue()
    assert read_filled_values(rewritten) == fill._read_filled_values_pdfrw(rewritten)
    # An incremental update (a /Prev chain) is not our shape.
    with pytest.raises(readback.Unsupported):
        readback.Document(pdf + b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Prev 1 /Size 1>>\nstartxref\n"
                          + str(len(pdf)).encode() + b"\n%%EOF\n")


def test_cached_template_is_not_changed_by_fills():
    blanks = blanks_for(2021)
    two = fill_return(load_account("two_properties"), 2021, blanks)
    fill_return(load_account("six_properties"), 2021, blanks)  # other values, continuation pages
    fill_return(load_account("roth"), 2021, blanks, flatten=True)
    assert fill_return(load_account("two_properties"), 2021, blanks) == two


def test_output_is_identical_in_a_fresh_process():
    code = (
        "import sys; sys.path.insert(0, 'tests/forms');"
        "from forms_helpers import filled; import hashlib;"
        "print(hashlib.sha256(filled('six_properties', 2021)).hexdigest())"
    )
    import hashlib
    import os

    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "UDFI_FORMS_DIR": str(blanks_for(2021).directory)})
    assert other.stdout.strip() == hashlib.sha256(filled("six_properties", 2021)).hexdigest()


def test_changed_blank_with_same_path_is_not_served_from_cache(tmp_path):
    # The cache key is the blank's content hash, not its path.
    import shutil

    from udfi.forms.blanks import BlankSet
    from udfi.forms.lines import FORMS

    year_dir = tmp_path / "forms" / "2021"
    year_dir.mkdir(parents=True)
    for form in FORMS:
        shutil.copyfile(blanks_for(2021).path(form), year_dir / f"{form}.pdf")
    blanks = BlankSet(2021, year_dir / "f990t.pdf", year_dir / "f990tsa.pdf", "forms-dir", tmp_path / "forms")
    fill_return(load_account("two_properties"), 2021, blanks)
    shutil.copyfile(blanks_for(2020).path("f990t"), year_dir / "f990t.pdf")
    with pytest.raises(fill.UnknownRevisionError, match="2020 revision"):
        fill_return(load_account("two_properties"), 2021, blanks)


@pytest.mark.parametrize("name", ["two_properties", "six_properties"])
def test_per_process_caches_do_not_change_a_byte(name):
    # The caches that make a fill cheap (formatted template values, widget layouts, parsed and
    # decoded read-back objects) must give exactly what computing everything afresh gives, with a
    # continuation (six_properties) and without.
    from unittest import mock

    from udfi.forms import appearance, pdfout

    blanks = blanks_for(2021)
    fill_return(load_account("roth", 2021), 2021, blanks)  # warm every cache with another account
    warm = fill_return(load_account(name, 2021), 2021, blanks)

    def afresh(widget, value, acroform, metrics_cache=None, layouts=None):
        return appearance.text_appearance(widget, value, acroform)

    with mock.patch.object(pdfout.Template, "_known_values", lambda self, original: {}), \
            mock.patch.object(fill, "text_appearance", afresh), \
            mock.patch.object(readback, "_parsed", readback.Memo(0)), \
            mock.patch.object(fill, "_decoded", readback.Memo(0)):
        cold = fill_return(load_account(name, 2021), 2021, blanks)
    assert cold == warm
