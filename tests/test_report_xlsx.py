"""The reports' .xlsx twins: the direct writer (udfi.batch.xlsx) gives exactly openpyxl's bytes.

summary.xlsx and exceptions.xlsx are listed with their SHA-256 in manifest.json, and `--resume` and
reruns must find the same bytes whichever writer made them; openpyxl stays the reference (and the
fallback for what the direct writer leaves to it)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from udfi.batch import reports
from udfi.batch.xlsx import sheet_workbook

COLUMNS = ["tax_year", "account_id", "name", "ubti", "problem"]
NUMERIC = ("tax_year", "ubti")
USER = ("account_id", "name", "problem")


def _openpyxl(columns, rows, title):
    """What xlsx_bytes wrote before the direct writer: the same table through openpyxl."""
    return reports._openpyxl_xlsx_bytes(list(columns), reports.report_table(list(columns), rows, USER, NUMERIC), title)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


# Text a custodian's book may carry into a report: accents and §, XML's specials, spaces at the ends
# (xml:space="preserve"), CR/LF/tab, a formula-looking cell, an error code, an SSN-shaped value (masked).
TRICKY = ["José Peña IRA", "§514(c)(9) — 50%", "a & b <c> \"d\" 'e'", " padded ", "line\r\nbreak\ttab", "=1+1",
          "#N/A", "123-45-6789", "", "😀 emoji"]
FIGURES = ["-12.50", "1_000", " 7 ", "3.5e2", "0042", "", "n/a", 19.99, 10**17]  # as text or as numbers


def test_the_direct_writer_gives_openpyxls_bytes_for_tricky_text():
    rows = [{"tax_year": 2022, "account_id": f"A{i:03d}", "name": text, "ubti": FIGURES[i % len(FIGURES)],
             "problem": text} for i, text in enumerate(TRICKY)]
    direct = reports.xlsx_bytes(COLUMNS, rows, USER, "summary", NUMERIC)
    assert direct == _openpyxl(COLUMNS, rows, "summary")
    sheet = _parts(direct)["xl/worksheets/sheet1.xml"].decode("ascii")
    assert "&#167;514" in sheet and 'xml:space="preserve"> padded </t>' in sheet  # what openpyxl writes
    assert "123-45-6789" not in sheet  # user text masked


def test_an_empty_report_has_its_header_only():
    direct = reports.xlsx_bytes(COLUMNS, [], USER, "exceptions", NUMERIC)
    assert direct == _openpyxl(COLUMNS, [], "exceptions")
    assert b'<dimension ref="A1:E1"/>' in _parts(direct)["xl/worksheets/sheet1.xml"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text(max_size=12), st.one_of(st.integers(-10**18, 10**18), st.text(max_size=8),
                                                           st.floats(allow_nan=False, allow_infinity=False))),
                max_size=6))
def test_the_direct_writer_matches_openpyxl_on_any_text_and_numbers(pairs):
    rows = [{"tax_year": 2022, "account_id": "A1", "name": name, "ubti": figure, "problem": ""}
            for name, figure in pairs]
    try:
        expected = _openpyxl(COLUMNS, rows, "summary")
    except Exception as exc:  # noqa: BLE001 — text a worksheet cannot hold: the direct writer defers to openpyxl
        with pytest.raises(type(exc)):
            reports.xlsx_bytes(COLUMNS, rows, USER, "summary", NUMERIC)
        return
    assert reports.xlsx_bytes(COLUMNS, rows, USER, "summary", NUMERIC) == expected


def test_what_the_direct_writer_leaves_to_openpyxl():
    assert sheet_workbook(["=SUM(A1)"], [], "summary") is None   # a header openpyxl stores as a formula
    assert sheet_workbook(["a"], [["bell\x07"]], "summary") is None  # openpyxl refuses it (and says so)
    assert sheet_workbook(["a"], [[float("nan")]], "summary") is None
    assert sheet_workbook(["a"], [["x"]], "sum:mary") is None
