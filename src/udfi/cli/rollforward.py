"""`udfi rollforward BOOK --year Y`: next year's proforma — the opening carryovers.csv for Y + 1."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import typer
from udfi.cli.compute import compute_valid_accounts
from udfi.cli.common import EXIT_INVALID, EXIT_USAGE, fail
from udfi.engine.compute import Settings
from udfi.rollforward import CARRYOVER_COLUMNS, CREDIT, REFUND, merged_rows, opening_rows


def _existing_rows(path: Path) -> tuple[list[dict], list[str]]:
    if not path.is_file():
        return [], list(CARRYOVER_COLUMNS)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or CARRYOVER_COLUMNS)
        return list(reader), columns + [column for column in CARRYOVER_COLUMNS if column not in columns]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    @app.command("rollforward")
    def rollforward_command(
        book: Path = typer.Argument(..., help="A folder of CSV files (the book to roll forward)."),
        year: int = typer.Option(..., "--year", help="The tax year just prepared; rows open YEAR + 1."),
        output: Path = typer.Option(None, "--output", help="Write here instead of BOOK/carryovers.csv (the book's "
                                                           "other rows are copied along)."),
        overpayment: str = typer.Option(REFUND, "--overpayment", help="Part III line 11 choice for an overpayment: "
                                                                      "'credit' (carried as next year's line 6a) or "
                                                                      "'refund'. Example: --overpayment credit"),
    ) -> None:
        """Write the opening balances for YEAR + 1: NOLs by loss year, capital loss carryovers by character, net
        §1231 losses open for recapture, and a credited overpayment — rows of carryovers.csv for YEAR + 1 are
        replaced, every other row is kept. Example: udfi rollforward fixtures/sample --year 2023 --output next.csv"""
        if overpayment not in (CREDIT, REFUND):
            raise fail(f"--overpayment must be 'credit' or 'refund', not {overpayment!r}", EXIT_USAGE)
        if not book.is_dir() and output is None:
            raise fail(f"{book} is not a folder of CSV files; give --output FILE for a workbook", EXIT_USAGE)
        results, report = compute_valid_accounts(book, year, Settings(), strict=False)
        target = output or book / "carryovers.csv"
        existing, columns = _existing_rows(book / "carryovers.csv") if book.is_dir() else ([], list(CARRYOVER_COLUMNS))
        new_rows = [row for result in results for row in opening_rows(result, overpayment)]
        if any(row.activity_code for row in new_rows) and "activity_code" not in columns:
            columns.append("activity_code")   # a partnership silo's NOL names its silo
        merged = merged_rows(existing, new_rows, {result.account_id for result in results}, year + 1)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
        _write_atomically(target, buffer.getvalue())
        typer.echo(f"{target}: {len(new_rows)} opening row(s) for {year + 1} from {len(results)} account(s)")
        skipped = sorted(report.accounts_with_errors)
        if skipped:
            typer.echo(f"not rolled forward (validation errors; see udfi validate): {', '.join(skipped)}", err=True)
            raise typer.Exit(EXIT_INVALID)
