"""The batch's report files when several tax years share one OUT folder, and their spreadsheet copies.

`summary.csv` and `exceptions.csv` lead with a `tax_year` column: a run replaces its own year's rows and
keeps every other year's (read back from the file). The manifest describes the run's year and keeps the
other years' entries under `other_years`, so `--resume` and `--account` find the entry of their year.
Each CSV has an `.xlsx` twin (one sheet, text cells as text — never a formula — figures as numbers),
written with fixed timestamps so that a rerun gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Iterable

from udfi.batch.xlsx import PART_MODE, SHEET_MODE, sheet_workbook
from udfi.safety import mask_ssn

YEAR_COLUMN = "tax_year"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry: no run time in the bytes


def other_years_rows(path: Path | None, year: int) -> list[dict]:
    """The rows of an existing report that belong to another tax year (a missing or unreadable file: none)."""
    if path is None:
        return []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    return [row for row in rows if str(row.get(YEAR_COLUMN, "")).strip() not in ("", str(year))]


def with_year(columns: tuple[str, ...]) -> tuple[str, ...]:
    return (YEAR_COLUMN, *[column for column in columns if column != YEAR_COLUMN])


def manifest_for_year(manifest: dict | None, year: int) -> dict | None:
    """The manifest entry of `year`: the manifest itself, or its `other_years` entry."""
    if not manifest:
        return None
    if manifest.get("tax_year") == year:
        return manifest
    entry = (manifest.get("other_years") or {}).get(str(year))
    return entry if isinstance(entry, dict) else None


def other_years(manifest: dict | None, year: int) -> dict:
    """Every year's entry of an existing manifest except `year` (the run about to replace it)."""
    if not manifest:
        return {}
    kept = {key: value for key, value in (manifest.get("other_years") or {}).items()
            if key != str(year) and isinstance(value, dict)}
    previous_year = manifest.get("tax_year")
    if isinstance(previous_year, int) and previous_year != year:
        kept[str(previous_year)] = {key: value for key, value in manifest.items() if key != "other_years"}
    return dict(sorted(kept.items()))


def xlsx_bytes(columns: Iterable[str], rows: Iterable[dict], user_columns: Iterable[str], title: str,
               numeric_columns: Iterable[str] = ()) -> bytes:
    """One sheet: a header row, then the rows; user text masked and stored as text (a cell that starts
    with = is shown, never evaluated), figures as numbers."""
    columns = list(columns)
    table = report_table(columns, rows, user_columns, numeric_columns)
    parts = sheet_workbook(columns, table, title[:31])
    if parts is None:  # what the direct writer leaves to openpyxl (see udfi.batch.xlsx)
        return _openpyxl_xlsx_bytes(columns, table, title)
    return _zipped(parts)


def report_table(columns: list[str], rows: Iterable[dict], user_columns: Iterable[str],
                 numeric_columns: Iterable[str] = ()) -> list[list]:
    """The cells of a report's sheet, row by row: figures as numbers, user text masked, the rest as text
    (what either writer, direct or openpyxl, is given)."""
    user, numeric = set(user_columns), set(numeric_columns)
    table = []
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column, "")
            value = "" if value is None else value
            number = _number(value) if column in numeric else None
            if number is not None:
                values.append(number)
            else:
                values.append(str(mask_ssn(str(value))) if column in user else str(value))
        table.append(values)
    return table


def _openpyxl_xlsx_bytes(columns: list[str], table: list[list], title: str) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell.cell import TYPE_STRING  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(columns)
    for values in table:
        sheet.append(values)
    # One pass at the end (sheet[sheet.max_row] per row scanned every cell: quadratic in the rows).
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
    sheet.freeze_panes = "A2"
    book.properties.created = book.properties.modified = dt.datetime(2000, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _zipped(parts: dict[str, str]) -> bytes:
    """The workbook's parts as openpyxl's archive after _fixed_zip_times: same order, dates and modes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, text in parts.items():
            fixed = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = SHEET_MODE if name == "xl/worksheets/sheet1.xml" else PART_MODE
            target.writestr(fixed, text.encode("utf-8"))
    return out.getvalue()


def _number(value) -> int | float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if text and text.replace(".", "", 1).lstrip("-").isdigit() else None
    except ValueError:
        return None


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED_ZIP_TIME (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes the save time into dcterms:modified
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                              data)
            target.writestr(fixed, data)
    return out.getvalue()
