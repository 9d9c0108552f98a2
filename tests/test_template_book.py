"""`udfi init`: the template matches the schemas, an untouched template says what is still to fill in,
and a filled-in template gives the same answer as the same book written as CSV files."""

from __future__ import annotations

import json
import stat

import openpyxl
import pytest
from typer.testing import CliRunner

import investor_book
from udfi.cli import app
from udfi.schemas import table_specs
from udfi.template_book import EXAMPLE_MARK, EXAMPLES, LISTS_SHEET, example_value, write_template
from udfi.validate import validate_book

runner = CliRunner()


def test_examples_name_only_schema_columns_and_cover_every_table():
    specs = table_specs()
    assert set(EXAMPLES) == set(specs)
    for table, row in EXAMPLES.items():
        assert set(row) <= set(specs[table].column_names), table


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_untouched_template_lists_what_is_still_to_fill_in(tmp_path, xlsx):
    write_template(tmp_path / "book", xlsx=xlsx)
    book = tmp_path / "book" / "book.xlsx" if xlsx else tmp_path / "book"
    result = runner.invoke(app, ["validate", str(book), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    flagged = {(problem["file"].split("[")[-1].removesuffix("]").removesuffix(".csv"), problem["column"])
               for problem in report["problems"] if problem["severity"] == "error"}
    # every typed example cell ("e.g. …") and every required cell left empty is reported, at row 2
    expected = set()
    for table, spec in table_specs().items():
        for column in spec.columns:
            if example_value(spec, column).startswith(EXAMPLE_MARK) or (column.required and not example_value(spec, column)):
                expected.add((table, column.name))
    assert expected <= flagged
    assert {problem["row"] for problem in report["problems"]} == {2}
    assert ("accounts", "name") in flagged and ("properties", "description") in flagged
    # nothing else than those cells: the identifiers of the example are consistent with one another
    assert flagged == expected


def test_untouched_template_in_the_table_output_too(tmp_path):
    write_template(tmp_path / "book")
    result = runner.invoke(app, ["validate", str(tmp_path / "book")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "INVALID" in result.output and "e.g." in result.output


def test_workbook_has_instructions_drop_downs_and_input_checks(tmp_path):
    write_template(tmp_path / "book", xlsx=True)
    workbook = openpyxl.load_workbook(tmp_path / "book" / "book.xlsx")
    specs = table_specs()
    assert workbook.sheetnames[0] == "instructions"
    assert set(specs) <= set(workbook.sheetnames)
    assert workbook[LISTS_SHEET].sheet_state == "hidden"
    guide = "\n".join(str(cell.value) for cell in workbook["instructions"]["A"] if cell.value)
    for spec in specs.values():
        assert spec.table in guide
        for column in spec.columns:
            assert column.name in guide
    lists = workbook[LISTS_SHEET]
    for name, spec in specs.items():
        sheet = workbook[name]
        assert [cell.value for cell in sheet[1]] == list(spec.column_names)
        checks = {str(check.sqref).split(":")[0]: check for check in sheet.data_validations.dataValidation}
        for index, column in enumerate(spec.columns):
            letter = openpyxl.utils.get_column_letter(index + 1)
            check = checks[f"{letter}2"]
            if column.type == "enum":
                # the drop-down's range on the hidden sheet holds exactly the schema's values
                reference = check.formula1.split("!")[1].replace("$", "")
                values = [cell.value for row in lists[reference] for cell in row]
                assert check.type == "list" and values == list(column.values), (name, column.name)
            elif column.type == "bool":
                assert check.type == "list" and check.formula1 == '"true,false"'
            elif column.type == "date":
                assert check.type == "date"
            elif column.type == "money":
                assert check.type == "decimal"
            elif column.type == "year":
                assert check.type == "whole"
            elif column.type == "ein":
                assert check.type == "textLength"
            assert check.prompt, (name, column.name)


def test_init_command_writes_owner_only_files_and_refuses_a_non_empty_folder(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "mybook"), "--xlsx"])
    assert result.exit_code == 0, result.output
    workbook = tmp_path / "mybook" / "book.xlsx"
    assert stat.S_IMODE(workbook.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mybook").stat().st_mode) == 0o700
    before = workbook.read_bytes()
    again = runner.invoke(app, ["init", str(tmp_path / "mybook")])
    assert again.exit_code == 2 and "not empty" in again.output and "Traceback" not in again.output
    assert workbook.read_bytes() == before and sorted(p.name for p in (tmp_path / "mybook").iterdir()) == ["book.xlsx"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_filled_template_gives_the_same_answer_as_the_csv_book(tmp_path):
    """udfi init + filling one property (Excel date and number cells) = the same book as CSV files."""
    write_template(tmp_path / "filled", xlsx=True)
    workbook = investor_book.fill_template(tmp_path / "filled" / "book.xlsx")
    folder = investor_book.write_csv(tmp_path / "csv")
    report = validate_book(workbook)
    assert report.ok, [problem.as_dict() for problem in report.errors]
    answers = []
    for book in (workbook, folder):
        result = runner.invoke(app, ["check", str(book), "--year", str(investor_book.YEAR), "--format", "json"])
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.output))
    assert answers[0] == answers[1]
    assert answers[0]["accounts"][0]["status"] == "file"
