"""Validation runs the schema's constraints as column operations (`validate_cells._constraint_failures`);
the pandera schema built from the same YAML (`schemas.pandera_schema`) is the reference. For random
typed tables both must name the same (column, check, row) failures, in the same order."""

from __future__ import annotations

import pandas as pd
import pandera.errors
from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.schemas import pandera_schema, table_specs
from udfi.column_codes import ColumnCodes
from udfi.validate_cells import _constraint_failures

SPECS = table_specs()


def _column_values(column, size):
    if column.type == "money":
        return st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=size, max_size=size).map(
            lambda values: pd.array(values, dtype="Int64"))
    if column.type == "enum":
        choices = list(column.values)[:2] + ["bogus"]
        return st.lists(st.one_of(st.none(), st.sampled_from(choices)), min_size=size, max_size=size)
    return st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), min_size=size, max_size=size)


@st.composite
def typed_tables(draw):
    name = draw(st.sampled_from(["accounts", "properties", "loans", "ledger", "payments"]))
    spec = SPECS[name]
    size = draw(st.integers(0, 8))
    columns = [column for column in spec.columns if column.type in ("money", "enum", "text", "ein")]
    data = {column.name: draw(_column_values(column, size)) for column in columns}
    labels = sorted(draw(st.sets(st.integers(0, 40), min_size=size, max_size=size)))
    return spec, pd.DataFrame(data, index=pd.Index(labels, dtype="int64"))


def _pandera_failures(spec, frame):
    try:
        pandera_schema(spec).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return [(case.column, str(case.check).split("(")[0], int(case.index))
                for case in cases.itertuples(index=False)
                if case.check != "not_nullable" and case.index is not None and case.index == case.index]
    return []


@settings(max_examples=20, deadline=None)
@given(typed_tables())
def test_column_checks_match_pandera(table):
    spec, frame = table
    ours = [(column, check, int(row)) for column, check, rows in _constraint_failures(spec, frame) for row in rows]
    assert ours == _pandera_failures(spec, frame)
    # the same with the parser's column codes (an enumeration checked once per distinct value)
    by_codes = _constraint_failures(spec, frame, ColumnCodes({spec.table: frame}))
    assert [(column, check, int(row)) for column, check, rows in by_codes for row in rows] == ours


def test_repeated_id_is_reported_at_every_occurrence_but_empty_ids_are_not():
    spec = SPECS["properties"]
    frame = pd.DataFrame({"property_id": ["P1", None, "P1", None, "P2"],
                          "cost_basis": pd.array([100, -1, None, 5, 0], dtype="Int64")})
    failures = {(column, check): rows.tolist() for column, check, rows in _constraint_failures(spec, frame)}
    assert failures[("property_id", "field_uniqueness")] == [0, 2]
    assert failures[("cost_basis", "greater_than_or_equal_to")] == [1]   # cost_basis ≥ 0
