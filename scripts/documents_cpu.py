"""CPU per account of each PDF document udfi renders (ReportLab, udfi.documents), by phase.

    .venv/bin/python scripts/documents_cpu.py BOOK YEAR [ACCOUNTS]

Computes the book's YEAR, takes the first ACCOUNTS (default 20) accounts that must file, renders them
once to warm fonts and stylesheets, then times (time.process_time, this process only) the statements
and the attachments + letter documents, best of three rounds:

    html   the Jinja templates (and, for the statements, the chart's geometry);
    layout the HTML read into platypus flowables and laid out on pages (udfi.documents.flow/pages);
    write  ReportLab writing the PDF (font subsets, compression, the file's objects).

A shared machine is noisy: compare figures taken in the same run, not across runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from udfi.attachments import render as attachments
from udfi.documents import pages
from udfi.documents.flow import Converter, parse
from udfi.engine.compute import compute_book
from udfi.statements import render as statements
from udfi.validate import validate_book

_WRITING = [0.0]
_SAVE = Canvas.save


def _timed_save(self):
    start = time.process_time()
    try:
        return _SAVE(self)
    finally:
        _WRITING[0] += time.process_time() - start


def _page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page ") or pdf.count(b"/Type /Page>")


def _round(results) -> tuple[list[float], int, int]:
    spent = [0.0] * 6
    statement_pages = other_pages = 0
    for result in results:
        start = time.process_time()
        charts: dict = {}
        html = statements.render_html([result], charts=charts, spans=False)
        middle = time.process_time()
        _WRITING[0] = 0.0
        flowables = Converter(statements.style_sheet(), pages.STATEMENTS.frame_width, charts).convert(parse(html))
        pdf = pages.render(flowables, pages.STATEMENTS, "timing", (result.account_id, "", result.tax_year))
        end = time.process_time()
        spent[0] += middle - start
        spent[1] += end - middle - _WRITING[0]
        spent[2] += _WRITING[0]
        statement_pages += _page_count(pdf)

        start = time.process_time()
        found = attachments.sections(result)
        middle = time.process_time()
        _WRITING[0] = 0.0
        for kind, setup in ((attachments.ATTACHMENTS, pages.ATTACHMENTS), (attachments.LETTER, pages.LETTER_PAGE)):
            if kind in found:
                other_pages += _page_count(attachments._document(found[kind], setup, "timing", None))  # noqa: SLF001
        end = time.process_time()
        spent[3] += middle - start
        spent[4] += end - middle - _WRITING[0]
        spent[5] += _WRITING[0]
    return spent, statement_pages, other_pages


def filing_results(book_dir: Path, year: int, wanted: int | None) -> list:
    """The first `wanted` (None: all) accounts of the book that must file for `year`, computed, after a
    warm-up render of two of them (fonts, stylesheets, templates); [] when none must file."""
    book = validate_book(book_dir).book
    results = [result for result in compute_book(book, year, keep_history=True) if result.must_file][:wanted]
    if results:
        statements.render_many(results[:2])
        attachments.render_many(results[:2])
    return results


def main(argv: list[str]) -> int:
    book_dir, year = Path(argv[1]), int(argv[2])
    wanted = int(argv[3]) if len(argv) > 3 else 20
    results = filing_results(book_dir, year, wanted)
    if not results:
        print("no account must file in that year")
        return 1
    Canvas.save = _timed_save
    rounds = [_round(results) for _ in range(3)]
    best = [min(spent[phase] for spent, _, _ in rounds) * 1000 / len(results) for phase in range(6)]
    _, statement_pages, other_pages = rounds[0]
    print(f"{len(results)} accounts, {year}: statements {statement_pages} pages, attachments + letter {other_pages} pages")
    print(f"statements.pdf           html+chart {best[0]:5.0f}  layout {best[1]:5.0f}  write {best[2]:5.0f}"
          f"  = {sum(best[:3]):5.0f} ms CPU per account")
    print(f"attachments + letter.pdf html       {best[3]:5.0f}  layout {best[4]:5.0f}  write {best[5]:5.0f}"
          f"  = {sum(best[3:]):5.0f} ms CPU per account")
    print(f"all documents                                                       = {sum(best):5.0f} ms CPU per account")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
