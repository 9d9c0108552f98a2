"""`udfi validate BOOK`: check a book and list exactly what to fix; `udfi schema`: the book format."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from udfi.cli.common import (EXIT_INVALID, EXIT_USAGE, Column, OutputFormat, Out, escape, fail, format_option,
                             is_quiet, open_output, output_option, quiet_option, write_csv, write_json)
from udfi.safety import mask_ssn
from udfi.validate import DATE_FORMATS, BookReadError, ValidationReport, validate_book

SHOWN_ROWS = 200
PROBLEM_FIELDS = ("severity", "file", "row", "column", "value", "expected", "account_id")
PROBLEM_COLUMNS = [Column("severity"), Column("file"), Column("row", numeric=True), Column("column"),
                   Column("value"), Column("expected")]


DATE_FORMAT_HELP = "Dates in the book: ISO (YYYY-MM-DD, default) or MDY (also accepts US MM/DD/YYYY)."


def date_format_option():
    return typer.Option("ISO", "--date-format", help=DATE_FORMAT_HELP + " Example: --date-format MDY")


def load_or_exit(book: Path, date_format: str = "ISO") -> ValidationReport:
    """Validate `book`; on a book that cannot be read at all, print one line and exit 2."""
    date_format = (date_format or "ISO").upper()
    if date_format not in DATE_FORMATS:
        raise fail(f"--date-format must be one of {', '.join(DATE_FORMATS)} (got {date_format!r})", EXIT_USAGE)
    try:
        return validate_book(book, date_format=date_format)
    except BookReadError as exc:
        raise fail(mask_ssn(str(exc)), EXIT_USAGE) from exc


def ordered_problems(report: ValidationReport) -> list:
    return sorted(report.problems, key=lambda p: (p.severity != "error", p.file, p.row or 0, p.column or ""))


def print_problems(report: ValidationReport, out: Out, limit: int | None = SHOWN_ROWS) -> None:
    """The problems as a table; on a terminal the first `limit` (piped: all of them)."""
    ordered = ordered_problems(report)
    shown = ordered if (limit is None or not out.terminal) else ordered[:limit]
    out.table(f"Problems in {report.source}", PROBLEM_COLUMNS,
              [[p.severity, p.file, "" if p.row is None else p.row, p.column or "", p.value, p.expected]
               for p in shown])
    if len(ordered) > len(shown):
        out.text(f"… and {len(ordered) - len(shown)} more (pipe the output, or use --format csv or json, "
                 "for the full list)")


def print_problems_stderr(report: ValidationReport) -> None:
    """The problems on stderr (for commands whose stdout is something else)."""
    import sys  # noqa: PLC0415

    print_problems(report, Out(sys.stderr, sys.stderr.isatty()))


class SchemaFormat(str, Enum):
    markdown = "markdown"
    yaml = "yaml"


def register(app: typer.Typer) -> None:
    @app.command()
    def schema(
        format: SchemaFormat = typer.Option(SchemaFormat.markdown, "--format", "-f",
                                            help="markdown (the README tables) or yaml (schemas/tables/*.yaml, "
                                                 "the definitions the validator uses)."),
        output: Path = output_option(),
    ) -> None:
        """Print the book format (generated from schemas/tables/*.yaml).

        Example: udfi schema --format yaml -o tables.yaml
        """
        from udfi.resources import schemas_dir  # noqa: PLC0415
        from udfi.schemas import TABLE_ORDER, markdown_tables  # noqa: PLC0415

        with open_output(output) as out:
            if format is SchemaFormat.markdown:
                out.stream.write(markdown_tables())
            else:
                for name in TABLE_ORDER:
                    text = (schemas_dir() / "tables" / f"{name}.yaml").read_text(encoding="utf-8")
                    out.stream.write(f"# --- schemas/tables/{name}.yaml\n{text.rstrip()}\n")

    @app.command()
    def validate(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        format: OutputFormat = format_option(what="one row per problem"),
        output: Path = output_option(),
        quiet: bool = quiet_option(),
        date_format: str = date_format_option(),
    ) -> None:
        """Check a book: "valid", or every problem with file, row, column, value and what was expected.

        Exit 1 when there is any error (warnings alone exit 0).

        Example: udfi validate fixtures/sample --format csv -o problems.csv
        """
        started = time.perf_counter()
        report = load_or_exit(book, date_format)
        elapsed = time.perf_counter() - started
        ordered = ordered_problems(report)
        with open_output(output, csv_for_excel=format is OutputFormat.csv) as out:
            if format is OutputFormat.json:
                write_json(out.stream, {"source": str(book), "valid": report.ok, "ledger_rows": report.ledger_rows,
                                        "errors": len(report.errors), "warnings": len(report.warnings),
                                        "problems": [problem.as_dict() for problem in ordered]})
            elif format is OutputFormat.csv:
                write_csv(out.stream, PROBLEM_FIELDS, [problem.as_dict() for problem in ordered])
            else:
                if report.problems:
                    print_problems(report, out)
                verdict = "valid" if report.ok else "[bold red]INVALID[/bold red]"
                summary = (f"{escape(str(book))}: {verdict} — {len(report.errors)} error(s), "
                           f"{len(report.warnings)} warning(s); {report.ledger_rows:,} ledger rows checked in "
                           f"{elapsed:.2f} s")
                if report.problems or not is_quiet(quiet):
                    out.line(summary)
        if not report.ok:
            raise typer.Exit(EXIT_INVALID)

