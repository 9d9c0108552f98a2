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

import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

from udfi import parameters as parameter_store
from udfi.batch.files import (FORM_FILE, PERMISSIONS, PROBLEMS_FILE, Permissions, free_bytes, start_counting_writes,
                              sweep_temporaries, write_atomically)
from udfi.batch.lock import LockedError, OutputLock
# The runner's vocabulary stays importable from here (options, plan, schedule and report files are modules of their own).
from udfi.batch.options import (EXCEPTION_USER_COLUMNS, EXIT_EXCEPTIONS, EXIT_INTERRUPTED, EXIT_INVALID,  # noqa: F401
                                EXIT_OK, EXIT_USAGE, MAX_CHUNK, MAX_CHUNK_PACKAGING, NUMERIC_REPORT_COLUMNS,
                                PACKAGE_BYTES, PREPARE, PRINT_BYTES, RESERVE_BYTES, SUMMARY_COLUMNS, BatchKind,
                                ChunkWorker, PrepareError, PrepareOptions, PrepareOutcome, _parts, default_jobs,
                                parse_parts)
from udfi.batch.plan import _efile_settings, _plan, _Plan  # noqa: F401
from udfi.batch.records import ExceptionRow, short_error
from udfi.batch.report_files import _write_problem_files, _write_reports, finish_warm_up, warm_up_in_background
from udfi.batch.schedule import _check_cluster, _finish_unprepared, _open_cluster, _schedule
from udfi.batch.workers import collecting_seldom, new_pool
from udfi.safety import mask_ssn
from udfi.validate import validate_book


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
    blanks = None
    if uses_blanks:  # the blanks' module (pdfrw) only when PDFs are asked for
        from udfi.forms.blanks import find_blanks  # noqa: PLC0415

        blanks = find_blanks(year, options.forms_dir)
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
            with collecting_seldom():
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


def _run(options: PrepareOptions, out: Path, permissions: Permissions, blanks, outcome: PrepareOutcome, echo,
         started: float, progress_stream, interactive, kind: BatchKind, efile) -> PrepareOutcome:
    from udfi.validate import BookReadError  # noqa: PLC0415

    jobs = options.jobs or default_jobs()
    plan = None
    # Start the workers while this process is still small (they are forked at once); a cluster is
    # reached before the book is read, so a wrong address fails at once.
    pool = _open_cluster(options) if options.cluster else new_pool(jobs, options.tax_year) if jobs > 1 else None
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
        if pool is not None:
            warm_up_in_background()
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

    finish_warm_up()
    plan.fill_hashes()  # the run may have stopped before its chunks asked for them
    _finish_unprepared(plan, outcome)
    if kind.name == PREPARE.name:  # one batch kind owns the owners' problem files (OUT may be shared)
        _write_problem_files(options, out, permissions, plan, report)
    _write_reports(options, out, permissions, plan, report, outcome, kind)
    _count(plan, outcome, started, echo)
    return outcome


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
