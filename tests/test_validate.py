"""The importer's contract: every problem located by file, row (header = row 1) and column."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from udfi.cli import app
from udfi.validate import validate_book

INVALID = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"
KINDS = sorted(path.name for path in INVALID.iterdir() if (path / "expected.json").exists())


def test_base_of_invalid_fixtures_is_valid():
    report = validate_book(INVALID / "_base")
    assert report.ok and not report.warnings, report.problems


@pytest.mark.parametrize("kind", KINDS)
def test_each_invalid_book_reports_the_exact_location(kind):
    expected = json.loads((INVALID / kind / "expected.json").read_text())
    report = validate_book(INVALID / kind)
    located = [(p.severity, p.file, p.row, p.column) for p in report.problems]
    assert (expected["severity"], expected["file"], expected["row"], expected["column"]) in located, located
    if expected["severity"] == "error":
        assert not report.ok
    else:
        assert report.ok, report.errors


@pytest.mark.parametrize("kind", ["ssn-instead-of-ein", "principal-below-zero", "refinance-loop"])
def test_cli_exit_status_and_json(kind):
    outcome = CliRunner().invoke(app, ["validate", str(INVALID / kind), "--format", "json"])
    assert outcome.exit_code == 1
    document = json.loads(outcome.stdout)
    assert document["valid"] is False and document["errors"] >= 1
    assert {"file", "row", "column", "value", "expected"} <= set(document["problems"][0])


def test_ssn_is_never_echoed():
    outcome = CliRunner().invoke(app, ["validate", str(INVALID / "ssn-instead-of-ein"), "--format", "json"])
    assert "123-45-6789" not in outcome.stdout
    assert "***-**-6789" in outcome.stdout


def test_sample_book_is_valid():
    outcome = CliRunner().invoke(app, ["validate", "fixtures/sample"])
    assert outcome.exit_code == 0, outcome.output
    assert "valid" in outcome.output


def test_money_formats_parse_to_exact_cents():
    report = validate_book(INVALID / "_base")
    amounts = report.book.ledger["amount_cents"].tolist()
    assert amounts == [180000, 56250, 25000, 180000, 30000, -4500]  # "$1,800.00" and "(45.00)" included


def test_excel_workbook_is_read_like_csv(tmp_path):
    """One .xlsx with sheets of the same names; Excel date cells are accepted."""
    workbook = tmp_path / "book.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        for table in ("accounts", "properties", "loans", "ledger"):
            frame = pd.read_csv(INVALID / "_base" / f"{table}.csv", dtype=str, keep_default_na=False)
            if table == "ledger":
                frame["date"] = pd.to_datetime(frame["date"])  # real date cells
                frame["amount"] = frame["amount"].astype(object)
                frame.loc[0, "amount"] = 1800.0  # a numeric cell
            frame.to_excel(writer, sheet_name=table, index=False)
    report = validate_book(workbook)
    assert report.ok, report.problems
    assert report.book.ledger["amount_cents"].iloc[0] == 180000
    broken = tmp_path / "broken.xlsx"
    with pd.ExcelWriter(broken, engine="openpyxl") as writer:
        for table in ("accounts", "properties", "loans", "ledger"):
            frame = pd.read_csv(INVALID / "_base" / f"{table}.csv", dtype=str, keep_default_na=False)
            if table == "ledger":
                frame.loc[2, "amount"] = "abc"
            frame.to_excel(writer, sheet_name=table, index=False)
    problems = [(p.file, p.row, p.column) for p in validate_book(broken).errors]
    assert ("broken.xlsx[ledger]", 4, "amount") in problems


def test_problems_are_pinned_to_their_account():
    report = validate_book(INVALID / "land-over-cost")
    assert report.accounts_with_errors == {"A1"}
    assert not report.book_wide_errors


def test_docs_and_schemas_cannot_drift():
    """The README's format tables are generated from schemas/tables/*.yaml."""
    from udfi.schemas import markdown_tables
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert markdown_tables() in readme, "regenerate the README format section: udfi schema --markdown"


def test_a_row_of_no_known_account_does_not_stop_the_others():
    """A loan of a property that does not exist belongs to no account: it is reported and left out,
    and no structural (book-wide) error stops the other accounts."""
    report = validate_book(INVALID / "loan-of-unknown-property")
    assert not report.book_wide_errors
    assert [(p.file, p.row) for p in report.unattributed_errors] == [("loans.csv", 3)]
    missing = validate_book(INVALID / "required-column-missing")
    assert [(p.file, p.column) for p in missing.book_wide_errors] == [("properties.csv", "cost_basis")]


# 60 examples: each carries up to 30 amounts in 4 spellings; what the parser can get wrong is a class
# (sign, whole dollars or not, 1–14 digits hence 0–4 thousands separators: about 56 classes), and
# 60 examples (~900 amounts, ~3,600 texts) cover each many times; 200 cost ~5 s more for no new class.
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-10**13, max_value=10**13), min_size=1, max_size=30))
def test_money_text_round_trips_to_exact_cents(values):
    """Every accepted spelling of an amount parses to the same integer cents (no binary floats)."""
    from udfi.validate_cells import _parse_money

    def spellings(cents: int) -> list[str]:
        dollars, rest = divmod(abs(cents), 100)
        plain = f"{dollars}.{rest:02d}"
        grouped = f"{dollars:,}.{rest:02d}"
        if cents < 0:
            return [f"-{plain}", f"({grouped})", f"$({grouped})".replace("$(", "($"), f"-${grouped}"]
        return [plain, f"${grouped}", f" {grouped} ", f"{dollars}" if rest == 0 else f"{dollars}.{rest:02d}"]

    texts, expected = [], []
    for cents in values:
        for text in spellings(cents):
            texts.append(text)
            expected.append(cents)
    parsed, bad, _, _ = _parse_money(pd.Series(texts, dtype="str"))
    assert not bad.any(), [t for t, b in zip(texts, bad) if b]
    assert parsed.astype("int64").tolist() == expected
