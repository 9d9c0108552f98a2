"""What must hold after udfi met hostile input, whatever the input was (tests/test_hostile_*.py).

- no Python traceback, a documented exit code;
- OUT consistent: summary.csv, exceptions.csv and manifest.json written together, every output
  hash-matching the manifest, no file in OUT that the manifest does not list, no temporaries, no
  lock left, owner-only modes;
- nothing outside OUT touched (`snapshot` before and after).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from udfi.cli import app
from udfi.safety import safe_cell

EXIT_CODES = {0, 1, 2, 3}
REPORTS = ("summary.csv", "exceptions.csv", "manifest.json")


def run(args: list[str]):
    """The CLI in-process; returns (exit code, stdout, stderr) and fails on any traceback."""
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"udfi {' '.join(map(str, args))} raised {type(result.exception).__name__}: {result.exception}")
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert result.exit_code in EXIT_CODES, (result.exit_code, text)
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every path under `root` (except `skip`) with its kind, mode and content hash."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if skip is not None and Path(dirpath) == skip:
            dirnames[:] = []
            continue
        dirnames[:] = [name for name in dirnames if skip is None or Path(dirpath) / name != skip]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                seen[str(path)] = f"file {oct(info.st_mode)} {hashlib.sha256(path.read_bytes()).hexdigest()}"
            elif stat.S_ISLNK(info.st_mode):
                seen[str(path)] = f"link {os.readlink(path)}"
            else:
                seen[str(path)] = f"other {oct(info.st_mode)}"
    return seen


def read_csv(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), f"{path.name}: expected a UTF-8 BOM (for Excel)"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def assert_consistent_out(out: Path, file_mode: int = 0o600, dir_mode: int = 0o700) -> dict:
    """OUT after a run that wrote its reports; returns the parsed reports."""
    for name in REPORTS:
        assert (out / name).is_file(), f"{name} missing"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    summary = read_csv(out / "summary.csv")
    exceptions = read_csv(out / "exceptions.csv")
    for relative, digest in manifest["outputs"].items():
        assert not relative.startswith("/") and ".." not in relative.split("/"), relative
        path = out / relative
        assert path.is_file() and not path.is_symlink(), relative
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, relative
    files = set()
    for dirpath, dirnames, filenames in os.walk(out):
        for name in dirnames:
            mode = stat.S_IMODE(os.lstat(Path(dirpath) / name).st_mode)
            assert mode == dir_mode, (name, oct(mode))
        for name in filenames:
            path = Path(dirpath) / name
            assert ".tmp-" not in name, f"temporary left: {path}"
            assert name != ".udfi.lock", "lock left behind"
            assert stat.S_IMODE(os.lstat(path).st_mode) == file_mode, (path, oct(os.lstat(path).st_mode))
            files.add(str(path.relative_to(out)))
    assert files - {"manifest.json"} == set(manifest["outputs"]), files ^ set(manifest["outputs"])
    # summary.csv neutralizes formula-like ids for spreadsheets; the manifest keeps them (masked)
    keys = {safe_cell(key): key for key in manifest["accounts"]}
    assert [row["account_id"] for row in summary] == list(keys), "summary and manifest disagree"
    for row in summary:
        entry = manifest["accounts"][keys[row["account_id"]]]
        assert entry["status"] == row["status"]
        assert sorted(entry["outputs"]) == sorted(filter(None, row["outputs"].split(";")))
    listed = {row["account_id"] for row in exceptions if row["account_id"]}
    assert listed == {row["account_id"] for row in summary if row["status"] == "exception"}
    return {"manifest": manifest, "summary": summary, "exceptions": exceptions}


def all_text(out: Path) -> str:
    """Everything udfi echoes into OUT (reports and problems files; not the returns themselves)."""
    parts = []
    for path in out.rglob("*"):
        if path.is_file() and (path.name in REPORTS or path.name == "problems.txt"):
            parts.append(path.read_text(encoding="utf-8-sig"))
    return "\n".join(parts)


def nothing_written(out: Path) -> None:
    """A run refused before the work leaves no reports and no files in OUT."""
    if out.exists():
        leftovers = [str(path.relative_to(out)) for path in out.rglob("*")]
        assert not leftovers, leftovers
