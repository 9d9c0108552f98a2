"""What the batch records per account: its status, summary row, outputs and exceptions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from udfi.validate import Problem, ValidationReport

# stages of exceptions.csv
VALIDATE, COMPUTE, RETURN, FORM, STATEMENTS, OUTPUT = "validate", "compute", "return", "form", "statements", "output"
WORKER, RUN, EFILE = "worker", "run", "efile"
EXCEPTION_COLUMNS = ("account_id", "stage", "problem", "file", "row")
MAX_PROBLEMS_PER_ACCOUNT = 10  # validation errors listed per account in exceptions.csv


def problem_text(problem: Problem) -> str:
    where = f"column {problem.column}: " if problem.column else ""
    value = f"{problem.value!r} — " if problem.value else ""
    return f"{where}{value}expected {problem.expected}"


def short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class ExceptionRow:
    account_id: str
    stage: str
    problem: str
    file: str = ""
    row: int | None = None

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "stage": self.stage, "problem": self.problem, "file": self.file,
                "row": "" if self.row is None else self.row}


@dataclass
class AccountRecord:
    account_id: str
    status: str  # file, not_required, exception
    summary: dict
    outputs: dict[str, str] = field(default_factory=dict)  # path relative to OUT -> sha256
    exceptions: list[ExceptionRow] = field(default_factory=list)
    input_hash: str = ""
    skipped: bool = False
    # An error that will hit every account alike (disk full, read-only file system): the run stops.
    systemic: str = ""
    kept: bool = False  # not selected with --account: the previous run's entry, as it was
    diagnostics: object = None  # udfi.diagnostics.Diagnostics of an account computed in this run
    diagnostics_csv: str | None = None  # its rows of OUT/diagnostics.csv, written by the worker (render.csv_body)
    # On a cluster the worker returns the package instead of writing it: the client writes it (batch.package.settle).
    delivery: "Delivery | None" = None


@dataclass
class Delivery:
    """An account's package as bytes, for the process that owns OUT; `files` None: clear the folder
    (an earlier run's package no longer describes this account)."""

    files: dict[str, bytes] | None


@dataclass
class ChunkResult:
    records: list[AccountRecord]
    seconds: dict[str, float]


def blank_summary(account: dict, status: str, problem: str) -> dict:
    from udfi.summary import SUMMARY_COLUMNS as FIGURES  # noqa: PLC0415

    row = {column: "" for column in FIGURES}
    row.update({"account_id": account.get("account_id") or "", "name": _text(account.get("name")),
                "ein": _text(account.get("ein")), "account_type": _text(account.get("account_type")),
                "status": status, "problem": problem})
    return row


def _text(value) -> str:
    return "" if value is None or value is pd.NA or value != value else str(value)


def validation_exceptions(report: ValidationReport) -> dict[str, list[ExceptionRow]]:
    """Each account's validation errors, the first MAX_PROBLEMS_PER_ACCOUNT of them and a count of the rest."""
    by_account: dict[str, list[ExceptionRow]] = defaultdict(list)
    more: dict[str, int] = defaultdict(int)
    for problem in report.errors:
        if not problem.account_id:
            continue
        if len(by_account[problem.account_id]) < MAX_PROBLEMS_PER_ACCOUNT:
            by_account[problem.account_id].append(
                ExceptionRow(problem.account_id, VALIDATE, problem_text(problem), problem.file, problem.row))
        else:
            more[problem.account_id] += 1
    for account_id, count in more.items():
        by_account[account_id].append(ExceptionRow(account_id, VALIDATE, f"… and {count} more error(s) in this "
                                                   "account (udfi validate BOOK lists every one)"))
    return by_account
