"""Diagnostics as a page (self-contained HTML: inline CSS, no script, every value escaped), as text and
as CSV rows. Deterministic: the same diagnostics give the same bytes (no timestamps)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

import udfi
from udfi.diagnostics.model import CSV_COLUMNS, KIND_TITLES, KINDS, REPORTABLE, Diagnostics
from udfi.resources import templates_dir
from udfi.safety import mask_ssn, safe_cell, spreadsheet_csv_bytes

if TYPE_CHECKING:  # annotations only; imported where used
    import jinja2

PAGE_FILE = "diagnostics.html"
BATCH_CSV_FILE = "diagnostics.csv"
# Columns that carry the book's own text (masked and neutralized in the CSV); the rest are udfi's words.
CSV_USER_COLUMNS = ("account_id", "message", "where")
TEMPLATES = "diagnostics"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # jinja2 when a page is rendered (the run's warm-up thread, a worker's first page), not at import:
    # `udfi prepare` starts without it
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / TEMPLATES)),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, finalize=_masked)


def _masked(value):
    """Every value a page prints is masked again, however the diagnostics were built."""
    return mask_ssn(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def _css() -> str:
    return (templates_dir() / TEMPLATES / "diagnostics.css").read_text(encoding="utf-8")


def account_page(diagnostics: Diagnostics) -> bytes:
    """OUT/<account>/<year>/diagnostics.html."""
    html = _environment().get_template("account.html.j2").render(
        d=diagnostics, kinds=KINDS, titles=KIND_TITLES, reportable=REPORTABLE, css=_css(), version=udfi.__version__)
    return html.encode("utf-8")


def book_page(diagnostics: list[Diagnostics], book: str, tax_year: int) -> bytes:
    """Several accounts' pages in one (`udfi diagnostics BOOK --format html` without a single --account)."""
    html = _environment().get_template("book.html.j2").render(
        accounts=diagnostics, book=str(mask_ssn(book)), tax_year=tax_year, kinds=KINDS, titles=KIND_TITLES,
        reportable=REPORTABLE, css=_css(), version=udfi.__version__)
    return html.encode("utf-8")


@dataclass(frozen=True)
class BatchRow:
    account_id: str      # masked
    name: str
    status: str
    counts: dict
    link: str = ""       # relative to OUT, URL-quoted; empty when the account has no page
    note: str = ""       # e.g. "kept from the previous run"


@dataclass(frozen=True)
class TopicRow:
    topic: str
    kind: str
    items: int
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class BatchDiagnostics:
    tax_year: int
    accounts: tuple[BatchRow, ...]
    topics: tuple[TopicRow, ...]
    exceptions: tuple[dict, ...] = field(default_factory=tuple)  # account_id, stage, problem, file, row

    def totals(self) -> dict[str, int]:
        return {kind: sum(row.counts.get(kind, 0) for row in self.accounts) for kind in KINDS}


def page_link(account_id: str, tax_year: int) -> str:
    """The account's page relative to OUT (an href: each path part URL-quoted, never leaving OUT)."""
    return f"{quote(account_id, safe='')}/{tax_year}/{PAGE_FILE}"


def batch_diagnostics(tax_year: int, diagnostics: list[Diagnostics], linked: set[str] = frozenset(),
                      exceptions: list[dict] = (), notes: dict[str, str] | None = None) -> BatchDiagnostics:
    """The batch view: every account's counts by kind and the topics across accounts. `linked` are the
    (unmasked) account ids that have a page; `notes` a remark per account id (masked ids)."""
    notes = notes or {}
    # per topic: its item count and its accounts in first-seen order (a dict: a membership test in a
    # list of thousands of accounts, for every item, was most of this function on a 1,000-account run)
    rows, by_topic = [], defaultdict(lambda: [0, {}])
    for item_set in diagnostics:
        rows.append(BatchRow(item_set.account_id, item_set.name, item_set.status, item_set.counts(),
                             page_link(item_set.account_id, tax_year) if item_set.account_id in linked else "",
                             notes.get(item_set.account_id, "")))
        for item in item_set.items:
            entry = by_topic[(item.topic, item.kind)]
            entry[0] += 1
            entry[1][item_set.account_id] = None
    rank = {kind: position for position, kind in enumerate(KINDS)}
    topics = sorted((TopicRow(topic, kind, count, tuple(accounts)) for (topic, kind), (count, accounts) in by_topic.items()),
                    key=lambda row: (rank[row.kind], -len(row.accounts), row.topic))
    masked_exceptions = tuple({key: mask_ssn("" if value is None else str(value)) for key, value in row.items()}
                              for row in exceptions)
    return BatchDiagnostics(tax_year, tuple(rows), tuple(topics), masked_exceptions)


def batch_page(batch: BatchDiagnostics) -> bytes:
    """OUT/diagnostics.html."""
    html = _environment().get_template("batch.html.j2").render(
        b=batch, kinds=KINDS, totals=batch.totals(), css=_css(), version=udfi.__version__)
    return html.encode("utf-8")


def csv_bytes(diagnostics: list[Diagnostics], kept_rows: list[dict] = (), bodies: list[str | None] | None = None) -> bytes:
    """diagnostics.csv: one row per item (tax_year, account, kind, topic, message, where, line, authority);
    UTF-8 with a byte-order mark, the book's text masked and never a formula (`udfi.safety`).
    `bodies`: each account's rows already written (`csv_body`, in the worker), None where not."""
    if bodies is None:
        rows = list(kept_rows) + [row for item_set in diagnostics for row in item_set.csv_rows()]
        return spreadsheet_csv_bytes(CSV_COLUMNS, rows, CSV_USER_COLUMNS)
    head = spreadsheet_csv_bytes(CSV_COLUMNS, list(kept_rows), CSV_USER_COLUMNS)
    return head + "".join(csv_body(item_set) if body is None else body
                          for item_set, body in zip(diagnostics, bodies)).encode("utf-8")


def csv_body(diagnostics: Diagnostics) -> str:
    """One account's rows of diagnostics.csv, no header: what `csv_bytes` writes for it (a CSV row
    does not depend on the rows around it, so the bodies of a run join into the same file)."""
    buffer = io.StringIO()
    # csv_rows' cells in CSV_COLUMNS order, the user columns made safe — what DictWriter writes for
    # safe_row(row), built directly (one account's rows are a few dozen cells; this runs for every account)
    year, account = diagnostics.tax_year, safe_cell(diagnostics.account_id)
    csv.writer(buffer, lineterminator="\n").writerows(
        (year, account, item.kind, item.topic, safe_cell(item.message), safe_cell(item.where), item.line, item.authority)
        for item in diagnostics.items)
    return buffer.getvalue()


def text_lines(diagnostics: Diagnostics) -> list[str]:
    """The page as plain lines (`udfi diagnostics --format text`)."""
    counts = diagnostics.counts()
    summary = ", ".join(f"{counts[kind]} {kind}{'s' if counts[kind] != 1 else ''}" for kind in KINDS)
    lines = [f"{diagnostics.name} ({diagnostics.account_id}) — tax year {diagnostics.tax_year}: {diagnostics.status}; "
             f"{summary}"]
    if not diagnostics.has_reportable:
        lines.append("  nothing to report: no error, warning, flag or assumption touched this return")
    for kind in KINDS:
        for item in diagnostics.of_kind(kind):
            details = "; ".join(part for part in (item.where, f"line {item.line}" if item.line else "", item.authority)
                                if part)
            lines.append(f"  {kind:<10} {item.topic}: {item.message}" + (f" [{details}]" if details else ""))
    return lines
