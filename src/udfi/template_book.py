"""A ready book to fill in (`udfi init`): an .xlsx workbook or a folder of CSV files, built from the
table definitions in `schemas/tables/*.yaml` so it always matches what `udfi validate` checks.

Each table gets its headers and one example row. The example's typed cells (dates, amounts, years,
EINs, choices) read ``e.g. <value>``: they show the format, and the validator refuses them until they
are replaced, so `udfi validate` of an untouched template lists exactly what is still to fill in. The
name on the return and the property's address are left empty for the same reason — an example there
would pass validation and could reach a real return.

The workbook adds, per column, an input prompt with the column's meaning, drop-down lists for every
enumeration, and input checks for dates, amounts, years and EINs; an instructions sheet comes first.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

from udfi.schemas import TYPE_PROSE, ColumnSpec, TableSpec, table_specs

EXAMPLE_MARK = "e.g. "
WORKBOOK_NAME = "book.xlsx"
INSTRUCTIONS_FILE = "INSTRUCTIONS.txt"
INSTRUCTIONS_SHEET = "instructions"
LISTS_SHEET = "lists"
LAST_ROW = 20000  # input checks cover this many rows of every sheet

# The example row of every table. Identifiers are plain (any text is valid); every other filled value
# is written as "e.g. …"; None means the cell is left empty for the user (with the example as a note).
EXAMPLES: dict[str, dict[str, str | None]] = {
    "accounts": {"account_id": "IRA-1", "name": None, "ein": "12-3456789", "account_type": "traditional_ira"},
    "properties": {"property_id": "PROP-1", "account_id": "IRA-1", "description": None,
                   "property_type": "residential_rental", "acquired_on": "2022-03-15", "cost_basis": "250000.00",
                   "land_value": "50000.00"},
    "loans": {"loan_id": "LOAN-1", "property_id": "PROP-1", "originated_on": "2022-03-15", "principal": "150000.00"},
    "ledger": {"date": "2022-04-01", "property_id": "PROP-1", "category": "rent", "amount": "1850.00",
               "memo": "example row: replace it"},
    "depreciation": {"property_id": "PROP-1", "tax_year": "2022", "amount": "5555.56"},
    "loan_balances": {"loan_id": "LOAN-1", "as_of": "2023-01-01", "balance": "147900.00"},
    "carryovers": {"account_id": "IRA-1", "tax_year": "2022", "kind": "post2017_nol", "amount": "1200.00"},
    "payments": {"account_id": "IRA-1", "tax_year": "2023", "kind": "estimated", "date": "2023-04-18",
                 "amount": "500.00"},
    "account_years": {"account_id": "IRA-1", "tax_year": "2022", "book_value_eoy": "265000.00",
                      "foreign_account": "false", "foreign_trust": "false"},
    "k1s": {"account_id": "IRA-1", "tax_year": "2022", "partnership_id": "LP-1", "partnership_name": None,
            "partnership_ein": "98-7654321", "ubti": "2400.00", "gross_income": "6100.00",
            "profits_pct_beginning": "1.5", "profits_pct_end": "1.5", "capital_pct_beginning": "1.5",
            "capital_pct_end": "1.5"},
}
# What to type in the cells left empty, shown as the cell's note.
EMPTY_CELL_HINTS = {
    ("accounts", "name"): "Name as on the return, e.g. Acme Trust Co FBO Jane Doe IRA",
    ("properties", "description"): "Street address, city, state, ZIP, e.g. 12 Oak St, Columbus, OH 43215",
    ("k1s", "partnership_name"): "The partnership's name as on its Schedule K-1, e.g. Cedar Ridge Apartments LP",
}

def _tables_sentence() -> str:
    specs = table_specs().values()
    required = ", ".join(spec.table for spec in specs if spec.required)
    optional = ", ".join(spec.table for spec in specs if not spec.required)
    return f"Fill in one sheet per table: {required} are required; {optional} are optional."


STEPS = (
    _tables_sentence(),
    "Row 2 of every sheet is an example. Replace it with your own data, or delete it on an optional sheet "
    "you do not need (keep the header row). Cells that start with 'e.g.' are refused until you replace them.",
    "Header row: do not rename or reorder the columns udfi needs; optional columns may be left empty.",
    "Dates as YYYY-MM-DD (or Excel date cells); amounts as 1234.56 (at most 2 decimals, negative for a "
    "refund); choices from the drop-down lists.",
    "The EIN is the account's own EIN (NN-NNNNNNN), never the owner's Social Security number. Give the "
    "custodian's or trustee's street, city, state and ZIP on the accounts sheet: the e-file return needs them.",
    "Check the book: udfi validate BOOK — it lists every cell still to fill in or fix (file, row, column).",
    "Then: udfi check BOOK --year YEAR (must the account file, what it owes, by when), or open the page of "
    "udfi serve and upload the book.",
)


class TemplateError(Exception):
    """The template cannot be written where asked (the message says why; nothing was written)."""


def example_value(spec: TableSpec, column: ColumnSpec) -> str:
    """The text of the example cell of `column` ('' for an empty cell)."""
    value = EXAMPLES.get(spec.table, {}).get(column.name)
    if value is None:
        return ""
    return value if column.type == "text" else EXAMPLE_MARK + value


def _kind(column: ColumnSpec) -> str:
    kind = TYPE_PROSE[column.type]
    if column.type == "enum":
        kind += " " + ", ".join(column.values)
    if column.default is not None:
        default = str(column.default).lower() if isinstance(column.default, bool) else column.default
        kind += f" (default {default})"
    return kind


def instruction_lines() -> list[tuple[str, bool]]:
    """The instructions as (line, is a heading), with every table and column from the schemas."""
    lines = [("udfi book template — Form 990-T for retirement accounts that own leveraged real estate", True),
             ("", False)]
    lines += [(f"{number}. {step}", False) for number, step in enumerate(STEPS, start=1)]
    for spec in table_specs().values():
        flag = "required" if spec.required else "optional"
        lines += [("", False), (f"{spec.table} ({flag}): {spec.description}", True)]
        for column in spec.columns:
            need = "required" if column.required else "optional"
            lines.append((f"  {column.name} — {need}, {_kind(column)}: {column.description.replace('`', '')}", False))
    return lines


def instructions_text() -> str:
    """The instructions as plain text (INSTRUCTIONS.txt of the CSV folder)."""
    return "\n".join(line for line, _ in instruction_lines()) + "\n"


def _csv_text(spec: TableSpec) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.column_names)
    writer.writerow([example_value(spec, column) for column in spec.columns])
    return buffer.getvalue()


def csv_files() -> dict[str, bytes]:
    """The CSV folder template: file name → bytes."""
    files = {spec.filename: _csv_text(spec).encode("utf-8") for spec in table_specs().values()}
    files[INSTRUCTIONS_FILE] = instructions_text().encode("utf-8")
    return files


# ------------------------------------------------------------------------------------------------
# The workbook
# ------------------------------------------------------------------------------------------------

def _validation(column: ColumnSpec, list_ranges: dict[str, str]):
    """The input check of one column, or None for free text."""
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    expected = column.expected
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": f"{column.name}: not accepted",
              "error": f"Expected {expected}."[:255], "showInputMessage": True,
              "promptTitle": column.name[:32], "prompt": column.description.replace("`", "")[:255]}
    if column.type == "enum":
        return DataValidation(type="list", formula1=list_ranges[column.name], **common)
    if column.type == "bool":
        return DataValidation(type="list", formula1='"true,false"', **common)
    if column.type == "date":
        return DataValidation(type="date", operator="between", formula1="DATE(1950,1,1)",
                              formula2="DATE(2100,12,31)", **common)
    if column.type == "year":
        return DataValidation(type="whole", operator="between", formula1="2000", formula2="2100", **common)
    if column.type == "ein":
        return DataValidation(type="textLength", operator="equal", formula1="10", **common)
    if column.type == "money":
        if column.gt is not None:
            return DataValidation(type="decimal", operator="greaterThan", formula1=f"{column.gt:g}", **common)
        if column.min is not None:
            return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=f"{column.min:g}", **common)
        if column.nonzero:
            return DataValidation(type="decimal", operator="notEqual", formula1="0", **common)
        return DataValidation(type="decimal", operator="between", formula1="-1000000000000",
                              formula2="1000000000000", **common)
    # free text: the prompt only
    return DataValidation(type=None, **common)


NUMBER_FORMATS = {"date": "yyyy-mm-dd", "money": "#,##0.00", "year": "0", "ein": "@", "text": "@"}


def workbook_bytes() -> bytes:
    """The .xlsx template."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.comments import Comment  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    specs = table_specs()
    workbook = Workbook()
    guide = workbook.active
    guide.title = INSTRUCTIONS_SHEET
    guide.column_dimensions["A"].width = 150
    for row, (line, heading) in enumerate(instruction_lines(), start=1):
        cell = guide.cell(row=row, column=1, value=line or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if heading:
            cell.font = Font(bold=True)

    # Drop-down values live on a hidden sheet: a list of any length, one column per enumeration.
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_ranges: dict[tuple[str, str], str] = {}
    list_column = 0
    for spec in specs.values():
        for column in spec.columns:
            if column.type != "enum":
                continue
            list_column += 1
            letter = get_column_letter(list_column)
            lists.cell(row=1, column=list_column, value=f"{spec.table}.{column.name}")
            for offset, value in enumerate(column.values, start=2):
                lists.cell(row=offset, column=list_column, value=value)
            list_ranges[(spec.table, column.name)] = (f"{LISTS_SHEET}!${letter}$2:${letter}${len(column.values) + 1}")

    required_fill = PatternFill("solid", fgColor="1F4E79")
    optional_fill = PatternFill("solid", fgColor="8EA9C1")
    example_font = Font(italic=True, color="7F7F7F")
    for spec in specs.values():
        sheet = workbook.create_sheet(spec.table)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(index)
            header = sheet.cell(row=1, column=index, value=column.name)
            header.font = Font(bold=True, color="FFFFFF")
            header.fill = required_fill if column.required else optional_fill
            header.comment = Comment(f"{'Required' if column.required else 'Optional'} — {_kind(column)}. "
                                     f"{column.description.replace('`', '')}", "udfi")
            sheet.column_dimensions[letter].width = max(14, min(42, len(column.name) + 6))
            sheet.column_dimensions[letter].number_format = NUMBER_FORMATS.get(column.type, "General")
            example = sheet.cell(row=2, column=index, value=example_value(spec, column) or None)
            example.font = example_font
            example.number_format = "@"
            hint = EMPTY_CELL_HINTS.get((spec.table, column.name))
            if hint:
                example.comment = Comment(hint, "udfi")
            ranges = {column.name: list_ranges.get((spec.table, column.name), "")}
            check = _validation(column, ranges)
            check.add(f"{letter}2:{letter}{LAST_ROW}")
            sheet.add_data_validation(check)
    workbook.move_sheet(LISTS_SHEET, offset=len(specs))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------
# Writing DIR, all or nothing
# ------------------------------------------------------------------------------------------------

def write_template(folder: Path, xlsx: bool = False) -> list[Path]:
    """Write the template into `folder` (new or empty): the workbook, or the CSV files and
    INSTRUCTIONS.txt. Owner-only permissions; written in a sibling temporary folder and moved into
    place, so `folder` ends with the whole template or is left as it was. Returns the files written."""
    folder = Path(folder)
    if folder.is_symlink():
        raise TemplateError(f"{folder}: is a symbolic link; give a real folder (nothing was written)")
    if folder.exists():
        if not folder.is_dir():
            raise TemplateError(f"{folder}: exists and is not a folder (nothing was written)")
        if any(folder.iterdir()):
            raise TemplateError(f"{folder}: the folder is not empty; give a new or empty folder so nothing of "
                                "yours is overwritten (nothing was written)")
    parent = folder.resolve().parent
    try:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise TemplateError(f"{parent}: cannot create the folder ({exc.strerror}); nothing was written") from exc
    if not parent.is_dir():
        raise TemplateError(f"{parent}: is not a folder (nothing was written)")
    files = {WORKBOOK_NAME: workbook_bytes()} if xlsx else csv_files()
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=parent))  # mode 0700
    try:
        for name, data in files.items():
            path = staging / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        if folder.exists():
            folder.rmdir()  # empty, checked above
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in files]
