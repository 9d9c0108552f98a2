"""`udfi prepare`: the custodian batch — screen every account, write each filing package, never stop.

The book is read and validated once in this process. Accounts are then cut into chunks; each chunk
(its own slice of the book, a few thousand rows) goes to a worker process that computes the chunk,
fills the official Form 990-T + Schedule A, renders the statements and writes the files itself, so
no PDF ever travels back and memory stays flat however many accounts there are.

Isolation: an account whose data fails validation, computation, form filling or rendering is
written to `OUT/exceptions.csv` and the run goes on. Every output file is written under a temporary
name in its own folder and moved into place with `os.replace`, and an account's files are moved only
once all of them have been produced — an account has its whole package or none of it.

`OUT/manifest.json` records the tool version, the parameter fingerprint of every year rolled
forward, the SHA-256 of every input and output file, and per account a hash of that account's own
rows. `--resume` skips every account whose rows, settings and output files still match.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import inspect
import io
import json
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

import udfi
from udfi import parameters as parameter_store
from udfi.book import Book
from udfi.engine.compute import AccountYear, Settings, book_years, compute_book
from udfi.engine.report import account_object
from udfi.validate import Problem, ValidationReport, validate_book

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_EXCEPTIONS = 3

FORM_FILE = "990-T.pdf"
PRINT_FILE = "990-T-print.pdf"
STATEMENTS_FILE = "statements.pdf"
RETURN_FILE = "return.json"
PACKAGE_FILES = (FORM_FILE, PRINT_FILE, STATEMENTS_FILE, RETURN_FILE)

SUMMARY_FILE = "summary.csv"
EXCEPTIONS_FILE = "exceptions.csv"
MANIFEST_FILE = "manifest.json"

SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "outputs", "problem")
EXCEPTION_COLUMNS = ("account_id", "stage", "problem", "file", "row")

# stages of exceptions.csv
VALIDATE, COMPUTE, RETURN, FORM, STATEMENTS, OUTPUT = "validate", "compute", "return", "form", "statements", "output"

MAX_CHUNK = 200  # accounts per worker task when only return.json is written
MAX_CHUNK_PACKAGING = 30  # … and when forms are filled / statements rendered
# Accounts per WeasyPrint document (render_many). Measured on the 200-account bench book, seconds
# per account: 1 → 1.04, 5 → 0.95, 10 → 0.89, 20 → 0.91, 40 → 1.02.
STATEMENTS_BATCH = 10
MAX_PROBLEMS_PER_ACCOUNT = 10  # validation errors listed per account in exceptions.csv
TMP_MARK = ".tmp-"


# ---------------------------------------------------------------------------------------------
# Optional collaborators (statements, explain) — used when installed, skipped when not
# ---------------------------------------------------------------------------------------------

def _statements_module():
    try:
        from udfi.statements import render  # noqa: PLC0415
    except ImportError:
        return None
    return render if hasattr(render, "render_statements") else None


def _add_derivations():
    try:
        from udfi.explain import add_derivations  # noqa: PLC0415
    except ImportError:
        return None
    return add_derivations


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

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


def _problem_text(problem: Problem) -> str:
    where = f"column {problem.column}: " if problem.column else ""
    value = f"{problem.value!r} — " if problem.value else ""
    return f"{where}{value}expected {problem.expected}"


def _short_error(exc: BaseException) -> str:
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


# ---------------------------------------------------------------------------------------------
# Cutting the book into per-account slices (one pass; no repeated isin over the ledger)
# ---------------------------------------------------------------------------------------------

BOOK_TABLES = ("accounts", "properties", "loans", "ledger", "depreciation", "loan_balances", "carryovers", "payments")


class BookSlicer:
    """Row positions of every table grouped by owning account, so a chunk's sub-book is a few `take`s.

    Same rows, same order as `Book.for_accounts` would keep."""

    def __init__(self, book: Book):
        self.book = book
        account_ids = book.accounts["account_id"].to_numpy(dtype=object)
        code_of_account = {account_id: code for code, account_id in enumerate(account_ids)}
        self.account_ids = account_ids

        def account_codes(values: pd.Series) -> np.ndarray:
            return np.fromiter((code_of_account.get(v, -1) for v in values.to_numpy(dtype=object)), dtype=np.int64,
                               count=len(values))

        def via(keys: pd.Series, key_index: pd.Series, key_codes: np.ndarray) -> np.ndarray:
            """Account code of each row, through a key column (property_id, loan_id) — factorized, vectorized."""
            if len(keys) == 0:
                return np.array([], dtype=np.int64)
            uniques, first = np.unique(key_index.to_numpy(dtype=object).astype(str), return_index=True)
            lookup = key_codes[first]
            values = keys.to_numpy(dtype=object)
            known = pd.notna(values)
            codes = np.full(len(values), -1, dtype=np.int64)
            if known.any() and len(uniques):
                text = values[known].astype(str)
                where = np.searchsorted(uniques, text).clip(0, len(uniques) - 1)
                hit = uniques[where] == text
                codes[np.flatnonzero(known)[hit]] = lookup[where[hit]]
            return codes

        properties, loans = book.properties, book.loans
        property_codes = account_codes(properties["account_id"])
        loan_codes = via(loans["property_id"], properties["property_id"], property_codes)
        codes = {
            "accounts": np.arange(len(account_ids), dtype=np.int64),
            "properties": property_codes,
            "loans": loan_codes,
            "ledger": via(book.ledger["property_id"], properties["property_id"], property_codes),
            "depreciation": via(book.depreciation["property_id"], properties["property_id"], property_codes),
            "loan_balances": via(book.loan_balances["loan_id"], loans["loan_id"], loan_codes),
            "carryovers": account_codes(book.carryovers["account_id"]),
            "payments": account_codes(book.payments["account_id"]),
        }
        self.positions: dict[str, dict[str, np.ndarray]] = {}
        for table, table_codes in codes.items():
            order = np.argsort(table_codes, kind="stable")
            ordered = table_codes[order]
            cuts = np.flatnonzero(np.diff(ordered)) + 1
            groups = np.split(order, cuts) if len(order) else []
            self.positions[table] = {account_ids[group_codes[0]]: group
                                     for group, group_codes in zip(groups, np.split(ordered, cuts) if len(order) else [])
                                     if group_codes[0] >= 0}

    def rows_of(self, table: str, account_ids: Iterable[str]) -> np.ndarray:
        found = [self.positions[table][a] for a in account_ids if a in self.positions[table]]
        if not found:
            return np.array([], dtype=np.int64)
        return np.sort(np.concatenate(found))

    def sub_book(self, account_ids: list[str]) -> Book:
        frames = {table: getattr(self.book, table).iloc[self.rows_of(table, account_ids)] for table in BOOK_TABLES}
        return Book(source=self.book.source, **frames)

    def account_hashes(self, account_ids: Iterable[str]) -> dict[str, str]:
        """A SHA-256 per account over that account's rows in every table (values and row numbers)."""
        digests = {account_id: hashlib.sha256() for account_id in account_ids}
        for table in BOOK_TABLES:
            frame = getattr(self.book, table)
            if len(frame) == 0:
                continue
            columns = sorted(frame.columns)
            row_hashes = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
            header = (table + "\0" + "\0".join(columns)).encode()
            for account_id, digest in digests.items():
                where = self.positions[table].get(account_id)
                digest.update(header)
                if where is not None:
                    digest.update(row_hashes[where].tobytes())
        return {account_id: digest.hexdigest() for account_id, digest in digests.items()}


# ---------------------------------------------------------------------------------------------
# Work done per chunk (in a worker process, or in-process with --jobs 1)
# ---------------------------------------------------------------------------------------------

@dataclass
class ChunkJob:
    book: Book
    tax_year: int
    out: Path
    settings: Settings
    all_accounts: bool
    blanks: object | None  # udfi.forms.blanks.BlankSet
    flatten: bool
    account_ids: list[str] = field(default_factory=list)


@dataclass
class AccountRecord:
    account_id: str
    status: str  # file, not_required, exception
    summary: dict
    outputs: dict[str, str] = field(default_factory=dict)  # path relative to OUT -> sha256
    exceptions: list[ExceptionRow] = field(default_factory=list)
    input_hash: str = ""
    skipped: bool = False


@dataclass
class ChunkResult:
    records: list[AccountRecord]
    seconds: dict[str, float]


def _blank_summary(account: dict, status: str, problem: str) -> dict:
    from udfi.summary import SUMMARY_COLUMNS as FIGURES  # noqa: PLC0415

    row = {column: "" for column in FIGURES}
    row.update({"account_id": account.get("account_id") or "", "name": _text(account.get("name")),
                "ein": _text(account.get("ein")), "account_type": _text(account.get("account_type")),
                "status": status, "problem": problem})
    return row


def _text(value) -> str:
    return "" if value is None or value is pd.NA or value != value else str(value)


def _compute_isolated(book: Book, tax_year: int, settings: Settings,
                      keep_history: bool = False) -> tuple[list[AccountYear], list[ExceptionRow]]:
    """Compute the chunk; if that fails, compute account by account to find the one that fails."""
    try:
        return compute_book(book, tax_year, settings, keep_history=keep_history), []
    except Exception:  # noqa: BLE001 — isolate below
        pass
    results, exceptions = [], []
    for account_id in book.accounts["account_id"].tolist():
        try:
            results.extend(compute_book(book.for_accounts([account_id]), tax_year, settings, keep_history=keep_history))
        except Exception as exc:  # noqa: BLE001
            exceptions.append(ExceptionRow(account_id, COMPUTE, _short_error(exc)))
    return results, exceptions


def _render_statements(module, results: list[AccountYear]) -> dict[str, bytes | BaseException]:
    """statements.pdf per account, in batches of STATEMENTS_BATCH (render_many); a failing batch is
    redone one account at a time so only the bad account fails."""
    rendered: dict[str, bytes | BaseException] = {}
    for start in range(0, len(results), STATEMENTS_BATCH):
        batch = results[start:start + STATEMENTS_BATCH]
        if len(batch) > 1 and hasattr(module, "render_many"):
            try:
                pdfs = module.render_many(batch)
                if len(pdfs) == len(batch):
                    rendered.update((result.account_id, pdf) for result, pdf in zip(batch, pdfs))
                    continue
            except Exception:  # noqa: BLE001 — fall back to one at a time to find the bad account
                pass
        for result in batch:
            try:
                rendered[result.account_id] = module.render_statements(result)
            except Exception as exc:  # noqa: BLE001
                rendered[result.account_id] = exc
    return rendered


def write_package(folder: Path, files: dict[str, bytes]) -> None:
    """Move all of an account's files into place, or none: temporaries first, then `os.replace` each."""
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
        for stale in PACKAGE_FILES:
            if stale not in files:
                (folder / stale).unlink(missing_ok=True)
    except BaseException:
        for temporary, final in temporaries:
            temporary.unlink(missing_ok=True)
            final.unlink(missing_ok=True)  # never leave a mix of old and new files
        raise


def remove_package(folder: Path) -> None:
    for name in PACKAGE_FILES:
        (folder / name).unlink(missing_ok=True)


def run_chunk(job: ChunkJob) -> ChunkResult:
    """Compute, fill, render and write every account of one chunk. Never raises for one account."""
    from udfi.summary import summary_row  # noqa: PLC0415

    seconds = defaultdict(float)
    statements = _statements_module()
    derive = _add_derivations()
    derive_takes_book = derive is not None and "book" in inspect.signature(derive).parameters
    started = time.perf_counter()
    # The statements show every year of each property: keep the roll-forward instead of redoing it.
    results, compute_exceptions = _compute_isolated(job.book, job.tax_year, job.settings,
                                                    keep_history=statements is not None)
    seconds["compute"] += time.perf_counter() - started
    records: dict[str, AccountRecord] = {}
    accounts = {row["account_id"]: row for row in job.book.accounts.to_dict("records")}
    for row in compute_exceptions:
        records[row.account_id] = AccountRecord(row.account_id, "exception",
                                                _blank_summary(accounts.get(row.account_id, {}), "exception",
                                                               row.problem), exceptions=[row])

    packaged = [result for result in results if result.must_file or job.all_accounts]
    rendered: dict[str, bytes | BaseException] = {}
    if statements is not None:
        started = time.perf_counter()
        rendered = _render_statements(statements, packaged)
        seconds["statements"] += time.perf_counter() - started

    for result in results:
        account_id = result.account_id
        summary = summary_row(result)
        status = summary["status"]
        folder = job.out / account_id / str(job.tax_year)
        record = AccountRecord(account_id, status, summary)
        records[account_id] = record
        if not (result.must_file or job.all_accounts):
            if folder.is_dir() and safe_folder_name(account_id):
                remove_package(folder)  # a package from an earlier run no longer describes this account
            continue
        if not safe_folder_name(account_id):
            record.exceptions.append(ExceptionRow(account_id, OUTPUT, "the account_id cannot be used as a folder name "
                                                                      "(no / \\ : * ? \" < > | or control characters)"))
        files: dict[str, bytes] = {}
        stage = RETURN
        try:
            started = time.perf_counter()
            data = account_object(result)
            if derive is not None:
                # with the chunk's rows, derivations cite spreadsheet row numbers (source_row travels along)
                derived = derive(data, result, **({"book": job.book} if derive_takes_book else {}))
                if isinstance(derived, dict):
                    data = derived
            data["tax_year"] = job.tax_year
            seconds["return"] += time.perf_counter() - started
            if job.blanks is not None:
                stage = FORM
                started = time.perf_counter()
                from udfi.forms.fill import fill_return  # noqa: PLC0415

                files[FORM_FILE] = fill_return(data, job.tax_year, job.blanks)
                if job.flatten:
                    files[PRINT_FILE] = fill_return(data, job.tax_year, job.blanks, flatten=True)
                seconds["form"] += time.perf_counter() - started
            if statements is not None:
                stage = STATEMENTS
                pdf = rendered.get(account_id)
                if isinstance(pdf, BaseException):
                    raise pdf
                if pdf is None:
                    raise RuntimeError("no statements were rendered for this account")
                files[STATEMENTS_FILE] = pdf
            stage = RETURN
            files[RETURN_FILE] = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        except Exception as exc:  # noqa: BLE001
            record.exceptions.append(ExceptionRow(account_id, stage, _short_error(exc)))
        if not record.exceptions:
            stage = OUTPUT
            started = time.perf_counter()
            try:
                write_package(folder, files)
                record.outputs = {f"{account_id}/{job.tax_year}/{name}": sha256_bytes(data)
                                  for name, data in files.items()}
            except Exception as exc:  # noqa: BLE001
                record.exceptions.append(ExceptionRow(account_id, OUTPUT, _short_error(exc)))
            seconds["write"] += time.perf_counter() - started
        if record.exceptions:
            record.status = "exception"
            record.summary = {**summary, "status": "exception", "problem": record.exceptions[0].problem}
            if safe_folder_name(account_id):
                remove_package(folder)  # no stale package from an earlier run next to an exception
    order = {account_id: position for position, account_id in enumerate(accounts)}
    return ChunkResult(sorted(records.values(), key=lambda record: order.get(record.account_id, 0)), dict(seconds))


def _run_chunk_safely(job: ChunkJob) -> ChunkResult:
    """`run_chunk`, with anything unexpected turned into exceptions for the chunk's accounts."""
    try:
        return run_chunk(job)
    except Exception as exc:  # noqa: BLE001
        detail = _short_error(exc)
        records = [AccountRecord(row["account_id"], "exception", _blank_summary(row, "exception", detail),
                                 exceptions=[ExceptionRow(row["account_id"], COMPUTE, detail)])
                   for row in job.book.accounts.to_dict("records")]
        return ChunkResult(records, {})


# ---------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------

class Progress:
    """A rich progress bar on a terminal; a plain line every few seconds otherwise."""

    def __init__(self, total: int, stream=None, interactive: bool | None = None, every: float = 5.0):
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.every = every
        self.started = time.perf_counter()
        self.last = self.started
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        if self.interactive and self.total:
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress(TextColumn("preparing"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                     TimeRemainingColumn(), console=Console(file=self.stream), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("prepare", total=self.total, counts=self._counts_text())
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def _counts_text(self) -> str:
        return (f"{self.counts['file']} to file, {self.counts['not_required']} not required, "
                f"{self.counts['exception']} exceptions, {self.counts['skipped']} skipped")

    def advance(self, records: list[AccountRecord]) -> None:
        for record in records:
            self.counts[record.status] += 1
            if record.skipped:
                self.counts["skipped"] += 1
        self.done += len(records)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, counts=self._counts_text())
            return
        now = time.perf_counter()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            elapsed = now - self.started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            percent = 100 * self.done / self.total if self.total else 100
            print(f"prepare: {self.done}/{self.total} accounts ({percent:.0f}%), {self._counts_text()}; "
                  f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s", file=self.stream, flush=True)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

@dataclass
class PrepareOptions:
    book: Path
    tax_year: int
    out: Path
    jobs: int | None = None
    all_accounts: bool = False
    forms_dir: Path | None = None
    require_forms: bool = False
    flatten: bool = False
    resume: bool = False
    activity_code: str = Settings.activity_code
    chunk_size: int | None = None


@dataclass
class PrepareOutcome:
    exit_code: int
    accounts: int = 0
    packages: int = 0
    not_required: int = 0
    exceptions: int = 0
    skipped: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    missing_blanks: bool = False


class PrepareError(Exception):
    """The run cannot start (exit_code says why)."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(message)
        self.exit_code = exit_code


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def input_files(book: Path) -> dict[str, str]:
    book = Path(book)
    if book.is_dir():
        paths = sorted(path for path in book.iterdir() if path.is_file() and path.suffix.lower() == ".csv")
        return {path.name: sha256_file(path) for path in paths}
    return {book.name: sha256_file(book)}


def _run_key(options: PrepareOptions, blanks, fingerprints: dict[str, str]) -> dict:
    """Everything besides an account's own rows that its outputs depend on."""
    blank_hashes = {}
    if blanks is not None:
        blank_hashes = {Path(blanks.f990t).name: sha256_file(Path(blanks.f990t)),
                        Path(blanks.f990tsa).name: sha256_file(Path(blanks.f990tsa))}
    return {
        "udfi_version": udfi.__version__, "tax_year": options.tax_year, "parameters": fingerprints,
        "activity_code": options.activity_code, "all": options.all_accounts, "flatten": options.flatten,
        "blanks": blank_hashes, "statements": _statements_module() is not None,
        "derivations": _add_derivations() is not None,
    }


def _load_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _reusable(entry: dict | None, input_hash: str, out: Path) -> bool:
    if not entry or entry.get("input") != input_hash or entry.get("status") not in ("file", "not_required"):
        return False
    for relative, digest in entry.get("outputs", {}).items():
        path = out / relative
        if not path.is_file() or sha256_file(path) != digest:
            return False
    return True


def _validation_exceptions(report: ValidationReport) -> dict[str, list[ExceptionRow]]:
    """Each account's validation errors, the first MAX_PROBLEMS_PER_ACCOUNT of them and a count of the rest."""
    by_account: dict[str, list[ExceptionRow]] = defaultdict(list)
    more: dict[str, int] = defaultdict(int)
    for problem in report.errors:
        if not problem.account_id:
            continue
        if len(by_account[problem.account_id]) < MAX_PROBLEMS_PER_ACCOUNT:
            by_account[problem.account_id].append(
                ExceptionRow(problem.account_id, VALIDATE, _problem_text(problem), problem.file, problem.row))
        else:
            more[problem.account_id] += 1
    for account_id, count in more.items():
        by_account[account_id].append(ExceptionRow(account_id, VALIDATE, f"… and {count} more error(s) in this "
                                                   "account (udfi validate BOOK lists every one)"))
    return by_account


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    # fork: workers start instantly and share the imported modules; the book itself is never
    # inherited — each task carries its own slice.
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _warm_up() -> int:
    return os.getpid()


def prepare(options: PrepareOptions, echo: Callable[[str], None] | None = None,
            progress_stream=None, interactive: bool | None = None) -> PrepareOutcome:
    """Run the batch. Raises PrepareError when it cannot start (unreadable book, no parameters,
    missing blanks with require_forms); otherwise returns the outcome with its exit code."""
    from udfi.forms.blanks import find_blanks  # noqa: PLC0415
    from udfi.validate import BookReadError  # noqa: PLC0415

    echo = echo or (lambda text: print(text, file=sys.stderr))
    started = time.perf_counter()
    out = Path(options.out)
    year = options.tax_year
    jobs = options.jobs or default_jobs()
    try:
        parameter_store.for_year(year)
    except parameter_store.MissingParameterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc

    blanks = find_blanks(year, options.forms_dir)
    outcome = PrepareOutcome(exit_code=EXIT_OK)
    if blanks is None:
        message = (f"no official Form 990-T blanks for {year} (f990t.pdf + f990tsa.pdf) in --forms-dir, "
                   f"$UDFI_FORMS_DIR or the cache; fetch them with: udfi forms fetch {year}")
        if options.require_forms:
            raise PrepareError(EXIT_USAGE, message + " (--require-forms: nothing was prepared)")
        outcome.missing_blanks = True
        echo(message + f" — packages are written without {FORM_FILE}")

    # Start the workers while this process is still small (they are forked on first submit).
    pool = None
    if jobs > 1:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context())
        pool.submit(_warm_up)
    try:
        try:
            report = validate_book(options.book)
        except BookReadError as exc:
            raise PrepareError(EXIT_USAGE, str(exc)) from exc
        if report.book_wide_errors or report.book is None:
            lines = [f"{p.file}: expected {p.expected}" for p in report.book_wide_errors]
            raise PrepareError(EXIT_INVALID, f"{options.book}: INVALID — nothing was prepared: " + "; ".join(lines))
        book = report.book
        try:
            years = book_years(book, year)
            fingerprints = {str(y): parameter_store.fingerprint(y) for y in years}
        except parameter_store.MissingParameterError as exc:
            raise PrepareError(EXIT_USAGE, str(exc)) from exc
        outcome.stage_seconds["validate"] = time.perf_counter() - started

        out.mkdir(parents=True, exist_ok=True)
        settings = Settings(activity_code=options.activity_code)
        slicer = BookSlicer(book)
        account_ids = book.accounts["account_id"].tolist()
        account_rows = {row["account_id"]: row for row in book.accounts.to_dict("records")}
        hashes = slicer.account_hashes(account_ids)
        run_key = _run_key(options, blanks, fingerprints)
        previous = _load_manifest(out) if options.resume else None
        previous_accounts = previous.get("accounts", {}) if previous and previous.get("run") == run_key else {}

        records: dict[str, AccountRecord] = {}
        invalid = _validation_exceptions(report)
        for account_id, rows in invalid.items():
            records[account_id] = AccountRecord(account_id, "exception",
                                                _blank_summary(account_rows.get(account_id, {}), "exception",
                                                               f"{rows[0].file} row {rows[0].row} {rows[0].problem}"),
                                                exceptions=rows, input_hash=hashes.get(account_id, ""))
            if safe_folder_name(account_id):
                remove_package(out / account_id / str(year))
        todo = []
        for account_id in account_ids:
            if account_id in records:
                continue
            entry = previous_accounts.get(account_id)
            if _reusable(entry, hashes[account_id], out):
                records[account_id] = AccountRecord(account_id, entry["status"], entry["summary"],
                                                    outputs=entry.get("outputs", {}),
                                                    input_hash=hashes[account_id], skipped=True)
            else:
                todo.append(account_id)
        # Chunks: big enough to amortize a compute call, small enough that filling and rendering a
        # chunk (~1.5 s per package) keeps both cores busy to the end and the progress bar moving.
        limit = MAX_CHUNK if blanks is None and _statements_module() is None else MAX_CHUNK_PACKAGING
        size = options.chunk_size or max(1, min(limit, -(-len(todo) // (jobs * 4)) if todo else 1))

        def jobs_for() -> Iterator[ChunkJob]:
            for chunk in _chunks(todo, size):
                yield ChunkJob(slicer.sub_book(chunk), year, out, settings, options.all_accounts, blanks,
                               options.flatten, chunk)

        with Progress(len(account_ids), progress_stream, interactive) as bar:
            bar.advance([record for record in records.values()])
            stage_seconds = defaultdict(float)

            def collect(result: ChunkResult) -> None:
                for record in result.records:
                    record.input_hash = hashes.get(record.account_id, "")
                    records[record.account_id] = record
                for stage, seconds in result.seconds.items():
                    stage_seconds[stage] += seconds
                bar.advance(result.records)

            if pool is None:
                for job in jobs_for():
                    collect(_run_chunk_safely(job))
            else:
                pending: dict[Future, list[dict]] = {}
                window = jobs * 2  # slices in flight: bounded, so the whole book is never copied at once
                for job in jobs_for():
                    pending[pool.submit(_run_chunk_safely, job)] = [account_rows[a] for a in job.account_ids]
                    if len(pending) >= window:
                        done, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            collect(_chunk_result(future, pending.pop(future)))
                for future in list(pending):
                    collect(_chunk_result(future, pending.pop(future)))
        outcome.stage_seconds.update(stage_seconds)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # Reports: exceptions.csv, summary.csv, then manifest.json over everything.
    ordered = [records[account_id] for account_id in account_ids if account_id in records]
    exception_rows = [row for record in ordered for row in record.exceptions]
    for problem in report.unattributed_errors:
        exception_rows.append(ExceptionRow("", VALIDATE, _problem_text(problem) + " (row left out: it belongs to "
                                                                                  "no known account)",
                                           problem.file, problem.row))
    exceptions_csv = _csv_bytes(EXCEPTION_COLUMNS, [row.as_dict() for row in exception_rows])
    summary_rows = []
    for record in ordered:
        row = {column: record.summary.get(column, "") for column in SUMMARY_COLUMNS}
        row["outputs"] = ";".join(sorted(record.outputs))
        summary_rows.append(row)
    summary_csv = _csv_bytes(SUMMARY_COLUMNS, summary_rows)
    write_atomically(out / EXCEPTIONS_FILE, exceptions_csv)
    write_atomically(out / SUMMARY_FILE, summary_csv)

    outputs = {SUMMARY_FILE: sha256_bytes(summary_csv), EXCEPTIONS_FILE: sha256_bytes(exceptions_csv)}
    for record in ordered:
        outputs.update(record.outputs)
    manifest = {
        "tool": "udfi", "version": udfi.__version__, "tax_year": year,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "book": str(options.book), "run": run_key, "parameters": fingerprints,
        "inputs": input_files(options.book), "outputs": outputs,
        "accounts": {record.account_id: {"input": record.input_hash, "status": record.status,
                                         "outputs": record.outputs, "summary": record.summary}
                     for record in ordered},
    }
    write_atomically(out / MANIFEST_FILE, _manifest_bytes(manifest))

    outcome.accounts = len(ordered)
    outcome.packages = sum(1 for record in ordered if record.outputs and not record.skipped)
    outcome.skipped = sum(1 for record in ordered if record.skipped)
    outcome.not_required = sum(1 for record in ordered if record.status == "not_required")
    outcome.exceptions = sum(1 for record in ordered if record.status == "exception")
    outcome.seconds = time.perf_counter() - started
    if exception_rows:
        outcome.exit_code = EXIT_EXCEPTIONS
        # One line per stage, so a systemic failure (e.g. a missing template) is obvious at a glance.
        by_stage: dict[str, list[ExceptionRow]] = defaultdict(list)
        for row in exception_rows:
            by_stage[row.stage].append(row)
        for stage, rows in by_stage.items():
            accounts = len({row.account_id for row in rows if row.account_id})
            echo(f"exceptions at {stage}: {accounts} account(s) (first: {rows[0].account_id or 'no account'} — "
                 f"{rows[0].problem[:160]})")
    return outcome


def _chunk_result(future: Future, accounts: list[dict]) -> ChunkResult:
    """A worker that died (killed, out of memory) must not stop the run: its accounts become exceptions."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 — BrokenProcessPool and friends
        detail = f"the worker process failed: {_short_error(exc)}"
        return ChunkResult([AccountRecord(row["account_id"], "exception", _blank_summary(row, "exception", detail),
                                          exceptions=[ExceptionRow(row["account_id"], "worker", detail)])
                            for row in accounts], {})


def _manifest_bytes(manifest: dict) -> bytes:
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


def _csv_bytes(columns: tuple[str, ...], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
