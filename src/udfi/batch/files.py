"""The batch's files on disk: hashes, atomic writes, all-or-nothing packages, CSV and manifest bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

FORM_FILE = "990-T.pdf"
PRINT_FILE = "990-T-print.pdf"
STATEMENTS_FILE = "statements.pdf"
RETURN_FILE = "return.json"
EFILE_FILE = "990-T.xml"
ATTACHMENTS_FILE = "attachments.pdf"  # Schedule D (Form 1041), Form 8949, Form 4797, Form 2220, the tax worksheet
LETTER_FILE = "letter.pdf"            # the one-page filing letter
PACKAGE_FILES = (FORM_FILE, PRINT_FILE, STATEMENTS_FILE, RETURN_FILE, EFILE_FILE, ATTACHMENTS_FILE, LETTER_FILE)

SUMMARY_FILE = "summary.csv"
EXCEPTIONS_FILE = "exceptions.csv"
MANIFEST_FILE = "manifest.json"
TMP_MARK = ".tmp-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary name in `path`'s folder, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def safe_folder_name(account_id: str) -> bool:
    """An account id that can be a folder name on every platform without escaping OUT."""
    return (bool(account_id) and account_id.strip(". ") != "" and not any(ch in account_id for ch in '/\\:*?"<>|')
            and all(ord(ch) >= 32 for ch in account_id) and len(account_id) <= 200)


def write_package(folder: Path, files: dict[str, bytes], names: tuple[str, ...] = PACKAGE_FILES) -> None:
    """Move all of an account's files into place, or none: temporaries first, then `os.replace` each.
    Files of `names` (this batch's kind of package) not in `files` are stale and removed."""
    folder.mkdir(parents=True, exist_ok=True)
    temporaries: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            temporary = folder / f".{name}{TMP_MARK}{os.getpid()}"
            with open(temporary, "wb") as handle:
                handle.write(data)
            temporaries.append((temporary, folder / name))
        for temporary, final in temporaries:
            os.replace(temporary, final)
        for stale in names:
            if stale not in files:
                (folder / stale).unlink(missing_ok=True)
    except BaseException:
        for temporary, final in temporaries:
            temporary.unlink(missing_ok=True)
            final.unlink(missing_ok=True)  # never leave a mix of old and new files
        raise


def remove_package(folder: Path, names: tuple[str, ...] = PACKAGE_FILES) -> None:
    for name in names:
        (folder / name).unlink(missing_ok=True)


def input_files(book: Path) -> dict[str, str]:
    book = Path(book)
    if book.is_dir():
        paths = sorted(path for path in book.iterdir() if path.is_file() and path.suffix.lower() == ".csv")
        return {path.name: sha256_file(path) for path in paths}
    return {book.name: sha256_file(book)}


def manifest_bytes(manifest: dict) -> bytes:
    """Readable and quick to write: the header indented, then one line per output file and per account."""
    head = {key: value for key, value in manifest.items() if key not in ("outputs", "accounts")}
    lines = [json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ","]
    for key in ("outputs", "accounts"):
        items = list(manifest[key].items())
        lines.append(f' "{key}": {{')
        lines.extend(f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
                     + ("," if position < len(items) - 1 else "") for position, (name, value) in enumerate(items))
        lines.append(" }" + ("," if key == "outputs" else ""))
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def csv_bytes(columns: tuple[str, ...], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
