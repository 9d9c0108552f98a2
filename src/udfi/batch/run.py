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

import datetime as dt
import json
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import udfi
from udfi import parameters as parameter_store
from udfi.batch import package
from udfi.batch.files import (EXCEPTIONS_FILE, FORM_FILE, MANIFEST_FILE, PACKAGE_FILES, SUMMARY_FILE, csv_bytes,
                              input_files,
                              manifest_bytes, remove_package, safe_folder_name, sha256_bytes, sha256_file,
                              write_atomically)
from udfi.batch.package import ChunkJob, run_chunk_safely
from udfi.batch.progress import Progress
from udfi.batch.records import (EXCEPTION_COLUMNS, VALIDATE, AccountRecord, ChunkResult, ExceptionRow, blank_summary,
                                problem_text, short_error, validation_exceptions)
from udfi.batch.slicing import BookSlicer
from udfi.engine.compute import Settings, book_years
from udfi.validate import validate_book

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_EXCEPTIONS = 3

SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "outputs", "problem")
MAX_CHUNK = 200  # accounts per worker task when only return.json is written
MAX_CHUNK_PACKAGING = 30  # … and when forms are filled / statements rendered


@dataclass(frozen=True)
class BatchKind:
    """What a batch writes: `prepare` (the filing packages) or another per-account product such as
    `udfi extend` (Form 8868), which reuses the runner with its own chunk worker and report files."""

    name: str = "prepare"
    chunk: Callable[[ChunkJob], ChunkResult] = run_chunk_safely
    package_files: tuple[str, ...] = PACKAGE_FILES
    summary_file: str = SUMMARY_FILE
    summary_columns: tuple[str, ...] = ()          # default: SUMMARY_COLUMNS
    exceptions_file: str = EXCEPTIONS_FILE
    manifest_file: str = MANIFEST_FILE
    uses_blanks: bool = True
    return_type: str = "990T"


PREPARE = BatchKind()


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
    custodian: Path | None = None  # custodian settings for 990-T.xml (default BOOK/custodian.yaml)


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


def _run_key(options: PrepareOptions, blanks, fingerprints: dict[str, str], efile_key: dict | None = None) -> dict:
    """Everything besides an account's own rows that its outputs depend on."""
    blank_hashes = {}
    if blanks is not None:
        blank_hashes = {Path(blanks.f990t).name: sha256_file(Path(blanks.f990t)),
                        Path(blanks.f990tsa).name: sha256_file(Path(blanks.f990tsa))}
    return {
        "udfi_version": udfi.__version__, "tax_year": options.tax_year, "parameters": fingerprints,
        "activity_code": options.activity_code, "all": options.all_accounts, "flatten": options.flatten,
        "blanks": blank_hashes, "statements": package._statements_module() is not None,
        "derivations": package._add_derivations() is not None,
        "efile": efile_key,
    }


def _efile_settings(options: PrepareOptions, year: int, echo: Callable[[str], None], kind: BatchKind = PREPARE):
    """The custodian settings and the run's XML settings (part of the run key, so --resume notices)."""
    from udfi.efile.custodian import CustodianError, find_settings, load_settings  # noqa: PLC0415
    from udfi.efile.data import EfileDataError, RETURN_990T, return_version  # noqa: PLC0415
    from udfi.efile.header import now_timestamp  # noqa: PLC0415

    path = find_settings(options.book, options.custodian)
    try:
        custodian = load_settings(path)
        version = return_version(kind.return_type, year, custodian.extension_return_versions
                                 if kind.return_type != RETURN_990T else custodian.return_versions)
    except (CustodianError, EfileDataError) as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    if custodian.officer is None and kind.return_type == RETURN_990T:
        echo("no custodian settings (officer): 990-T.xml is written without BusinessOfficerGrp; see README "
             "\"E-filing\" (BOOK/custodian.yaml or --custodian FILE)")
    if version.placeholder:
        setting = "return_versions" if kind.return_type == RETURN_990T else "extension_return_versions"
        echo(f"Form {kind.return_type} XML: the MeF schema version for {year} is not known; the files carry the "
             f"placeholder {version.version} — set {setting} in the custodian settings before transmitting")
    key = {"custodian": sha256_file(path) if path is not None else "", "return_version": version.version}
    return custodian, key, custodian.return_timestamp or now_timestamp()


def _load_manifest(out: Path, name: str = MANIFEST_FILE) -> dict | None:
    try:
        return json.loads((out / name).read_text(encoding="utf-8"))
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
            progress_stream=None, interactive: bool | None = None, kind: BatchKind = PREPARE) -> PrepareOutcome:
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

    blanks = find_blanks(year, options.forms_dir) if kind.uses_blanks else None
    outcome = PrepareOutcome(exit_code=EXIT_OK)
    custodian, efile_key, timestamp = _efile_settings(options, year, echo, kind)
    if blanks is None and kind.uses_blanks:
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
        run_key = {**_run_key(options, blanks, fingerprints, efile_key), "kind": kind.name}
        previous = _load_manifest(out, kind.manifest_file) if options.resume else None
        previous_accounts = previous.get("accounts", {}) if previous and previous.get("run") == run_key else {}

        records: dict[str, AccountRecord] = {}
        invalid = validation_exceptions(report)
        for account_id, rows in invalid.items():
            records[account_id] = AccountRecord(account_id, "exception",
                                                blank_summary(account_rows.get(account_id, {}), "exception",
                                                               f"{rows[0].file} row {rows[0].row} {rows[0].problem}"),
                                                exceptions=rows, input_hash=hashes.get(account_id, ""))
            if safe_folder_name(account_id):
                remove_package(out / account_id / str(year), kind.package_files)
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
        limit = MAX_CHUNK if blanks is None and package._statements_module() is None else MAX_CHUNK_PACKAGING
        size = options.chunk_size or max(1, min(limit, -(-len(todo) // (jobs * 4)) if todo else 1))

        def jobs_for() -> Iterator[ChunkJob]:
            for chunk in _chunks(todo, size):
                yield ChunkJob(slicer.sub_book(chunk), year, out, settings, options.all_accounts, blanks,
                               options.flatten, chunk, custodian, timestamp)

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
                    collect(kind.chunk(job))
            else:
                pending: dict[Future, list[dict]] = {}
                window = jobs * 2  # slices in flight: bounded, so the whole book is never copied at once
                for job in jobs_for():
                    pending[pool.submit(kind.chunk, job)] = [account_rows[a] for a in job.account_ids]
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
        exception_rows.append(ExceptionRow("", VALIDATE, problem_text(problem) + " (row left out: it belongs to "
                                                                                  "no known account)",
                                           problem.file, problem.row))
    exceptions_csv = csv_bytes(EXCEPTION_COLUMNS, [row.as_dict() for row in exception_rows])
    summary_rows = []
    columns = kind.summary_columns or SUMMARY_COLUMNS
    for record in ordered:
        row = {column: record.summary.get(column, "") for column in columns}
        row["outputs"] = ";".join(sorted(record.outputs))
        summary_rows.append(row)
    summary_csv = csv_bytes(columns, summary_rows)
    write_atomically(out / kind.exceptions_file, exceptions_csv)
    write_atomically(out / kind.summary_file, summary_csv)

    outputs = {kind.summary_file: sha256_bytes(summary_csv), kind.exceptions_file: sha256_bytes(exceptions_csv)}
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
    write_atomically(out / kind.manifest_file, manifest_bytes(manifest))

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
        detail = f"the worker process failed: {short_error(exc)}"
        return ChunkResult([AccountRecord(row["account_id"], "exception", blank_summary(row, "exception", detail),
                                          exceptions=[ExceptionRow(row["account_id"], "worker", detail)])
                            for row in accounts], {})
