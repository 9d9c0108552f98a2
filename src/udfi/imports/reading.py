"""Reading an export as text cells: the header row (found below a title block), column names, sheet,
and account headings carried down to their transactions.

Every cell becomes stripped text; spreadsheet row numbers are kept exactly as a spreadsheet shows
them (the first line is row 1), so every problem can point at the row the user sees.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from udfi.imports.profile import HEADER_SEARCH_ROWS, Headings, Profile

_LETTERS = re.compile(r"[A-Z]{1,3}")


class SourceError(ValueError):
    """The export cannot be read as the profile describes it (one clear message)."""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (the spreadsheet's column names)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")  # a real date cell: ISO text, flagged in the date mask
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # Excel stores binary floats: snap to cents when the value is (within noise) a cent amount.
        cents = round(value * 100)
        if abs(value * 100 - cents) < 1e-6:
            sign = "-" if cents < 0 else ""
            return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
        return repr(value)
    return str(value).strip()


def _read_cells(path: Path, sheet: str | int) -> tuple[list[list[object]], str]:
    """All rows of the export as raw cells, and a label naming file (and sheet) for messages."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl  # noqa: PLC0415

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises assorted errors on damaged or foreign files
            raise SourceError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
        try:
            names = workbook.sheetnames
            if isinstance(sheet, int):
                if not 0 <= sheet < len(names):
                    raise SourceError(f"{path.name}: no sheet number {sheet} (sheets: {', '.join(names)})")
                name = names[sheet]
            else:
                matches = [n for n in names if n.strip().casefold() == str(sheet).strip().casefold()]
                if not matches:
                    raise SourceError(f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
                name = matches[0]
            cells = [list(row) for row in workbook[name].iter_rows(min_row=1, values_only=True)]
        finally:
            workbook.close()
        return cells, f"{path.name}[{name}]"
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return [list(row) for row in csv.reader(handle)], path.name
    except UnicodeDecodeError:
        # Exports saved by Excel on Windows are often cp1252 ("§", "—" and accents).
        with open(path, encoding="cp1252", newline="") as handle:
            return [list(row) for row in csv.reader(handle)], path.name


@dataclass
class Source:
    """The export below its header row: text cells, spreadsheet row numbers, which cells were dates."""

    frame: pd.DataFrame
    rows: np.ndarray
    date_cells: dict[str, pd.Series]
    header_row: int
    label: str
    columns: dict[str, str] = field(default_factory=dict)  # profile reference → frame column

    def column(self, reference: str) -> pd.Series:
        return self.frame[self.columns[reference]]


def _names(header: list[str]) -> list[str]:
    """Column names from the header row: a blank heading is named by its letter; repeats get (2), (3)."""
    names, seen = [], {}
    for index, text in enumerate(header):
        name = text or column_letter(index)
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _resolve(reference: str, names: list[str]) -> str | None:
    if reference in names:
        return reference
    if _LETTERS.fullmatch(reference):
        for index, name in enumerate(names):
            if column_letter(index) == reference:
                return name
    return None


def _named(references: list[str]) -> list[str]:
    """The references that are headings (a bare column letter is positional)."""
    return [ref for ref in references if not _LETTERS.fullmatch(ref)]


def find_header_row(texts: list[list[str]], needed: list[str]) -> tuple[int | None, int, list[str]]:
    """(1-based row holding every needed heading or None, best row, headings it lacks)."""
    wanted = set(_named(needed))
    best, best_missing = 1, sorted(wanted)
    for index, row in enumerate(texts[:HEADER_SEARCH_ROWS]):
        present = set(row)
        missing = sorted(wanted - present)
        if not missing and any(row):
            return index + 1, index + 1, []
        if len(missing) < len(best_missing):
            best, best_missing = index + 1, missing
    return None, best, best_missing


def _body_frame(cells: list[list[object]], names: list[str], excel: bool) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The rows below the header as stripped text, vectorized per column; which cells were dates."""
    raw = pd.DataFrame(cells, dtype=object) if cells else pd.DataFrame(dtype=object)
    for index in range(raw.shape[1], len(names)):
        raw[index] = None
    names = names + [column_letter(i) for i in range(len(names), raw.shape[1])]  # cells beyond the headings
    raw.columns = names
    dates: dict[str, pd.Series] = {}
    text: dict[str, pd.Series] = {}
    for name in names:
        column = raw[name]
        if excel:  # typed cells (dates, floats): one conversion each
            mask = column.map(lambda value: hasattr(value, "strftime")).astype(bool)
            if mask.any():
                dates[name] = mask.reset_index(drop=True)
            text[name] = column.map(_cell_text).astype(object)
        else:
            text[name] = column.fillna("").astype(str).str.strip().astype(object)
    return pd.DataFrame(text, index=raw.index, columns=names), dates


def read_source(path: Path, profile: Profile) -> Source:
    cells, label = _read_cells(path, profile.sheet)
    width = max((len(row) for row in cells[:HEADER_SEARCH_ROWS]), default=0)
    texts = [[_cell_text(value) for value in row] + [""] * (width - len(row)) for row in cells[:HEADER_SEARCH_ROWS]]
    needed = profile.needed_columns()
    found, best, missing = find_header_row(texts, needed)
    where = f"the profile {profile.name!r}"
    if profile.header_row is not None and profile.header_row != found:
        if found is not None:
            raise SourceError(f"{label}: {where} says header_row: {profile.header_row}, but the column headings "
                              f"({', '.join(_named(needed))}) are on row {found}: set `header_row: {found}` "
                              "(or `header_row: auto`) in the profile")
        shown = [t for t in texts[profile.header_row - 1] if t] if profile.header_row <= len(texts) else []
        raise SourceError(f"{label}: row {profile.header_row} (header_row in {where}) lacks the column(s) "
                          f"{', '.join(_named(needed) if not shown else [c for c in _named(needed) if c not in shown])}"
                          f" (it holds: {', '.join(shown) or 'nothing'})")
    if found is None:
        shown = [t for t in texts[best - 1] if t] if texts else []
        raise SourceError(f"{label}: no row among the first {HEADER_SEARCH_ROWS} holds the column headings "
                          f"{', '.join(_named(needed))}; the closest is row {best} ({', '.join(shown) or 'empty'}), "
                          f"which lacks {', '.join(missing)}. Check the export, or set `header_row: N` and the "
                          "column names in the profile")
    names = _names(texts[found - 1])
    columns = {}
    for reference in needed:
        resolved = _resolve(reference, names)
        if resolved is None:
            raise SourceError(f"{label}: no column {reference!r} (row {found} holds: "
                              f"{', '.join(n for n in texts[found - 1] if n)})")
        columns[reference] = resolved
    for reference in profile.memo_columns:  # optional: a report customized without them still imports
        resolved = _resolve(reference, names)
        if resolved is not None:
            columns[reference] = resolved
    frame, date_cells = _body_frame(cells[found:], names, path.suffix.lower() in (".xlsx", ".xlsm"))
    rows = np.arange(len(frame)) + found + 1
    return Source(frame.reset_index(drop=True), rows, date_cells, found, label, columns)


@dataclass
class HeadingAccounts:
    account: pd.Series  # the carried-down account of every row ("" before the first heading)
    heading_row: pd.Series  # rows that are headings or totals, never transactions
    problems: list[tuple[str, int]]  # (message, spreadsheet row)


def carry_headings(source: Source, headings: Headings) -> HeadingAccounts:
    """Account names from heading rows, carried down to the transactions below them.

    A heading opens an account (nested under the open one: "Rental Income" then "123 Main St" is
    "Rental Income:123 Main St"); a total row ("Total for 123 Main St") closes it; "TOTAL" closes
    all. With several heading columns, the column gives the nesting level."""
    series = [source.column(reference) for reference in headings.columns]
    present = pd.concat([(column != "") for column in series], axis=1).any(axis=1)
    cells = [column.tolist() for column in series]
    stack: list[tuple[str, str]] = []  # (heading as printed, full account name)
    paths: dict[int, str] = {}
    problems: list[tuple[str, int]] = []
    for position in np.flatnonzero(present.to_numpy()):
        level, text = next((i, column[position]) for i, column in enumerate(cells) if column[position] != "")
        if text.casefold() == "total":
            stack = []
        elif (closing := headings.total.fullmatch(text)) is not None:
            name = closing.group("account").strip()
            names = [label for label, _ in stack] + [full for _, full in stack]
            if name in names:
                while stack and name not in stack[-1]:
                    stack.pop()
                stack.pop()
            else:
                problems.append((f"{text!r} closes no open account heading (open: "
                                 f"{stack[-1][1] if stack else 'none'})", int(source.rows[position])))
        else:
            if len(cells) > 1:
                stack = stack[:level]
            parent = stack[-1][1] if stack else ""
            full = text if not parent or text.startswith(parent + headings.separator) else \
                f"{parent}{headings.separator}{text}"
            stack.append((text, full))
        paths[position] = stack[-1][1] if stack else ""
    account = pd.Series(paths, dtype=object).reindex(range(len(source.frame))).ffill().fillna("")
    return HeadingAccounts(account.astype(object), present, problems)
