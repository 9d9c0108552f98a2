"""An uploaded book — an .xlsx workbook or a .zip of the book's CSV files — written into a private
temporary folder, refusing whatever could escape it or blow it up.

Checks, before a byte is unpacked: the upload is a zip archive (an .xlsx is one); no member is a
symbolic link or has an absolute path, a drive or a `..` part; at most `max_members` members; the sizes
the archive declares add up to at most `max_unpacked_bytes`, and no large member compresses more than
`max_ratio` to 1 (a zip bomb). Python's zipfile stops every member at its declared size, so a lying
header cannot unpack more than was checked.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from werkzeug.utils import secure_filename

from udfi.schemas import table_specs
from udfi.web.limits import UploadLimits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls


class UploadError(ValueError):
    """A bad upload; the message says what was expected. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


_SSN_SHAPED = re.compile(r"(?<!\d)\d{3}[- .]?\d{2}[- .]?(\d{4})(?!\d)")


def _shown(name: str) -> str:
    """An archive entry's name for a message: shortened, any SSN-shaped number masked."""
    masked = _SSN_SHAPED.sub(lambda match: "***-**-" + match.group(1), name)
    return repr(masked[:80] + ("…" if len(masked) > 80 else ""))


def _unsafe(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(name).parts)


def _check_archive(archive: zipfile.ZipFile, label: str, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise UploadError(f"{label}: the archive holds {len(members)} entries, more than the {limits.max_members} "
                          "allowed; a book is a handful of CSV files")
    total = 0
    for member in members:
        if _unsafe(member.filename):
            raise UploadError(f"{label}: the entry {_shown(member.filename)} has a path that leaves the archive's "
                              "folder (absolute, a drive, '\\' or '..'); nothing was unpacked")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UploadError(f"{label}: the entry {_shown(member.filename)} is a symbolic link; links are refused "
                              "(nothing was unpacked)")
        total += member.file_size
        if (member.file_size > limits.ratio_floor_bytes
                and member.file_size > limits.max_ratio * max(member.compress_size, 1)):
            raise UploadError(f"{label}: the entry {_shown(member.filename)} would unpack from "
                              f"{member.compress_size:,} to {member.file_size:,} bytes — more than "
                              f"{limits.max_ratio}:1, the mark of a zip bomb; nothing was unpacked", 413)
    if total > limits.max_unpacked_bytes:
        raise UploadError(f"{label}: the archive would unpack to {total:,} bytes, more than the "
                          f"{limits.max_unpacked_bytes:,} allowed; nothing was unpacked", 413)
    return members


def _workbook_name(filename: str) -> str:
    stem = Path(secure_filename(filename) or "book").stem or "book"
    suffix = ".xlsm" if filename.lower().endswith(".xlsm") else ".xlsx"
    return stem[:80] + suffix


def _book_members(members: list[zipfile.ZipInfo], label: str) -> dict[str, zipfile.ZipInfo]:
    """The archive's book tables: `<table>.csv` at its top or inside one folder."""
    wanted = {spec.filename for spec in table_specs().values()}
    found: dict[str, zipfile.ZipInfo] = {}
    folders = set()
    for member in members:
        path = PurePosixPath(member.filename)
        if member.is_dir() or path.name not in wanted or "__MACOSX" in path.parts or path.name.startswith("._"):
            continue
        if path.name in found:
            raise UploadError(f"{label}: {path.name} appears twice ({_shown(found[path.name].filename)} and "
                              f"{_shown(member.filename)}); zip one book")
        found[path.name] = member
        folders.add(str(path.parent))
    if not found:
        raise UploadError(f"{label}: the archive holds no book tables — expected accounts.csv, properties.csv, "
                          "loans.csv and ledger.csv (and any optional table) at its top or in one folder")
    if len(folders) > 1:
        raise UploadError(f"{label}: the book's CSV files are in different folders ({', '.join(sorted(folders))}); "
                          "put them in one folder")
    return found


def materialize(data: bytes, filename: str, folder: Path, limits: UploadLimits) -> Path:
    """Write the uploaded book into `folder` (private, new, empty). Returns the path to give the
    validator: the workbook, or `folder/book/` with the CSV files."""
    label = secure_filename(filename or "") or "the upload"
    if not data:
        raise UploadError("the upload is empty: choose an .xlsx workbook or a .zip of the book's CSV files")
    if len(data) > limits.max_upload_bytes:
        raise UploadError(f"{label}: {len(data):,} bytes, more than the {limits.max_upload_bytes:,} allowed", 413)
    if data.startswith(OLE2_MAGIC):
        raise UploadError(f"{label}: an old binary Excel workbook (.xls); save it as an .xlsx workbook and upload that")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if (filename or "").lower().endswith(".csv") or b"," in data[:2048]:
            raise UploadError(f"{label}: a single CSV file is not a book; zip the folder's CSV files (accounts.csv, "
                              "properties.csv, loans.csv, ledger.csv, …) or upload the .xlsx workbook")
        raise UploadError(f"{label}: not an .xlsx workbook or a .zip archive; upload the book as one of those")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _check_archive(archive, label, limits)
            names = {member.filename for member in members}
            if "xl/workbook.xml" in names:
                path = folder / _workbook_name(filename or "book.xlsx")
                _write_private(path, data)
                return path
            tables = _book_members(members, label)
            book = folder / "book"
            book.mkdir(mode=0o700)
            for name, member in tables.items():
                with archive.open(member) as source:
                    _write_private(book / name, source.read())
            return book
    except zipfile.BadZipFile as exc:
        raise UploadError(f"{label}: the archive is damaged ({exc}); zip the book again") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted members, unsupported compression
        raise UploadError(f"{label}: the archive cannot be read ({exc}); zip the book without a password") from exc


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
