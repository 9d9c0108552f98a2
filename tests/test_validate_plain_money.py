"""Money columns read as plain Arrow text and converted cell by cell (`validate_cells.plain_money_cents`)
give what the reference path gives — each distinct value of a categorical parsed by the cell parser:
the same cents, no problem where the parser reports none, and, for whole books (generated, broken,
hostile, invalid), the same problems in the same order and the same typed frames."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from udfi import validate as validate_module
from udfi.schemas import table_specs
from udfi.synth import synth
from udfi.validate import validate_book
from udfi.validate_cells import Collector, _parse_column, plain_money_cents

REPO = Path(__file__).resolve().parents[1]
LEDGER = table_specs()["ledger"]
AMOUNT = LEDGER.column("amount")
PLAIN = re.compile(r"-?\d{1,12}(?:\.\d{1,2})?", re.ASCII)   # RE2's \d: ASCII digits only

CELLS = st.one_of(
    st.from_regex(r"\A-?\d{1,14}(\.\d{0,3})?\Z"),
    st.sampled_from(["", " 1.00", "1.00 ", "$1.00", "(1.00)", "1,000.00", "-0", "-0.00", "007.50", ".5", "5.",
                     "+5", "1e3", "999999999999.99", "-999999999999.99", "1000000000000.00", "١٢", "x"]),
)


def _arrow(cells: list[str]) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array(cells, type=pa.string())])))


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=30))
def test_plain_cents_are_the_parsers_cents(cells):
    cents = plain_money_cents(_arrow(cells))
    assert (cents is not None) == all(PLAIN.fullmatch(cell) for cell in cells)
    if cents is None:
        return
    problems: list = []
    reference = _parse_column(LEDGER, AMOUNT, pd.Series(cells, dtype="category"),
                              Collector(problems, {"ledger": "ledger.csv"}))
    assert problems == []
    assert str(reference.dtype) == "Int64" and reference.notna().all()
    assert cents.tolist() == reference.astype("int64").tolist()


def test_other_columns_take_the_parsers_path():
    assert plain_money_cents(pd.Series(["1.00"], dtype=object)) is None
    assert plain_money_cents(pd.Series(["1.00"], dtype="category")) is None
    assert plain_money_cents(_arrow([])) is None


def _report(source: Path, reference: bool, monkeypatch) -> tuple:
    with monkeypatch.context() as patch:
        if reference:   # every column a categorical, every money column parsed value by value
            read = validate_module.read_raw_book
            patch.setattr(validate_module, "read_raw_book", lambda source, tables, plain=None: read(source, tables))
        report = validate_book(source)
    frames = None
    if report.book is not None:
        frames = {field.name: getattr(report.book, field.name) for field in dataclasses.fields(report.book)
                  if isinstance(getattr(report.book, field.name), pd.DataFrame)}
    return report.problems, report.ledger_rows, frames


def _assert_same(source: Path, monkeypatch) -> None:
    fast_problems, fast_rows, fast_frames = _report(source, False, monkeypatch)
    slow_problems, slow_rows, slow_frames = _report(source, True, monkeypatch)
    assert fast_problems == slow_problems
    assert fast_rows == slow_rows
    assert (fast_frames is None) == (slow_frames is None)
    for name in fast_frames or {}:
        pd.testing.assert_frame_equal(fast_frames[name], slow_frames[name], check_exact=True)
        assert list(fast_frames[name].dtypes) == list(slow_frames[name].dtypes)


@pytest.mark.parametrize("broken", [0, 3])
def test_a_generated_book_validates_as_on_the_reference_path(tmp_path, monkeypatch, broken):
    synth(8, (2020, 2023), 11, tmp_path / "book", broken=broken)
    _assert_same(tmp_path / "book", monkeypatch)


def test_formatted_and_bad_amounts_validate_as_on_the_reference_path(tmp_path, monkeypatch):
    folder = tmp_path / "book"
    synth(3, (2021, 2022), 5, folder)
    ledger = (folder / "ledger.csv").read_text(encoding="utf-8").splitlines()
    header = ledger[0].split(",")
    at = header.index("amount")
    for number, text in ((1, "$1000.00"), (2, ""), (3, "12.345"), (4, "-0"), (5, "1" * 20), (6, "1000000000000.00")):
        cells = ledger[number].split(",")
        cells[at] = text
        ledger[number] = ",".join(cells)
    (folder / "ledger.csv").write_text("\n".join(ledger) + "\n", encoding="utf-8")
    _assert_same(folder, monkeypatch)
    # a duplicated row whose amount repeats as text, and one whose amount is only equal in cents
    ledger = (folder / "ledger.csv").read_text(encoding="utf-8").splitlines()
    ledger = [line for line in ledger if ",,," not in line]
    cells = ledger[-1].split(",")
    cells[at] = cells[at] + "0" if "." in cells[at] and len(cells[at].split(".")[1]) == 1 else cells[at]
    ledger += [ledger[-1], ",".join(cells)]
    (folder / "ledger.csv").write_text("\n".join(ledger) + "\n", encoding="utf-8")
    _assert_same(folder, monkeypatch)


CORPUS = sorted(
    [path / "book" for path in (REPO / "fixtures" / "hostile").iterdir() if (path / "book").exists()]
    + [path for path in (REPO / "fixtures" / "invalid").iterdir() if path.is_dir()], key=str)


@pytest.mark.parametrize("source", CORPUS, ids=lambda path: str(path.relative_to(REPO)))
def test_the_hostile_and_invalid_books_validate_as_on_the_reference_path(source, monkeypatch):
    try:
        _assert_same(source, monkeypatch)
    except validate_module.BookReadError:
        pass
