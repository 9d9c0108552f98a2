"""validate_book's work on threads (issue #16): the ledger's amounts converted while the tables before it
are parsed, its repeated rows found while its columns are parsed. A thread's value, or its error, reaches
the caller as if the function had run in the caller's thread."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from udfi.background import on_a_thread
from udfi.validate import _plain_cents


def test_a_threads_value_is_the_functions():
    assert on_a_thread(sum, [1, 2, 3]).result() == 6


def test_a_threads_error_is_raised_in_the_caller():
    def broken(value):
        raise ArithmeticError(f"bad figure {value}")

    with pytest.raises(ArithmeticError, match="bad figure 7"):
        on_a_thread(broken, 7).result()


def test_plain_cents_convert_only_columns_of_plain_amounts():
    """12.5 → 1,250 cents, -3 → -300; a column with "$1,000" in it is left to the cell parser (absent)."""
    text = pd.ArrowDtype(pa.string())
    raw = pd.DataFrame({"amount": pd.Series(["12.5", "-3", "0.07"], dtype=text),
                        "principal": pd.Series(["$1,000", "2", "3"], dtype=text),
                        "memo": pd.Series(["a", "b", "c"], dtype=text)})
    cents = _plain_cents(raw, frozenset({"amount", "principal", "absent"}))
    assert list(cents) == ["amount"] and cents["amount"].tolist() == [1250, -300, 7]
