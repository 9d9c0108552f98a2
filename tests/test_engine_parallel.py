"""`iter_compute_book(..., jobs=N, reduce=..., isolate=...)` (engine.parallel) and `udfi check` /
`udfi compute --jobs N`: the same values for any N — the workers compute the same chunks of accounts
as this process — in accounts.csv order, and an account that raises or whose worker process dies
set aside by itself, the others computed as without it (isolation as `udfi prepare`'s).

The books are the stream test's 16 synthetic accounts (sales, refinances, carryovers, K-1s); the
threshold below which the engine stays in one process is lowered so that small books use workers."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_engine_equivalence import _book, plain
from udfi.cli import app
from udfi.engine import parallel
from udfi.engine.compute import compute_book
from udfi.engine.parallel import AccountFailure, WorkerDied
from udfi.engine.stream import iter_compute_book
from udfi.validate import validate_book

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked (Linux)")


@pytest.fixture(autouse=True)
def _workers_for_small_books(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ACCOUNTS", 0)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return _book(tmp_path_factory.mktemp("parallel"), 27)


@pytest.fixture(scope="module")
def book(folder):
    report = validate_book(folder)
    assert report.ok, report.errors[:3]
    return report.book


@pytest.fixture(scope="module")
def whole(book):
    return {year: [plain(result) for result in compute_book(book, year, keep_history=True)] for year in (2022, 2025)}


@pytest.mark.parametrize("year", [2022, 2025])
@pytest.mark.parametrize("chunk", [3, 500])
def test_workers_give_every_account_the_whole_books_result(book, whole, year, chunk):
    """jobs=2: chunks of `chunk` accounts on two workers, each reduced there (`plain`, a picture of
    every figure, flag and history year); in accounts.csv order, equal to compute_book's."""
    values = list(iter_compute_book(book, year, chunk_accounts=chunk, keep_history=True, jobs=2, reduce=plain))
    assert values == whole[year]
    assert len(values) == len(book.accounts) == 16


def test_without_a_reduction_the_workers_send_the_account_years(book, whole):
    results = list(iter_compute_book(book, 2025, keep_history=True, jobs=2))
    assert [plain(result) for result in results] == whole[2025]


def _failing_on(account_id: str, how: str):
    """compute_book, except on a book holding `account_id`: it raises, or kills its process."""
    def compute(part, *args, **kwargs):
        if account_id in set(part.accounts["account_id"]):
            if how == "exit":
                os._exit(7)   # a crash: the worker vanishes without a word
            raise ArithmeticError("bad figure\nsecond line")
        return compute_book(part, *args, **kwargs)
    return compute


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_account_that_raises_fails_alone(book, whole, monkeypatch, jobs):
    bad = book.accounts["account_id"].iloc[6]
    monkeypatch.setattr(parallel, "compute_book", _failing_on(bad, "raise"))
    values = list(iter_compute_book(book, 2025, chunk_accounts=4, keep_history=True, jobs=jobs, reduce=plain,
                                    isolate=True))
    # the message prepare writes: the error's type and its first line (batch.records.short_error)
    assert values[6] == AccountFailure(bad, "compute", "ArithmeticError: bad figure")
    assert values[:6] + values[7:] == whole[2025][:6] + whole[2025][7:]


def test_without_isolation_the_error_propagates(book, monkeypatch):
    monkeypatch.setattr(parallel, "compute_book", _failing_on(book.accounts["account_id"].iloc[3], "raise"))
    with pytest.raises(ArithmeticError, match="bad figure"):
        list(iter_compute_book(book, 2025, chunk_accounts=4, jobs=2, reduce=plain))


def test_an_account_that_kills_its_worker_fails_alone(book, whole, monkeypatch):
    """The pool breaks; the units in flight are redone alone and halved until the account that kills
    its worker is alone (stage "worker", prepare's message); every other account is computed."""
    bad = book.accounts["account_id"].iloc[9]
    monkeypatch.setattr(parallel, "compute_book", _failing_on(bad, "exit"))
    values = list(iter_compute_book(book, 2025, chunk_accounts=8, keep_history=True, jobs=2, reduce=plain,
                                    isolate=True))
    assert isinstance(values[9], AccountFailure) and values[9].account_id == bad and values[9].stage == "worker"
    assert values[9].problem.startswith("the worker process failed: BrokenProcessPool")
    assert values[:9] + values[10:] == whole[2025][:9] + whole[2025][10:]


def test_a_dead_worker_without_isolation_raises_worker_died(book, monkeypatch):
    monkeypatch.setattr(parallel, "compute_book", _failing_on(book.accounts["account_id"].iloc[0], "exit"))
    with pytest.raises(WorkerDied, match="worker process failed"):
        list(iter_compute_book(book, 2025, jobs=2, reduce=plain))


# --- the commands -----------------------------------------------------------------------------------

def _run(*args) -> tuple[int, bytes, str]:
    outcome = CliRunner().invoke(app, [str(arg) for arg in args])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    assert "Traceback" not in outcome.output
    return outcome.exit_code, outcome.stdout_bytes, outcome.stderr


@pytest.mark.parametrize("command", ["check", "compute"])
@pytest.mark.parametrize("format", ["csv", "json"])
def test_commands_write_the_same_bytes_for_any_number_of_jobs(folder, command, format):
    outputs = {jobs: _run(command, folder, "--year", 2025, "--format", format, "--jobs", jobs) for jobs in (1, 3)}
    assert outputs[1][0] == 0 and outputs[1][1]
    assert outputs[1] == outputs[3]


def test_check_prints_the_same_sentences_for_any_number_of_jobs(folder):
    assert _run("check", folder, "--year", 2022, "--jobs", 1) == _run("check", folder, "--year", 2022, "--jobs", 2)


def test_check_lists_an_account_whose_worker_died_and_checks_the_others(folder, monkeypatch):
    rows = list(csv.DictReader(io.StringIO(_run("check", folder, "--year", 2025, "--format", "csv", "--jobs", 2)[1]
                                           .decode("utf-8-sig"))))
    bad = rows[5]["account_id"]
    monkeypatch.setattr(parallel, "compute_book", _failing_on(bad, "exit"))
    code, output, _ = _run("check", folder, "--year", 2025, "--format", "csv", "--jobs", 2)
    assert code == 3   # done, with an exception (README, Exit codes)
    broken = list(csv.DictReader(io.StringIO(output.decode("utf-8-sig"))))
    assert [row["account_id"] for row in broken] == [row["account_id"] for row in rows]
    assert broken[5]["status"] == "exception" and broken[5]["name"] == rows[5]["name"]
    assert broken[5]["problem"].startswith("the worker process failed: BrokenProcessPool")
    assert broken[:5] + broken[6:] == rows[:5] + rows[6:]


def test_compute_writes_the_others_and_names_the_account_that_failed(folder, monkeypatch):
    code, output, _ = _run("compute", folder, "--year", 2025, "--format", "json", "--jobs", 2)
    accounts = json.loads(output)["accounts"]
    bad = accounts[2]["account_id"]
    monkeypatch.setattr(parallel, "compute_book", _failing_on(bad, "raise"))
    code, broken, stderr = _run("compute", folder, "--year", 2025, "--format", "json", "--jobs", 2)
    assert code == 3
    assert json.loads(broken)["accounts"] == accounts[:2] + accounts[3:]
    assert f"account {bad} could not be computed (compute): ArithmeticError: bad figure" in stderr
