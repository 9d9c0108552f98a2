"""The run's diagnostics: `OUT/diagnostics.html` (every account with its counts by kind, the topics
across accounts, the exceptions) and `OUT/diagnostics.csv` (every item), written together at the end
of `udfi prepare`.

Accounts this run did not redo (`--account` kept the others, `--resume` skipped unchanged ones) keep
their rows of the previous `diagnostics.csv`, as do other tax years; so the page always describes
every account of the year in OUT.
"""

from __future__ import annotations

import csv
from pathlib import Path

from udfi.diagnostics.gather import unprepared_diagnostics
from udfi.diagnostics.model import CSV_COLUMNS, Diagnostics, Item, sorted_items
from udfi.diagnostics.render import (BATCH_CSV_FILE, PAGE_FILE, batch_diagnostics, batch_page, csv_bytes)
from udfi.safety import mask_ssn

VALIDATE = "validate"  # the stage of exceptions.csv that validation's errors carry (udfi.batch.records)

BATCH_PAGE_FILE = PAGE_FILE  # OUT/diagnostics.html; each package has its own <account>/<year>/diagnostics.html
KEPT_NOTE = "not redone in this run: items of the previous run"
KEPT_WITHOUT_ROWS_NOTE = "not redone in this run, and the previous run listed no diagnostics: redo it to list them"
NO_PAGE_NOTE = {"not_required": "no package (not required to file): its items are in diagnostics.csv",
                "exception": "no package (exception): see the exceptions below and its problems.txt"}


def previous_rows(path: Path | None) -> list[dict]:
    """The rows of an existing OUT/diagnostics.csv (a missing or unreadable file: none)."""
    if path is None:
        return []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [row for row in csv.DictReader(handle) if set(CSV_COLUMNS) <= set(row)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _from_rows(account_id: str, year: int, rows: list[dict], name: str, status: str) -> Diagnostics:
    items = [Item(kind=row["kind"], topic=row["topic"], message=row["message"], where=row["where"], line=row["line"],
                  authority=row["authority"], source="previous run") for row in rows]
    return Diagnostics(account_id=account_id, tax_year=year, name=name, status=status, items=sorted_items(items))


def run_files(year: int, records: list, problems_by_account: dict[str, list], previous: list[dict],
              exception_rows: list) -> dict[str, bytes]:
    """{"diagnostics.html": …, "diagnostics.csv": …} for the run's `records` (batch AccountRecords in
    the book's order; a record computed in this run carries `.diagnostics`)."""
    this_year = [row for row in previous if str(row.get("tax_year", "")).strip() == str(year)]
    other_years = [row for row in previous if str(row.get("tax_year", "")).strip() not in ("", str(year))]
    gathered: list[Diagnostics] = []
    bodies: list[str | None] = []  # each account's diagnostics.csv rows, when its worker wrote them
    linked: set[str] = set()
    notes: dict[str, str] = {}
    for record in records:
        account_id = record.account_id
        masked = str(mask_ssn(account_id))
        name = str(mask_ssn(str(record.summary.get("name", "") or "")))
        found = getattr(record, "diagnostics", None)
        if found is None and (record.kept or record.skipped):
            rows = [row for row in this_year if row["account_id"] == masked]
            found = _from_rows(masked, year, rows, name, record.status)
            notes[masked] = KEPT_NOTE if rows else KEPT_WITHOUT_ROWS_NOTE
        elif found is None:
            problems = problems_by_account.get(account_id, [])
            # validation's exception rows repeat its errors, which are listed with their column
            rows = [row for row in record.exceptions if not (problems and row.stage == VALIDATE)]
            found = unprepared_diagnostics(account_id, year, problems, rows, name=name)
        elif record.exceptions:  # computed, then failed at a later stage (filling, rendering, writing)
            extra = unprepared_diagnostics(account_id, year, (), record.exceptions, name=name)
            found = Diagnostics(found.account_id, year, found.name, "exception",
                                sorted_items(found.items + extra.items))
        if f"{account_id}/{year}/{PAGE_FILE}" in record.outputs:
            linked.add(masked)
        elif masked not in notes:
            notes[masked] = NO_PAGE_NOTE.get(found.status, "")
        gathered.append(found)
        bodies.append(getattr(record, "diagnostics_csv", None) if found is getattr(record, "diagnostics", None)
                      else None)
    exceptions = [row.as_dict() for row in exception_rows]
    batch = batch_diagnostics(year, gathered, linked, exceptions, notes)
    return {BATCH_PAGE_FILE: batch_page(batch), BATCH_CSV_FILE: csv_bytes(gathered, other_years, bodies)}
