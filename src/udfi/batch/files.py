"""The batch's files on disk: hashes, atomic writes, all-or-nothing packages, CSV and manifest bytes.

Safety rules every write here follows:
- nothing is written through a symbolic link inside OUT: each folder below OUT is checked with
  `lstat` as it is entered or created (`UnsafeOutputError` otherwise), files are created with
  `O_EXCL | O_NOFOLLOW`, and cleanup unlinks names, never link targets;
- files are written 0600 and folders 0700 by default (`Permissions`; `--permissions group|public`
  loosens them on request);
- every file is first written under a temporary name (`.NAME.tmp-PID`) and moved into place with
  `os.replace`; a failure removes the temporaries.

`UDFI_FAULT` injects faults for tests (see `fault_hook`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import json.encoder
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import orjson

from udfi.safety import looks_like_ssn, spreadsheet_csv_bytes

FORM_FILE = "990-T.pdf"
PRINT_FILE = "990-T-print.pdf"
STATEMENTS_FILE = "statements.pdf"
RETURN_FILE = "return.json"
EFILE_FILE = "990-T.xml"
PROBLEMS_FILE = "problems.txt"
ATTACHMENTS_FILE = "attachments.pdf"  # Schedule D (Form 1041), Form 8949, Form 4797, Form 2220, the tax worksheet
LETTER_FILE = "letter.pdf"            # the one-page filing letter
# The files of one account's `prepare` package (another batch kind passes its own, e.g. `extend`).
DIAGNOSTICS_FILE = "diagnostics.html"  # every flag, warning and assumption of the return (udfi.diagnostics)
PACKAGE_FILES = (FORM_FILE, PRINT_FILE, STATEMENTS_FILE, RETURN_FILE, EFILE_FILE, ATTACHMENTS_FILE, LETTER_FILE,
                 DIAGNOSTICS_FILE)
# `prepare --only PARTS`: the parts a custodian may ask for, each named after its file(s).
# 990-T-print.pdf (--flatten) is part of `pdf`: the same form, flattened.
PACKAGE_PARTS = {"pdf": (FORM_FILE, PRINT_FILE), "statements": (STATEMENTS_FILE,), "attachments": (ATTACHMENTS_FILE,),
                 "letter": (LETTER_FILE,), "diagnostics": (DIAGNOSTICS_FILE,), "json": (RETURN_FILE,),
                 "xml": (EFILE_FILE,)}
ALL_PARTS = tuple(PACKAGE_PARTS)

SUMMARY_FILE = "summary.csv"
EXCEPTIONS_FILE = "exceptions.csv"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".udfi.lock"
TMP_MARK = ".tmp-"
MAX_NAME_BYTES = 200  # a folder name, in UTF-8 bytes (file systems allow 255; room for a suffix)
_WINDOWS_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
# Errors that will hit every account alike: the run stops instead of failing account after account.
SYSTEMIC_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


class UnsafeOutputError(OSError):
    """A path inside OUT that udfi refuses to write through (a link, a file where a folder belongs)."""


@dataclass(frozen=True)
class Permissions:
    """Modes of what udfi writes (exact: set with fchmod/chmod, not left to the umask)."""

    name: str = "private"
    file_mode: int = 0o600
    dir_mode: int = 0o700


PERMISSIONS = {
    "private": Permissions("private", 0o600, 0o700),  # owner only: tax data is personal
    "group": Permissions("group", 0o640, 0o750),  # the owner's group may read
    "public": Permissions("public", 0o644, 0o755),  # everyone on the machine may read
}
PRIVATE = PERMISSIONS["private"]


# --------------------------------------------------------------------------------------------
# Fault injection (tests and `make test`): UDFI_FAULT="enospc-at:N" — the N-th file write of a run
# in one process (1-based, temporaries included; workers count their own) fails with ENOSPC once; any errno name works the same way
# ("erofs-at:1": the first write finds a read-only file system). "free-bytes:N" — the free-space
# check sees N bytes free.
# --------------------------------------------------------------------------------------------

_writes = {"count": 0}


def start_counting_writes() -> None:
    _writes["count"] = 0


def fault_hook() -> None:
    spec = os.environ.get("UDFI_FAULT", "")
    _writes["count"] += 1
    name, _, at = spec.partition("-at:")
    if at.isdigit() and _writes["count"] == int(at):
        code = getattr(errno, name.upper(), errno.EIO)
        raise OSError(code, os.strerror(code))


def free_bytes(folder: Path) -> int:
    spec = os.environ.get("UDFI_FAULT", "")
    if spec.startswith("free-bytes:"):
        return int(spec.split(":", 1)[1])
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def is_systemic(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in SYSTEMIC_ERRNOS


# --------------------------------------------------------------------------------------------
# Hashes
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Folders inside OUT
# --------------------------------------------------------------------------------------------


def folder_name_problem(account_id: str) -> str | None:
    """Why an account id cannot be a folder name below OUT, or None when it can."""
    if not account_id or account_id.strip(". ") == "":
        return "the account_id is empty or only dots and spaces"
    if any(ch in account_id for ch in '/\\:*?"<>|') or any(ord(ch) < 32 or ord(ch) == 127 for ch in account_id):
        return "the account_id cannot be used as a folder name (no / \\ : * ? \" < > | or control characters)"
    if len(account_id.encode("utf-8")) > MAX_NAME_BYTES:
        return (f"the account_id is {len(account_id.encode('utf-8'))} bytes long in UTF-8; a folder name may have "
                f"at most {MAX_NAME_BYTES}")
    if _WINDOWS_RESERVED.fullmatch(account_id) or account_id[-1] in ". ":
        return "the account_id is a reserved device name or ends in a dot or space (not a portable folder name)"
    if looks_like_ssn(account_id):
        return ("the account_id looks like a Social Security number; udfi does not write it into folder names "
                "(use another identifier for the account)")
    return None


def safe_folder_name(account_id: str) -> bool:
    """An account id that can be a folder name on every platform without escaping OUT."""
    return folder_name_problem(account_id) is None


def _check_folder(path: Path, out: Path) -> bool:
    """True if `path` is a real folder, False if absent; UnsafeOutputError for a link or a file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeOutputError(errno.ELOOP, f"{_relative(path, out)} inside OUT is a symbolic link; udfi never writes "
                                             "through links (remove the link)")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeOutputError(errno.ENOTDIR, f"{_relative(path, out)} inside OUT is a file where udfi needs a folder")
    return True


def _relative(path: Path, out: Path) -> str:
    try:
        return str(Path(path).relative_to(out))
    except ValueError:
        return str(path)


def real_folder(out: Path, parts: tuple[str, ...], create: bool, permissions: Permissions = PRIVATE) -> Path | None:
    """OUT/part/part…, every component checked not to be a link; created (with the folder mode)
    when `create`. None when it does not exist and `create` is false."""
    folder = Path(out)
    for part in parts:
        folder = folder / part
        if _check_folder(folder, out):
            if create and stat.S_IMODE(os.lstat(folder).st_mode) != permissions.dir_mode:
                os.chmod(folder, permissions.dir_mode)  # a folder of an earlier run gets this run's mode
            continue
        if not create:
            return None
        try:
            os.mkdir(folder, permissions.dir_mode)
        except FileExistsError:
            _check_folder(folder, out)
            continue
        os.chmod(folder, permissions.dir_mode)
    return folder


def safe_relative_output(relative: str) -> bool:
    """A manifest path that stays inside OUT: relative, no `..`, no absolute or drive part."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\0" in relative:
        return False
    path = PurePosixPath(relative)
    return not path.is_absolute() and ".." not in path.parts and "" not in relative.split("/")


def output_path(out: Path, relative: str) -> Path | None:
    """OUT/relative when it is a regular file reached without any link, else None."""
    if not safe_relative_output(relative):
        return None
    parts = tuple(PurePosixPath(relative).parts)
    try:
        folder = real_folder(out, parts[:-1], create=False)
    except UnsafeOutputError:
        return None
    if folder is None:
        return None
    path = folder / parts[-1]
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISREG(info.st_mode) else None


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _temporary(folder: Path, name: str) -> Path:
    return folder / f".{name}{TMP_MARK}{os.getpid()}"


def _write_new(path: Path, data: bytes, permissions: Permissions) -> None:
    """Create `path` (never an existing file or a link) with exactly the file mode, and write `data`."""
    fault_hook()
    if os.path.lexists(path):  # a temporary left by a killed run of this same pid number
        os.unlink(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         permissions.file_mode)
    try:
        os.fchmod(descriptor, permissions.file_mode)
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    finally:
        os.close(descriptor)


def write_atomically(path: Path, data: bytes, permissions: Permissions = PRIVATE) -> None:
    """Write `data` to a temporary name in `path`'s folder, then move it into place."""
    temporary = _temporary(path.parent, path.name)
    try:
        _write_new(temporary, data, permissions)
        os.replace(temporary, path)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def write_all_or_nothing(folder: Path, files: dict[str, bytes], permissions: Permissions = PRIVATE) -> None:
    """Move every file into `folder`, or none: temporaries first, then `os.replace` each. A failure
    while writing the temporaries leaves the old files as they were; a failure while moving removes
    every file of the set (never a mix of old and new). Temporaries are always removed."""
    temporaries: list[tuple[Path, Path]] = []
    moving = False
    try:
        for name, data in files.items():
            temporary = _temporary(folder, name)
            temporaries.append((temporary, folder / name))
            _write_new(temporary, data, permissions)
        moving = True
        for temporary, final in temporaries:
            os.replace(temporary, final)
    except BaseException:
        for temporary, final in temporaries:
            _unlink_quietly(temporary)
            if moving:
                _unlink_quietly(final)
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_package(folder: Path, files: dict[str, bytes], names: tuple[str, ...] = PACKAGE_FILES,
                  permissions: Permissions = PRIVATE, out: Path | None = None) -> None:
    """An account's package (`folder` = OUT/<account>/<year>), all or nothing; the folders are created
    and links refused. Files of `names` (this batch kind's package) not in `files` are stale and removed."""
    out = Path(out) if out is not None else folder.parent.parent
    real_folder(out, tuple(folder.relative_to(out).parts), create=True, permissions=permissions)
    write_all_or_nothing(folder, files, permissions)
    for stale in names:
        if stale not in files:
            _unlink_quietly(folder / stale)


def remove_package(folder: Path, names: tuple[str, ...] = PACKAGE_FILES, out: Path | None = None) -> None:
    """Remove an earlier package's files (names only: a link is removed, never followed)."""
    out = Path(out) if out is not None else folder.parent.parent
    try:
        real = real_folder(out, tuple(folder.relative_to(out).parts), create=False)
    except UnsafeOutputError:
        return  # never clean up through a link
    if real is None:
        return
    for name in names:
        try:
            os.unlink(real / name)
        except FileNotFoundError:
            pass


def sweep_temporaries(out: Path, year: int) -> int:
    """Remove temporaries a killed run left in OUT and OUT/<account>/<year>/ (no links followed)."""
    removed = 0

    def sweep(folder: Path) -> None:
        nonlocal removed
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") and TMP_MARK in entry.name and entry.is_file(follow_symlinks=False):
                _unlink_quietly(Path(entry.path))
                removed += 1

    sweep(out)
    try:
        accounts = [entry for entry in os.scandir(out) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for entry in accounts:
        year_folder = Path(entry.path) / str(year)
        if os.path.isdir(year_folder) and not os.path.islink(year_folder):
            sweep(year_folder)
    return removed


def input_files(book: Path) -> dict[str, str]:
    """SHA-256 of every input file (regular files only: a pipe named like a table is not read)."""
    book = Path(book)
    if book.is_dir():
        paths = sorted(path for path in book.iterdir()
                       if path.suffix.lower() == ".csv" and stat.S_ISREG(os.stat(path).st_mode))
        hashes = {}
        for path in paths:
            try:
                hashes[path.name] = sha256_file(path)
            except OSError:
                hashes[path.name] = "unreadable"
        return hashes
    return {book.name: sha256_file(book)}


def _json_text(value, indent: str) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, the same characters, without its generator
    per value (Python 3.11's json has no C path for indented output; this was ~12% of a json+xml package)."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None or value is True or value is False:
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float_text(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_key_text(key)}: {_json_text(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json_text(item, inner) for item in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)  # raises TypeError for what JSON cannot carry, as json does


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key_text(key) -> str:
    if isinstance(key, str):
        return _encode_string(key)
    if isinstance(key, float):
        return _encode_string(_float_text(key))
    if key is True or key is False or key is None:
        return _encode_string("true" if key else "false" if key is False else "null")
    if isinstance(key, int):
        return _encode_string(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


_encode_string = json.encoder.encode_basestring  # the C encoder when available (ensure_ascii=False)


# orjson writes the same text as json.dumps(indent=2, ensure_ascii=False) for str, int, bool, None, dict
# and list (its string escapes are json's), not for floats (1.5e-7 vs 1.5e-07, NaN as null) nor for
# what json refuses and orjson writes (Enum, UUID).
_ORJSON_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_SUBCLASS
                   | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)


class _HasFloat(Exception):
    pass


def _refuse_float(text: str):
    raise _HasFloat(text)


def json_document_bytes(value) -> bytes:
    """return.json's bytes: indented by two spaces, UTF-8, a final newline — json.dumps's text.

    orjson writes it; its text is kept when it holds no float and reads back (json's C scanner)
    equal to `value` — which rules out NaN, Enum, UUID and tuples. Otherwise the pure-Python writer
    decides (and raises what json raises). Twice as quick as that writer alone on a package."""
    try:
        text = orjson.dumps(value, option=_ORJSON_OPTIONS)
        if json.loads(text, parse_float=_refuse_float, parse_constant=_refuse_float) == value:
            return text
    except (TypeError, _HasFloat):  # orjson.JSONEncodeError is a TypeError
        pass
    return (_json_text(value, "") + "\n").encode("utf-8")


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


def csv_bytes(columns: tuple[str, ...], rows: list[dict], user_columns: tuple[str, ...] = ()) -> bytes:
    """A report CSV for spreadsheets (UTF-8 with BOM; user cells masked and formula-neutralized)."""
    return spreadsheet_csv_bytes(columns, rows, user_columns)
