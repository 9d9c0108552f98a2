#!/usr/bin/env python3
"""Time `udfi import` on a large export: the QuickBooks Desktop sample (account headings carried down)
repeated N times (default 400 → ~100,000 rows).

    .venv/bin/python bench/bench_import.py [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

from udfi.imports import convert, load_profile

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "quickbooks-desktop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=400)
    args = parser.parse_args()
    with open(SAMPLE / "gl.csv", newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    rows = [header] + body[:-1] * args.repeat + body[-1:]  # the sections repeated, one closing TOTAL
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder)
        for name in ("accounts.csv", "properties.csv", "loans.csv"):
            shutil.copy(SAMPLE / name, book / name)
        with open(book / "gl.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        profile = load_profile("quickbooks-desktop-gl")
        started = time.perf_counter()
        result = convert(book / "gl.csv", profile, book)
        seconds = time.perf_counter() - started
    assert result.ok, [str(p) for p in result.problems[:5]]
    print(f"import: {len(rows):,} export rows → {len(result.ledger):,} ledger rows in {seconds:.2f} s "
          f"({len(rows) / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
