"""CPU per account of each PDF document udfi renders with WeasyPrint, by phase.

    .venv/bin/python scripts/documents_cpu.py BOOK YEAR [ACCOUNTS]

Computes the book's YEAR, takes the first ACCOUNTS (default 20) accounts that must file, renders them
once to warm fonts and stylesheets, then times (time.process_time, this process only) the statements
(HTML + chart, layout, PDF writing) and the attachments + letter document, best of three rounds. A
shared machine is noisy: compare figures taken in the same run, not across runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from udfi.attachments import render as attachments
from udfi.engine.compute import compute_book
from udfi.reproducible import fixed_font_timestamps
from udfi.statements import pdf
from udfi.statements import render as statements
from udfi.validate import validate_book


def _round(results) -> tuple[list[float], int, int]:
    count = len(results)
    with pdf.collector_relaxed(), fixed_font_timestamps():
        marks = [time.process_time()]
        charts: dict[str, bytes] = {}
        html = statements.render_html(results, charts=charts)
        marks.append(time.process_time())
        document = pdf.layout(html, (statements.STYLESHEET,), charts)
        marks.append(time.process_time())
        for pages, result in zip(statements._split(document, count), results):  # noqa: SLF001
            statements._write(document, pages, result)  # noqa: SLF001
        marks.append(time.process_time())
        html = attachments.render_html(results)
        marks.append(time.process_time())
        other = pdf.layout(html, attachments.STYLESHEETS)
        marks.append(time.process_time())
        for key, pages in pdf.split_by_anchor(other, attachments.ANCHOR).items():
            pdf.write_pdf(other, pages, key, key)
        marks.append(time.process_time())
    return [later - earlier for earlier, later in zip(marks, marks[1:])], len(document.pages), len(other.pages)


def main(argv: list[str]) -> int:
    book_dir, year = Path(argv[1]), int(argv[2])
    wanted = int(argv[3]) if len(argv) > 3 else 20
    book = validate_book(book_dir).book
    results = [result for result in compute_book(book, year, keep_history=True) if result.must_file][:wanted]
    if not results:
        print("no account must file in that year")
        return 1
    statements.render_many(results[:2])
    attachments.render_many(results[:2])
    rounds = [_round(results) for _ in range(3)]
    best = [min(spent[phase] for spent, _, _ in rounds) * 1000 / len(results) for phase in range(6)]
    _, pages, other_pages = rounds[0]
    print(f"{len(results)} accounts, {year}: statements {pages} pages, attachments + letter {other_pages} pages")
    print(f"statements.pdf           html+chart {best[0]:5.0f}  layout {best[1]:5.0f}  write {best[2]:5.0f}"
          f"  = {sum(best[:3]):5.0f} ms CPU per account")
    print(f"attachments + letter.pdf html       {best[3]:5.0f}  layout {best[4]:5.0f}  write {best[5]:5.0f}"
          f"  = {sum(best[3:]):5.0f} ms CPU per account")
    print(f"all documents                                                       = {sum(best):5.0f} ms CPU per account")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
