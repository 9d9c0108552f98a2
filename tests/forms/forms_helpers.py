"""Helpers for the forms tests: where the IRS blanks are, test accounts, cached fills, pdftotext."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pytest

from udfi.forms.blanks import BlankSet, find_blanks

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
YEARS = (2020, 2021, 2022)
ACCOUNTS = ("two_properties", "six_properties", "roth", "solo_401k", "negative_line")


# Read once at import: some tests point UDFI_FORMS_DIR elsewhere to exercise the lookup order.
SHARED_FORMS_DIR = Path(os.environ.get("UDFI_FORMS_DIR") or (REPO_ROOT.parent / "shared" / "irs-forms")).resolve()


def shared_forms_dir() -> Path:
    return SHARED_FORMS_DIR


def load_account(name: str, year: int | None = None) -> dict:
    """A test account object. The files hold the engine's canonical (2021-2022) line numbers; with
    `year`, the lines are moved to that year's numbering as udfi.engine.report does."""
    account = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return account if year is None else for_year(account, year)


def for_year(account: dict, year: int) -> dict:
    from udfi.forms.layouts import year_lines

    return {**account, "form_990t": year_lines(account["form_990t"], "f990t", year),
            "form_990t_items": year_lines(account["form_990t_items"], "f990t", year)}


def blanks_for(year: int) -> BlankSet:
    found = find_blanks(year, shared_forms_dir())
    if found is None or found.source != "forms-dir":
        message = f"IRS blanks for {year} not found under {shared_forms_dir()}"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must see ../shared/irs-forms (set UDFI_FORMS_DIR)")
        pytest.skip(message)
    return found


@lru_cache(maxsize=None)
def filled(name: str, year: int, flatten: bool = False) -> bytes:
    """Fill once per (account, year, flatten) per test process: fills take a fraction of a second."""
    from udfi.forms.fill import fill_return

    return fill_return(load_account(name, year), year, blanks_for(year), flatten=flatten)


def pdftotext(pdf: bytes, tmp_path: Path, first: int | None = None, last: int | None = None) -> str:
    from pdf_text import pdftotext as run_pdftotext  # tests/ (conftest puts it on sys.path); this module is also imported alone

    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return run_pdftotext(pdf, tmp_path, "out", "-layout", *pages)
