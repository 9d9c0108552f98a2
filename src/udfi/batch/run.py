"""`udfi prepare`: the custodian batch — screen every account, write each filing package, never stop.

The book is read and validated once in this process. Accounts are then cut into chunks; each chunk
(its own slice of the book, a few thousand rows) goes to a worker process that computes the chunk,
fills the official Form 990-T + Schedule A, renders the statements and writes the files itself, so
no PDF ever travels back and memory stays flat however many accounts there are.

Isolation: an account whose data fails validation, computation, form filling or rendering is
written to `OUT/exceptions.csv` and the run goes on. Every output file is written under a temporary
name in its own folder and moved into place with `os.replace`, and an account's files are moved only
once all of them have been produced — an account has its whole package or none of it. A worker that
dies takes no account but its own with it: its chunk is redone account by account.

Before the expensive work: OUT must be a writable folder (not a file, not read-only) with room for
the packages, and no other live run may hold it (`OUT/.udfi.lock`). Workers die with this process.
Whatever stops the run after that (disk full, an interrupt, a bug), `summary.csv`, `exceptions.csv`
and `manifest.json` still describe exactly what was done, all three written together.

`OUT/manifest.json` records the tool version, the parameter fingerprint of every year rolled
forward, the SHA-256 of every input and output file, and per account a hash of that account's own
rows. `--resume` skips every account whose rows, settings and output files still match;
`accounts=[…]` (`--account`) redoes only those accounts and keeps the others' entries.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sys
import time
from collections import defaultdict, deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import udfi
from udfi import parameters as parameter_store
from udfi.batch import package
from udfi.batch.files import (ALL_PARTS, EXCEPTIONS_FILE, FORM_FILE, PACKAGE_PARTS, MANIFEST_FILE, PACKAGE_FILES, PERMISSIONS, PROBLEMS_FILE,
                              SUMMARY_FILE,
                              Permissions, UnsafeOutputError, csv_bytes, folder_name_problem, free_bytes,
                              input_files, is_systemic, manifest_bytes, output_path, real_folder, remove_package,
                              sha256_bytes, sha256_file, start_counting_writes, sweep_temporaries,
                              write_all_or_nothing, write_atomically)
from udfi.batch.cluster import WorkerLost, WorkerMismatch
from udfi.batch.lock import LockedError, OutputLock
from udfi.batch.package import ChunkJob, run_chunk_safely
from udfi.batch.problems import OwnRows, problems_text
from udfi.batch.progress import Progress
from udfi.batch.reports import (YEAR_COLUMN, manifest_for_year, other_years, other_years_rows, with_year,
                                xlsx_bytes)
from udfi.batch.records import (EXCEPTION_COLUMNS, RUN, VALIDATE, WORKER, AccountRecord, ChunkResult, ExceptionRow,
                                blank_summary, problem_text, short_error, validation_exceptions)
from udfi.batch.slicing import BookSlicer
from udfi.batch.workers import new_pool
from udfi.engine.compute import Settings, book_years
from udfi.safety import mask_ssn
from udfi.summary import USER_COLUMNS
from udfi.validate import validate_book

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_EXCEPTIONS = 3
EXIT_INTERRUPTED = 130

SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "reason", "outputs",
                   "problem")
EXCEPTION_USER_COLUMNS = ("account_id", "problem", "file")
MAX_CHUNK = 200  # accounts per worker task when only return.json is written
MAX_CHUNK_PACKAGING = 30  # … and when forms are filled / statements rendered
# Free space asked of OUT before the work: measured packages are ≈450 KB (990-T.pdf 300 KB,
# return.json 50–100 KB, statements.pdf 40 KB); 990-T-print.pdf adds ≈300 KB.
PACKAGE_BYTES = 512 * 1024
PRINT_BYTES = 384 * 1024
RESERVE_BYTES = 16 * 1024 * 1024

ChunkWorker = Callable[[ChunkJob], ChunkResult]


@dataclass(frozen=True)
class BatchKind:
    """What a batch writes: `prepare` (the filing packages) or another per-account product such as
    `udfi extend` (Form 8868), which reuses the runner with its own chunk worker and report files.
    `chunk` must be picklable (a top-level function or a partial of one): it runs in the workers."""

    name: str = "prepare"
    chunk: ChunkWorker = run_chunk_safely
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
    accounts: list[str] | None = None  # only these accounts (the others keep their manifest entries)
    date_format: str = "ISO"
    permissions: str = "private"  # private (0600/0700), group (0640/0750), public (0644/0755)
    custodian: Path | None = None  # custodian settings for 990-T.xml (default BOOK/custodian.yaml)
    parts: tuple[str, ...] | None = None  # `--only`: package parts (files.PACKAGE_PARTS); None = all
    cluster: str | None = None  # `--cluster`: a Dask scheduler address, or local:N (batch.cluster)


@dataclass
class PrepareOutcome:
    exit_code: int
    accounts: int = 0
    packages: int = 0
    not_required: int = 0
    exceptions: int = 0
    skipped: int = 0
    kept: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    missing_blanks: bool = False
    stopped: str = ""  # why the run stopped early (disk full, interrupted), or ""
    exception_rows: list = field(default_factory=list)


class PrepareError(Exception):
    """The run cannot start, or its reports cannot be written (exit_code says why)."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(mask_ssn(message))
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
        "efile": efile_key, "parts": list(_parts(options)),
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


def _parts(options: PrepareOptions) -> tuple[str, ...]:
    """The package parts this run writes, in PACKAGE_PARTS order (the run key and manifest record them)."""
    return ALL_PARTS if options.parts is None else tuple(part for part in ALL_PARTS if part in options.parts)


def parse_parts(text: str) -> tuple[str, ...]:
    """`--only pdf,json` → ("pdf", "json"); ValueError naming the unknown part and the known ones."""
    asked = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in asked if part not in PACKAGE_PARTS]
    if unknown or not asked:
        known = ", ".join(f"{part} ({' + '.join(names)})" for part, names in PACKAGE_PARTS.items())
        raise ValueError(f"--only {text!r}: " + (f"unknown part(s) {', '.join(unknown)}; " if unknown else "no part; ")
                         + f"expected a comma list of {known}")
    return tuple(part for part in ALL_PARTS if part in asked)


NUMERIC_REPORT_COLUMNS = ("tax_year", "gross_unrelated_income", "ubti", "tax", "payments", "balance_due",
                          "overpayment", "row", "tentative_tax", "balance_due_with_extension")


def _xlsx_name(csv_name: str) -> str:
    return csv_name[:-len(".csv")] + ".xlsx" if csv_name.endswith(".csv") else csv_name + ".xlsx"


def _load_manifest(out: Path, name: str = MANIFEST_FILE) -> dict | None:
    path = output_path(out, name)
    if path is None:
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("accounts", {}), dict) else None


def _safe_outputs(entry: dict) -> dict[str, str]:
    """A manifest entry's outputs, only those inside OUT (a path outside is never read or reported)."""
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict):
        return {}
    from udfi.batch.files import safe_relative_output  # noqa: PLC0415

    return {relative: digest for relative, digest in outputs.items()
            if safe_relative_output(relative) and isinstance(digest, str)}


def _reusable(entry: dict | None, input_hash: str, out: Path) -> bool:
    if not isinstance(entry, dict) or entry.get("input") != input_hash or entry.get("status") not in ("file",
                                                                                                      "not_required"):
        return False
    outputs = entry.get("outputs", {})
    if not isinstance(outputs, dict) or _safe_outputs(entry) != outputs:
        return False  # an entry naming a path outside OUT is not trusted at all
    for relative, digest in outputs.items():
        path = output_path(out, relative)
        if path is None or sha256_file(path) != digest:
            return False
    return True


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --------------------------------------------------------------------------------------------
# OUT before the work: a writable folder, room, one run at a time
# --------------------------------------------------------------------------------------------


def _prepare_out(out: Path, permissions: Permissions) -> Path:
    """OUT as an absolute folder (created owner-only if new); PrepareError naming what is wrong."""
    out = Path(os.path.abspath(out))
    if os.path.lexists(out) and not out.is_dir():
        raise PrepareError(EXIT_USAGE, f"--out {out}: is a file, not a folder")
    ancestor = out.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise PrepareError(EXIT_USAGE, f"--out {out}: {ancestor} is a file, not a folder")
    try:
        if not out.is_dir():
            os.makedirs(out.parent, exist_ok=True)
            os.mkdir(out, permissions.dir_mode)
            os.chmod(out, permissions.dir_mode)
    except OSError as exc:
        raise PrepareError(EXIT_USAGE, f"--out {out}: cannot create the folder ({exc.strerror or exc})") from exc
    return out


def _check_writable(out: Path, permissions: Permissions) -> None:
    probe = out / f".udfi-probe-{os.getpid()}"
    try:
        write_atomically(probe, b"probe\n", permissions)
        os.unlink(probe)
    except OSError as exc:
        try:
            os.unlink(probe)
        except OSError:
            pass
        raise PrepareError(EXIT_USAGE, f"--out {out}: cannot write there ({exc.strerror or exc}); nothing was "
                                       "prepared") from exc


def _check_space(out: Path, accounts: int, flatten: bool) -> None:
    needed = RESERVE_BYTES + accounts * (PACKAGE_BYTES + (PRINT_BYTES if flatten else 0))
    try:
        available = free_bytes(out)
    except OSError:
        return
    if available < needed:
        raise PrepareError(EXIT_USAGE, f"--out {out}: {available / 2**20:,.0f} MiB free, about {needed / 2**20:,.0f} "
                                       f"MiB needed for {accounts:,} account(s) (≈{PACKAGE_BYTES // 1024} KiB per "
                                       "package); free some space or use another folder — nothing was prepared")


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def prepare(options: PrepareOptions, echo: Callable[[str], None] | None = None,
            progress_stream=None, interactive: bool | None = None, kind: BatchKind = PREPARE) -> PrepareOutcome:
    """Run the batch. Raises PrepareError when it cannot start (unreadable book, no parameters,
    missing blanks with require_forms, OUT unusable or locked) or its reports cannot be written;
    otherwise returns the outcome with its exit code.

    `kind` says what is written: the chunk worker (runs in the worker processes), the package's files
    and the report names — `udfi extend` reuses this runner with its own."""
    from udfi.forms.blanks import find_blanks  # noqa: PLC0415

    echo = echo or (lambda text: print(text, file=sys.stderr))
    started = time.perf_counter()
    year = options.tax_year
    permissions = PERMISSIONS.get(options.permissions)
    if permissions is None:
        raise PrepareError(EXIT_USAGE, f"--permissions must be one of {', '.join(PERMISSIONS)}")
    try:
        parameter_store.for_year(year)
    except parameter_store.MissingParameterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc

    uses_blanks = kind.uses_blanks and "pdf" in _parts(options)  # --only without pdf: no blanks needed
    blanks = find_blanks(year, options.forms_dir) if uses_blanks else None
    if options.cluster and kind.name != PREPARE.name:
        raise PrepareError(EXIT_USAGE, f"--cluster is for udfi prepare only, not {kind.name}")
    outcome = PrepareOutcome(exit_code=EXIT_OK)
    efile = _efile_settings(options, year, echo, kind)
    if blanks is None and uses_blanks:
        message = (f"no official Form 990-T blanks for {year} (f990t.pdf + f990tsa.pdf) in --forms-dir, "
                   f"$UDFI_FORMS_DIR or the cache; fetch them with: udfi forms fetch {year}")
        if options.require_forms:
            raise PrepareError(EXIT_USAGE, message + " (--require-forms: nothing was prepared)")
        outcome.missing_blanks = True
        echo(message + f" — packages are written without {FORM_FILE}")

    start_counting_writes()
    created = not os.path.lexists(os.path.abspath(options.out))
    out = _prepare_out(Path(options.out), permissions)
    lock = OutputLock(out)
    try:
        try:
            lock.acquire()
        except LockedError as exc:
            raise PrepareError(EXIT_USAGE, str(exc)) from exc
        except OSError as exc:
            raise PrepareError(EXIT_USAGE, f"--out {out}: cannot write there ({exc.strerror or exc}); nothing was "
                                           "prepared") from exc
        try:
            if lock.stale_message():
                echo(lock.stale_message())
            _check_writable(out, permissions)
            swept = sweep_temporaries(out, year)
            if swept:
                echo(f"{out}: removed {swept} temporary file(s) left by an interrupted run")
            return _run(options, out, permissions, blanks, outcome, echo, started, progress_stream, interactive,
                        kind, efile)
        finally:
            lock.release()
    except PrepareError:
        if created:  # a refused run leaves no empty OUT behind
            try:
                os.rmdir(out)
            except OSError:
                pass
        raise


@dataclass
class _Plan:
    """What this run does: the accounts to do, those kept from the manifest, the run key."""

    account_ids: list[str]
    todo: list[str]
    records: dict[str, AccountRecord]
    hashes: dict[str, str]
    run_key: dict
    fingerprints: dict[str, str]
    slicer: BookSlicer
    own_rows: OwnRows
    by_account: dict[str, list]  # each account's own validation problems (errors and warnings)
    account_rows: dict[str, dict]


def _plan(options: PrepareOptions, out: Path, report, blanks, kind: BatchKind, efile_key: dict) -> _Plan:
    year = options.tax_year
    book = report.book
    try:
        years = book_years(book, year)
        fingerprints = {str(y): parameter_store.fingerprint(y) for y in years}
    except parameter_store.MissingParameterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    # a duplicated id is one account (both rows are reported as errors)
    account_ids = list(dict.fromkeys(a for a in book.accounts["account_id"].tolist() if isinstance(a, str)))
    selected: set[str] | None = None
    previous = (manifest_for_year(_load_manifest(out, kind.manifest_file), year)
                if (options.resume or options.accounts) else None)
    if options.accounts:
        known = set(account_ids)
        unknown = [a for a in dict.fromkeys(options.accounts) if a not in known]
        if unknown:
            raise PrepareError(EXIT_USAGE, f"--account: {', '.join(repr(a) for a in unknown[:10])} not in the book's "
                                           "accounts (nothing was prepared)")
        selected = set(options.accounts)
        if previous is not None and previous.get("tax_year") != year:
            raise PrepareError(EXIT_USAGE, f"--account: {out / kind.manifest_file} is for tax year "
                                           f"{previous.get('tax_year')}, not {year}; rerun every account for {year} "
                                           "first (or use another --out)")
    slicer = BookSlicer(book)
    hashes = slicer.account_hashes(account_ids)
    run_key = {**_run_key(options, blanks, fingerprints, efile_key), "kind": kind.name}
    previous_accounts = previous.get("accounts", {}) if previous else {}
    same_run = bool(previous) and previous.get("run") == run_key
    account_rows = {row["account_id"]: row for row in book.accounts.to_dict("records")}

    records: dict[str, AccountRecord] = {}
    own_rows = OwnRows(book, slicer.positions, report.file_of)
    by_account = defaultdict(list)
    for problem in report.problems:
        if problem.account_id:
            by_account[problem.account_id].append(problem)
    for account_id, rows in validation_exceptions(report).items():
        if account_id not in account_rows or (selected is not None and account_id not in selected):
            continue
        records[account_id] = AccountRecord(account_id, "exception",
                                            blank_summary(account_rows.get(account_id, {}), "exception",
                                                          f"{rows[0].file} row {rows[0].row} {rows[0].problem}"),
                                            exceptions=rows, input_hash=hashes.get(account_id, ""))
    todo = []
    for account_id in account_ids:
        if account_id in records:
            continue
        entry = previous_accounts.get(mask_ssn(account_id))
        if selected is not None and account_id not in selected:
            if isinstance(entry, dict) and isinstance(entry.get("summary"), dict):
                records[account_id] = _kept_record(account_id, entry)
            continue
        if options.resume and same_run and _reusable(entry, hashes[account_id], out):
            records[account_id] = AccountRecord(account_id, entry["status"], entry["summary"],
                                                outputs=_safe_outputs(entry), input_hash=hashes[account_id],
                                                skipped=True)
        else:
            todo.append(account_id)
    return _Plan(account_ids, todo, records, hashes, run_key, fingerprints, slicer, own_rows, by_account,
                 account_rows)


def _kept_record(account_id: str, entry: dict) -> AccountRecord:
    """An account not selected with --account: its entry of the previous run, as it was."""
    summary = {key: value for key, value in entry["summary"].items() if isinstance(key, str)}
    rows = []
    for row in entry.get("exceptions", []) if isinstance(entry.get("exceptions"), list) else []:
        if isinstance(row, dict):
            rows.append(ExceptionRow(account_id, str(row.get("stage", "")), str(row.get("problem", "")),
                                     str(row.get("file", "")), row.get("row") if isinstance(row.get("row"), int)
                                     else None))
    if entry.get("status") == "exception" and not rows:
        rows.append(ExceptionRow(account_id, str(summary.get("stage", VALIDATE)), str(summary.get("problem", ""))))
    return AccountRecord(account_id, str(entry.get("status", "exception")), summary, outputs=_safe_outputs(entry),
                         exceptions=rows, input_hash=str(entry.get("input", "")), skipped=True, kept=True)


def _run(options: PrepareOptions, out: Path, permissions: Permissions, blanks, outcome: PrepareOutcome, echo,
         started: float, progress_stream, interactive, kind: BatchKind, efile) -> PrepareOutcome:
    from udfi.validate import BookReadError  # noqa: PLC0415

    year = options.tax_year
    jobs = options.jobs or default_jobs()
    plan = None
    # Start the workers while this process is still small (they are forked at once); a cluster is
    # reached before the book is read, so a wrong address fails at once.
    pool = _open_cluster(options) if options.cluster else new_pool(jobs) if jobs > 1 else None
    try:
        try:
            report = validate_book(options.book, date_format=options.date_format)
        except BookReadError as exc:
            raise PrepareError(EXIT_USAGE, str(exc)) from exc
        except ValueError as exc:
            raise PrepareError(EXIT_USAGE, str(exc)) from exc
        if report.book_wide_errors or report.book is None:
            lines = [f"{p.file}" + (f" row {p.row}" if p.row else "") + f": expected {p.expected}"
                     for p in report.book_wide_errors]
            raise PrepareError(EXIT_INVALID, f"{options.book}: INVALID — nothing was prepared: " + "; ".join(lines))
        custodian, efile_key, timestamp = efile
        plan = _plan(options, out, report, blanks, kind, efile_key)
        if options.cluster:
            jobs = _check_cluster(pool, plan, blanks)
        outcome.stage_seconds["validate"] = time.perf_counter() - started
        _check_space(out, len(plan.todo), options.flatten)
        stage_seconds = _schedule(options, out, permissions, blanks, plan, pool, jobs, outcome, progress_stream,
                                  interactive, kind, custodian, timestamp)
        outcome.stage_seconds.update(stage_seconds)
    except PrepareError:
        raise
    except BaseException as exc:  # noqa: BLE001 — the reports must still describe what was done
        if plan is None:
            if isinstance(exc, KeyboardInterrupt):
                raise PrepareError(EXIT_INTERRUPTED, "interrupted — nothing was prepared") from None
            raise PrepareError(EXIT_USAGE, f"the run failed before any account was prepared: {short_error(exc)}") \
                from exc
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else short_error(exc)
        outcome.stopped = reason
        if isinstance(exc, KeyboardInterrupt):
            outcome.exit_code = EXIT_INTERRUPTED
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    _finish_unprepared(plan, outcome)
    if kind.name == PREPARE.name:  # one batch kind owns the owners' problem files (OUT may be shared)
        _write_problem_files(options, out, permissions, plan, report)
    _write_reports(options, out, permissions, plan, report, outcome, kind)
    _count(plan, outcome, started, echo)
    return outcome


def _schedule(options: PrepareOptions, out: Path, permissions: Permissions, blanks, plan: _Plan, pool, jobs: int,
              outcome: PrepareOutcome, progress_stream, interactive, kind: BatchKind, custodian,
              timestamp: str | None) -> dict:
    """Chunks to the workers; a chunk whose worker died is redone one account at a time, alone, so the
    account that kills its worker is found and fails by itself. A systemic output error (disk full,
    read-only) stops further work; the accounts not done are reported as not prepared."""
    year = options.tax_year
    settings = Settings(activity_code=options.activity_code)
    # Chunks: big enough to amortize a compute call, small enough that filling and rendering a
    # chunk (~1.5 s per package) keeps both cores busy to the end and the progress bar moving.
    parts = _parts(options)
    renders = (blanks is not None and "pdf" in parts) or (bool({"statements", "attachments", "letter"} & set(parts))
                                                         and package._statements_module() is not None)
    limit = MAX_CHUNK_PACKAGING if renders else MAX_CHUNK
    todo = plan.todo
    size = options.chunk_size or max(1, min(limit, -(-len(todo) // (jobs * 4)) if todo else 1))
    stage_seconds = defaultdict(float)

    def job_for(chunk: list[str]) -> ChunkJob:
        return ChunkJob(plan.slicer.sub_book(chunk), year, out, settings, options.all_accounts, blanks,
                        options.flatten, chunk, custodian=custodian, timestamp=timestamp, permissions=permissions,
                        parts=parts, deliver=bool(options.cluster),
                        problems={account_id: plan.by_account.get(account_id, []) for account_id in chunk})

    with Progress(len(plan.account_ids), progress_stream, interactive) as bar:
        bar.advance(list(plan.records.values()))

        def collect(result: ChunkResult) -> None:
            for position, record in enumerate(result.records):
                if record.delivery is not None:  # from a cluster worker: this process writes OUT
                    record = result.records[position] = package.settle(
                        record, record.delivery.files, out, year, permissions, plan.account_rows.get(record.account_id))
                    record.delivery = None
                record.input_hash = plan.hashes.get(record.account_id, "")
                plan.records[record.account_id] = record
                if record.systemic and not outcome.stopped:
                    outcome.stopped = record.systemic
            for stage, seconds in result.seconds.items():
                stage_seconds[stage] += seconds
            bar.advance(result.records)

        queue = deque(_chunks(todo, size))
        if pool is None:
            while queue and not outcome.stopped:
                collect(kind.chunk(job_for(queue.popleft())))
            return stage_seconds
        suspects: deque[list[str]] = deque()
        pending: dict[Future, list[str]] = {}
        solo: Future | None = None  # the suspect running alone
        window = jobs * 2  # slices in flight: bounded, so the whole book is never copied at once
        while (queue or suspects or pending) and not (outcome.stopped and not pending):
            if not outcome.stopped:
                if suspects:
                    if not pending:  # a suspect runs alone: if the worker dies, it is the culprit
                        chunk = suspects.popleft()
                        solo = pool.submit(kind.chunk, job_for(chunk))
                        pending[solo] = chunk
                else:
                    while queue and len(pending) < window:
                        chunk = queue.popleft()
                        pending[pool.submit(kind.chunk, job_for(chunk))] = chunk
            if not pending:
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                chunk = pending.pop(future)
                try:
                    collect(future.result())
                except WorkerMismatch as exc:  # a worker that joined later runs another udfi
                    outcome.stopped = str(exc)
                    collect(_worker_died(chunk, plan, exc, "the run stopped"))
                except (BrokenProcessPool, WorkerLost) as exc:
                    broken = True
                    if future is solo:
                        collect(_worker_died(chunk, plan, exc))
                    else:
                        suspects.extend([account_id] for account_id in chunk)
                except Exception as exc:  # noqa: BLE001 — e.g. a result that cannot be unpickled
                    collect(_worker_died(chunk, plan, exc))
            if broken:
                for future, chunk in list(pending.items()):
                    try:
                        collect(future.result())
                    except Exception:  # noqa: BLE001 — lost with the pool: redo alone
                        suspects.extend([account_id] for account_id in chunk)
                    del pending[future]
                pool = _renewed(pool, jobs)
        pool.shutdown(wait=True, cancel_futures=True)
    return stage_seconds


def _renewed(pool, jobs: int):
    """A pool after a worker died: the process pool is broken and replaced; a cluster goes on."""
    if hasattr(pool, "renewed"):
        return pool.renewed()
    pool.shutdown(wait=True, cancel_futures=True)
    return new_pool(jobs)


def _open_cluster(options: PrepareOptions):
    from udfi.batch.cluster import ClusterError, ClusterPool  # noqa: PLC0415 — dask only when asked for

    try:
        return ClusterPool(options.cluster)
    except ClusterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc


def _check_cluster(pool, plan: _Plan, blanks) -> int:
    """Refuse workers that would write other bytes; the chunks are sized for the cluster's threads."""
    from udfi.batch.cluster import ClusterError  # noqa: PLC0415

    try:
        pool.check_workers(tuple(int(year) for year in plan.fingerprints), blanks)
    except ClusterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    return pool.parallelism


def _worker_died(chunk: list[str], plan: _Plan, exc: BaseException,
                 what: str = "the worker process failed") -> ChunkResult:
    detail = f"{what}: {short_error(exc)}"
    return ChunkResult([AccountRecord(account_id, "exception",
                                      blank_summary(plan.account_rows.get(account_id, {}), "exception", detail),
                                      exceptions=[ExceptionRow(account_id, WORKER, detail)])
                        for account_id in chunk], {})


def _finish_unprepared(plan: _Plan, outcome: PrepareOutcome) -> None:
    """Accounts the run did not get to (it stopped) are listed as exceptions saying why."""
    if not outcome.stopped:
        return
    detail = f"not prepared: the run stopped ({outcome.stopped}); fix that and rerun with --resume"
    for account_id in plan.todo:
        if account_id not in plan.records:
            plan.records[account_id] = AccountRecord(
                account_id, "exception", blank_summary(plan.account_rows.get(account_id, {}), "exception", detail),
                exceptions=[ExceptionRow(account_id, RUN, detail)], input_hash=plan.hashes.get(account_id, ""))


def _write_problem_files(options: PrepareOptions, out: Path, permissions: Permissions, plan: _Plan, report) -> None:
    """OUT/<account>/<year>/problems.txt for every account with errors or warnings of its own."""
    year = options.tax_year
    for account_id, record in plan.records.items():
        if record.kept or record.skipped and not plan.by_account.get(account_id):
            continue
        if folder_name_problem(account_id) is not None:
            continue
        text = problems_text(plan.account_rows.get(account_id, {"account_id": account_id}), year,
                             plan.by_account.get(account_id, []), record.exceptions, plan.own_rows)
        relative = f"{account_id}/{year}/{PROBLEMS_FILE}"
        try:
            if not text:
                remove_package(out / account_id / str(year), (PROBLEMS_FILE,), out)
                record.outputs.pop(relative, None)
                continue
            data = text.encode("utf-8")
            folder = real_folder(out, (account_id, str(year)), create=True, permissions=permissions)
            write_atomically(folder / PROBLEMS_FILE, data, permissions)
            record.outputs[relative] = sha256_bytes(data)
        except OSError as exc:
            problem = short_error(exc) if not isinstance(exc, UnsafeOutputError) else str(exc)
            record.exceptions.append(ExceptionRow(account_id, "output", f"{PROBLEMS_FILE}: {problem}"))
            record.outputs.pop(relative, None)


def _write_reports(options: PrepareOptions, out: Path, permissions: Permissions, plan: _Plan, report,
                   outcome: PrepareOutcome, kind: BatchKind = PREPARE) -> None:
    """exceptions.csv, summary.csv and manifest.json — the three together, or none of them."""
    year = options.tax_year
    ordered = [plan.records[account_id] for account_id in plan.account_ids if account_id in plan.records]
    exception_rows = [row for record in ordered for row in record.exceptions]
    known = set(plan.account_ids)
    for problem in report.unattributed_errors:
        exception_rows.append(ExceptionRow("", VALIDATE, problem_text(problem) + " (row left out: it belongs to "
                                                                                  "no known account)",
                                           problem.file, problem.row))
    # Rows pinned to an account that accounts.csv does not have (a property of an unknown account).
    for problem in report.errors:
        if problem.account_id and problem.account_id not in known and problem.row is not None:
            exception_rows.append(ExceptionRow("", VALIDATE, problem_text(problem)
                                               + " (row left out: its account is not in accounts.csv)",
                                               problem.file, problem.row))
    # Several tax years may share OUT: each report keeps the other years' rows and leads with the year.
    exception_columns = with_year(EXCEPTION_COLUMNS)
    exception_dicts = (other_years_rows(output_path(out, kind.exceptions_file), year)
                       + [{YEAR_COLUMN: year, **row.as_dict()} for row in exception_rows])
    exceptions_csv = csv_bytes(exception_columns, exception_dicts, EXCEPTION_USER_COLUMNS)
    summary_rows = []
    columns = with_year(kind.summary_columns or SUMMARY_COLUMNS)
    for record in ordered:
        row = {column: record.summary.get(column, "") for column in columns}
        row[YEAR_COLUMN] = year
        row["outputs"] = ";".join(sorted(record.outputs))
        summary_rows.append(row)
    summary_rows = other_years_rows(output_path(out, kind.summary_file), year) + summary_rows
    summary_csv = csv_bytes(columns, summary_rows, USER_COLUMNS)
    summary_xlsx = xlsx_bytes(columns, summary_rows, USER_COLUMNS, "summary", NUMERIC_REPORT_COLUMNS)
    exceptions_xlsx = xlsx_bytes(exception_columns, exception_dicts, EXCEPTION_USER_COLUMNS, "exceptions",
                                 NUMERIC_REPORT_COLUMNS)
    summary_xlsx_file, exceptions_xlsx_file = _xlsx_name(kind.summary_file), _xlsx_name(kind.exceptions_file)
    outputs = {kind.summary_file: sha256_bytes(summary_csv), kind.exceptions_file: sha256_bytes(exceptions_csv),
               summary_xlsx_file: sha256_bytes(summary_xlsx), exceptions_xlsx_file: sha256_bytes(exceptions_xlsx)}
    diagnostics = _diagnostics_files(options, out, plan, exception_rows) if kind.name == PREPARE.name else {}
    outputs.update({name: sha256_bytes(data) for name, data in diagnostics.items()})
    for record in ordered:
        outputs.update(record.outputs)
    manifest = {
        "tool": "udfi", "version": udfi.__version__, "tax_year": year,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "book": mask_ssn(str(options.book)), "parts": list(_parts(options)), "run": plan.run_key,
        "parameters": plan.fingerprints,
        "inputs": input_files(options.book), "outputs": outputs,
        "accounts": {mask_ssn(record.account_id): {
            "input": record.input_hash, "status": record.status, "outputs": record.outputs,
            "summary": {key: mask_ssn(value) for key, value in record.summary.items()},
            "exceptions": [{key: mask_ssn(value) for key, value in row.as_dict().items() if key != "account_id"}
                           for row in record.exceptions]}
            for record in ordered},
    }
    if outcome.stopped:
        manifest["stopped"] = mask_ssn(outcome.stopped)
    earlier = other_years(_load_manifest(out, kind.manifest_file), year)
    if earlier:
        manifest["other_years"] = earlier
    try:
        write_all_or_nothing(out, {kind.exceptions_file: exceptions_csv, kind.summary_file: summary_csv,
                                   exceptions_xlsx_file: exceptions_xlsx, summary_xlsx_file: summary_xlsx,
                                   kind.manifest_file: manifest_bytes(manifest), **diagnostics}, permissions)
    except OSError as exc:
        raise PrepareError(EXIT_USAGE, f"--out {out}: could not write {kind.summary_file}, {kind.exceptions_file} and "
                                       f"{kind.manifest_file} ({exc.strerror or exc}); none of them was changed. The "
                                       "packages written are complete; free space and rerun with --resume") from exc
    outcome.exception_rows = exception_rows


def _diagnostics_files(options: PrepareOptions, out: Path, plan: _Plan, exception_rows: list) -> dict[str, bytes]:
    """OUT/diagnostics.html and OUT/diagnostics.csv (udfi.diagnostics.batch), written with the reports."""
    from udfi.diagnostics.batch import BATCH_CSV_FILE, previous_rows, run_files  # noqa: PLC0415

    ordered = [plan.records[account_id] for account_id in plan.account_ids if account_id in plan.records]
    return run_files(options.tax_year, ordered, plan.by_account, previous_rows(output_path(out, BATCH_CSV_FILE)),
                     exception_rows)


def _count(plan: _Plan, outcome: PrepareOutcome, started: float, echo) -> None:
    ordered = [plan.records[account_id] for account_id in plan.account_ids if account_id in plan.records]
    exception_rows = outcome.exception_rows
    outcome.accounts = len(ordered)
    outcome.packages = sum(1 for record in ordered if record.outputs and not record.skipped
                           and any(not key.endswith(PROBLEMS_FILE) for key in record.outputs))
    outcome.skipped = sum(1 for record in ordered if record.skipped and not record.kept)
    outcome.kept = sum(1 for record in ordered if record.kept)
    outcome.not_required = sum(1 for record in ordered if record.status == "not_required")
    outcome.exceptions = sum(1 for record in ordered if record.status == "exception")
    outcome.seconds = time.perf_counter() - started
    if outcome.stopped:
        echo(f"the run stopped: {outcome.stopped} — the reports list every account not prepared; "
             "rerun with --resume when fixed")
    if exception_rows and outcome.exit_code == EXIT_OK:
        outcome.exit_code = EXIT_EXCEPTIONS
    if exception_rows:
        # One line per stage, so a systemic failure (e.g. a missing template) is obvious at a glance.
        by_stage: dict[str, list[ExceptionRow]] = defaultdict(list)
        for row in exception_rows:
            by_stage[row.stage].append(row)
        for stage, rows in by_stage.items():
            accounts = len({row.account_id for row in rows if row.account_id})
            echo(mask_ssn(f"exceptions at {stage}: {accounts} account(s) (first: {rows[0].account_id or 'no account'} "
                          f"— {rows[0].problem[:160]})"))
