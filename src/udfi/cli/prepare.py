"""`udfi prepare BOOK --year Y --out OUT`: every account's filing package, the custodian batch."""

from __future__ import annotations

from pathlib import Path

import os

import typer

from udfi.batch.run import EXIT_EXCEPTIONS, PrepareError, PrepareOptions, default_jobs, prepare
from udfi.cli.common import done, fail, is_quiet, quiet_option
from udfi.engine.compute import Settings


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
        custodian: Path = typer.Option(None, "--custodian", help="Custodian settings for 990-T.xml (officer, "
                                                                 "preparer); default BOOK/custodian.yaml."),
        quiet: bool = quiet_option(),
    ) -> None:
        """Screen every account and write its Form 990-T package; bad accounts go to exceptions.csv.

        Exit status: 0 done; 1 the book is unusable as a whole; 2 usage (unreadable book, no
        parameters for the year, blanks missing with --require-forms); 3 done, with exceptions.

        Example: udfi prepare fixtures/sample --year 2022 --out out/2022
        """
        options = PrepareOptions(book=book, tax_year=year, out=out, jobs=jobs or default_jobs(),
                                 all_accounts=all_accounts, forms_dir=forms_dir, require_forms=require_forms,
                                 flatten=flatten, resume=resume, activity_code=activity_code,
                                 custodian=custodian)
        quiet = is_quiet(quiet)
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
        done(f"{out}: {outcome.accounts} account(s) for {year} in {outcome.seconds:.1f} s — " + ", ".join(parts)
             + f"; see {out / 'summary.csv'}"
             + (f" and {out / 'exceptions.csv'}" if outcome.exit_code == EXIT_EXCEPTIONS else ""), quiet)
        raise typer.Exit(outcome.exit_code)
