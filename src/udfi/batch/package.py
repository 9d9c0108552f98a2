"""One chunk of accounts, in a worker process (or in-process with --jobs 1): compute, fill the official
forms, render the statements and write each account's package. Never raises for one account."""

from __future__ import annotations

import inspect
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from udfi.batch.files import (DIAGNOSTICS_FILE, EFILE_FILE, FORM_FILE, PACKAGE_FILES, PRINT_FILE, PRIVATE, RETURN_FILE,
                              STATEMENTS_FILE, Permissions, folder_name_problem, is_systemic, remove_package,
                              safe_folder_name, sha256_bytes, write_package)
from udfi.batch.records import (COMPUTE, EFILE, FORM, OUTPUT, RETURN, STATEMENTS, AccountRecord, ChunkResult,
                                ExceptionRow, blank_summary, short_error)
from udfi.book import Book
from udfi.diagnostics import account_diagnostics, account_page
from udfi.engine.compute import AccountYear, Settings, compute_book
from udfi.engine.report import account_object

DIAGNOSTICS = "diagnostics"  # the stage that gathers and renders diagnostics.html

# Accounts per WeasyPrint document (render_many). Measured on the 200-account bench book, seconds
# per account: 1 → 1.04, 5 → 0.95, 10 → 0.89, 20 → 0.91, 40 → 1.02.
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


def run_chunk(job: ChunkJob) -> ChunkResult:
    """Compute, fill, render and write every account of one chunk. Never raises for one account."""
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
                                                blank_summary(accounts.get(row.account_id, {}), "exception",
                                                               row.problem), exceptions=[row])

    packaged = [result for result in results if result.must_file or job.all_accounts]
    rendered: dict[str, bytes | BaseException] = {}
    attached: dict[str, dict | BaseException] = {}
    if statements is not None:
        started = time.perf_counter()
        rendered = _render_statements(statements, packaged)
        attachments = _attachments_module()
        if attachments is not None:  # attachments.pdf and letter.pdf: one more document per batch
            attached = _render_statements(attachments, packaged, single="render_account")
        seconds["statements"] += time.perf_counter() - started

    for result in results:
        try:
            record = _package_account(job, result, rendered, statements is not None, derive, derive_takes_book,
                                      seconds, attached)
        except Exception as exc:  # noqa: BLE001 — whatever happens, it is this account's failure only
            problem = short_error(exc)
            record = AccountRecord(result.account_id, "exception",
                                   blank_summary(accounts.get(result.account_id, {}), "exception", problem),
                                   exceptions=[ExceptionRow(result.account_id, OUTPUT, problem)],
                                   systemic=problem if is_systemic(exc) else "")
        records[result.account_id] = record
    order = {account_id: position for position, account_id in enumerate(accounts)}
    return ChunkResult(sorted(records.values(), key=lambda record: order.get(record.account_id, 0)), dict(seconds))


def _package_account(job: ChunkJob, result: AccountYear, rendered: dict, with_statements: bool, derive,
                     derive_takes_book: bool, seconds: dict, attached: dict | None = None) -> AccountRecord:
    from udfi.summary import summary_row  # noqa: PLC0415

    account_id = result.account_id
    summary = summary_row(result)
    record = AccountRecord(account_id, summary["status"], summary)
    try:  # the batch page lists every account; an account's own page is written with its package
        record.diagnostics = account_diagnostics(result, problems=job.problems.get(account_id, []), book=job.book)
    except Exception:  # noqa: BLE001 — a packaged account fails below; the batch page lists it as unprepared
        record.diagnostics = None
    folder = job.out / account_id / str(job.tax_year)
    name_problem = folder_name_problem(account_id)
    if not (result.must_file or job.all_accounts):
        if name_problem is None:
            remove_package(folder, out=job.out)  # a package from an earlier run no longer describes this account
        return record
    if name_problem is not None:
        record.exceptions.append(ExceptionRow(account_id, OUTPUT, name_problem))
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
                raise extra
            files.update(extra)  # ATTACHMENTS_FILE (when the return has attached forms), LETTER_FILE
        stage = EFILE
        started = time.process_time()  # CPU time: the bench reports the XML step as CPU ms per package
        files[EFILE_FILE] = _efile_xml(data, result, job)
        seconds["efile"] += time.process_time() - started
        stage = DIAGNOSTICS
        if record.diagnostics is None:
            raise RuntimeError("the diagnostics could not be gathered for this account")
        files[DIAGNOSTICS_FILE] = account_page(record.diagnostics)
        stage = RETURN
        files[RETURN_FILE] = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    except Exception as exc:  # noqa: BLE001
        record.exceptions.append(_exception_row(account_id, stage, exc, result))
    if not record.exceptions:
        started = time.perf_counter()
        try:
            write_package(folder, files, PACKAGE_FILES, job.permissions, job.out)
            record.outputs = {f"{account_id}/{job.tax_year}/{name}": sha256_bytes(data)
                              for name, data in files.items()}
        except Exception as exc:  # noqa: BLE001
            record.exceptions.append(ExceptionRow(account_id, OUTPUT, short_error(exc)))
            if is_systemic(exc):
                record.systemic = short_error(exc)
        seconds["write"] += time.perf_counter() - started
    if record.exceptions:
        record.status = "exception"
        record.summary = {**summary, "status": "exception", "reason": "", "problem": record.exceptions[0].problem}
        if name_problem is None:
            remove_package(folder, out=job.out)  # no stale package from an earlier run next to an exception
    return record


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
