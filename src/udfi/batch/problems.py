"""Per-account problem files for the owner: `OUT/<account>/<year>/problems.txt`.

A custodian's combined file numbers rows across thousands of accounts (`ledger.csv row 229677`);
the owner knows only their own rows. Each problem is therefore given as the row among *that
account's* rows of the table (header = row 1, as in an extract of the owner's rows), with the
combined file's row in brackets, followed by what was expected and what the column means, in plain
words. Everything echoed is masked (`udfi.safety.mask_ssn`).
"""

from __future__ import annotations

import numpy as np

from udfi.batch.records import ExceptionRow
from udfi.book import Book
from udfi.reading import ERROR, Problem
from udfi.safety import mask_ssn
from udfi.schemas import table_specs

STAGE_WORDS = {
    "compute": "udfi could not compute the return from this account's data",
    "return": "udfi could not assemble the return",
    "form": "udfi could not fill the official Form 990-T",
    "statements": "udfi could not produce the attached statements",
    "output": "udfi could not write the filing package",
    "worker": "the program preparing this account stopped unexpectedly",
    "run": "the batch stopped before this account was prepared",
}


class OwnRows:
    """Maps a combined file's row number to the row among one account's rows of that table."""

    def __init__(self, book: Book, positions: dict[str, dict[str, np.ndarray]], file_of: dict[str, str]):
        self.book = book
        self.positions = positions
        self.table_of = {file: table for table, file in file_of.items()}

    def own_row(self, account_id: str, file: str, row: int | None) -> int | None:
        table = self.table_of.get(file)
        if row is None or table is None or table not in self.positions:
            return None
        where = self.positions[table].get(account_id)
        if where is None or not len(where):
            return None
        labels = getattr(self.book, table).index.to_numpy()[np.sort(where)]
        rank = int(np.searchsorted(labels, row - 2))
        if rank < len(labels) and labels[rank] == row - 2:
            return rank + 2
        return None


def _column_meaning(file: str, column: str | None) -> str:
    if not column:
        return ""
    table = file.split("[")[-1].rstrip("]") if "[" in file else file.rsplit(".", 1)[0]
    spec = table_specs().get(table.lower())
    if spec is None:
        return ""
    try:
        return spec.column(column).description
    except StopIteration:
        return ""


def _problem_lines(number: int, problem: Problem, own: int | None) -> list[str]:
    table = problem.file.rsplit(".", 1)[0] if "[" not in problem.file else problem.file
    if problem.row is None:
        where = f"{problem.file}"
    elif own is not None:
        where = f"{table}, your row {own} ({problem.file} row {problem.row} in the combined file)"
    else:
        where = f"{problem.file} row {problem.row}"
    if problem.column:
        where += f", column \"{problem.column}\""
    value = f": the value \"{problem.value}\" cannot be used" if problem.value else ": this value is missing or wrong"
    if problem.severity != ERROR:
        value = f": please check the value \"{problem.value}\"" if problem.value else ": please check this row"
    lines = [f"{number}. {where}{value}.", f"   Expected: {problem.expected}."]
    meaning = _column_meaning(problem.file, problem.column)
    if meaning:
        lines.append(f"   This column is: {meaning}")
    return lines


def problems_text(account: dict, tax_year: int, problems: list[Problem], exceptions: list[ExceptionRow],
                  own_rows: OwnRows | None) -> str:
    """The owner-facing text; empty when there is nothing to say."""
    errors = [problem for problem in problems if problem.severity == ERROR]
    warnings = [problem for problem in problems if problem.severity != ERROR]
    stage_rows = [row for row in exceptions if row.stage != "validate"]
    if not (errors or warnings or stage_rows):
        return ""
    account_id = account.get("account_id") or ""
    name = account.get("name") or ""
    title = f"account {account_id}" + (f" ({name})" if name and name == name else "")
    lines = [f"Problems udfi found for {title}, tax year {tax_year}", ""]
    if errors or stage_rows:
        lines.append("The return was NOT prepared. Please correct the following and send the corrected rows back:")
    else:
        lines.append("The return was prepared, but please check the following:")
    lines.append("(Rows are counted among this account's own rows of each table, header = row 1.)")
    number = 0
    if errors or stage_rows:
        lines.append("")
    for problem in errors:
        number += 1
        own = own_rows.own_row(account_id, problem.file, problem.row) if own_rows else None
        lines.extend(_problem_lines(number, problem, own))
    for row in stage_rows:
        number += 1
        words = STAGE_WORDS.get(row.stage, f"udfi stopped at the {row.stage} step")
        lines.append(f"{number}. {words}: {row.problem}.")
        lines.append("   This is usually not a mistake in your data; your custodian will look into it.")
    if warnings:
        if errors or stage_rows:
            lines += ["", "Warnings (these do not stop the return, but please check them):"]
        lines.append("")
        for problem in warnings:
            number += 1
            own = own_rows.own_row(account_id, problem.file, problem.row) if own_rows else None
            lines.extend(_problem_lines(number, problem, own))
    return mask_ssn("\n".join(lines) + "\n")
