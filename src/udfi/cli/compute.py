"""`udfi compute` (the return's figures) and `udfi check` (must I file, what do I owe, by when)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from udfi.cli.validate import EXIT_INVALID, load_or_exit, print_problems
from udfi.engine.compute import Settings, compute_book
from udfi.engine.report import account_object, compute_document
from udfi.engine.report_silos import tax_sources
from udfi.money import format_dollars
from udfi.parameters import MissingParameterError
from udfi.summary import SUMMARY_COLUMNS, summary_row


def account_warnings(result, report) -> list[str]:
    """What a reviewer should look at for one account: its validation warnings (file, row, column) and
    the computation's flags."""
    found = [f"{p.file} row {p.row} column {p.column}: expected {p.expected}" if p.row is not None else
             f"{p.file}: expected {p.expected}" for p in report.warnings if p.account_id == result.account_id]
    return found + [flag for flag in result.flags if flag not in found]


def compute_valid_accounts(book: Path, year: int, settings: Settings, strict: bool, console: Console,
                           keep_history: bool = False):
    """Validate, then compute every account without errors. Returns (results, report)."""
    report = load_or_exit(book)
    if report.book_wide_errors or (strict and not report.ok):
        print_problems(report, Console(stderr=True))
        Console(stderr=True).print(f"{book}: INVALID — fix the errors above (nothing was computed)")
        raise typer.Exit(EXIT_INVALID)
    clean = set(report.book.accounts["account_id"]) - report.accounts_with_errors
    try:
        results = compute_book(report.book.for_accounts(clean), year, settings, keep_history=keep_history)
    except MissingParameterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return results, report


def register(app: typer.Typer) -> None:
    @app.command()
    def compute(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year)."),
        format: str = typer.Option("table", "--format", help="json or table"),
        account: list[str] = typer.Option(None, "--account", help="Only these account ids (repeatable)."),
        activity_code: str = typer.Option(Settings.activity_code, "--activity-code",
                                          help="Schedule A item C code for the investment-activities silo."),
    ) -> None:
        """Every account's Form 990-T / Schedule A figures for a tax year, computed from the ledgers."""
        console = Console()
        results, report = compute_valid_accounts(book, year, Settings(activity_code=activity_code), strict=True,
                                                 console=console)
        if account:
            results = [result for result in results if result.account_id in set(account)]
        if format == "json":
            json.dump(compute_document(results, year), sys.stdout, indent=2)
            sys.stdout.write("\n")
            return
        for result in results:
            data = account_object(result)
            table = Table(title=f"{data['name']} ({data['account_id']}, EIN {data['ein']}) — tax year {year}")
            table.add_column("property")
            for heading in ("months", "avg acq. debt (4)", "avg adj. basis (5)", "% (6)", "gross (2)",
                            "deprec. (3a)", "other (3b)", "reportable (7)", "allocable (9)"):
                table.add_column(heading, justify="right")
            for item in data["properties"]:
                lines = item["part_v"]
                table.add_row(item["property_id"], str(item["months_held"]), format_dollars(lines["4"]),
                              format_dollars(lines["5"]), lines["6"], format_dollars(lines["2"]),
                              format_dollars(lines["3a"]), format_dollars(lines["3b"]), format_dollars(lines["7"]),
                              format_dollars(lines["9"]))
            console.print(table)
            part_i = data["form_990t"]["part_i"]
            console.print(
                f"  Sch. A line 7 (A) {format_dollars(data['schedule_a']['part_i']['7a'])}  (B) "
                f"{format_dollars(data['schedule_a']['part_i']['7b'])}  4a {format_dollars(data['schedule_a']['part_i']['4a'])}"
                f"  line 16 {format_dollars(data['schedule_a']['part_ii']['16'])}  17 "
                f"{format_dollars(data['schedule_a']['part_ii']['17'])}  18 {format_dollars(data['schedule_a']['part_ii']['18'])}\n"
                f"  990-T line 11 UBTI {format_dollars(part_i['11'])}  tax {format_dollars(data['form_990t']['part_ii']['2'])}"
                f"  balance due {format_dollars(data['form_990t']['part_iii']['9'])}  must file: "
                f"{'yes' if data['must_file'] else 'no'}  due {data['due_date']} (extended {data['extended_due_date']})")
            for flag in data["flags"]:
                console.print(f"  ! {flag}")

    @app.command()
    def check(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year)."),
        format: str = typer.Option("text", "--format", help="text, csv or json"),
    ) -> None:
        """Per account, in plain words: must it file, why, the tax, and the due date."""
        console = Console()
        results, report = compute_valid_accounts(book, year, Settings(), strict=False, console=console)
        rows = [summary_row(result) for result in results]
        for account_id in sorted(report.accounts_with_errors):
            first = next(p for p in report.errors if p.account_id == account_id)
            record = report.book.accounts[report.book.accounts["account_id"] == account_id].iloc[0]
            rows.append({**{column: "" for column in SUMMARY_COLUMNS}, "account_id": account_id,
                         "name": record["name"] or "", "account_type": record["account_type"] or "",
                         "ein": record["ein"] or "", "status": "exception",
                         "problem": f"{first.file} row {first.row} column {first.column}: expected {first.expected}"})
        if format == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        elif format == "json":
            warnings = {result.account_id: account_warnings(result, report) for result in results}
            sources = {result.account_id: tax_sources(result) for result in results}
            json.dump({"tax_year": year, "accounts": [{**row, "warnings": warnings.get(row["account_id"], []),
                                                       "silos": sources.get(row["account_id"], [])}
                                                      for row in rows]}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            for result in results:
                name = result.account.get("name") or result.account_id
                threshold = format_dollars(result.parameters.filing_threshold)
                gross = f"{result.gross_unrelated_income:,.2f}"
                if result.must_file:
                    tax = result.form.total_tax
                    console.print(
                        f"[bold]{name}[/bold] ({result.account_id}): MUST FILE Form 990-T for {year} — gross unrelated "
                        f"income ${gross} is at least ${threshold}. Tax ${format_dollars(tax) or '0'}; balance due "
                        f"${format_dollars(result.form.part_iii['9']) or '0'}. Due {result.due_date:%B %-d, %Y} "
                        f"(extended with Form 8868: {result.extended_due_date:%B %-d, %Y}).")
                    if result.estimated_tax_due_dates:
                        dates = ", ".join(f"{day:%b %-d, %Y}" for day in result.estimated_tax_due_dates)
                        console.print(f"   Tax is $500 or more: pay {year + 1} estimated tax by {dates}.")
                else:
                    console.print(f"[bold]{name}[/bold] ({result.account_id}): no Form 990-T required for {year} — gross "
                                  f"unrelated income ${gross} is under ${threshold}.")
                if result.k1s or result.silos.count > 1:
                    for line in tax_sources(result):
                        console.print(f"   {escape(line)}")
                for warning in account_warnings(result, report):
                    console.print(f"   warning: {escape(warning)}")
            for row in rows:
                if row["status"] == "exception":
                    console.print(f"[bold]{row['name']}[/bold] ({row['account_id']}): NOT CHECKED — {row['problem']}")
        for problem in report.unattributed_errors[:20]:
            typer.echo(f"left out: {problem.file} row {problem.row} column {problem.column}: expected {problem.expected} "
                       "(belongs to no known account)", err=True)
        if report.accounts_with_errors or report.unattributed_errors:
            raise typer.Exit(EXIT_INVALID)
