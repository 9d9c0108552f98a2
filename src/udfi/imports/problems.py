"""What an import reports: problems pinned to file, spreadsheet rows and column; the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SHOWN_ROWS = 20


@dataclass
class ImportProblem:
    message: str
    rows: list[int] = field(default_factory=list)  # spreadsheet rows (the first line is row 1)
    account: str | None = None  # the source account, for unmapped-account problems
    file: str | None = None  # when not the export itself (a lender file, a property map)
    column: str | None = None

    def __str__(self) -> str:
        text = self.message
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:SHOWN_ROWS])
            more = f" … (+{len(self.rows) - SHOWN_ROWS} more)" if len(self.rows) > SHOWN_ROWS else ""
            where = f"{self.file} " if self.file else "source "
            text += f" ({where}row{'s' if len(self.rows) > 1 else ''} {shown}{more}"
            text += f", column {self.column})" if self.column else ")"
        elif self.file:
            text = f"{self.file}: {text}"
        return text

    def as_dict(self) -> dict:
        return {"message": self.message, "file": self.file, "rows": self.rows, "column": self.column,
                "account": self.account}


@dataclass
class ImportResult:
    ledger: pd.DataFrame | None  # canonical text columns, or None on error
    problems: list[ImportProblem]
    source_rows: int = 0
    skipped_rows: int = 0
    zero_rows: int = 0
    report_lines: int = 0
    header_row: int | None = None
    source_label: str = ""
    notes: list[str] = field(default_factory=list)  # reconciliations and warnings, printed on success too
    unmapped: dict[str, dict] = field(default_factory=dict)  # source account → rows, debits, credits, memo
    unmapped_properties: dict[str, list[int]] = field(default_factory=dict)  # source property → rows

    @property
    def ok(self) -> bool:
        return not self.problems
