"""`udfi compute` (the return's figures) and `udfi check` (must I file, what do I owe, by when)."""

from __future__ import annotations

import csv
import difflib
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import typer

from udfi.cli.common import (EXIT_EXCEPTIONS, EXIT_INVALID, EXIT_USAGE, ITEM_KEYS, Column, OutputFormat, escape, fail,
                             flatten, format_option, lookup, open_output, output_option, quiet_option, write_csv,
                             write_json)
from udfi import plain_words
from udfi.cli.validate import date_format_option, load_or_exit, print_problems_stderr
from udfi.engine.compute import Settings, compute_book
from udfi.engine.parallel import AccountFailure, usable_cores, warm_caches_meanwhile
from udfi.engine.stream import check_parameters, iter_compute_book
from udfi.batch.records import blank_summary
from udfi.engine.report import account_document, account_object
from udfi.engine.report_silos import tax_sources
from udfi.money import format_dollars
from udfi.parameters import MissingParameterError
from udfi.safety import mask_ssn, safe_cell, safe_row
from udfi.summary import SUMMARY_COLUMNS, USER_COLUMNS, summary_row

# The text table of `compute`: what is printed, from where in the account object (docs/return-json.md).
# A key that is absent or null on a return is not printed, so new lines are added here as data.
PROPERTY_COLUMNS = (  # (heading, key in a property object, whole dollars?)
    ("property", "property_id", False), ("months", "months_held", False),
    ("avg acq. debt (4)", "part_v.4", True), ("avg adj. basis (5)", "part_v.5", True), ("% (6)", "part_v.6", False),
    ("gross (2)", "part_v.2", True), ("deprec. (3a)", "part_v.3a", True), ("other (3b)", "part_v.3b", True),
    ("reportable (7)", "part_v.7", True), ("allocable (9)", "part_v.9", True),
)
ACCOUNT_LINES = (  # (printed label, key in the account object); one printed line per group
    (("Sch. A 4a", "schedule_a.part_i.4a"), ("4b", "schedule_a.part_i.4b"), ("4c", "schedule_a.part_i.4c"),
     ("7(A)", "schedule_a.part_i.7a"), ("7(B)", "schedule_a.part_i.7b"), ("16", "schedule_a.part_ii.16"),
     ("17", "schedule_a.part_ii.17"), ("18", "schedule_a.part_ii.18")),
    (("990-T line 11 UBTI", "form_990t.part_i.11"), ("tax", "form_990t.part_ii.7"),
     ("penalty (III 8)", "form_990t.part_iii.8"), ("balance due", "form_990t.part_iii.9"),
     ("overpayment", "form_990t.part_iii.10")),
)
# Whole forms that a return may carry (null otherwise): printed as their non-zero lines.
ATTACHED_FORMS = (("Form 4797", "form_4797"), ("Schedule D (Form 1041)", "schedule_d"), ("Form 2220", "form_2220"))
COMPUTE_CSV_FIELDS = ("account_id", "key", "value")


def _text(value) -> str:
    return "" if value is None or value is pd.NA or value != value else str(value)


def _shown(value) -> str:
    """A user value echoed on screen: SSN-shaped runs masked (markup is escaped where it is printed)."""
    return str(mask_ssn(_text(value)))


def account_warnings(result, report) -> list[str]:
    """What a reviewer should look at for one account: its validation warnings (file, row, column) and
    the computation's flags."""
    found = [f"{p.file} row {p.row} column {p.column}: expected {p.expected}" if p.row is not None else
             f"{p.file}: expected {p.expected}" for p in report.warnings if p.account_id == result.account_id]
    return found + [flag for flag in result.flags if flag not in found]


def validated_book(book: Path, strict: bool, date_format: str = "ISO"):
    """The book validated, and the accounts without errors. A book with book-wide errors (or, when
    `strict`, any error) prints its problems and exits 1."""
    report = load_or_exit(book, date_format)
    if report.book_wide_errors or report.book is None or (strict and not report.ok):
        print_problems_stderr(report)
        raise fail(f"{book}: INVALID — fix the errors above (nothing was computed)", EXIT_INVALID)
    return report, set(report.book.accounts["account_id"].dropna()) - report.accounts_with_errors


def compute_valid_accounts(book: Path, year: int, settings: Settings, strict: bool, keep_history: bool = False,
                           date_format: str = "ISO"):
    """Validate, then compute every account without errors. Returns (results, report).

    A book with book-wide errors (or, when `strict`, any error) prints its problems and exits 1."""
    report, clean = validated_book(book, strict, date_format)
    if not clean:  # every account has errors: nothing to compute (the engine expects at least one)
        return [], report
    try:
        results = compute_book(report.book.for_accounts(clean), year, settings, keep_history=keep_history)
    except MissingParameterError as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    return results, report


def stream_valid_accounts(book: Path, year: int, settings: Settings, strict: bool, date_format: str = "ISO",
                          only: list[str] | None = None, jobs: int = 1, reduce_with=None):
    """`compute_valid_accounts` for a consumer that reduces each result as it comes (`check`,
    `compute`): returns (an iterator over the accounts in the book's order, the accounts it yields,
    report); see `stream_accounts`."""
    warm_caches_meanwhile(year)   # the due dates' calendars, while the book is validated
    report, clean = validated_book(book, strict, date_format)
    results, known = stream_accounts(report, clean, year, settings, only, jobs, reduce_with)
    return results, known, report


def stream_accounts(report, clean: set, year: int, settings: Settings, only: list[str] | None = None, jobs: int = 1,
                    reduce_with=None):
    """The validated book's accounts without errors (`clean`), computed a chunk of accounts at a time
    (`engine.stream`) on `jobs` worker processes, so the results are never all held: returns (an
    iterator in the book's order, the accounts it yields). `reduce_with(report)`, when given, is the
    function each AccountYear is reduced to where it is computed (what is yielded); an account that
    cannot be computed yields an `AccountFailure` (isolated, as `udfi prepare` isolates it).
    Parameters are checked for the whole book first (exit 2 as before), and `only` — account ids,
    each checked against the computable accounts (exit 2 with near matches) — limits the accounts
    computed."""
    if not clean:  # every account has errors: nothing to compute (the engine expects at least one)
        return iter(()), []
    # Every account clean (the usual book): the chunks leave out the rows of no account themselves, so
    # the book is not cut once more here (hashing a million ledger ids) before it is cut into chunks.
    computable = report.book if len(clean) == len(report.book.accounts) else report.book.for_accounts(clean)
    known = computable.accounts["account_id"].tolist()
    try:
        if only:
            check_parameters(computable, year)   # the whole book's years, as without --account
            for wanted in only:
                if wanted not in clean:
                    raise unknown_account(wanted, known)
            computable = computable.for_accounts(set(only))
            known = computable.accounts["account_id"].tolist()
        reduce = None if reduce_with is None else reduce_with(report)
        # the years it computes are checked by this call
        return iter_compute_book(computable, year, settings, jobs=jobs, reduce=reduce, isolate=True), known
    except MissingParameterError as exc:
        raise fail(str(exc), EXIT_USAGE) from exc


def jobs_option():
    return typer.Option(0, "--jobs", min=0, help="Worker processes computing the accounts (default: the number of "
                                                   "cores; 1: in this process). The output is the same for any number.")


def _failure_text(failure: AccountFailure) -> str:
    return f"account {_shown(failure.account_id)} could not be computed ({failure.stage}): {_shown(failure.problem)}"


def unknown_account(account: str, known: list[str], year: int | None = None) -> typer.Exit:
    near = difflib.get_close_matches(account, known, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else f" (accounts: {', '.join(sorted(known)[:20]) or 'none'})"
    return fail(f"no account {account!r} in the book{'' if year is None else f' for {year}'}{hint}", EXIT_USAGE)


def _cell(value: object, dollars: bool) -> str:
    if value is None:
        return ""
    return format_dollars(value) if dollars and isinstance(value, int) else str(value)


def print_account(out, data: dict, year: int) -> None:
    present = [c for c in PROPERTY_COLUMNS if any(lookup(item, c[1]) is not None for item in data["properties"])]
    out.table(f"{_shown(data['name'])} ({_shown(data['account_id'])}, EIN {_shown(data['ein'])}) — tax year {year}",
              [Column(heading, numeric=index > 0) for index, (heading, _, _) in enumerate(present)],
              [[_cell(lookup(item, key), dollars) for _, key, dollars in present] for item in data["properties"]])
    for group in ACCOUNT_LINES:
        parts = [f"{label} {format_dollars(value)}" for label, key in group
                 if (value := lookup(data, key)) is not None]
        if parts:
            out.text("  " + "  ".join(parts))
    for label, key in ATTACHED_FORMS:
        # Form lines are whole-dollar integers; descriptions and dates stay in --format json.
        lines = [(line, value) for line, value in flatten(data.get(key))
                 if isinstance(value, int) and not isinstance(value, bool) and value != 0
                 and line.rsplit(".", 1)[-1] not in ITEM_KEYS]
        if lines:
            out.text(f"  {label}: " + "  ".join(f"{line} {format_dollars(value)}" for line, value in lines))
    out.text(f"  must file: {'yes' if data['must_file'] else 'no'}  due {data['due_date']} "
             f"(extended {data['extended_due_date']})")
    for flag in data["flags"]:
        out.text(f"  ! {_shown(flag)}")


def register(app: typer.Typer) -> None:
    @app.command()
    def compute(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year), e.g. 2022."),
        format: OutputFormat = format_option(what="csv: one row per account and figure, json: docs/return-json.md"),
        account: list[str] = typer.Option(None, "--account", help="Only these account ids (repeatable)."),
        activity_code: str = typer.Option(Settings.activity_code, "--activity-code",
                                          help="Schedule A item C code for the investment-activities silo."),
        output: Path = output_option(),
        quiet: bool = quiet_option(),
        date_format: str = date_format_option(),
        jobs: int = jobs_option(),
    ) -> None:
        """Every account's Form 990-T / Schedule A figures for a tax year, computed from the ledgers.

        A book with any error is refused (exit 1): run udfi validate, or udfi check for the accounts
        that can be computed.

        Example: udfi compute fixtures/sample --year 2022 --format csv -o figures.csv
        """
        # Each account is reduced, where it is computed, to what this format prints of it (a chunk of
        # AccountYears is held at a time, by each worker); the CSV, the largest output, is spooled to an
        # unnamed temporary file until every account is computed, so nothing is half-written and its
        # rows are not held in memory.
        reduce_with = (lambda report: _csv_rows) if format is OutputFormat.csv else (lambda report: account_object)
        results, _, _ = stream_valid_accounts(book, year, Settings(activity_code=activity_code), strict=True,
                                              date_format=date_format, only=account, jobs=jobs or usable_cores(),
                                              reduce_with=reduce_with)
        failures: list[AccountFailure] = []

        def computed():
            for item in results:
                if isinstance(item, AccountFailure):
                    failures.append(item)
                else:
                    yield item

        if format is OutputFormat.csv:
            with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
                writer = csv.DictWriter(spool, fieldnames=list(COMPUTE_CSV_FIELDS), lineterminator="\n",
                                        extrasaction="ignore")
                writer.writeheader()
                for rows in computed():
                    writer.writerows(rows)
                spool.seek(0)
                with open_output(output, csv_for_excel=True) as out:
                    shutil.copyfileobj(spool, out.stream)
        elif format is OutputFormat.json:
            document = account_document(list(computed()), year)
            with open_output(output) as out:
                write_json(out.stream, document)
        else:
            objects = list(computed())
            with open_output(output) as out:
                for data in objects:
                    print_account(out, data, year)
        for failure in failures:
            typer.echo(f"error: {_failure_text(failure)}; the other accounts are in the output", err=True)
        if failures:
            raise typer.Exit(EXIT_EXCEPTIONS)

    @app.command()
    def check(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year), e.g. 2022."),
        format: OutputFormat = format_option(what="one row per account, the columns of summary.csv"),
        output: Path = output_option(),
        quiet: bool = quiet_option(),
        date_format: str = date_format_option(),
        jobs: int = jobs_option(),
    ) -> None:
        """Per account, in plain words: must it file, why, the tax, and the due date.

        Accounts whose rows have errors are listed as exceptions and the others are still checked
        (exit 3, as udfi prepare).

        Example: udfi check fixtures/sample --year 2022 --format csv -o triage.csv
        """
        # Each account is reduced, where it is computed (`--jobs` workers), to what this format prints of
        # it: a chunk of AccountYears is held at a time, and one summary row (and its lines) per account.
        results, _, report = stream_valid_accounts(book, year, Settings(), strict=False, date_format=date_format,
                                                   jobs=jobs or usable_cores(),
                                                   reduce_with=lambda report: Triage(format, report))
        rows, warnings, sources, lines = [], {}, {}, []
        accounts = {row["account_id"]: row for row in report.book.accounts.to_dict("records")}
        failed = False
        for item in results:
            if isinstance(item, AccountFailure):   # isolated: listed as an exception, as prepare lists it
                failed = True
                rows.append(blank_summary(accounts.get(item.account_id, {"account_id": item.account_id}), "exception",
                                          item.problem))
                continue
            row, account_warning_lines, account_sources, account_lines = item
            rows.append(row)
            if format is OutputFormat.json:
                warnings[row["account_id"]] = account_warning_lines
                sources[row["account_id"]] = account_sources
            elif format is not OutputFormat.csv:
                lines.append(account_lines)
        for account_id in sorted(report.accounts_with_errors):
            first = next(p for p in report.errors if p.account_id == account_id)
            # The account may be known only from another table (a property of an unknown account).
            record = accounts.get(account_id, {})
            rows.append({**{column: "" for column in SUMMARY_COLUMNS}, "account_id": account_id,
                         "name": _text(record.get("name")), "account_type": _text(record.get("account_type")),
                         "ein": _text(record.get("ein")), "status": "exception",
                         "problem": f"{first.file} row {first.row} column {first.column}: expected {first.expected}"})
        with open_output(output, csv_for_excel=format is OutputFormat.csv) as out:
            # Every echoed value is masked; CSV cells from user data cannot run as spreadsheet formulas.
            if format is OutputFormat.csv:
                write_csv(out.stream, SUMMARY_COLUMNS, [safe_row(row, USER_COLUMNS) for row in rows])
            elif format is OutputFormat.json:
                write_json(out.stream, {"tax_year": year, "accounts": [
                    {**{key: mask_ssn(value) for key, value in row.items()},
                     "warnings": [mask_ssn(text) for text in warnings.get(row["account_id"], [])],
                     "silos": [mask_ssn(text) for text in sources.get(row["account_id"], [])]} for row in rows]})
            else:
                _print_check(out, lines, rows)
        for problem in report.unattributed_errors[:20]:
            typer.echo(f"left out: {problem.file} row {problem.row} column {problem.column}: expected {problem.expected} "
                       "(belongs to no known account)", err=True)
        if report.accounts_with_errors or report.unattributed_errors or failed:
            raise typer.Exit(EXIT_EXCEPTIONS)


def _csv_rows(result) -> list[dict]:
    """`compute --format csv`'s rows of one account: user text (ids, names, descriptions) masked and never
    a spreadsheet formula."""
    data = account_object(result)
    return [{"account_id": safe_cell(data["account_id"]), "key": key, "value": safe_cell(value)}
            for key, value in flatten(data)]


class Triage:
    """What `check` prints of one account, in the format asked for: (summary row, its warnings, the
    sources of its tax, its printed lines), None where the format does not print it. Called where
    the account is computed (a worker inherits it with the validation report when it is forked)."""

    def __init__(self, format: OutputFormat, report):
        self.format, self.report = format, report

    def __call__(self, result) -> tuple:
        row = summary_row(result)
        if self.format is OutputFormat.json:
            return row, account_warnings(result, self.report), tax_sources(result), None
        if self.format is OutputFormat.csv:
            return row, None, None, None
        return row, None, None, _check_lines(result, self.report)


def _check_lines(result, report) -> list[str]:
    """What `check` prints of one computed account (plain text, masked; markup is escaped by `out.text`)."""
    # The investor's plain words (udfi.plain_words), the same sentences as the web page's answer.
    lines = [_shown(line) for line in plain_words.text_lines(plain_words.answer(result))]
    if result.k1s or result.silos.count > 1:
        # the K-1s in the filing test, the silo that produced the tax
        lines += [f"   {_shown(line)}" for line in tax_sources(result)]
    return lines + [f"   warning: {_shown(warning)}" for warning in account_warnings(result, report)]


def _print_check(out, lines: list[list[str]], rows) -> None:
    for account_lines in lines:
        for line in account_lines:
            out.text(line)
    for row in rows:
        if row["status"] == "exception":
            out.line(f"[bold]{escape(_shown(row['name']))}[/bold] ({escape(_shown(row['account_id']))}): NOT CHECKED — "
                     f"{escape(_shown(row['problem']))}")
