"""Derivations: every line of the account object explains itself, values tie, references resolve,
Part V lines 2 and 3b reach ledger rows, and `udfi explain` prints a chain for every line key."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from udfi.cli import app
from udfi.cli.explain import build_tree
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.explain import add_derivations, derivations, line_keys, line_value
from udfi.validate import validate_book

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"
YEARS = (2020, 2021, 2022, 2023)


@pytest.fixture(scope="module")
def explained():
    book = validate_book(SAMPLE).book
    cases = []
    for year in YEARS:
        for result in compute_book(book, year):
            data = account_object(result)
            cases.append((year, result, data, derivations(result, book, data)))
    return book, cases


def _reachable(derived: dict, key: str) -> list[str]:
    seen, stack = [], [key]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        stack += [value["ref"] for value in derived[current]["inputs"].values()
                  if isinstance(value, dict) and "ref" in value]
    return seen


def test_every_line_key_has_a_derivation_with_the_same_value(explained):
    _, cases = explained
    for year, result, data, derived in cases:
        keys = line_keys(data)
        assert keys, (year, result.account_id)
        for key in keys:
            assert key in derived, (year, result.account_id, key)
            assert derived[key]["value"] == line_value(data, key), (year, result.account_id, key)
            assert derived[key]["operation"] and derived[key]["citation"], (year, key)


def test_references_resolve_to_the_referenced_value(explained):
    _, cases = explained
    for _, _, _, derived in cases:
        for key, node in derived.items():
            assert set(node) >= {"value", "operation", "inputs", "citation"}, key
            for value in node["inputs"].values():
                if isinstance(value, dict) and "ref" in value:
                    assert derived[value["ref"]]["value"] == value["value"], (key, value)


def test_part_v_columns_are_aliases_of_the_properties(explained):
    _, cases = explained
    for _, _, data, derived in cases:
        part_v = [item for item in data["properties"] if item["debt_financed"]]
        for letter, item in zip("ABC", part_v):
            assert derived[f"schedule_a.part_v.{letter}.6"]["value"] == item["part_v"]["6"]
            assert derived[f"schedule_a.part_v.{letter}.7"]["inputs"][item["property_id"]]["ref"] == \
                f"schedule_a.part_v.{item['property_id']}.7"


def test_part_v_lines_2_and_3b_reach_the_ledger_rows(explained):
    book, cases = explained
    ledger = book.ledger.set_index("source_row")
    for year, result, data, derived in cases:
        for item in data["properties"]:
            for line in ("2", "3b"):
                key = f"schedule_a.part_v.{item['property_id']}.{line}"
                sources = [derived[node]["source"] for node in _reachable(derived, key)
                           if derived[node].get("source", {}).get("file") == "ledger.csv"
                           and derived[node]["source"]["filter"].get("property_id") == item["property_id"]]
                rows = sorted({row for source in sources for row in source["rows"]})
                if item["part_v"][line]:
                    assert rows, (year, key)
                # the rows listed are exactly what the figure sums: rows of this property and year
                for row in rows:
                    assert ledger.loc[row, "property_id"] == item["property_id"]
                    assert ledger.loc[row, "date"].year == year
                if line == "2":
                    cents = int(ledger.loc[rows, "amount_cents"].sum()) if rows else 0
                    assert round(cents / 100) == item["part_v"]["2"] or abs(cents / 100 - item["part_v"]["2"]) <= 0.5


def test_add_derivations_adds_a_json_serializable_key(explained):
    book, cases = explained
    _, result, data, _ = cases[-1]
    account = dict(data)
    returned = add_derivations(account, result, book)
    assert returned is account and "derivations" in account
    text = json.dumps(account)
    assert json.loads(text)["derivations"]["form_990t.part_i.11"]["value"] == data["form_990t"]["part_i"]["11"]
    without_book = derivations(result)  # prepare passes no book: ledger figures name their filter only
    node = without_book[f"property.{data['properties'][0]['property_id']}.rent"]
    assert node["source"]["file"] == "ledger.csv" and "rows" not in node["source"]


def _render(derived: dict, key: str, depth: int | None) -> str:
    console = Console(file=io.StringIO(), width=140, color_system=None)
    console.print(build_tree(derived, key, shown_rows=5, max_depth=depth))
    return console.file.getvalue()


def test_explain_tree_renders_for_every_line_key(explained):
    """Every key's tree is built in full; it is printed two levels deep (printing a whole return's
    tree ~500 times is slow), and in full for the heaviest line of each year."""
    _, cases = explained
    for year, result, data, derived in cases:
        for key in line_keys(data):
            build_tree(derived, key)
            assert _render(derived, key, 2).startswith(f"{key} = "), (year, key)
        full = _render(derived, "form_990t.part_ii.2", None)
        assert "(shown above)" in full or len(full.splitlines()) > 10
        if any(item["part_v"]["2"] for item in data["properties"] if item["debt_financed"]):
            assert "ledger.csv" in full, (year, result.account_id)


def test_udfi_explain_cli_reaches_ledger_rows():
    runner = CliRunner()
    result = runner.invoke(app, ["explain", str(SAMPLE), "--year", "2023", "--account", "IRA-CHEN",
                                 "--line", "schedule_a.part_v.A.3b", "--rows", "3"], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "ledger.csv (property_id=P-MAPLE, category=taxes" in result.output
    assert "more)" in result.output or "rows —" in result.output
    listing = runner.invoke(app, ["explain", str(SAMPLE), "--year", "2023", "--account", "IRA-CHEN"])
    assert listing.exit_code == 0 and "form_990t.part_i.11 = " in listing.output
    missing = runner.invoke(app, ["explain", str(SAMPLE), "--year", "2023", "--account", "IRA-CHEN",
                                  "--line", "no.such.line"])
    assert missing.exit_code == 2


def test_explain_needs_no_account_option_for_a_one_account_book(tmp_path):
    from bookbuilder import write_book

    book = write_book(tmp_path / "book", properties=[{
        "property_id": "P1", "account_id": "A1", "description": "1 Main St, Columbus, OH 43215",
        "property_type": "residential_rental", "acquired_on": "2021-01-04", "cost_basis": "100000.00",
        "land_value": "20000.00"}])
    one = CliRunner().invoke(app, ["explain", str(book), "--year", "2022", "--line", "form_990t.part_i.11"])
    assert one.exit_code == 0, one.output
    assert one.stdout.startswith("form_990t.part_i.11 = ")
    # several accounts: a usage error that names an account to pick
    several = CliRunner().invoke(app, ["explain", str(Path(__file__).parent.parent / "fixtures" / "sample"), "--year", "2022", "--line", "form_990t.part_i.11"])
    assert several.exit_code == 2 and "--account IRA-CHEN" in several.output
