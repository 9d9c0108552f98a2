"""`udfi validate BOOK`: check a book and list exactly what to fix."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from udfi.safety import mask_ssn
from udfi.validate import DATE_FORMATS, BookReadError, ValidationReport, validate_book

EXIT_INVALID = 1
SHOWN_ROWS = 200


DATE_FORMAT_HELP = "Dates in the book: ISO (YYYY-MM-DD, default) or MDY (also accepts US MM/DD/YYYY)."


def load_or_exit(book: Path, date_format: str = "ISO") -> ValidationReport:
    """Validate `book`; on a book that cannot be read at all, print one line and exit 2."""
    date_format = (date_format or "ISO").upper()
    if date_format not in DATE_FORMATS:
        typer.echo(f"error: --date-format must be one of {', '.join(DATE_FORMATS)} (got {date_format!r})", err=True)
        raise typer.Exit(2)
    try:
        return validate_book(book, date_format=date_format)
    except BookReadError as exc:
        typer.echo(f"error: {mask_ssn(str(exc))}", err=True)
        raise typer.Exit(2) from exc


def print_problems(report: ValidationReport, console: Console, limit: int = SHOWN_ROWS) -> None:
    table = Table(title=f"Problems in {escape(str(report.source))}", show_lines=False)
    for heading in ("severity", "file", "row", "column", "value", "expected"):
        table.add_column(heading, overflow="fold")
    ordered = sorted(report.problems, key=lambda p: (p.severity != "error", p.file, p.row or 0, p.column or ""))
    for problem in ordered[:limit]:
        style = "red" if problem.severity == "error" else "yellow"
        # Values are user data: escaped, so `book.xlsx[ledger]` or `[red]` print as written.
        table.add_row(problem.severity, escape(problem.file), "" if problem.row is None else str(problem.row),
                      escape(problem.column or ""), escape(problem.value), escape(problem.expected), style=style)
    console.print(table)
    if len(ordered) > limit:
        console.print(f"… and {len(ordered) - limit} more (use --format json for the full list)")


def register(app: typer.Typer) -> None:
    @app.command()
    def schema(markdown: bool = typer.Option(True, "--markdown/--yaml", help="Print the README format tables.")) -> None:
        """Print the book format (generated from schemas/tables/*.yaml)."""
        from udfi.schemas import markdown_tables

        typer.echo(markdown_tables(), nl=False)

    @app.command()
    def validate(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        format: str = typer.Option("table", "--format", help="table or json"),
        date_format: str = typer.Option("ISO", "--date-format", help=DATE_FORMAT_HELP),
    ) -> None:
        """Check a book: "valid", or every problem with file, row, column, value and what was expected."""
        started = time.perf_counter()
        report = load_or_exit(book, date_format)
        elapsed = time.perf_counter() - started
        if format == "json":
            json.dump({"source": str(book), "valid": report.ok, "ledger_rows": report.ledger_rows,
                       "errors": len(report.errors), "warnings": len(report.warnings),
                       "problems": [problem.as_dict() for problem in report.problems]},
                      sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            console = Console()
            if report.problems:
                print_problems(report, console)
            verdict = "valid" if report.ok else "INVALID"
            console.print(f"{escape(str(book))}: {verdict} — {len(report.errors)} error(s), {len(report.warnings)} warning(s); "
                          f"{report.ledger_rows:,} ledger rows checked in {elapsed:.2f} s")
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)
