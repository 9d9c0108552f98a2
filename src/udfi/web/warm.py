"""Imported once by the web worker's fork server (`set_forkserver_preload`): load udfi and run one
validation and computation of a tiny planned book, so every child forked for an upload starts warm.
Nothing else imports this module."""

from __future__ import annotations

import tempfile
from pathlib import Path

import udfi.batch.run  # noqa: F401
import udfi.cli  # noqa: F401
import udfi.explain  # noqa: F401
import udfi.web.worker  # noqa: F401
from udfi.engine.compute import compute_book
from udfi.plan import parse_terms, plan_csv_files
from udfi.validate import validate_book


def _warm_up() -> None:
    terms = parse_terms({"price": "100000", "land_share": "20", "ltv": "50", "rate": "5", "rent_monthly": "900",
                         "hold_years": "1"})
    with tempfile.TemporaryDirectory(prefix="udfi-warm-") as folder:
        for name, data in plan_csv_files(terms).items():
            (Path(folder) / name).write_bytes(data)
        report = validate_book(folder)
        if report.book is not None:
            compute_book(report.book, terms.start_year)


try:
    _warm_up()
except Exception:  # noqa: BLE001 — warming is an optimization; a job still runs cold
    pass
