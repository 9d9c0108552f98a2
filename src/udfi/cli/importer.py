"""`udfi import SOURCE --profile PROFILE.yaml --into BOOK/`: a foreign ledger export → BOOK/ledger.csv."""

from __future__ import annotations

from pathlib import Path

import typer

from udfi.importer import ProfileError, import_ledger

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        source: Path = typer.Argument(..., help="The export to convert: a .csv or .xlsx file."),
        profile: Path = typer.Option(..., "--profile", help="Mapping profile (YAML), e.g. schemas/profiles/quickbooks-gl.yaml."),
        into: Path = typer.Option(..., "--into", help="The book folder; its ledger.csv is written."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite an existing BOOK/ledger.csv."),
        append: bool = typer.Option(False, "--append", help="Add the rows to an existing BOOK/ledger.csv."),
    ) -> None:
        """Convert a foreign ledger export into the book's canonical ledger.csv (nothing is written on any error)."""
        if replace and append:
            typer.echo("error: give at most one of --replace and --append", err=True)
            raise typer.Exit(EXIT_USAGE)
        if not source.is_file():
            typer.echo(f"error: {source} not found", err=True)
            raise typer.Exit(EXIT_USAGE)
        try:
            result = import_ledger(source, profile, into, "replace" if replace else "append" if append else "create")
        except (ProfileError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_USAGE) from exc
        if not result.ok:
            for problem in result.problems:
                typer.echo(f"error: {problem}", err=True)
            typer.echo(f"{source}: {len(result.problems)} problem(s); nothing written", err=True)
            raise typer.Exit(EXIT_PROBLEMS)
        typer.echo(f"{source}: {len(result.ledger)} ledger rows written to {into / 'ledger.csv'} "
                   f"({result.skipped_rows} bank/skip rows, {result.zero_rows} zero rows, "
                   f"{result.report_lines} report lines left out)")
