"""Reading a book's raw tables (every cell as text) from files many people touched.

A folder of CSV files or one .xlsx workbook. Whatever is wrong with a file is a `Problem` naming the
file, the row as a spreadsheet shows it (header = row 1) and the column — never an exception from
the parser:

- CSV encodings: UTF-8 (with or without BOM), UTF-16/UTF-32 with BOM, UTF-16 without BOM; a file
  that is not UTF-8 is read as Windows-1252 (what Excel's plain "CSV" writes on Western systems,
  Latin-1 for the five bytes it leaves undefined) with a warning saying so.
- Empty or whitespace-only files, header-only tables, duplicate or blank column headers, rows with
  more values than the header (kept, flagged, so the row's account is set aside), an unterminated
  quote, binary data or a workbook saved under a .csv name, a folder or a FIFO named like a table,
  an unreadable file. Blank lines are dropped but row numbers stay those of the file.
- Workbooks: sheet names match case-insensitively; an encrypted (password-protected) workbook or an
  old .xls is named as such; a workbook may make udfi allocate at most `MAX_SHEET_COLUMNS` columns by
  `MAX_SHEET_ROWS` rows per sheet and `MAX_WORKBOOK_BYTES` of uncompressed XML — a sheet declaring
  cells beyond that (e.g. one stray cell at XFD1048576) is refused with the reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from udfi.reading_arrow import arrow_frame as _arrow_frame
from udfi.reading_arrow import give_back_free_memory
from udfi.safety import mask_ssn

ERROR = "error"
WARNING = "warning"

HEAD_BYTES = 64 * 1024
MAX_SHEET_COLUMNS = 64  # the widest table has 11 columns; room for a spreadsheet's own extras
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_WORKBOOK_BYTES = 1 << 30  # uncompressed size of all parts of an .xlsx (1 GiB)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Problem:
    severity: str
    file: str
    row: int | None
    column: str | None
    value: str
    expected: str
    account_id: str | None = None
    # A problem that makes a whole table untrustworthy even though it has a row (an unterminated
    # quote swallows every row after it): no account can be computed.
    book_wide: bool = False

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "account_id": mask_ssn(self.account_id),
        }


class BookReadError(Exception):
    """The book cannot be read at all (missing folder, unreadable or refused workbook)."""


@dataclass
class RawBook:
    """Raw text tables (index = 0-based data-row position in the file: row = index + 2) and the
    problems found while reading them."""

    tables: dict[str, pd.DataFrame]
    kind: str  # "csv" or "xlsx"
    file_of: dict[str, str]
    problems: list[Problem] = field(default_factory=list)


def _problem(severity: str, file: str, expected: str, row: int | None = None, column: str | None = None,
             value: str = "", book_wide: bool = False) -> Problem:
    return Problem(severity, file, row, column, mask_ssn(value), mask_ssn(expected), None, book_wide)


# --------------------------------------------------------------------------------------------
# Headers and frames shared by both kinds
# --------------------------------------------------------------------------------------------


def _header_problems(names: list[str], file: str) -> tuple[list[str], list[Problem]]:
    """Cleaned header names and problems: duplicates are errors (which one would count?), blank
    names get a placeholder so the column can be reported."""
    cleaned, problems, seen = [], [], {}
    for position, name in enumerate(names, start=1):
        name = "" if name is None else str(name).strip()
        if not name:
            name = f"(column {position}, no header)"
        if name in seen:
            problems.append(_problem(
                ERROR, file, f"each column header once: {name!r} is both column {seen[name]} and column "
                f"{position} — udfi cannot tell which one to use; rename or delete one", row=1, column=name,
                book_wide=True))
        else:
            seen[name] = position
        cleaned.append(name)
    return cleaned, problems


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose every cell is empty (blank lines, Excel's trailing `,,,,` rows) are left out; the
    index keeps each remaining row's position in the file."""
    if frame.empty or not len(frame.columns):
        return frame
    blank = np.ones(len(frame), dtype=bool)
    for _, values in frame.items():
        if isinstance(values.dtype, pd.CategoricalDtype):   # the fast reader's: compare codes, not text
            categories = values.cat.categories
            empty = categories.get_loc("") if "" in categories else -2
            blank &= values.array.codes == empty
        elif isinstance(values.dtype, pd.ArrowDtype):   # the fast reader's plain text: Arrow compares
            import pyarrow.compute as pc  # noqa: PLC0415 — loaded with the fast reader

            blank &= pc.equal(values.array.__arrow_array__(), "").to_numpy(zero_copy_only=False)
        else:
            blank &= values.to_numpy(dtype=object) == ""
        if not blank.any():
            return frame
    return frame[~blank]


def _unnamed_empty_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A header-less column with no values (a trailing comma on every line) is not worth a warning."""
    drop = [column for column in frame.columns
            if column.endswith(", no header)") and (frame[column] == "").all()]
    return frame.drop(columns=drop) if drop else frame


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _sniff_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark or the NUL pattern of UTF-16 gives; None = try UTF-8."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return encoding
    sample = head[:4096]
    if b"\x00" in sample and len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
        return "binary"
    return None


def _is_utf8(head: bytes, complete: bool) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not a decoding error.
        return not complete and exc.start >= len(head) - 3


def _legacy_encoding(path: Path) -> str:
    """Windows-1252 when every byte is defined in it, else Latin-1 (which decodes any byte)."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if any(byte in block for byte in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
                return "latin-1"
    return "cp1252"


def _scan_records(path: Path, encoding: str, file: str, width: int) -> tuple[pd.DataFrame, list[Problem]]:
    """The slow, exact path for a file pandas cannot split evenly: every record with the csv module.

    A record with more values than the header keeps its first `width` values (so its ids still pin
    it to an account) and is reported; an unterminated quote makes the rest of the table unknown."""
    problems: list[Problem] = []
    rows, labels = [], []
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, strict=True)
        position = -2  # header → -1, first data record → 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(_problem(
                    ERROR, file, "a closing quote (\") for the value that opens in this row — everything after "
                    f"it was read as one value ({exc}); nothing in this table can be trusted", row=position + 3,
                    book_wide=True))
                break
            position += 1
            if position < 0:
                continue
            if len(record) > width:
                extra = record[width:]
                problems.append(_problem(
                    ERROR, file, f"at most {width} values, like the header (this row has {len(record)}: a comma "
                    "inside a value must be quoted)", row=position + 2,
                    value=",".join(extra)[:40]))
                record = record[:width]
            elif len(record) < width:
                record = record + [""] * (width - len(record))
            rows.append(record)
            labels.append(position)
    frame = pd.DataFrame(rows, index=pd.Index(labels, dtype="int64"), columns=range(width), dtype=object)
    return frame, problems


def read_csv_table(path: Path, file: str, required: bool,
                   plain: frozenset[str] = frozenset()) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One CSV table as stripped-free text cells, or None with the problems that stop it. `plain`: the
    columns the fast reader keeps as Arrow text instead of categoricals (`reading_arrow.arrow_frame`)."""
    try:
        info = path.stat()
    except OSError as exc:
        return None, [_problem(ERROR, file, f"a readable CSV file ({exc.strerror or exc})", book_wide=True)]
    if stat.S_ISDIR(info.st_mode):
        return None, [_problem(ERROR, file, f"a CSV file named {file}, not a folder", book_wide=True)]
    if not stat.S_ISREG(info.st_mode):
        return None, [_problem(ERROR, file, "a regular CSV file (this is a pipe, socket or device)", book_wide=True)]
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        return None, [_problem(ERROR, file, f"a readable CSV file (cannot read it: {exc.strerror or exc})",
                               book_wide=True)]
    complete = len(head) < HEAD_BYTES
    severity = ERROR if required else WARNING
    if complete and not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        what = "(required table)" if required else "(optional table; the file is ignored)"
        return None, [_problem(severity, file, f"a header row (the file is empty) {what}", row=1,
                               book_wide=required)]
    problems: list[Problem] = []
    encoding = _sniff_encoding(head)
    if encoding == "binary" or head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC):
        kind = ("an Excel workbook saved under a .csv name — save it as CSV, or pass the .xlsx itself"
                if head.startswith((ZIP_MAGIC, OLE2_MAGIC)) else "binary data")
        return None, [_problem(ERROR, file, f"a text CSV file (this file holds {kind})", book_wide=True)]
    if encoding is None:
        encoding = "utf-8" if _is_utf8(head, complete) else None
    if encoding is None:
        encoding = _legacy_encoding(path)
        problems.append(_problem(WARNING, file, f"UTF-8 text: the file was read as {encoding} (Windows/Latin "
                                 "Western European); check accented names, or save it as \"CSV UTF-8\""))
    try:
        header_text = head.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
        first = next(csv.reader(io.StringIO(header_text, newline="")), [])
    except (csv.Error, LookupError):
        first = []
    names, header_problems = _header_problems(first, file)
    problems.extend(header_problems)
    if header_problems:
        return None, problems
    width = len(names)
    if width == 0 or all(name.endswith(", no header)") for name in names):
        return None, problems + [_problem(severity, file, "a header row naming the columns (row 1 is empty)",
                                          row=1, book_wide=required)]

    frame = _arrow_frame(path, first, names, plain) if encoding in ("utf-8", "utf-8-sig") else None
    if frame is not None:
        return _unnamed_empty_columns(_drop_blank(frame)), problems
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, index_col=False,
                                skip_blank_lines=False, encoding=encoding, header=0, names=names,
                                engine="c")
        if any("Length of header" in str(item.message) or "Expected" in str(item.message) for item in caught):
            frame = None
    except UnicodeDecodeError:
        if encoding in ("utf-8", "utf-8-sig"):
            encoding = _legacy_encoding(path)
            problems.append(_problem(WARNING, file, f"UTF-8 text: the file was read as {encoding} (Windows/Latin "
                                     "Western European); check accented names, or save it as \"CSV UTF-8\""))
            return _retry(path, file, required, encoding, names, problems)
        return None, problems + [_problem(ERROR, file, f"text in one encoding (it is not valid {encoding})",
                                          book_wide=True)]
    except pd.errors.EmptyDataError:
        return None, problems + [_problem(severity, file, "a header row (the file is empty)", row=1,
                                          book_wide=required)]
    except (pd.errors.ParserError, csv.Error, ValueError):
        frame = None
    except OSError as exc:
        return None, problems + [_problem(ERROR, file, f"a readable CSV file ({exc.strerror or exc})",
                                          book_wide=True)]
    if frame is None:
        scanned, scan_problems = _scan_records(path, encoding, file, width)
        scanned.columns = names
        frame, problems = scanned, problems + scan_problems
    frame = frame.fillna("").astype(object) if frame.isna().any().any() else frame
    return _unnamed_empty_columns(_drop_blank(frame)), problems


def _retry(path: Path, file: str, required: bool, encoding: str, names: list[str],
           problems: list[Problem]) -> tuple[pd.DataFrame | None, list[Problem]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, index_col=False,
                            skip_blank_lines=False, encoding=encoding, header=0, names=names)
    except (pd.errors.ParserError, ValueError, csv.Error):
        frame, more = _scan_records(path, encoding, file, len(names))
        frame.columns = names
        problems = problems + more
    frame = frame.fillna("").astype(object) if frame.isna().any().any() else frame
    return _unnamed_empty_columns(_drop_blank(frame)), problems


def read_csv_folder(source: Path, tables: dict[str, bool],
                    plain: dict[str, frozenset[str]] | None = None) -> RawBook:
    """Every table (name → required) that exists in the folder, as text frames; `plain`: per table, the
    columns the fast reader keeps as Arrow text."""
    book = RawBook({}, "csv", {name: f"{name}.csv" for name in tables})
    for name, required in tables.items():
        path = source / f"{name}.csv"
        if not os.path.lexists(path):
            continue
        frame, problems = read_csv_table(path, book.file_of[name], required, (plain or {}).get(name, frozenset()))
        book.problems.extend(problems)
        if frame is not None:
            book.tables[name] = frame
    return book


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


def excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # A numeric money cell: Excel stores binary floats, so snap to cents when it is one.
        cents = round(value * 100)
        if abs(value * 100 - cents) < 1e-6:
            return f"{cents / 100:.2f}" if cents % 100 else str(int(cents // 100))
        return repr(value)
    return str(value).strip()


def _refuse_container(source: Path) -> None:
    """Encrypted workbooks, old .xls files and non-zip files fail here with what they are."""
    try:
        with open(source, "rb") as handle:
            head = handle.read(1 << 20)
    except OSError as exc:
        raise BookReadError(f"{source}: cannot read the workbook ({exc.strerror or exc})") from exc
    if head.startswith(OLE2_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in head or "EncryptedPackage".encode("utf-16-le") in head:
            raise BookReadError(f"{source}: the workbook is encrypted (password-protected); save a copy without "
                                "a password (File → Info → Protect Workbook → Encrypt with Password: clear it)")
        raise BookReadError(f"{source}: this is an Excel 97–2003 .xls workbook; save it as .xlsx")
    if not head.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(source):
        raise BookReadError(f"{source}: not an .xlsx workbook (an .xlsx is a zip archive; this file is not one)")
    try:
        with zipfile.ZipFile(source) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise BookReadError(f"{source}: the workbook is damaged ({exc})") from exc
    if total > MAX_WORKBOOK_BYTES:
        raise BookReadError(f"{source}: refused — the workbook unpacks to {total:,} bytes, more than udfi's bound "
                            f"of {MAX_WORKBOOK_BYTES:,} bytes (a zip bomb, or a book too large for .xlsx: use CSV files)")


def _sheet_frame(sheet, file: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    try:
        declared_rows, declared_columns = sheet.max_row, sheet.max_column
    except (ValueError, TypeError):
        declared_rows = declared_columns = None
    if (declared_columns or 0) > MAX_SHEET_COLUMNS or (declared_rows or 0) > MAX_SHEET_ROWS:
        from openpyxl.utils import get_column_letter  # noqa: PLC0415

        last = f"{get_column_letter(min(declared_columns or 1, 16384))}{declared_rows}"
        return None, [_problem(ERROR, file, f"a sheet of at most {MAX_SHEET_COLUMNS} columns and {MAX_SHEET_ROWS:,} "
                               f"rows — refused: it declares cells up to {last} ({declared_columns:,} columns × "
                               f"{declared_rows:,} rows), which udfi will not allocate; delete the stray cells "
                               "beyond the table (Ctrl+End shows the last one) or save the sheet as CSV",
                               book_wide=True)]
    rows, labels = [], []
    header: list | None = None
    overflow = None
    for number, values in enumerate(sheet.iter_rows(min_row=1, max_row=MAX_SHEET_ROWS, max_col=MAX_SHEET_COLUMNS + 1,
                                                    values_only=True), start=1):
        if len(values) > MAX_SHEET_COLUMNS and values[MAX_SHEET_COLUMNS] is not None:
            overflow = number
            break
        if header is None:
            header = list(values[:MAX_SHEET_COLUMNS])
            continue
        if not any(value is not None and value != "" for value in values):
            continue
        rows.append([excel_cell_text(value) for value in values[:MAX_SHEET_COLUMNS]])
        labels.append(number - 2)
    if overflow is not None:
        return None, [_problem(ERROR, file, f"a sheet of at most {MAX_SHEET_COLUMNS} columns (row {overflow} has a "
                               "value beyond that)", row=overflow, book_wide=True)]
    if header is None:
        return None, [_problem(ERROR, file, "a header row naming the columns (the sheet is empty)", row=1,
                               book_wide=True)]
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    names, problems = _header_problems([excel_cell_text(value) for value in header], file)
    if problems:
        return None, problems
    if not names:
        return None, [_problem(ERROR, file, "a header row naming the columns (row 1 is empty)", row=1,
                               book_wide=True)]
    width = len(names)
    frame = pd.DataFrame([row[:width] + [""] * (width - len(row[:width])) for row in rows],
                         index=pd.Index(labels, dtype="int64"), columns=names, dtype=object)
    stray = [row for row, label in zip(rows, labels) if any(cell != "" for cell in row[width:])]
    if stray:
        first = labels[rows.index(stray[0])] + 2
        problems.append(_problem(WARNING, file, f"values only under the {width} named columns ({len(stray)} row(s) "
                                 "have values in columns without a header; they are ignored)", row=first))
    return frame, problems


def read_workbook(source: Path, tables: dict[str, bool]) -> RawBook:
    """Every table's sheet (matched case-insensitively) of an .xlsx workbook, bounded."""
    import openpyxl  # noqa: PLC0415

    _refuse_container(source)
    book = RawBook({}, "xlsx", {name: f"{source.name}[{name}]" for name in tables})
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for a damaged workbook
        raise BookReadError(f"{source}: cannot read the workbook ({type(exc).__name__}: {exc})") from exc
    try:
        by_name: dict[str, list[str]] = {}
        for title in workbook.sheetnames:
            by_name.setdefault(title.strip().lower(), []).append(title)
        for name in tables:
            titles = by_name.get(name, [])
            if len(titles) > 1:
                book.problems.append(_problem(ERROR, book.file_of[name], f"one sheet named {name} (found "
                                              f"{', '.join(titles)}: names are matched ignoring case)",
                                              book_wide=True))
                continue
            if not titles:
                continue
            if titles[0] != name:
                book.file_of[name] = f"{source.name}[{titles[0]}]"
            try:
                frame, problems = _sheet_frame(workbook[titles[0]], book.file_of[name])
            except Exception as exc:  # noqa: BLE001 — damaged sheet XML
                raise BookReadError(f"{source}: cannot read sheet {titles[0]!r} ({type(exc).__name__}: {exc})") from exc
            book.problems.extend(problems)
            if frame is not None:
                book.tables[name] = _unnamed_empty_columns(frame)
    finally:
        workbook.close()
    return book


def read_raw_book(source: Path, tables: dict[str, bool], plain: dict[str, frozenset[str]] | None = None) -> RawBook:
    """A folder of CSV files or one .xlsx workbook; BookReadError when it is neither. `plain`: per table,
    the columns of a CSV file the fast reader keeps as Arrow text instead of categoricals."""
    source = Path(source)
    try:
        info = source.stat()
    except FileNotFoundError:
        raise BookReadError(f"{source}: no such folder or workbook") from None
    except OSError as exc:
        raise BookReadError(f"{source}: cannot read it ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(info.st_mode):
        if not os.access(source, os.R_OK | os.X_OK):
            raise BookReadError(f"{source}: cannot read the folder (permission denied)")
        return read_csv_folder(source, tables, plain)
    if source.suffix.lower() in (".xlsx", ".xlsm") and stat.S_ISREG(info.st_mode):
        return read_workbook(source, tables)
    raise BookReadError(f"{source}: expected a folder of CSV files or an .xlsx workbook")
