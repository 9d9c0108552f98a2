"""The fast CSV reader (pyarrow, dictionary-encoded columns) reads every file it accepts exactly as
pandas' C parser does — same rows, same row numbers, same cell text, same problems — and hands every
other file to pandas. Checked on generated files built from the characters that make CSV hard:
quotes, separators, the three line endings, blanks, NUL, non-ASCII."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from udfi import reading

HEADER = "date,property_id,amount"
CELLS = st.sampled_from(["", "x", " y ", "2022-01-01", "12.50", '"q"', '"a,b"', '"two\nlines"', '"say ""hi"""',
                         'a"b', '"open', "é", "\t", "\x00", ",", "\n", "\r\n", "\r", " "])


def _read(path: Path, fast: bool, monkeypatch) -> tuple[pd.DataFrame | None, list]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(reading, "_arrow_frame", lambda *args: None)
        return reading.read_csv_table(path, path.name, True)


def _cells(frame: pd.DataFrame | None):
    if frame is None:
        return None
    return list(frame.columns), frame.index.tolist(), frame.astype(object).to_numpy().tolist()


def test_a_plain_file_takes_the_fast_path_as_categoricals(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "\n2022-01-01,P1,12.50\n2022-01-02,P1,12.50\n", encoding="utf-8")
    frame = reading._arrow_frame(path, HEADER.split(","), HEADER.split(","))
    assert frame is not None and all(isinstance(dtype, pd.CategoricalDtype) for dtype in frame.dtypes)
    assert frame["property_id"].tolist() == ["P1", "P1"] and len(frame["property_id"].cat.categories) == 1


def test_a_file_with_a_quote_goes_to_pandas(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + '\n2022-01-01,"P1",12.50\n', encoding="utf-8")
    assert reading._arrow_frame(path, HEADER.split(","), HEADER.split(",")) is None
    frame, problems = reading.read_csv_table(path, path.name, True)
    assert problems == [] and frame["property_id"].tolist() == ["P1"]


def test_a_short_or_a_long_row_goes_to_pandas(tmp_path):
    path = tmp_path / "ledger.csv"
    for body in ("2022-01-01,P1\n", "2022-01-01,P1,1,extra\n"):
        path.write_text(HEADER + "\n" + body, encoding="utf-8")
        assert reading._arrow_frame(path, HEADER.split(","), HEADER.split(",")) is None


def test_a_blank_line_is_dropped_and_the_row_numbers_stay_the_files(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "\n2022-01-01,P1,1\n\n2022-01-02,P1,2\n", encoding="utf-8")
    frame, problems = reading.read_csv_table(path, path.name, True)
    # data rows 0 and 2 (spreadsheet rows 2 and 4); the blank line between them is row 3
    assert problems == [] and frame.index.tolist() == [0, 2] and frame["amount"].tolist() == ["1", "2"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=8),
       st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_fast_and_pandas_readers_agree(monkeypatch, lines, newline, bom):
    text = HEADER + newline + newline.join(",".join(cells) for cells in lines) + newline
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        fast, fast_problems = _read(path, True, monkeypatch)
        slow, slow_problems = _read(path, False, monkeypatch)
    assert fast_problems == slow_problems
    assert _cells(fast) == _cells(slow)


@pytest.mark.parametrize("body", ['"a\nb",P1,1\n', 'x,"P,1",2\n', 'x,P1,"3"\r\n'])
def test_quoted_values_keep_their_text(tmp_path, monkeypatch, body):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    assert _cells(_read(path, True, monkeypatch)[0]) == _cells(_read(path, False, monkeypatch)[0])
