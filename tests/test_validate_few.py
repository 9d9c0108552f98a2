"""The two cell parsers agree: `validate_few.parse_few` (a column's few distinct values one by one) and
`validate_cells._parse_columnwise` (whole-column pandas operations, for many values) give the same typed
values (dtype, missing values included) and the same problems in the same order, on any text."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from udfi.reading import ERROR, WARNING
from udfi.schemas import ColumnSpec, table_specs
from udfi.validate_cells import _parse_columnwise, _parse_money
from udfi.validate_few import parse_few

SPECS = table_specs()


class Recorder:
    """The `add_rows` both parsers call, recorded as plain tuples (positions as ints, values as text)."""

    def __init__(self):
        self.calls = []

    def add_rows(self, severity, table, rows, column, values, expected):
        rows = [int(row) for row in rows]
        if not rows:
            return
        if isinstance(values, pd.Series):
            values = values.astype(str).tolist()
        self.calls.append((severity, table, rows, column, None if values is None else list(values), expected))


def column_of(table: str, name: str, **changes) -> tuple:
    spec = SPECS[table]
    column = spec.column(name)
    return spec, ColumnSpec(**{**column.__dict__, **changes})


# one column of each kind the schemas have, and variants (required, a default)
COLUMNS = {
    "money": column_of("ledger", "amount"),
    "money_min": column_of("properties", "cost_basis"),
    "money_gt": column_of("loans", "principal"),
    "date": column_of("ledger", "date"),
    "enum": column_of("accounts", "account_type"),
    "enum_default": column_of("accounts", "account_type", default="traditional_ira", required=False),
    "bool": column_of("loans", "recourse"),
    "text": column_of("ledger", "memo"),
    "text_required": column_of("ledger", "property_id"),
    "ein": column_of("accounts", "ein"),
    "year": column_of("payments", "tax_year"),
}

# digits of other scripts (Python's \d and int() read them), whitespace Python and Arrow strip, the
# characters amounts and dates are made of, and 'İ' (Arrow lowers it to the ASCII 'i')
ALPHABET = st.sampled_from(list("0123456789012345678900000$(),.-/ eEtTfFnNyY") +
                           ["١", "٢", "５", "\u00a0", "\u2003", "\t", "İ", "é", "\n"])
PIECES = st.sampled_from(["1,234.56", "(45.00)", "$-12", "-$12", "2021-02-29", "2020-02-29", "0000-01-01",
                          "1899-12-31", "2100-12-31", "2101-01-01", "13/01/2021", "1/2/2021", "12-3456789",
                          "123-45-6789", "123456789", "true", "No", "roth_ira", "ROTH_İRA", "traditional_ira",
                          "2022", "1e17", "999999999999999999", "184467440737095516", "1234567890123456789",
                          ".5", "1.234", "100000000000000.00", "1000000000000.01", "", " "])
VALUE = st.one_of(st.text(ALPHABET, max_size=22), PIECES,
                  st.tuples(PIECES, st.text(ALPHABET, max_size=3)).map("".join))


def both(kind: str, values: list[str], date_format: str):
    spec, column = COLUMNS[kind]
    few, columnwise = Recorder(), Recorder()
    typed_few = parse_few(spec, column, list(values), few, date_format, error=ERROR, warning=WARNING)
    typed_columnwise = _parse_columnwise(spec, column, pd.Series(values, dtype=object), columnwise, date_format)
    return (typed_few, few.calls), (typed_columnwise, columnwise.calls)


@pytest.mark.parametrize("kind", sorted(COLUMNS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(VALUE, max_size=12, unique=True), mdy=st.booleans())
def test_few_values_parse_like_whole_columns(kind, values, mdy):
    (typed_few, problems_few), (typed_columnwise, problems_columnwise) = both(kind, values, "MDY" if mdy else "ISO")
    assert problems_few == problems_columnwise
    assert typed_few.dtype == typed_columnwise.dtype
    pd.testing.assert_series_equal(typed_few.reset_index(drop=True), typed_columnwise.reset_index(drop=True),
                                   check_exact=True, check_index_type=False)
    if typed_few.dtype == object:   # missing is NaN in both, never None
        assert [type(value) for value in typed_few] == [type(value) for value in typed_columnwise]


def test_an_amount_that_wraps_int64_is_refused_by_both_parsers():
    """184467440737095516 × 100 = 18,446,744,073,709,551,600 = 2^64 − 16: in int64 the ×100 wrapped to
    −16 cents and the amount was accepted as −$0.16. Exactly it is $184,467,440,737,095,516 (18 digits,
    so not refused for its digit count) — beyond the $1,000,000,000,000.00 bound, in both parsers."""
    values = ["184467440737095516", "$184,467,440,737,095,516", "1000000000000.00", "1000000000000.01"]
    for (typed, problems) in both("money", values, "ISO"):
        assert typed.isna().tolist() == [True, True, False, True]
        assert typed[2] == 100_000_000_000_000   # exactly at the bound: accepted
        assert [call[2] for call in problems] == [[0, 1, 3]]
        assert problems[0][5].startswith("an amount of at most $1,000,000,000,000.00")
    cents, bad, _, too_large = _parse_money(pd.Series(values, dtype="str"))
    assert bad.tolist() == too_large.tolist() == [True, True, False, True]
