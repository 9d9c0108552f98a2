"""`column_codes.duplicated_rows` (a row that repeats an earlier row exactly: validation's ledger
warning) against pandas' `DataFrame.duplicated(keep="first")`, on frames as both CSV readers give
them: categoricals (the fast reader) and object text (pandas' reader), with repeats, empty cells and
missing values."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.column_codes import duplicated_rows
from udfi.validate import validate_book

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample"

cells = st.sampled_from(["", "A1-P1", "A1-P2", "rent", "interest", "12.50", "12.5", " 12.50", "2022-01-01", None])


@st.composite
def frames(draw):
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=40))
    if rows and draw(st.booleans()):   # some exact repeats of earlier rows
        rows += [rows[draw(st.integers(0, len(rows) - 1))] for _ in range(draw(st.integers(1, 5)))]
    frame = pd.DataFrame(rows, columns=[f"c{i}" for i in range(width)], dtype=object)
    if len(frame) and draw(st.booleans()):
        frame = frame.iloc[draw(st.permutations(list(range(len(frame)))))]
    return frame


@settings(max_examples=150, deadline=None)
@given(frames(), st.booleans())
def test_duplicated_rows_is_pandas_duplicated_keep_first(frame, categorical):
    if categorical:
        frame = frame.astype("category")
    expected = frame.duplicated(keep="first").to_numpy(dtype=bool)
    assert duplicated_rows(frame).tolist() == expected.tolist()


def test_a_repeated_row_is_flagged_after_its_first_occurrence_only():
    # rows 0 and 2 are equal, row 3 differs from row 0 only by a space: only row 2 repeats a row
    frame = pd.DataFrame({"date": ["2022-01-01", "2022-01-01", "2022-01-01", "2022-01-01"],
                          "amount": ["10.00", "11.00", "10.00", "10.00 "]}).astype("category")
    assert duplicated_rows(frame).tolist() == [False, False, True, False]
    assert duplicated_rows(frame.astype(object)).tolist() == [False, False, True, False]
    assert duplicated_rows(frame.iloc[:0]).tolist() == []


def test_many_rows_with_many_repeats_match_pandas():
    # 5,000 rows drawn from 50³ value combinations: about a hundred rows repeat an earlier one
    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, size=(5000, 3)).astype(str)
    frame = pd.DataFrame(values, columns=["a", "b", "c"]).astype("category")
    expected = frame.duplicated(keep="first").tolist()
    assert sum(expected) > 20
    assert duplicated_rows(frame).tolist() == expected


def test_validation_warns_on_the_repeated_ledger_row(tmp_path):
    """The ledger warning names the repeat's row (the copy appended last), not the original."""
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    lines = (book / "ledger.csv").read_text(encoding="utf-8").splitlines()
    (book / "ledger.csv").write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    report = validate_book(book)
    repeats = [p for p in report.warnings if "repeats an earlier row" in p.expected]
    assert [(p.file, p.row) for p in repeats] == [("ledger.csv", len(lines) + 1)]
