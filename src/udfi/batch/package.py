"""One chunk of accounts, in a worker process (or in-process with --jobs 1): compute, fill the official
forms, render the statements and write each account's package. Never raises for one account."""

from __future__ import annotations

import inspect
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from udfi.batch.files import (ALL_PARTS, DIAGNOSTICS_FILE, EFILE_FILE, FORM_FILE, PACKAGE_FILES, PACKAGE_PARTS,
                              PRINT_FILE, PRIVATE, RETURN_FILE, STATEMENTS_FILE, Permissions, folder_name_problem,
                              is_systemic, json_document_bytes, remove_package, sha256_bytes, write_package)
from udfi.batch.records import (COMPUTE, EFILE, FORM, OUTPUT, RETURN, STATEMENTS, AccountRecord, ChunkResult, Delivery,
                                ExceptionRow, blank_summary, short_error)
from udfi.batch.slicing import BookSlicer
from udfi.book import Book
from udfi.diagnostics import account_diagnostics, account_page
from udfi.diagnostics.render import csv_body as diagnostics_csv_body
from udfi.engine.compute import AccountYear, Settings, compute_book
from udfi.engine.report import account_object

DIAGNOSTICS = "diagnostics"  # the stage that gathers and renders diagnostics.html

# Accounts per render_many call. ReportLab lays out each account's documents on their own (no fixed
# per-document cost to share), so the batch only bounds what one failing account makes redo singly.
STATEMENTS_BATCH = 10


# Optional collaborators (statements, explain) — used when installed, skipped when not

def _statements_module():
    try:
        from udfi.statements import render  # noqa: PLC0415
    except ImportError:
        return None
    return render if hasattr(render, "render_statements") else None


def _attachments_module():
    try:
        from udfi.attachments import render  # noqa: PLC0415
    except ImportError:
        return None
    return render


def _add_derivations():
    try:
        from udfi.explain import add_derivations  # noqa: PLC0415
    except ImportError:
        return None
    return add_derivations


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
    custodian: object | None = None  # udfi.efile.custodian.Custodian, for 990-T.xml
    timestamp: str | None = None     # ReturnTs of the run's XML returns
    permissions: Permissions = PRIVATE
    parts: tuple[str, ...] = ALL_PARTS  # `--only`: the package parts asked for (files.PACKAGE_PARTS)
    deliver: bool = False  # return each package as bytes (AccountRecord.delivery) instead of writing into `out`
    problems: dict = field(default_factory=dict)  # account id -> its validation problems (diagnostics)


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
            exceptions.append(ExceptionRow(account_id, COMPUTE, short_error(exc)))
    return results, exceptions


def _render_statements(module, results: list[AccountYear], single: str = "render_statements") -> dict:
    """statements.pdf (or, with the attachments module, its files) per account, in batches of
    STATEMENTS_BATCH (render_many); a failing batch is redone one account at a time (`single`) so only
    the bad account fails."""
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
                rendered[result.account_id] = getattr(module, single)(result)
            except Exception as exc:  # noqa: BLE001
                rendered[result.account_id] = exc
    return rendered


def _efile_xml(data: dict, result: AccountYear, job: ChunkJob) -> bytes:
    from udfi.efile.details import details_of  # noqa: PLC0415
    from udfi.efile.returns import build_return  # noqa: PLC0415

    return build_return(data, job.tax_year, job.custodian, details_of(result), timestamp=job.timestamp)


def _exception_row(account_id: str, stage: str, exc: Exception, result: AccountYear) -> ExceptionRow:
    """A value the XML cannot carry names its input: the file (and the account's row) it came from."""
    field_name = getattr(exc, "field", None)
    if stage == EFILE and field_name:
        file = field_name.split(" ", 1)[0] if field_name.endswith(".csv") or ".csv " in field_name else ""
        row = result.account.get("source_row") if file == "accounts.csv" else None
        return ExceptionRow(account_id, stage, f"{field_name}: {exc.problem}", file,
                            None if row is None else int(row))
    return ExceptionRow(account_id, stage, short_error(exc))


class _AccountRows:
    """Each account's own rows of the chunk's book, for its derivations: the row lookups of
    `udfi.explain.rows` over that account's rows only (what `BookSlicer.sub_book([account])` holds)."""

    def __init__(self, book: Book):
        from udfi.explain import BookColumns  # noqa: PLC0415 — explain is an optional collaborator

        self.book = book
        self.columns = BookColumns(book)
        # a one-account chunk is that account's own book already
        self.slicer = BookSlicer(book) if len(book.accounts) > 1 else None

    def arguments(self, account_id: str) -> dict:
        if self.slicer is None:
            return {"book": self.book, "rows": self.columns.rows()}
        positions = {table: found for table, by_account in self.slicer.positions.items()
                     if (found := by_account.get(account_id)) is not None}
        return {"book": self.book, "rows": self.columns.rows(positions)}


def run_chunk(job: ChunkJob) -> ChunkResult:
    """Compute, fill, render and write every account of one chunk. Never raises for one account."""
    seconds = defaultdict(float)
    # statements, attachments and letter render together (or not at all); a run without them never imports them
    documents = _statements_module() if {"statements", "attachments", "letter"} & set(job.parts) else None
    statements = documents if "statements" in job.parts else None
    attachments = (_attachments_module() if documents is not None and {"attachments", "letter"} & set(job.parts)
                   else None)
    derive = _add_derivations() if "json" in job.parts else None  # derivations live in return.json only
    derive_takes_book = derive is not None and "book" in inspect.signature(derive).parameters
    # Derivations cite each account's own spreadsheet rows: the chunk's columns are read out of pandas
    # once and every account's rows grouped once (explain.rows), instead of filtering frames per line.
    account_rows = _AccountRows(job.book) if derive_takes_book else None
    started = time.perf_counter()
    # The statements show every year of each property: keep the roll-forward instead of redoing it.
    results, compute_exceptions = _compute_isolated(job.book, job.tax_year, job.settings,
                                                    keep_history=statements is not None or attachments is not None)
    seconds["compute"] += time.perf_counter() - started
    records: dict[str, AccountRecord] = {}
    accounts = {row["account_id"]: row for row in job.book.accounts.to_dict("records")}
    for row in compute_exceptions:
        records[row.account_id] = AccountRecord(row.account_id, "exception",
                                                blank_summary(accounts.get(row.account_id, {}), "exception",
                                                               row.problem), exceptions=[row])

    packaged = [result for result in results if result.must_file or job.all_accounts]
    rendered: dict[str, bytes | BaseException] = {}
    attached: dict[str, dict | BaseException] = {}
    started = time.perf_counter()
    if statements is not None:
        rendered = _render_statements(statements, packaged)
    if attachments is not None:  # attachments.pdf and letter.pdf: one more document per batch
        attached = _render_statements(attachments, packaged, single="render_account")
    seconds["statements"] += time.perf_counter() - started

    for result in results:
        try:
            record, files = _package_account(job, result, rendered, statements is not None, derive,
                                             account_rows, seconds, attached)
        except Exception as exc:  # noqa: BLE001 — whatever happens, it is this account's failure only
            record, files = _failed(accounts.get(result.account_id, {}), result.account_id, exc), None
        if job.deliver:
            record.delivery = Delivery(files)
        else:
            started = time.perf_counter()
            record = settle(record, files, job.out, job.tax_year, job.permissions, accounts.get(result.account_id))
            seconds["write"] += time.perf_counter() - started
        records[result.account_id] = record
    order = {account_id: position for position, account_id in enumerate(accounts)}
    return ChunkResult(sorted(records.values(), key=lambda record: order.get(record.account_id, 0)), dict(seconds))


def _package_account(job: ChunkJob, result: AccountYear, rendered: dict, with_statements: bool, derive,
                     account_rows: _AccountRows | None, seconds: dict,
                     attached: dict | None = None) -> tuple[AccountRecord, dict[str, bytes] | None]:
    """The account's record and its package's files (None: no package — not required, or an exception).
    Nothing is written here: `settle` does that, in this process or in the cluster's client."""
    from udfi.summary import summary_row  # noqa: PLC0415

    account_id = result.account_id
    summary = summary_row(result)
    record = AccountRecord(account_id, summary["status"], summary)
    try:  # the batch page lists every account; an account's own page is written with its package
        record.diagnostics = account_diagnostics(result, problems=job.problems.get(account_id, []), book=job.book)
    except Exception:  # noqa: BLE001 — a packaged account fails below; the batch page lists it as unprepared
        record.diagnostics = None
    try:  # its rows of OUT/diagnostics.csv, here in the worker rather than at the end of the run in one process
        record.diagnostics_csv = diagnostics_csv_body(record.diagnostics) if record.diagnostics is not None else None
    except Exception:  # noqa: BLE001 — left to the run's diagnostics.csv, which writes them (or fails) itself
        record.diagnostics_csv = None
    if not (result.must_file or job.all_accounts):
        return record, None
    name_problem = folder_name_problem(account_id)
    if name_problem is not None:
        record.exceptions.append(ExceptionRow(account_id, OUTPUT, name_problem))
    files: dict[str, bytes] = {}
    stage = RETURN
    try:
        started = time.perf_counter()
        data = account_object(result)
        if derive is not None:
            # with the chunk's rows, derivations cite spreadsheet row numbers (source_row travels along)
            derived = derive(data, result, **(account_rows.arguments(account_id) if account_rows is not None else {}))
            if isinstance(derived, dict):
                data = derived
        data["tax_year"] = job.tax_year
        seconds["return"] += time.perf_counter() - started
        if job.blanks is not None and "pdf" in job.parts:
            stage = FORM
            started = time.perf_counter()
            from udfi.forms.fill import fill_return  # noqa: PLC0415

            files[FORM_FILE] = fill_return(data, job.tax_year, job.blanks)
            if job.flatten:
                files[PRINT_FILE] = fill_return(data, job.tax_year, job.blanks, flatten=True)
            seconds["form"] += time.perf_counter() - started
        if with_statements:
            stage = STATEMENTS
            pdf = rendered.get(account_id)
            if isinstance(pdf, BaseException):
                raise pdf
            if pdf is None:
                raise RuntimeError("no statements were rendered for this account")
            files[STATEMENTS_FILE] = pdf
        extra = (attached or {}).get(account_id, {})
        if isinstance(extra, BaseException):
            stage = STATEMENTS
            raise extra
        # ATTACHMENTS_FILE (when the return has attached forms), LETTER_FILE — those of the parts asked for
        files.update({name: content for name, content in extra.items() if name in _files_of(job.parts)})
        if "xml" in job.parts:
            stage = EFILE
            started = time.process_time()  # CPU time: the bench reports the XML step as CPU ms per package
            files[EFILE_FILE] = _efile_xml(data, result, job)
            seconds["efile"] += time.process_time() - started
        if "diagnostics" in job.parts:
            stage = DIAGNOSTICS
            if record.diagnostics is None:
                raise RuntimeError("the diagnostics could not be gathered for this account")
            files[DIAGNOSTICS_FILE] = account_page(record.diagnostics)
        if "json" in job.parts:
            stage = RETURN
            files[RETURN_FILE] = json_document_bytes(data)
    except Exception as exc:  # noqa: BLE001
        record.exceptions.append(_exception_row(account_id, stage, exc, result))
    if record.exceptions:
        _mark_exception(record)
        return record, None
    return record, files


def _files_of(parts: tuple[str, ...]) -> set[str]:
    return {name for part in parts for name in PACKAGE_PARTS[part]}


def _mark_exception(record: AccountRecord) -> None:
    record.status = "exception"
    record.summary = {**record.summary, "status": "exception", "reason": "", "problem": record.exceptions[0].problem}


def _failed(account: dict, account_id: str, exc: BaseException) -> AccountRecord:
    problem = short_error(exc)
    return AccountRecord(account_id, "exception", blank_summary(account, "exception", problem),
                         exceptions=[ExceptionRow(account_id, OUTPUT, problem)],
                         systemic=problem if is_systemic(exc) else "")


def settle(record: AccountRecord, files: dict[str, bytes] | None, out: Path, tax_year: int,
           permissions: Permissions = PRIVATE, account: dict | None = None) -> AccountRecord:
    """Write an account's package into OUT/<account>/<year>/ all or nothing (`files`), or clear what
    an earlier run left there (`files` None). A failed write makes the account an exception (systemic
    if it will hit every account: disk full, read-only). Never raises."""
    account_id = record.account_id
    folder = Path(out) / account_id / str(tax_year)
    try:
        if files is not None:
            try:
                write_package(folder, files, PACKAGE_FILES, permissions, out)
                record.outputs = {f"{account_id}/{tax_year}/{name}": sha256_bytes(data) for name, data in files.items()}
                return record
            except Exception as exc:  # noqa: BLE001
                record.exceptions.append(ExceptionRow(account_id, OUTPUT, short_error(exc)))
                if is_systemic(exc):
                    record.systemic = short_error(exc)
                _mark_exception(record)
        if folder_name_problem(account_id) is None:
            remove_package(folder, out=out)  # no stale package next to an exception or a not-required account
        return record
    except Exception as exc:  # noqa: BLE001 — whatever happens, it is this account's failure only
        return _failed(account or {"account_id": account_id}, account_id, exc)


def run_chunk_safely(job: ChunkJob, worker=None) -> ChunkResult:
    """`run_chunk` (or another batch kind's `worker`), with anything unexpected retried account by
    account, so that a failure stays the failing account's own; an account that fails even alone
    becomes an exception."""
    run_chunk_of = worker or run_chunk
    try:
        return run_chunk_of(job)
    except Exception:  # noqa: BLE001 — isolate below
        pass
    records, seconds = [], defaultdict(float)
    for row in job.book.accounts.to_dict("records"):
        account_id = row["account_id"]
        try:
            alone = replace(job, book=job.book.for_accounts([account_id]), account_ids=[account_id])
            result = run_chunk_of(alone)
            records.extend(result.records)
            for stage, value in result.seconds.items():
                seconds[stage] += value
        except Exception as exc:  # noqa: BLE001
            detail = short_error(exc)
            records.append(AccountRecord(account_id, "exception", blank_summary(row, "exception", detail),
                                         exceptions=[ExceptionRow(account_id, COMPUTE, detail)],
                                         systemic=detail if is_systemic(exc) else ""))
    return ChunkResult(records, dict(seconds))
