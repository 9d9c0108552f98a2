"""`udfi extend`: Form 8868 for every account that must file, on the batch runner of `udfi prepare`
(udfi.batch.run with this module's chunk worker): per-account isolation, atomic all-or-nothing writes,
a manifest, `--resume`. Writes OUT/<account>/<year>/8868.xml and OUT/extensions.csv; its exceptions and
manifest have their own names, so `prepare` and `extend` can share one OUT folder.
"""

from __future__ import annotations

import time
from collections import defaultdict
from functools import partial

from udfi.batch.files import remove_package, safe_folder_name, sha256_bytes, write_package
from udfi.batch.package import ChunkJob, _compute_isolated, _exception_row, run_chunk_safely
from udfi.batch.records import EFILE, OUTPUT, AccountRecord, ChunkResult, ExceptionRow, blank_summary
from udfi.batch.run import BatchKind

EXTENSION_FILE = "8868.xml"
EXTENSION_FILES = (EXTENSION_FILE,)
EXTENSION_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "tentative_tax", "payments_and_credits",
                     "balance_due_with_extension", "due_date", "extended_due_date", "outputs", "problem")


def extension_row(result, data: dict) -> dict:
    from udfi.efile.form8868 import extension_lines  # noqa: PLC0415

    lines = extension_lines(data)
    return {"account_id": result.account_id, "name": result.account.get("name") or "",
            "ein": result.account.get("ein") or "", "account_type": result.account["account_type"],
            "status": "file" if result.must_file else "not_required", "tentative_tax": lines.tentative_tax,
            "payments_and_credits": lines.payments, "balance_due_with_extension": lines.balance_due,
            "due_date": lines.due_date, "extended_due_date": lines.extended_due_date, "problem": ""}


def run_extension_chunk(job: ChunkJob) -> ChunkResult:
    from udfi.efile.details import details_of  # noqa: PLC0415
    from udfi.efile.form8868 import build_extension  # noqa: PLC0415
    from udfi.engine.report import account_object  # noqa: PLC0415

    seconds = defaultdict(float)
    started = time.perf_counter()
    results, compute_exceptions = _compute_isolated(job.book, job.tax_year, job.settings)
    seconds["compute"] += time.perf_counter() - started
    accounts = {row["account_id"]: row for row in job.book.accounts.to_dict("records")}
    records: dict[str, AccountRecord] = {
        row.account_id: AccountRecord(row.account_id, "exception",
                                      blank_summary(accounts.get(row.account_id, {}), "exception", row.problem),
                                      exceptions=[row]) for row in compute_exceptions}
    for result in results:
        account_id = result.account_id
        folder = job.out / account_id / str(job.tax_year)
        data = account_object(result)
        summary = extension_row(result, data)
        record = AccountRecord(account_id, summary["status"], summary)
        records[account_id] = record
        if not (result.must_file or job.all_accounts):
            if folder.is_dir() and safe_folder_name(account_id):
                remove_package(folder, EXTENSION_FILES)
            continue
        if not safe_folder_name(account_id):
            record.exceptions.append(ExceptionRow(account_id, OUTPUT, "the account_id cannot be used as a folder name"))
        else:
            try:
                started = time.perf_counter()
                xml = build_extension(data, job.tax_year, job.custodian, details_of(result).name_control,
                                      timestamp=job.timestamp)
                seconds["efile"] += time.perf_counter() - started
                write_package(folder, {EXTENSION_FILE: xml}, EXTENSION_FILES)
                record.outputs = {f"{account_id}/{job.tax_year}/{EXTENSION_FILE}": sha256_bytes(xml)}
            except Exception as exc:  # noqa: BLE001 — one account's failure stays that account's
                stage = EFILE if hasattr(exc, "field") else OUTPUT
                record.exceptions.append(_exception_row(account_id, stage, exc, result))
        if record.exceptions:
            record.status = "exception"
            record.summary = {**summary, "status": "exception", "problem": record.exceptions[0].problem}
            if safe_folder_name(account_id):
                remove_package(folder, EXTENSION_FILES)
    order = {account_id: position for position, account_id in enumerate(accounts)}
    return ChunkResult(sorted(records.values(), key=lambda r: order.get(r.account_id, 0)), dict(seconds))


EXTEND = BatchKind(name="extend", chunk=partial(run_chunk_safely, worker=run_extension_chunk), package_files=EXTENSION_FILES,
                   summary_file="extensions.csv", summary_columns=EXTENSION_COLUMNS,
                   exceptions_file="extension-exceptions.csv", manifest_file="extension-manifest.json",
                   uses_blanks=False, return_type="8868")
