"""CPU per package of `udfi prepare`'s "statements" stage: statements.pdf, then attachments.pdf and
letter.pdf, rendered as `batch.package.run_chunk` renders them (render_many in batches of
STATEMENTS_BATCH), on the accounts of BOOK that must file for YEAR.

    .venv/bin/python scripts/statements_stage_cpu.py BOOK YEAR [ACCOUNTS] [ROUNDS]

ACCOUNTS: how many of the filing accounts (default: all; the bench's 1,000-account sample has 368 for
2022); ROUNDS: rounds timed (default 2), the best is printed. Times with time.process_time (this
process's CPU only), after a warm-up of two accounts (fonts, stylesheets, templates). Run main's
and a branch's code back to back (each from its own venv) on the same accounts to compare.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from documents_cpu import filing_results  # this folder's script: the same accounts and warm-up

from udfi.attachments import render as attachments
from udfi.batch.package import STATEMENTS_BATCH
from udfi.statements import render as statements


def _stage(results) -> float:
    start = time.process_time()
    for first in range(0, len(results), STATEMENTS_BATCH):
        batch = results[first:first + STATEMENTS_BATCH]
        statements.render_many(batch)
        attachments.render_many(batch)
    return time.process_time() - start


def main(argv: list[str]) -> int:
    book_dir, year = Path(argv[1]), int(argv[2])
    wanted = int(argv[3]) if len(argv) > 3 and argv[3] != "all" else None
    rounds = int(argv[4]) if len(argv) > 4 else 2
    results = filing_results(book_dir, year, wanted)
    if not results:
        print("no account must file in that year")
        return 1
    best = min(_stage(results) for _ in range(rounds))
    print(f"{len(results)} packages, {year}: statements stage {1000 * best / len(results):.1f} ms CPU per package "
          f"(best of {rounds}; {best:.2f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
