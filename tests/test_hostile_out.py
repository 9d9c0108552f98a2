"""Hostile output folders and faults mid-batch: OUT a file or read-only, links inside OUT, a
manifest naming paths outside OUT, another run holding OUT, a disk that fills up, a worker that dies,
and the one-account reruns (`--account`). Each asserts the exit code, the message, that OUT stays
consistent (or untouched) and that nothing outside OUT is touched.

The disk-full cases use an injected fault (`UDFI_FAULT=enospc-after:N`, see udfi.batch.files) and,
where this machine lets the test mount one, a real 1 MiB tmpfs.
"""

from __future__ import annotations

import json
from dataclasses import replace
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from hostile_helpers import assert_consistent_out, nothing_written, read_csv, run, snapshot
from udfi.batch import package as batch_package
from udfi.batch.lock import OutputLock
from udfi.batch.package import run_chunk_safely
from udfi.batch.run import PREPARE, PrepareOptions, prepare

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "fixtures" / "hostile" / "_base" / "book"
YEAR = 2021


@pytest.fixture(autouse=True)
def _quick_batch(monkeypatch, tmp_path_factory):
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    monkeypatch.delenv("UDFI_FAULT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(batch_package, "_statements_module", lambda: None)


@pytest.fixture()
def forms(tmp_path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    return folder


def _prepare(book: Path, out: Path, forms: Path, *extra) -> tuple[int, str, str]:
    return run(["prepare", book, "--year", YEAR, "--out", out, "--jobs", "1", "--all", "--forms-dir", forms, *extra])


def _book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    return book


# ---- OUT itself --------------------------------------------------------------------------------

def test_out_is_a_file(tmp_path, forms):
    out = tmp_path / "out"
    out.write_text("mine\n")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 2 and "is a file, not a folder" in stderr and str(out) in stderr
    assert out.read_text() == "mine\n"


def test_out_parent_is_a_file(tmp_path, forms):
    (tmp_path / "parent").write_text("mine\n")
    code, _, stderr = _prepare(BASE, tmp_path / "parent" / "out", forms)
    assert code == 2 and "is a file, not a folder" in stderr and "parent" in stderr
    assert (tmp_path / "parent").read_text() == "mine\n"


def test_out_not_writable_is_found_before_any_work(tmp_path, forms, monkeypatch):
    """Root ignores permission bits, so a read-only file system is simulated: the first write fails
    with EROFS (the real one is below, on a read-only tmpfs)."""
    out = tmp_path / "out"
    monkeypatch.setenv("UDFI_FAULT", "erofs-at:1")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 2 and "cannot write there" in stderr and "Read-only file system" in stderr
    nothing_written(out)


def test_free_space_is_checked_before_the_work(tmp_path, forms, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("UDFI_FAULT", "free-bytes:1000")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 2 and "MiB free" in stderr and "nothing was prepared" in stderr
    nothing_written(out)


def test_refused_run_removes_the_out_folder_it_created(tmp_path, forms):
    out = tmp_path / "new" / "out"
    code, _, stderr = run(["prepare", BASE, "--year", "1999", "--out", out, "--forms-dir", forms])
    assert code == 2
    assert not out.exists() or not any(out.iterdir())


# ---- links and paths inside OUT -----------------------------------------------------------------

@pytest.mark.parametrize("where", ["account", "year", "file"])
def test_links_inside_out_are_never_followed(tmp_path, forms, where):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me\n")
    (elsewhere / str(YEAR)).mkdir()
    (elsewhere / str(YEAR) / "return.json").write_text("not udfi's\n")
    out.mkdir()
    if where == "account":
        (out / "A1").symlink_to(elsewhere)
    elif where == "year":
        (out / "A1").mkdir()
        (out / "A1" / str(YEAR)).symlink_to(elsewhere / str(YEAR))
    else:
        (out / "A1" / str(YEAR)).mkdir(parents=True)
        (out / "A1" / str(YEAR) / "return.json").symlink_to(elsewhere / "precious.txt")
    before = snapshot(elsewhere)
    code, _, stderr = _prepare(BASE, out, forms)
    assert snapshot(elsewhere) == before  # nothing written, nothing deleted there
    if where == "file":  # the link itself is replaced by the real file; its target is untouched
        assert code == 0, stderr
        assert not (out / "A1" / str(YEAR) / "return.json").is_symlink()
        assert_consistent_out(out)
        return
    assert code == 3, stderr
    summary = {row["account_id"]: row for row in read_csv(out / "summary.csv")}
    assert summary["A1"]["status"] == "exception" and "symbolic link" in summary["A1"]["problem"]
    assert summary["A2"]["status"] == "file" and (out / "A2" / str(YEAR) / "return.json").is_file()


def test_resume_never_reads_or_reports_a_manifest_path_outside_out(tmp_path, forms):
    out = tmp_path / "out"
    assert _prepare(BASE, out, forms)[0] == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("outside OUT\n")
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["accounts"]["A1"]
    entry["outputs"] = {"../secret.txt": "0" * 64, str(secret): "0" * 64, **entry["outputs"]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    code, stdout, stderr = _prepare(BASE, out, forms, "--resume")
    assert code == 0, stderr
    reports = assert_consistent_out(out)
    text = json.dumps(reports["manifest"]) + (out / "summary.csv").read_text()
    assert "secret.txt" not in text and "secret.txt" not in stdout + stderr
    assert secret.read_text() == "outside OUT\n"
    assert "1 package(s) written" in stdout and "2 skipped" in stdout  # A1 redone, the others reused


# ---- one run at a time -------------------------------------------------------------------------------

def test_a_second_run_and_resume_refuse_while_a_live_run_holds_out(tmp_path, forms):
    out = tmp_path / "out"
    assert _prepare(BASE, out, forms)[0] == 0
    before = snapshot(out)
    with OutputLock(out):  # another run (this process) holds OUT
        for extra in ((), ("--resume",)):
            code, _, stderr = _prepare(BASE, out, forms, *extra)
            assert code == 2 and "in use by another run" in stderr and f"pid {os.getpid()}" in stderr
    assert {k: v for k, v in snapshot(out).items() if not k.endswith(".udfi.lock")} == before


def test_a_stale_lock_of_a_dead_run_is_taken_over(tmp_path, forms):
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    (out / ".udfi.lock").write_text(json.dumps({"pid": 2**22 + 12345, "host": os.uname().nodename,
                                                "started": "2026-01-01T00:00:00+00:00"}))
    (out / "A1" / str(YEAR)).mkdir(parents=True, mode=0o700)
    (out / "A1" / str(YEAR) / ".return.json.tmp-4242").write_text("half")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 0, stderr
    assert "took over the lock of an earlier run" in stderr and "removed 1 temporary file" in stderr
    assert_consistent_out(out)


# ---- faults during the batch ----------------------------------------------------------------------

def test_disk_full_mid_batch_stops_cleanly_and_resume_completes(tmp_path, forms, monkeypatch):
    """ENOSPC on the 5th file write (probe, A1's 990-T.xml, diagnostics.html and return.json, then A2's 990-T.xml): the run
    stops, A2 and A3
    are reported not prepared, the reports still describe exactly what is in OUT, no temporary is
    left; with space again, --resume completes the same OUT."""
    out = tmp_path / "out"
    monkeypatch.setenv("UDFI_FAULT", "enospc-at:5")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 3 and "No space left on device" in stderr
    assert "the run stopped" in stderr
    reports = assert_consistent_out(out)
    summary = {row["account_id"]: row for row in reports["summary"]}
    assert summary["A1"]["status"] == "file"
    assert summary["A2"]["status"] == summary["A3"]["status"] == "exception"
    assert "No space left" in summary["A2"]["problem"] and "not prepared" in summary["A3"]["problem"]
    monkeypatch.delenv("UDFI_FAULT")
    code, stdout, stderr = _prepare(BASE, out, forms, "--resume")
    assert code == 0, stderr
    assert "2 package(s) written" in stdout and "1 skipped" in stdout
    assert {row["status"] for row in assert_consistent_out(out)["summary"]} == {"file", "not_required"}


def test_disk_full_while_writing_the_reports_changes_none_of_them(tmp_path, forms, monkeypatch):
    out = tmp_path / "out"
    assert _prepare(BASE, out, forms)[0] == 0
    before = snapshot(out)
    # probe, 3 packages (990-T.xml, diagnostics.html and return.json each without statements and blanks), then
    # the first report
    monkeypatch.setenv("UDFI_FAULT", "enospc-at:11")
    code, _, stderr = _prepare(BASE, out, forms)
    assert code == 2 and "none of them was changed" in stderr
    after = snapshot(out)
    for name in ("summary.csv", "exceptions.csv", "manifest.json"):
        assert after[str(out / name)] == before[str(out / name)]
    assert not [path for path in after if ".tmp-" in path]


def _tmpfs(where: Path, options: str) -> bool:
    where.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    return result.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


def test_a_real_full_disk(tmp_path, forms):
    """A 1 MiB tmpfs filled up by the packages: a clear message, consistent reports or none."""
    mount = tmp_path / "small"
    if not _tmpfs(mount, "size=1m,mode=0755"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        filler = mount / "filler"
        filler.write_bytes(b"\0" * (1024 * 1024 - 80 * 1024))  # leave ~80 KiB
        out = mount / "out"
        book = tmp_path / "book"
        shutil.copytree(BASE, book)
        code, _, stderr = run(["prepare", book, "--year", YEAR, "--out", out, "--jobs", "1", "--all",
                               "--forms-dir", forms])
        assert code == 2 and "MiB free" in stderr  # refused before the work: too little room
        nothing_written(out)
        filler.unlink()
        filler.write_bytes(b"\0" * (1024 * 1024 - 150 * 1024))
        os.environ["UDFI_FAULT"] = "free-bytes:999999999"  # pass the estimate; the disk then fills for real
        try:
            code, _, stderr = run(["prepare", book, "--year", YEAR, "--out", out, "--jobs", "1", "--all",
                                   "--forms-dir", forms])
        finally:
            del os.environ["UDFI_FAULT"]
        assert code in (2, 3), stderr
        assert "No space left on device" in stderr
        if code == 3:
            assert_consistent_out(out)
        assert not [path for path in out.rglob("*") if ".tmp-" in path.name]
    finally:
        _umount(mount)


def test_a_read_only_file_system(tmp_path, forms):
    mount = tmp_path / "ro"
    if not _tmpfs(mount, "size=1m,ro"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        code, _, stderr = _prepare(BASE, mount, forms)
        assert code == 2 and "Read-only file system" in stderr
    finally:
        _umount(mount)


def _dies_for_a2(job):
    """A chunk worker whose process dies (as in a segfault) on account A2."""
    if "A2" in job.account_ids:
        os._exit(1)
    return run_chunk_safely(job)


def test_a_worker_that_dies_takes_only_its_own_account(tmp_path, forms):
    out = tmp_path / "out"
    outcome = prepare(PrepareOptions(book=BASE, tax_year=YEAR, out=out, jobs=2, forms_dir=forms, all_accounts=True,
                                     chunk_size=3), echo=lambda text: None, kind=replace(PREPARE, chunk=_dies_for_a2))
    assert outcome.exit_code == 3
    summary = {row["account_id"]: row for row in assert_consistent_out(out)["summary"]}
    assert summary["A2"]["status"] == "exception" and "worker process failed" in summary["A2"]["problem"]
    assert summary["A1"]["status"] == "file" and summary["A3"]["status"] == "not_required"


def test_a_failure_outside_any_account_still_leaves_consistent_reports(tmp_path, forms, monkeypatch):
    out = tmp_path / "out"
    calls = []

    def explode_on_second_chunk(job):
        calls.append(job.account_ids)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return run_chunk_safely(job)

    outcome = prepare(PrepareOptions(book=BASE, tax_year=YEAR, out=out, jobs=1, forms_dir=forms, all_accounts=True,
                                     chunk_size=1), echo=lambda text: None, kind=replace(PREPARE, chunk=explode_on_second_chunk))
    assert outcome.exit_code == 130 and outcome.stopped == "interrupted"
    summary = {row["account_id"]: row for row in assert_consistent_out(out)["summary"]}
    assert summary["A1"]["status"] == "file"
    assert summary["A2"]["status"] == summary["A3"]["status"] == "exception"


def test_permissions_default_private_and_group_on_request(tmp_path, forms):
    out = tmp_path / "out"
    assert _prepare(BASE, out, forms)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert_consistent_out(out, 0o600, 0o700)
    shared = tmp_path / "shared"
    assert _prepare(BASE, shared, forms, "--permissions", "group")[0] == 0
    assert_consistent_out(shared, 0o640, 0o750)
    code, _, stderr = _prepare(BASE, tmp_path / "x", forms, "--permissions", "everyone")
    assert code == 2 and "--permissions must be one of" in stderr


# ---- one-account reruns -----------------------------------------------------------------------------

def test_rerun_one_account_keeps_the_others_consistent(tmp_path, forms):
    book = _book(tmp_path)
    out = tmp_path / "out"
    assert _prepare(book, out, forms)[0] == 0
    first = {row["account_id"]: row for row in read_csv(out / "summary.csv")}
    a1_return = (out / "A1" / str(YEAR) / "return.json").read_bytes()
    text = (book / "accounts.csv").read_text().replace("Raj Patel", "Raj K. Patel")
    (book / "accounts.csv").write_text(text)
    code, stdout, stderr = _prepare(book, out, forms, "--account", "A2")
    assert code == 0, stderr
    assert "1 package(s) written" in stdout and "2 kept from the previous run" in stdout
    summary = {row["account_id"]: row for row in assert_consistent_out(out)["summary"]}
    assert "Raj K. Patel" in summary["A2"]["name"]
    assert summary["A1"] == first["A1"] and summary["A3"] == first["A3"]
    assert (out / "A1" / str(YEAR) / "return.json").read_bytes() == a1_return

    ids = tmp_path / "ids.txt"
    ids.write_text("# accounts whose owners sent fixes\nA1\n\nA3\n")
    code, stdout, _ = _prepare(book, out, forms, "--accounts-file", ids)
    assert code == 0 and "2 package(s) written" in stdout and "1 kept" in stdout
    code, _, stderr = _prepare(book, out, forms, "--account", "A9")
    assert code == 2 and "'A9' not in the book" in stderr
    assert_consistent_out(out)


def test_problem_files_speak_in_the_owners_own_rows(tmp_path, forms):
    """A2's ledger row 20 of the combined file is the 1st of A2's own ledger rows (row 2 of an
    extract with a header)."""
    book = _book(tmp_path)
    lines = (book / "ledger.csv").read_text().splitlines()
    lines[19] = lines[19].replace("1500.00", "15OO.00")  # file row 20: A2's first ledger row
    (book / "ledger.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert _prepare(book, out, forms)[0] == 3
    text = (out / "A2" / str(YEAR) / "problems.txt").read_text()
    assert "The return was NOT prepared" in text
    assert 'ledger, your row 2 (ledger.csv row 20 in the combined file), column "amount"' in text
    assert '"15OO.00"' in text and "This column is: Non-zero" in text
    assert not (out / "A1" / str(YEAR) / "problems.txt").exists()
    # fixed: the next run removes the problems file
    (book / "ledger.csv").write_text("\n".join(lines).replace("15OO.00", "1500.00") + "\n")
    assert _prepare(book, out, forms, "--account", "A2")[0] == 0
    assert not (out / "A2" / str(YEAR) / "problems.txt").exists()
    assert_consistent_out(out)


# ---- books that are file system oddities -------------------------------------------------------------

def test_a_fifo_named_like_a_table_is_refused_not_read(tmp_path, forms):
    book = _book(tmp_path)
    (book / "payments.csv").unlink(missing_ok=True)
    os.mkfifo(book / "payments.csv")  # reading it would block forever
    code, stdout, stderr = run(["validate", book, "--format", "json"])
    assert code == 1
    problem = json.loads(stdout)["problems"][0]
    assert problem["file"] == "payments.csv" and "pipe" in problem["expected"]
    code, _, stderr = _prepare(book, tmp_path / "out", forms)
    assert code == 1 and "payments.csv" in stderr


def test_an_unreadable_table_is_named(tmp_path, forms, monkeypatch):
    """Root reads any file, so the permission error is injected into the read of ledger.csv."""
    import builtins

    book = _book(tmp_path)
    real_open = builtins.open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("ledger.csv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    code, stdout, _ = run(["validate", book, "--format", "json"])
    assert code == 1
    problem = json.loads(stdout)["problems"][0]
    assert problem["file"] == "ledger.csv" and "Permission denied" in problem["expected"]


@pytest.mark.parametrize("book_kind", ["missing", "csv-file", "empty-folder"])
def test_books_that_are_not_books(tmp_path, forms, book_kind):
    target = {"missing": tmp_path / "nope", "csv-file": BASE / "accounts.csv", "empty-folder": tmp_path / "empty"}
    book = target[book_kind]
    if book_kind == "empty-folder":
        book.mkdir()
    code, _, stderr = run(["validate", book])
    assert code == (1 if book_kind == "empty-folder" else 2), stderr
    code, _, stderr = _prepare(book, tmp_path / "out", forms)
    assert code in (1, 2) and "error:" in stderr
    nothing_written(tmp_path / "out")
