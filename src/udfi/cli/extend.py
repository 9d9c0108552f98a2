"""`udfi extend BOOK --year Y --out OUT [--all]`: Form 8868 extensions for every account that must file."""

from __future__ import annotations

from pathlib import Path

import typer

from udfi.batch.run import EXIT_EXCEPTIONS, PrepareError, PrepareOptions, default_jobs, prepare


def register(app: typer.Typer) -> None:
    @app.command("extend")
    def extend_command(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year of the Form 990-T to extend."),
        out: Path = typer.Option(..., "--out", help="Output folder: OUT/<account_id>/<year>/8868.xml, "
                                                    "extensions.csv, extension-exceptions.csv, extension-manifest.json."),
        all_accounts: bool = typer.Option(False, "--all", help="An extension for every account, not only those "
                                                              "that must file."),
        jobs: int = typer.Option(0, "--jobs", min=0, help="Worker processes (default: the number of cores)."),
        resume: bool = typer.Option(False, "--resume", help="Skip accounts whose rows and 8868.xml still match "
                                                            "the manifest."),
        custodian: Path = typer.Option(None, "--custodian", help="Custodian settings (default BOOK/custodian.yaml)."),
    ) -> None:
        """Form 8868 (return code 05: Form 990-T of a §401(a)/§408(a) trust) per account: tentative tax,
        payments, balance to pay with the extension, extended due date.

        Exit status: 0 done; 1 the book is unusable; 2 usage; 3 done, with exceptions.
        """
        from udfi.efile.extension_batch import EXTEND  # noqa: PLC0415

        options = PrepareOptions(book=book, tax_year=year, out=out, jobs=jobs or default_jobs(),
                                 all_accounts=all_accounts, resume=resume, custodian=custodian)
        try:
            outcome = prepare(options, echo=lambda text: typer.echo(text, err=True), kind=EXTEND)
        except PrepareError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from exc
        parts = [f"{outcome.packages} extension(s) written", f"{outcome.not_required} not required",
                 f"{outcome.exceptions} exception(s)"] + ([f"{outcome.skipped} skipped"] if resume else [])
        typer.echo(f"{out}: {outcome.accounts} account(s) for {year} in {outcome.seconds:.1f} s — " + ", ".join(parts)
                   + f"; see {out / 'extensions.csv'}"
                   + (f" and {out / 'extension-exceptions.csv'}" if outcome.exit_code == EXIT_EXCEPTIONS else ""))
        raise typer.Exit(outcome.exit_code)
