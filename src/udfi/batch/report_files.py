"""The run's report files, written once every account is done: each owner's problems.txt, then
summary.csv, exceptions.csv (and their .xlsx twins), diagnostics.html/.csv and manifest.json — these
together, or none of them."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import udfi
from udfi.batch.files import (PROBLEMS_FILE, Permissions, UnsafeOutputError, csv_bytes, folder_name_problem,
                              input_files, manifest_bytes, output_path, real_folder, remove_package, sha256_bytes,
                              write_all_or_nothing, write_atomically)
from udfi.batch.options import (EXCEPTION_USER_COLUMNS, EXIT_USAGE, NUMERIC_REPORT_COLUMNS, PREPARE, SUMMARY_COLUMNS,
                                BatchKind, PrepareError, PrepareOptions, PrepareOutcome, _parts)
from udfi.batch.plan import _load_manifest, _Plan
from udfi.batch.problems import problems_text
from udfi.batch.records import EXCEPTION_COLUMNS, VALIDATE, ExceptionRow, problem_text, short_error
from udfi.batch.reports import YEAR_COLUMN, other_years, other_years_rows, with_year, xlsx_bytes
from udfi.safety import mask_ssn
from udfi.summary import USER_COLUMNS


def _warm_up() -> None:
    try:
        from udfi.batch.xlsx import _fixed_parts  # noqa: PLC0415 — the .xlsx twins' fixed parts

        _fixed_parts()
        from udfi.diagnostics.render import _css, _environment  # noqa: PLC0415

        _environment().get_template("batch.html.j2")
        _css()
    except Exception:  # noqa: BLE001 — only a head start: the reports import and fail for themselves
        pass


_WARMING: list[threading.Thread] = []


def warm_up_in_background() -> None:
    """Read the spreadsheets' fixed parts and compile the diagnostics page while the workers run (this
    process only waits for them then), not after them."""
    thread = threading.Thread(target=_warm_up, name="udfi-reports-warm-up", daemon=True)
    _WARMING.append(thread)
    thread.start()


def finish_warm_up() -> None:
    """Wait for the warm-up: before forking new workers (a fork must not copy a half-done import)
    and before the reports."""
    while _WARMING:
        _WARMING.pop().join()

def _xlsx_name(csv_name: str) -> str:
    return csv_name[:-len(".csv")] + ".xlsx" if csv_name.endswith(".csv") else csv_name + ".xlsx"


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
