"""Profiles found by name (through udfi.resources, as after a normal install), `extends:`, property
maps, and `udfi import --draft-profile`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from udfi import resources
from udfi.cli import app
from udfi.imports import ImportOptions, ProfileError, import_ledger, load_profile, resolve_profile, shipped_profiles

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "imports"
SHIPPED = {"quickbooks-gl", "quickbooks-desktop-gl", "quickbooks-online-gl", "appfolio-gl", "buildium-gl"}


def test_shipped_profiles_resolve_by_name_through_resources():
    folder = resources.schemas_dir() / "profiles"
    assert SHIPPED <= set(shipped_profiles())
    for name in SHIPPED:
        assert resolve_profile(name) == folder / f"{name}.yaml"
        assert resolve_profile(f"{name}.yaml") == folder / f"{name}.yaml"


def test_packaged_data_folder_is_preferred(tmp_path, monkeypatch):
    """A wheel carries schemas/ under udfi/_data (pyproject force-include): names resolve there."""
    package = tmp_path / "udfi"
    (package / "_data" / "schemas" / "profiles").mkdir(parents=True)
    shutil.copy(ROOT / "schemas" / "profiles" / "appfolio-gl.yaml", package / "_data" / "schemas" / "profiles")
    monkeypatch.setattr(resources, "_PACKAGE", package)
    assert resolve_profile("appfolio-gl") == package / "_data" / "schemas" / "profiles" / "appfolio-gl.yaml"


def test_unknown_profile_name_suggests_the_nearest():
    with pytest.raises(ProfileError, match=r"did you mean quickbooks-online-gl"):
        resolve_profile("quickbooks-onlin")
    outcome = CliRunner().invoke(app, ["import", str(FIXTURES / "appfolio" / "gl.csv"), "--profile", "appfolo-gl",
                                       "--into", str(FIXTURES / "appfolio")])
    assert outcome.exit_code == 2 and "did you mean appfolio-gl" in outcome.output


def test_extends_puts_the_childs_rules_first_and_merges_the_source(tmp_path):
    child = tmp_path / "mine.yaml"
    child.write_text("extends: quickbooks-online-gl\n"
                     "source: {date: {format: '%d/%m/%Y'}}\n"
                     "accounts:\n  - {exact: 'Rental Income:412 Maple Ct', category: other_income, property_id: P-MAPLE}\n"
                     "lookups: {property_id: {'88 Birch Ln': P-BIRCH}}\n")
    profile = load_profile(child)
    parent = load_profile("quickbooks-online-gl")
    assert profile.name == "quickbooks-online-gl"  # inherited: the child gave none
    assert profile.date_format == "%d/%m/%Y" and profile.date_column == "Date"
    assert profile.amount_positive == "natural" and profile.headings == parent.headings
    # Skip rules are tried first, then the child's account rule, then the parent's account rules.
    skips = sum(1 for rule in parent.rules if rule.category is None)
    assert profile.rules[skips].exact == "Rental Income:412 Maple Ct"
    assert profile.rules[skips].category == "other_income"
    assert [rule.exact for rule in profile.rules if rule.exact] == ["Rental Income:412 Maple Ct"]
    assert len(profile.rules) == len(parent.rules) + 1
    assert profile.property_ids == {"88 Birch Ln": "P-BIRCH"}


def test_extends_loop_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\naccounts: []\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\naccounts: []\n")
    with pytest.raises(ProfileError, match="loops"):
        load_profile(tmp_path / "a.yaml")


def _book(tmp_path: Path, vendor: str) -> Path:
    book = tmp_path / vendor
    shutil.copytree(FIXTURES / vendor, book)
    return book


def test_draft_profile_lists_every_unmapped_account_and_is_refused_until_filled(tmp_path):
    book = _book(tmp_path, "quickbooks-online")
    # A customer's own chart: their water account and their loan account names are not in the profile.
    # Its heading rows read "Water Bills" and "Loan Payments" where the profile expects "Utilities" and
    # "Mortgage Payments" (sub-accounts per property and per loan below them).
    lines = (book / "gl.csv").read_text().splitlines()
    renamed = {"Utilities": "Water Bills", "Total for Utilities with sub-accounts": "Total for Water Bills with sub-accounts",
               "Mortgage Payments": "Loan Payments",
               "Total for Mortgage Payments with sub-accounts": "Total for Loan Payments with sub-accounts"}
    lines = [renamed[line.split(",")[0]] + line[len(line.split(",")[0]):] if line.split(",")[0] in renamed else line
             for line in lines]
    (book / "gl.csv").write_text("\n".join(lines) + "\n")
    draft = tmp_path / "draft.yaml"
    outcome = CliRunner().invoke(app, ["import", str(book / "gl.csv"), "--profile", "quickbooks-online-gl",
                                       "--into", str(book), "--draft-profile", str(draft)])
    assert outcome.exit_code == 0, outcome.output
    assert not (book / "ledger.csv").exists()
    data = yaml.safe_load(draft.read_text())
    assert data["extends"] == "quickbooks-online-gl"
    assert {entry["exact"] for entry in data["accounts"]} == {"Water Bills:412 Maple Ct", "Water Bills:88 Birch Ln",
                                                              "Loan Payments:L-MAPLE", "Loan Payments:L-BIRCH"}
    assert all(entry["category"] is None for entry in data["accounts"])
    lines = draft.read_text()
    assert "suggested: utilities" in lines and "suggested: mortgage_payment" in lines
    assert '{exact: "Loan Payments:L-BIRCH", category: null, loan_id: null}' in lines
    assert "3 row(s)" in lines  # the water account's rows, counted
    with pytest.raises(ProfileError, match=r"accounts\[\d\] \(exact 'Loan Payments:L-MAPLE'\): category must be"):
        load_profile(draft)

    # Filled in, the draft imports the whole export.
    filled = lines
    for name, rule in {"Water Bills:412 Maple Ct": "category: utilities, property_id: P-MAPLE",
                       "Water Bills:88 Birch Ln": "category: utilities, property_id: P-BIRCH",
                       "Loan Payments:L-MAPLE": "category: mortgage_payment, loan_id: L-MAPLE",
                       "Loan Payments:L-BIRCH": "category: mortgage_payment, loan_id: L-BIRCH"}.items():
        target = "loan_id" if "Loan" in name else "property_id"
        filled = filled.replace(f'{{exact: "{name}", category: null, {target}: null}}', f'{{exact: "{name}", {rule}}}')
    draft.write_text(filled)
    options = ImportOptions(lender=_schedule(book))
    result = import_ledger(book / "gl.csv", draft, book, options=options)
    assert result.ok, [str(p) for p in result.problems]


def _schedule(book: Path):
    from udfi.imports import LenderFiles

    return LenderFiles(schedules=(book / "lender-schedule.csv",))


def test_draft_without_a_profile_guesses_the_layout(tmp_path):
    book = _book(tmp_path, "appfolio")
    draft = tmp_path / "draft.yaml"
    outcome = CliRunner().invoke(app, ["import", str(book / "gl.csv"), "--into", str(book),
                                       "--draft-profile", str(draft)])
    assert outcome.exit_code == 0, outcome.output
    data = yaml.safe_load(draft.read_text())
    source = data["source"]
    assert source["date"] == {"column": "Date", "format": "%m/%d/%Y"}
    assert source["account"] == {"heading": "A"} and source["property"] == {"column": "Property"}
    assert source["amount"] == {"debit": "Debit", "credit": "Credit"}
    names = {entry["exact"] for entry in data["accounts"]}
    assert "4100 - Rent Income" in names and "6900 - Mortgage Payment" in names
    # The manager's property names are listed for a property_id each.
    assert set(data["lookups"]["property_id"]) == {"Maple Court - 412 Maple Ct Tacoma, WA",
                                                   "Birch Lane Duplex - 88 Birch Ln Tacoma, WA"}
    # Cash and deposits are suggested as skips, commented out: nothing is skipped unreviewed.
    assert "# - {exact: \"1150 - Operating Cash\"}" in draft.read_text() and data["skip"] is None


def test_property_map_file_errors_are_located(tmp_path):
    book = _book(tmp_path, "appfolio")
    (book / "property-map.csv").write_text('source_property,property_id\n"Maple Court - 412 Maple Ct Tacoma, WA",\n')
    result = import_ledger(book / "gl.csv", "appfolio-gl", book,
                           options=ImportOptions(property_map=book / "property-map.csv"))
    problem = next(p for p in result.problems if p.file == "property-map.csv")
    assert problem.rows == [2] and problem.column == "property_id"
