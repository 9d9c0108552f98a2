"""`udfi diagnostics BOOK --year Y`: every flag, warning and assumption that touched each account's
return, without preparing anything (the same items as the package's diagnostics.html)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from udfi.cli.common import EXIT_EXCEPTIONS, open_output, output_option, quiet_option, write_csv, write_json
from udfi.cli.compute import compute_valid_accounts, unknown_account
from udfi.cli.validate import date_format_option
from udfi.diagnostics import account_diagnostics, account_page, book_page, text_lines, unprepared_diagnostics
from udfi.diagnostics.model import CSV_COLUMNS
from udfi.diagnostics.render import CSV_USER_COLUMNS
from udfi.engine.compute import Settings
from udfi.safety import safe_row


class DiagnosticsFormat(str, Enum):
    text = "text"
    csv = "csv"
    json = "json"
    html = "html"


def gather(report, results, year: int, wanted: list[str] | None = None) -> list:
    """Diagnostics per account in the book's order: computed accounts, and those set aside (errors)."""
    by_id = {result.account_id: result for result in results}
    accounts = report.book.accounts.to_dict("records")
    names = {row["account_id"]: row.get("name") or "" for row in accounts}
    order = list(dict.fromkeys(row["account_id"] for row in accounts if isinstance(row["account_id"], str)))
    found = []
    for account_id in order:
        if wanted and account_id not in wanted:
            continue
        if account_id in by_id:
            found.append(account_diagnostics(by_id[account_id], report))
        else:
            own = [problem for problem in report.problems if problem.account_id == account_id]
            found.append(unprepared_diagnostics(account_id, year, own, name=str(names.get(account_id) or "")))
    return found


def register(app: typer.Typer) -> None:
    @app.command("diagnostics")
    def diagnostics_command(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year), e.g. 2022."),
        account: list[str] = typer.Option(None, "--account", help="Only these account ids (repeatable)."),
        format: DiagnosticsFormat = typer.Option(
            DiagnosticsFormat.text, "--format", "-f",
            help="text (for people), csv (one row per item), json, or html (one account's page with a single "
                 "--account, else every account on one page); anything else is a usage error."),
        activity_code: str = typer.Option(Settings.activity_code, "--activity-code",
                                          help="Schedule A item C code for the investment-activities silo."),
        output: Path = output_option(),
        quiet: bool = quiet_option(),
        date_format: str = date_format_option(),
    ) -> None:
        """Every error, warning, flag and assumption that touched each account's return, with where it comes
        from (file, row, column or property, loan), the return line and the authority.

        Accounts whose rows have errors are listed with their errors (exit 3, as udfi check).

        Example: udfi diagnostics fixtures/sample --year 2022 --account IRA-CHEN --format html -o chen.html
        """
        results, report = compute_valid_accounts(book, year, Settings(activity_code=activity_code), strict=False,
                                                 date_format=date_format)
        known = list(dict.fromkeys(a for a in report.book.accounts["account_id"].tolist() if isinstance(a, str)))
        for wanted in account or []:
            if wanted not in known:
                raise unknown_account(wanted, known)
        found = gather(report, results, year, account or None)
        with open_output(output, csv_for_excel=format is DiagnosticsFormat.csv) as out:
            if format is DiagnosticsFormat.json:
                write_json(out.stream, {"tax_year": year, "accounts": [item.as_dict() for item in found]})
            elif format is DiagnosticsFormat.csv:
                write_csv(out.stream, CSV_COLUMNS, [safe_row(row, CSV_USER_COLUMNS)
                                                    for item in found for row in item.csv_rows()])
            elif format is DiagnosticsFormat.html:
                page = account_page(found[0]) if len(found) == 1 else book_page(found, str(book), year)
                out.stream.write(page.decode("utf-8"))
            else:
                for position, item in enumerate(found):
                    if position:
                        out.text()
                    for line in text_lines(item):
                        out.text(line)
        if any(item.status == "exception" for item in found):
            raise typer.Exit(EXIT_EXCEPTIONS)
