"""`udfi prepare BOOK --year Y --out OUT`: every account's filing package, the custodian batch."""

from __future__ import annotations

import atexit
import functools
import gc
import os
from pathlib import Path

import typer

from udfi.batch.run import EXIT_EXCEPTIONS, PrepareError, PrepareOptions, default_jobs, parse_parts, prepare
from udfi.cli.common import EXIT_USAGE, done, fail, is_quiet, quiet_option
from udfi.cli.validate import date_format_option
from udfi.engine.compute import Settings
from udfi.validate import DATE_FORMATS


@functools.cache  # registered once per process
def _skip_the_last_collection() -> None:
    """At interpreter exit, freeze the heap first: the cycle collector's last pass over everything a
    run leaves (the book, the chunk results) took ~0.3 s of a 1,000-account `--only json,xml` run —
    after the work, for memory the process is about to give back. Every file is written and closed
    by then; this only skips a traversal."""
    atexit.register(gc.freeze)


def register(app: typer.Typer) -> None:
    @app.command("prepare")
    def prepare_command(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year)."),
        out: Path = typer.Option(..., "--out", help="Output folder: OUT/<account_id>/<year>/, summary.csv, "
                                                    "exceptions.csv, manifest.json."),
        jobs: int = typer.Option(0, "--jobs", min=0, help="Worker processes (default: the number of cores)."),
        all_accounts: bool = typer.Option(False, "--all", help="Write a package for every account, not only those "
                                                              "that must file."),
        forms_dir: Path = typer.Option(None, "--forms-dir", help="Folder of official blanks (<dir>/<year>/f990t.pdf, "
                                                                 "f990tsa.pdf); else $UDFI_FORMS_DIR, then the cache."),
        require_forms: bool = typer.Option(False, "--require-forms", help="Fail (exit 2) when the year's blanks are "
                                                                          "missing instead of skipping 990-T.pdf."),
        flatten: bool = typer.Option(False, "--flatten", help="Also write 990-T-print.pdf, flattened (no fields)."),
        resume: bool = typer.Option(False, "--resume", help="Skip accounts whose rows and outputs still match "
                                                            "OUT/manifest.json."),
        activity_code: str = typer.Option(Settings.activity_code, "--activity-code",
                                          help="Schedule A item C code for the investment-activities silo."),
        account: list[str] = typer.Option(None, "--account", help="Redo only this account (repeatable); the others "
                                                                  "keep their entries in OUT's summary and manifest."),
        accounts_file: Path = typer.Option(None, "--accounts-file", help="Redo only the accounts listed in this file "
                                                                         "(one account_id per line)."),
        date_format: str = date_format_option(),
        permissions: str = typer.Option("private", "--permissions",
                                        help="Modes of what is written: private (files 0600, folders 0700; default), "
                                             "group (0640/0750) or public (0644/0755)."),
        custodian: Path = typer.Option(None, "--custodian", help="Custodian settings for 990-T.xml (officer, "
                                                                 "preparer); default BOOK/custodian.yaml."),
        only: str = typer.Option(None, "--only", help="Write only these package parts, a comma list of pdf "
                                                       "(990-T.pdf, 990-T-print.pdf), statements (statements.pdf), "
                                                       "attachments (attachments.pdf), letter (letter.pdf), diagnostics "
                                                       "(diagnostics.html), json "
                                                       "(return.json), xml (990-T.xml); e.g. --only json,xml "
                                                       "for the figures and the e-file XML without rendering PDFs."),
        cluster: str = typer.Option(None, "--cluster", help="Run the accounts on a Dask cluster: the scheduler's "
                                                            "address (tcp://host:8786) or local:N (N worker processes "
                                                            "here); needs pip install 'udfi[dask]'."),
        quiet: bool = quiet_option(),
    ) -> None:
        """Screen every account and write its Form 990-T package; bad accounts go to exceptions.csv.

        Exit status: 0 done; 1 the book is unusable as a whole; 2 usage (unreadable book, no
        parameters for the year, blanks missing with --require-forms, OUT unusable or locked by
        another run); 3 done, with exceptions (or stopped early: see exceptions.csv); 130 interrupted.

        Example: udfi prepare fixtures/sample --year 2022 --out out/2022
        """
        selected = list(account or [])
        if accounts_file is not None:
            try:
                lines = accounts_file.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise fail(f"--accounts-file {accounts_file}: cannot read it ({exc})", EXIT_USAGE) from exc
            selected += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
            if not selected:
                raise fail(f"--accounts-file {accounts_file}: no account ids in it", EXIT_USAGE)
        parts = None
        if only is not None:
            try:
                parts = parse_parts(only)
            except ValueError as exc:
                raise fail(str(exc), EXIT_USAGE) from exc
        if date_format.upper() not in DATE_FORMATS:
            raise fail(f"--date-format must be one of {', '.join(DATE_FORMATS)}", EXIT_USAGE)
        options = PrepareOptions(book=book, tax_year=year, out=out, jobs=jobs or default_jobs(),
                                 all_accounts=all_accounts, forms_dir=forms_dir, require_forms=require_forms,
                                 flatten=flatten, resume=resume, activity_code=activity_code,
                                 accounts=selected or None, date_format=date_format.upper(), permissions=permissions,
                                 custodian=custodian, parts=parts, cluster=cluster)
        quiet = is_quiet(quiet)
        _skip_the_last_collection()
        try:
            with open(os.devnull, "w", encoding="utf-8") as devnull:
                # Warnings (missing blanks, exceptions by stage) are printed even when quiet.
                outcome = prepare(options, echo=lambda text: typer.echo(text, err=True),
                                  progress_stream=devnull if quiet else None)
        except PrepareError as exc:
            raise fail(str(exc), exc.exit_code) from exc
        parts = [f"{outcome.packages} package(s) written", f"{outcome.not_required} not required",
                 f"{outcome.exceptions} exception(s)"]
        if resume:
            parts.append(f"{outcome.skipped} skipped")
        if outcome.kept:
            parts.append(f"{outcome.kept} kept from the previous run")
        done(f"{out}: {outcome.accounts} account(s) for {year} in {outcome.seconds:.1f} s — " + ", ".join(parts)
             + f"; see {out / 'summary.csv'}"
             + (f" and {out / 'exceptions.csv'}" if outcome.exit_code == EXIT_EXCEPTIONS else ""), quiet)
        raise typer.Exit(outcome.exit_code)
