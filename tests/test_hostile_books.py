"""The hostile corpus: every book of fixtures/hostile/ (scripts/make_hostile_fixtures.py) through
`validate`, `check`, `compute` and `prepare`, and every invalid fixture of fixtures/invalid/ likewise.

For each case, besides what its case.json expects (exit codes, the problem located by file, row and
column, the words of the message, the accounts that fail): no traceback; an OUT that is consistent
(or untouched when the run is refused); accounts the case does not break get the same figures as in
the base book; no secret (an SSN) in anything udfi echoes; nothing outside OUT touched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hostile_helpers import all_text, assert_consistent_out, nothing_written, read_csv, run, snapshot
from udfi.batch import package as batch_package
from udfi.safety import safe_cell

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "fixtures" / "hostile"
INVALID = REPO / "fixtures" / "invalid"
CASES = sorted(path.name for path in HOSTILE.iterdir() if (path / "case.json").is_file())
INVALID_KINDS = sorted(path.name for path in INVALID.iterdir() if (path / "expected.json").is_file())
YEAR = 2021
SHOWN_CLASSES = {"workbook", "ssn", "formula injection", "account ids"}
FIGURES = ("status", "gross_unrelated_income", "ubti", "tax", "payments", "balance_due", "due_date", "reason")


@pytest.fixture(autouse=True)
def _quick_batch(monkeypatch, tmp_path_factory):
    """No ambient blanks, no statements rendering (about a second an account): the batch itself."""
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    monkeypatch.delenv("UDFI_FAULT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(batch_package, "_statements_module", lambda: None)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, dict]:
    """The base book's summary rows: what every account a case does not break must still get."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("UDFI_FORMS_DIR", raising=False)
        patch.setattr(batch_package, "_statements_module", lambda: None)
        root = tmp_path_factory.mktemp("baseline")
        (root / "forms").mkdir()
        code, _, stderr = run(["prepare", HOSTILE / "_base" / "book", "--year", YEAR, "--out", root / "out",
                               "--jobs", "1", "--all", "--forms-dir", root / "forms"])
        assert code == 0, stderr
        rows = {row["account_id"]: row for row in read_csv(root / "out" / "summary.csv")}
    assert rows["A1"]["status"] == rows["A2"]["status"] == "file" and rows["A3"]["status"] == "not_required"
    return rows


def _copy_book(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, target / source.name, symlinks=True)
    else:
        shutil.copy2(source, target / source.name)
    return target / source.name


@pytest.mark.parametrize("name", CASES)
def test_hostile_book(name: str, tmp_path: Path, baseline: dict):
    case = json.loads((HOSTILE / name / "case.json").read_text(encoding="utf-8"))
    book = _copy_book(HOSTILE / name / case["book"], tmp_path / "in")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("not udfi's\n")
    (tmp_path / "forms").mkdir()
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    extra = ["--date-format", case["options"]["date_format"]] if case["options"].get("date_format") else []
    echoed = []

    # validate: the exit code, every expected problem located by file, row and column, the words
    code, stdout, stderr = run(["validate", book, "--format", "json", *extra])
    assert code == case["validate_exit"], (code, stdout[-2000:], stderr)
    echoed += [stdout, stderr]
    if code != 2:
        document = json.loads(stdout)
        located = {(p["severity"], p["file"], p["row"], p["column"]) for p in document["problems"]}
        for severity, file, row, column in case["located"]:
            assert (severity, file, row, column) in located, (severity, file, row, column, sorted(located, key=str))
        for problem in document["problems"]:
            assert problem["file"] and problem["expected"], problem  # every problem says where and what
        words = " ".join(f"{p['file']} {p['expected']} {p['value']}" for p in document["problems"]) + stderr
    else:
        assert stderr.startswith("error: ") and str(book.name) in stderr, stderr
        words = stderr
    for text in case["says"]:
        assert text in words, (text, words[:3000])
    # check: no traceback, a documented exit code, the same verdict on the book; the terminal forms
    # (validate's table, check's sentences) where values are echoed through markup
    commands = [["check", book, "--year", YEAR, "--format", "csv"]]
    if case["class"] in SHOWN_CLASSES:
        commands += [["validate", book], ["check", book, "--year", YEAR]]
    for command in commands:
        command_code, command_out, command_err = run([*command, *extra])
        assert (command_code == 2) == (code == 2), (command, command_code, command_err)
        echoed += [command_out, command_err]
        if command[0] == "check" and code == 0:
            assert command_code == 0, command_err
        if command[0] == "validate":
            assert command_code == code
            for text in case["says"]:
                if "[" in text:  # rich markup must not eat `book.xlsx[Ledger]`
                    assert text in command_out + command_err, (command_out + command_err)[:2000]

    # prepare: the exit code; OUT consistent, or untouched when the run is refused
    code, stdout, stderr = run(["prepare", book, "--year", YEAR, "--out", out, "--jobs", "1", "--all",
                                "--forms-dir", tmp_path / "forms", *extra])
    echoed += [stdout, stderr]
    assert code == case["prepare_exit"], (code, stdout, stderr)
    if code in (1, 2):
        assert "error: " in stderr, stderr
        nothing_written(out)
    else:
        reports = assert_consistent_out(out)
        summary = {row["account_id"]: row for row in reports["summary"]}
        for account_id in case["failed"]:
            assert summary[safe_cell(account_id)]["status"] == "exception", (account_id, summary.keys())
        for account_id in case["unaffected"]:
            for column in FIGURES:
                assert summary[account_id][column] == baseline[account_id][column], (account_id, column)
        words = all_text(out) + stderr
        for text in case["prepare_says"]:
            assert text in words, (text, words[:2000])
        for value in case["neutralized"]:
            cells = [cell for row in reports["summary"] for cell in row.values()]
            assert "'" + value in cells and value not in cells, value
        for account_id, expected_name in case["name_of"].items():
            data = json.loads((out / account_id / str(YEAR) / "return.json").read_text(encoding="utf-8"))
            assert data["name"] == expected_name
        echoed.append(all_text(out))

    for secret in case["secrets"]:
        for text in echoed:
            assert secret not in text, (secret, text[:500])
    assert snapshot(tmp_path, skip=out) == {key: value for key, value in before.items()
                                            if not key.startswith(str(out) + "/")}


@pytest.mark.parametrize("kind", INVALID_KINDS)
def test_every_invalid_fixture_runs_through_every_command(kind: str, tmp_path: Path):
    """validate, check, compute and prepare: a clear exit code and never a traceback."""
    book = INVALID / kind
    expected = json.loads((book / "expected.json").read_text())
    (tmp_path / "forms").mkdir()
    commands = (["validate", book], ["validate", book, "--format", "json"],
                ["check", book, "--year", 2021], ["check", book, "--year", 2021, "--format", "csv"],
                ["compute", book, "--year", 2021], ["compute", book, "--year", 2021, "--format", "json"],
                ["prepare", book, "--year", 2021, "--out", tmp_path / "out", "--jobs", "1",
                 "--forms-dir", tmp_path / "forms"])
    codes = [run(command)[0] for command in commands]
    error = expected["severity"] == "error"
    assert codes[0] == codes[1] == (1 if error else 0)
    prepare_code = codes[-1]
    if error and expected["row"] is None:
        assert prepare_code == 1
        nothing_written(tmp_path / "out")
    else:
        # these small books have no addresses, so 990-T.xml cannot be written (stage efile): what
        # matters here is that validation alone sets aside exactly the accounts with errors
        assert prepare_code == 3 or (prepare_code == 0 and not error)
        exceptions = assert_consistent_out(tmp_path / "out")["exceptions"]
        assert any(row["stage"] == "validate" for row in exceptions) == error
