"""Account objects for the e-file tests: the sample book and a synthetic book, every year 2020–2026."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from udfi.efile.details import details_of
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.synth import synth
from udfi.validate import validate_book

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample"
YEARS = tuple(range(2020, 2027))
TIMESTAMP = "2024-03-01T09:00:00-05:00"


def accounts_of(book_path: Path, years=YEARS) -> dict[int, list[tuple[dict, object]]]:
    """{year: [(account object, Details)]} for every account of the book."""
    report = validate_book(book_path)
    assert report.book is not None, report.problems[:3]
    found = {}
    for year in years:
        found[year] = []
        for result in compute_book(report.book, year):
            data = account_object(result)
            data["tax_year"] = year
            found[year].append((data, details_of(result)))
    return found


@pytest.fixture(scope="session")
def sample_accounts():
    return accounts_of(SAMPLE)


@pytest.fixture(scope="session")
def synthetic_book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "book"
    synth(accounts=30, years="2020-2025", seed=3, out=out)
    return out


@pytest.fixture(scope="session")
def synthetic_accounts(synthetic_book):
    return accounts_of(synthetic_book)


@pytest.fixture
def pinned_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    return os.environ["SOURCE_DATE_EPOCH"]
