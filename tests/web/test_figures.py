"""The Check-a-year page's map of explained lines names only lines the return has (udfi.explain keys)."""

from __future__ import annotations

from bookbuilder import compute
from udfi.engine.report import account_object
from udfi.explain import derivations, line_keys
from udfi.web.figures import PART_V_LINES, RETURN_LINES, explained_keys, explained_subset

from .conftest import SAMPLE


def test_every_explained_line_is_a_line_of_the_return_with_a_derivation():
    results = compute(SAMPLE, 2022)
    for result in results.values():
        data = account_object(result)
        keys = set(line_keys(data))
        derived = derivations(result, None, data)
        for key, caption in explained_keys(data):
            assert key in keys and key in derived, key
            assert caption
    assert {line for line, _ in PART_V_LINES} <= {"2", "3a", "3b", "3c", "4", "5", "6", "7", "9"}
    assert all(key.split(".")[0] in ("schedule_a", "form_990t") for key, _ in RETURN_LINES)


def test_explained_subset_keeps_the_inputs_it_links_to():
    result = compute(SAMPLE, 2022)["IRA-CHEN"]
    data = account_object(result)
    lines = explained_subset(data, derivations(result, None, data))
    tax = next(line for line in lines if line["key"] == "form_990t.part_ii.2")
    assert tax["nodes"]["form_990t.part_ii.2"]["value"] == 1576
    assert "form_990t.part_i.11" in tax["nodes"]  # its input, one level down
