"""`udfi prepare`: the custodian batch — isolation, exit codes, summary, manifest, --resume, missing blanks,
and no half-written package ever."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from udfi.batch import files as batch_files, package as batch_package, slicing as batch_slicing
from udfi.cli import app
from udfi.forms.blanks import find_blanks
from udfi.batch.files import write_package
from udfi.batch.run import PrepareOptions, prepare
from udfi.batch.slicing import BookSlicer
from udfi.synth import synth
from udfi.validate import validate_book

YEAR = 2022
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"


def _forms_dir() -> Path | None:
    configured = os.environ.get("UDFI_FORMS_DIR") or str(REPO.parent / "shared" / "irs-forms")
    return Path(configured) if find_blanks(YEAR, Path(configured)) else None


@pytest.fixture(autouse=True)
def _no_ambient_blanks(monkeypatch, tmp_path_factory, request):
    """Blanks come only from what a test passes: no $UDFI_FORMS_DIR, an empty per-user cache.
    statements.pdf (about a second per account) is rendered only by tests that ask for the
    `real_statements` fixture; the others exercise the batch itself."""
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    if "real_statements" not in request.fixturenames:
        monkeypatch.setattr(batch_package, "_statements_module", lambda: None)


@pytest.fixture(scope="module")
def broken_book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prepare") / "book"
    synth(30, "2020-2025", 5, out, broken=3)
    return out


@pytest.fixture()
def empty_forms(tmp_path) -> Path:
    folder = tmp_path / "no-forms"
    folder.mkdir()
    return folder


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # report CSVs carry a BOM for Excel
        return list(csv.DictReader(handle))


def _broken_accounts(book: Path) -> set[str]:
    return {line.split("\t")[0] for line in (book / "broken.txt").read_text().splitlines() if line}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(out: Path) -> list[Path]:
    return [path for path in out.rglob("*") if batch_files.TMP_MARK in path.name]


def test_broken_accounts_are_isolated_and_every_other_package_is_written(broken_book: Path, tmp_path: Path):
    forms = _forms_dir()
    if forms is None:
        pytest.skip("official blanks for 2022 not available (set UDFI_FORMS_DIR)")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["prepare", str(broken_book), "--year", str(YEAR), "--out", str(out),
                                      "--jobs", "2", "--forms-dir", str(forms)])
    assert result.exit_code == 3, result.output

    broken = _broken_accounts(broken_book)
    exceptions = _csv(out / "exceptions.csv")
    assert {row["account_id"] for row in exceptions if row["account_id"]} == broken
    for row in exceptions:
        assert row["stage"] == "validate" and row["problem"]
    assert any(row["file"] and row["row"] for row in exceptions)

    accounts = _csv(broken_book / "accounts.csv")
    summary = _csv(out / "summary.csv")
    assert [row["account_id"] for row in summary] == [row["account_id"] for row in accounts]
    statuses = {row["account_id"]: row["status"] for row in summary}
    assert {a for a, s in statuses.items() if s == "exception"} == broken

    # Figures agree with `udfi check` for every account that was computed.
    check = CliRunner().invoke(app, ["check", str(broken_book), "--year", str(YEAR), "--format", "csv"])
    checked = {row["account_id"]: row for row in csv.DictReader(io.StringIO(check.stdout)) if row["status"] != "exception"}
    assert checked
    for row in summary:
        if row["status"] == "exception":
            continue
        for column in ("status", "gross_unrelated_income", "ubti", "tax", "payments", "balance_due", "due_date"):
            assert row[column] == checked[row["account_id"]][column], (row["account_id"], column)

    filing = [row for row in summary if row["status"] == "file"]
    assert filing
    for row in filing:
        folder = out / row["account_id"] / str(YEAR)
        assert (folder / "990-T.pdf").read_bytes().startswith(b"%PDF")
        data = json.loads((folder / "return.json").read_text())
        assert data["tax_year"] == YEAR and data["account_id"] == row["account_id"] and data["must_file"] is True
        assert f"{row['account_id']}/{YEAR}/990-T.pdf" in row["outputs"].split(";")
    for row in summary:
        if row["status"] != "file":  # an exception account gets only the owner's problems.txt
            folder = out / row["account_id"] / str(YEAR)
            assert not (out / row["account_id"]).exists() or [p.name for p in folder.iterdir()] == ["problems.txt"]

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] and manifest["tax_year"] == YEAR
    assert str(YEAR) in manifest["parameters"]
    for name, digest in manifest["inputs"].items():
        assert _sha(broken_book / name) == digest
    assert "summary.csv" in manifest["outputs"] and "exceptions.csv" in manifest["outputs"]
    for relative, digest in manifest["outputs"].items():
        assert _sha(out / relative) == digest, relative
    written = {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()} - {"manifest.json"}
    assert written == set(manifest["outputs"])
    assert not _leftovers(out)


def test_resume_redoes_nothing_then_only_the_changed_account(broken_book: Path, tmp_path: Path, empty_forms: Path):
    book = tmp_path / "book"
    shutil.copytree(broken_book, book)
    out = tmp_path / "out"
    options = PrepareOptions(book=book, tax_year=YEAR, out=out, jobs=1, forms_dir=empty_forms, all_accounts=True)
    first = prepare(options, echo=lambda text: None)
    assert first.exit_code == 3 and first.packages == 30 - 3
    mtimes = {path: path.stat().st_mtime_ns for path in out.rglob("return.json")}

    runner = CliRunner()
    again = runner.invoke(app, ["prepare", str(book), "--year", str(YEAR), "--out", str(out), "--jobs", "1", "--all",
                                "--forms-dir", str(empty_forms), "--resume"])
    assert again.exit_code == 3, again.output
    assert "0 package(s) written" in again.stdout and "27 skipped" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in out.rglob("return.json")} == mtimes

    # Change one account's row: only that account is redone.
    summary = _csv(out / "summary.csv")
    target = next(row["account_id"] for row in summary if row["status"] != "exception")
    accounts = (book / "accounts.csv").read_text().splitlines()
    accounts = [line.replace(",", ",Renamed ", 1) if line.startswith(target + ",") else line for line in accounts]
    (book / "accounts.csv").write_text("\n".join(accounts) + "\n")
    third = prepare(PrepareOptions(**{**options.__dict__, "resume": True}), echo=lambda text: None)
    assert (third.packages, third.skipped) == (1, 26)
    assert json.loads((out / target / str(YEAR) / "return.json").read_text())["name"].startswith("Renamed ")

    # A damaged output is noticed and rewritten.
    victim = out / target / str(YEAR) / "return.json"
    victim.write_text("{}")
    fourth = prepare(PrepareOptions(**{**options.__dict__, "resume": True}), echo=lambda text: None)
    assert (fourth.packages, fourth.skipped) == (1, 26)
    assert json.loads(victim.read_text())["account_id"] == target


def test_missing_blanks_are_not_fatal_unless_required(tmp_path: Path, empty_forms: Path):
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["prepare", str(SAMPLE), "--year", str(YEAR), "--out", str(out), "--jobs", "1",
                                 "--forms-dir", str(empty_forms)])
    assert result.exit_code == 0, result.output
    fetch_lines = [line for line in result.output.splitlines() if "udfi forms fetch 2022" in line]
    assert len(fetch_lines) == 1 and "f990t.pdf" in fetch_lines[0]
    filing = [row for row in _csv(out / "summary.csv") if row["status"] == "file"]
    assert filing
    for row in filing:
        folder = out / row["account_id"] / str(YEAR)
        assert (folder / "return.json").is_file()
        assert not (folder / "990-T.pdf").exists()

    strict = tmp_path / "strict"
    result = runner.invoke(app, ["prepare", str(SAMPLE), "--year", str(YEAR), "--out", str(strict), "--jobs", "1",
                                 "--forms-dir", str(empty_forms), "--require-forms"])
    assert result.exit_code == 2
    assert "udfi forms fetch 2022" in result.output
    assert not strict.exists() or not any(strict.iterdir())


def test_usage_and_invalid_exit_codes(tmp_path: Path, empty_forms: Path):
    runner = CliRunner()
    missing = runner.invoke(app, ["prepare", str(tmp_path / "nope"), "--year", str(YEAR), "--out",
                                  str(tmp_path / "o1"), "--forms-dir", str(empty_forms)])
    assert missing.exit_code == 2
    no_parameters = runner.invoke(app, ["prepare", str(SAMPLE), "--year", "1999", "--out", str(tmp_path / "o2"),
                                        "--forms-dir", str(empty_forms)])
    assert no_parameters.exit_code == 2
    structural = tmp_path / "structural"
    shutil.copytree(SAMPLE, structural)
    (structural / "ledger.csv").unlink()
    invalid = runner.invoke(app, ["prepare", str(structural), "--year", str(YEAR), "--out", str(tmp_path / "o3"),
                                  "--forms-dir", str(empty_forms)])
    assert invalid.exit_code == 1


def test_failure_while_writing_leaves_no_partial_package(broken_book: Path, tmp_path: Path, empty_forms: Path,
                                                         monkeypatch):
    out = tmp_path / "out"
    report = validate_book(broken_book)
    clean = [a for a in report.book.accounts["account_id"] if a not in report.accounts_with_errors]
    victim = clean[4]
    real_replace = os.replace

    def failing_replace(source, target, *args, **kwargs):
        if Path(target).name == "return.json" and Path(target).parent.parent.name == victim:
            raise OSError(36, "File name too long")  # one account's own failure (disk full stops the run)
        return real_replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    outcome = prepare(PrepareOptions(book=broken_book, tax_year=YEAR, out=out, jobs=1, forms_dir=empty_forms,
                                     all_accounts=True), echo=lambda text: None)
    assert outcome.exit_code == 3
    rows = [row for row in _csv(out / "exceptions.csv") if row["account_id"] == victim]
    assert rows and rows[0]["stage"] == "output" and "File name too long" in rows[0]["problem"]
    folder = out / victim / str(YEAR)
    assert not folder.exists() or [p.name for p in folder.iterdir()] == ["problems.txt"]
    assert not _leftovers(out)
    for account_id in clean:
        if account_id != victim:
            assert (out / account_id / str(YEAR) / "return.json").is_file()


def test_write_package_is_all_or_nothing(tmp_path: Path, monkeypatch):
    folder = tmp_path / "A1" / "2022"
    write_package(folder, {"990-T.pdf": b"%PDF old", "return.json": b"{}"})
    calls = []
    real_replace = os.replace

    def second_fails(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk went away")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OSError):
        write_package(folder, {"990-T.pdf": b"%PDF new", "return.json": b'{"new": true}'})
    assert list(folder.iterdir()) == []  # neither a mix of old and new nor a temporary file


def test_a_failing_account_stage_is_isolated(broken_book: Path, tmp_path: Path, empty_forms: Path, monkeypatch):
    report = validate_book(broken_book)
    clean = [a for a in report.book.accounts["account_id"] if a not in report.accounts_with_errors]
    bad_compute, bad_return = clean[1], clean[2]
    real_compute, real_object = batch_package.compute_book, batch_package.account_object

    def compute(book, *args, **kwargs):
        if bad_compute in set(book.accounts["account_id"]):
            raise ZeroDivisionError("simulated")
        return real_compute(book, *args, **kwargs)

    def account_object(result):
        if result.account_id == bad_return:
            raise KeyError("simulated")
        return real_object(result)

    monkeypatch.setattr(batch_package, "compute_book", compute)
    monkeypatch.setattr(batch_package, "account_object", account_object)
    out = tmp_path / "out"
    outcome = prepare(PrepareOptions(book=broken_book, tax_year=YEAR, out=out, jobs=1, forms_dir=empty_forms,
                                     all_accounts=True, chunk_size=10), echo=lambda text: None)
    assert outcome.exit_code == 3
    stages = {row["account_id"]: row["stage"] for row in _csv(out / "exceptions.csv") if row["account_id"]}
    assert stages[bad_compute] == "compute" and stages[bad_return] == "return"
    assert outcome.packages == len(clean) - 2
    assert not (out / bad_return / str(YEAR) / "return.json").exists()


def test_slices_are_the_same_rows_as_for_accounts(broken_book: Path):
    book = validate_book(broken_book).book
    slicer = BookSlicer(book)
    chosen = book.accounts["account_id"].tolist()[3:11]
    sliced, expected = slicer.sub_book(chosen), book.for_accounts(chosen)
    for table in batch_slicing.BOOK_TABLES:
        assert getattr(sliced, table).equals(getattr(expected, table)), table
    hashes = slicer.account_hashes(book.accounts["account_id"])
    assert len(set(hashes.values())) == len(hashes)


@pytest.fixture()
def real_statements() -> None:
    """Opt in to rendering statements.pdf."""


def test_sample_package_has_statements_and_return_json(tmp_path: Path, empty_forms: Path, real_statements):
    if batch_package._statements_module() is None:
        pytest.skip("udfi.statements not installed")
    out = tmp_path / "out"
    forms = _forms_dir()
    outcome = prepare(PrepareOptions(book=SAMPLE, tax_year=YEAR, out=out, jobs=1, forms_dir=forms or empty_forms),
                      echo=lambda text: None)
    assert outcome.exit_code == 0 and outcome.packages == 2
    manifest = json.loads((out / "manifest.json").read_text())
    for account_id in ("IRA-CHEN", "ROTH-OKAFOR"):
        folder = out / account_id / str(YEAR)
        assert (folder / "statements.pdf").read_bytes().startswith(b"%PDF")
        assert manifest["outputs"][f"{account_id}/{YEAR}/statements.pdf"] == _sha(folder / "statements.pdf")
        if forms is not None:
            assert (folder / "990-T.pdf").is_file()
        data = json.loads((folder / "return.json").read_text())
        assert data["tax_year"] == YEAR and data["account_id"] == account_id
        if batch_package._add_derivations() is not None:
            assert data["derivations"]["form_990t.part_i.11"]["value"] == data["form_990t"]["part_i"]["11"]
    assert not (out / "S401K-OKAFOR").exists()


def test_a_failing_statement_is_isolated(broken_book: Path, tmp_path: Path, empty_forms: Path, monkeypatch):
    report = validate_book(broken_book)
    clean = [a for a in report.book.accounts["account_id"] if a not in report.accounts_with_errors]
    victim = clean[3]

    class FakeStatements:
        @staticmethod
        def render_statements(result):
            if result.account_id == victim:
                raise ValueError("simulated layout failure")
            return b"%PDF-1.7 fake statements"

        @staticmethod
        def render_many(results):
            return [FakeStatements.render_statements(result) for result in results]

    monkeypatch.setattr(batch_package, "_statements_module", lambda: FakeStatements)
    monkeypatch.setattr(batch_package, "STATEMENTS_BATCH", 4)
    out = tmp_path / "out"
    outcome = prepare(PrepareOptions(book=broken_book, tax_year=YEAR, out=out, jobs=1, forms_dir=empty_forms,
                                     all_accounts=True), echo=lambda text: None)
    assert outcome.exit_code == 3 and outcome.packages == len(clean) - 1
    rows = [row for row in _csv(out / "exceptions.csv") if row["account_id"] == victim]
    assert rows[0]["stage"] == "statements" and "simulated layout failure" in rows[0]["problem"]
    assert not (out / victim / str(YEAR)).exists() or [p.name for p in (out / victim / str(YEAR)).iterdir()] == [
        "problems.txt"]
    for account_id in clean:
        if account_id != victim:
            assert (out / account_id / str(YEAR) / "statements.pdf").read_bytes().startswith(b"%PDF")


def test_out_reflects_the_last_run(tmp_path: Path, empty_forms: Path):
    out = tmp_path / "out"
    options = PrepareOptions(book=SAMPLE, tax_year=YEAR, out=out, jobs=1, forms_dir=empty_forms, all_accounts=True)
    assert prepare(options, echo=lambda text: None).packages == 3
    assert (out / "S401K-OKAFOR" / str(YEAR) / "return.json").is_file()
    again = prepare(PrepareOptions(**{**options.__dict__, "all_accounts": False}), echo=lambda text: None)
    assert again.packages == 2
    assert not (out / "S401K-OKAFOR" / str(YEAR) / "return.json").exists()
    summary = {row["account_id"]: row for row in _csv(out / "summary.csv")}
    assert summary["S401K-OKAFOR"]["status"] == "not_required" and summary["S401K-OKAFOR"]["outputs"] == ""
