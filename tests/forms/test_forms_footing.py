"""Every printed total foots: read each filled PDF back and check that each total the layout lists
(what its caption says it adds: Schedule A Part I 13 = lines 3-12 per column, Part II 15, 16, 18,
Part V 3c, 8, 10; Form 990-T Part I 3, 5, 7, 10, 11, Part II 7, Part III 1e, 2, 4, 7, 9, 10) equals the
printed lines, plus the amounts the captions carry between parts ("Enter here and on Part I, line 7").

Books: the forms' test accounts, the sample book, a synthetic 40-account book (`udfi synth
--accounts 40 --seed 5`), a book whose capital loss puts the trusts' deduction on line 4c and the K-1
book (fixtures/k1: several Schedules A, each footing on its own, Form 990-T line 1 their sum); on the
official 2020-2022 blanks, and for 2023 and 2024 on synthetic blanks of those revisions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
from bookbuilder import compute, monthly, write_book
from forms_helpers import ACCOUNTS, REPO_ROOT, YEARS, blanks_for, filled, load_account
from synthetic_blanks import revise

from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.forms.acroform import list_fields, read_pdf, xfa_captions
from udfi.forms.blanks import BlankSet
from udfi.forms.derive import derive_from_fields
from udfi.forms.fill import fill_return, read_filled_values
from udfi.forms.layouts import load_layout
from udfi.forms.lines import F990T, F990TSA, fill_keys
from udfi.synth import synth
from udfi.validate import validate_book

SYNTHETIC_YEARS = (2023, 2024)
# Amounts a caption sends to another line: (to, from) — "Enter here and on Part I, line 7, column (A)".
CARRIED = (
    ((F990TSA, "part_i.7.A"), (F990TSA, "part_v.8")),
    ((F990TSA, "part_i.7.B"), (F990TSA, "part_v.10")),
)


def _amount(text: str | None) -> int:
    if not text:
        return 0
    match = re.fullmatch(r"(\()?([\d,]+)\)?", text)
    assert match, f"not an amount: {text!r}"
    value = int(match.group(2).replace(",", ""))
    return -value if match.group(1) else value


@lru_cache(maxsize=None)
def _reading_map(form: str, year: int, blank: bytes) -> dict[str, str]:
    """Line key → field for every line a total names (filled or not: an unfilled line must read blank)."""
    layout = load_layout(form, year)
    keys = tuple(sorted({key for name, total in layout.totals.items() for key in (name, *total.add, *total.subtract)}))
    reader = read_pdf(blank)
    lines, problems = derive_from_fields(form, year, list_fields(reader), list(xfa_captions(reader)), keys=keys)
    # A synthetic blank of a later revision lacks that revision's new lines (e.g. 2023's 3a-3f): they read
    # as blank. Every line udfi fills must be there.
    missing = {problem.split(" ", 2)[1] for problem in problems}
    assert not missing & set(fill_keys(form, year)), problems
    return {key: entry["field"] for key, entry in lines.items()}


def _copies(found: dict) -> list[str]:
    """The Schedule A copies in a filled PDF, in sequence: f990tsa, f990tsa_2, … (one per silo)."""
    names = {name.split(".", 1)[0] for name in found if name.startswith(F990TSA)}
    return sorted(names, key=lambda name: int(name.rpartition("_")[2]) if "_" in name else 1)


def footing_problems(pdf: bytes, blanks: BlankSet) -> list[str]:
    found = read_filled_values(pdf)
    printed: dict[str, dict[str, int]] = {}
    forms = {F990T: F990T, **{copy: F990TSA for copy in _copies(found)}}  # printed copy → its form
    for copy, form in forms.items():
        fields = _reading_map(form, blanks.tax_year, Path(blanks.path(form)).read_bytes())
        printed[copy] = {key: _amount(found[f"{copy}.{field}"]["value"]) for key, field in fields.items()}
    problems = []
    for copy, form in forms.items():
        values = printed[copy]
        for key, total in load_layout(form, blanks.tax_year).totals.items():
            if values.get(key, 0) != total.of(values):
                terms = " ".join([f"+{values.get(k, 0)}" for k in total.add] + [f"-{values.get(k, 0)}" for k in total.subtract])
                problems.append(f"{copy} {key} prints {values.get(key, 0)}, its lines give {total.of(values)} ({terms})")
    for copy, form in forms.items():
        for (to_form, to_key), (from_form, from_key) in CARRIED:
            if form == to_form == from_form and printed[copy][to_key] != printed[copy][from_key]:
                problems.append(f"{copy} {to_key} prints {printed[copy][to_key]}, {from_key} {printed[copy][from_key]}")
    # Form 990-T Part I line 1: the sum of every Schedule A's line 18, a loss counting as zero
    # (§512(a)(6)(A), (C)) — one Schedule A per unrelated trade or business
    line_18s = [printed[copy]["part_ii.18"] for copy in forms if copy != F990T]
    if printed[F990T]["part_i.1"] != sum(max(line, 0) for line in line_18s):
        problems.append(f"f990t part_i.1 prints {printed[F990T]['part_i.1']}, the Schedules A's line 18 are "
                        f"{line_18s}")
    return problems


def synthetic_blanks(year: int, folder: Path) -> BlankSet:
    """A blank of `year`'s revision as udfi would see it: the 2022 blank with other field names, the
    year's title and years, and the captions the year's layout rewords (Part III line 7 from 2023)."""
    shift = {str(y): str(y + year - 2022) for y in (2023, 2022, 2021)}
    captions = {"f2_21": "7. Total payments. Add lines 6a through 6j."} if year >= 2023 else {}
    target = folder / str(year)
    target.mkdir(parents=True, exist_ok=True)
    (target / "f990t.pdf").write_bytes(revise(blanks_for(2022).f990t, title=f"{year} Form 990-T", replace=shift,
                                              captions=captions))
    (target / "f990tsa.pdf").write_bytes(revise(blanks_for(2022).f990tsa, title=f"{year} Schedule A (Form 990-T)"))
    return BlankSet(year, target / "f990t.pdf", target / "f990tsa.pdf", "forms-dir", folder)


def _capital_loss_book(folder: Path) -> Path:
    """A leveraged building held for investment (a capital asset, IRC §1221: `use` investment) bought
    2020 for 400,000 with 300,000 of debt and sold in 2022 for 300,000: a reportable capital loss far
    above the trusts' $3,000 (§1211(b)), so Schedule A line 4c is (3,000) in 2022 and the carryover
    gives 4c again in 2023; a second, rented property keeps line 7 positive."""
    properties = [{"property_id": "P1", "account_id": "A1", "description": "9 Loss Ln, Reno, NV 89501",
                   "property_type": "residential_rental", "acquired_on": "2020-01-15", "cost_basis": "400000.00",
                   "land_value": "80000.00", "disposed_on": "2022-12-20", "amount_realized": "300000.00",
                   "use": "investment"},
                  {"property_id": "P2", "account_id": "A1", "description": "11 Rent Rd, Reno, NV 89501",
                   "property_type": "residential_rental", "acquired_on": "2020-01-15", "cost_basis": "300000.00",
                   "land_value": "60000.00"}]
    loans = [{"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-15", "principal": "300000.00"},
             {"loan_id": "L2", "property_id": "P2", "originated_on": "2020-01-15", "principal": "200000.00"}]
    ledger = (monthly("2020-02-01", 35, "P1", "rent", "2500.00") + monthly("2020-02-01", 59, "P2", "rent", "2600.00")
              + monthly("2020-02-01", 59, "P2", "interest", "700.00", "L2"))
    return write_book(folder, properties=properties, loans=loans, ledger=ledger)


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("footing")
    synthetic = base / "synth"
    synth(40, "2020-2025", 5, synthetic)
    return {"sample": REPO_ROOT / "fixtures" / "sample", "synth": synthetic,
            "capital_loss": _capital_loss_book(base / "capital_loss"), "k1": REPO_ROOT / "fixtures" / "k1"}


def _accounts(book: Path, year: int) -> list[dict]:
    """The book's account objects for `year` that print any Schedule A figure (an all-blank face has
    nothing to foot)."""
    report = validate_book(book)
    assert report.ok, [p.as_dict() for p in report.errors][:3]
    accounts = [account_object(result) for result in compute_book(report.book, year)]
    return [account for account in accounts
            if any(any(entry["schedule_a"]["part_i"].values()) for entry in account["schedules_a"])]


def assert_foots(problems: list[str]) -> None:
    assert problems == []


@pytest.mark.parametrize("name", ACCOUNTS)
def test_test_accounts_foot_on_every_official_revision(name, year):
    assert_foots(footing_problems(filled(name, year), blanks_for(year)))


@pytest.mark.parametrize("book", ("sample", "synth", "capital_loss", "k1"))
def test_books_foot_on_every_official_revision(books, book, year):
    problems = []
    for account in _accounts(books[book], year):
        pdf = fill_return(account, year, blanks_for(year))
        problems += [f"{account['account_id']}: {p}" for p in footing_problems(pdf, blanks_for(year))]
    assert_foots(problems)


@pytest.fixture(scope="module")
def later_blanks(tmp_path_factory) -> dict[int, BlankSet]:
    folder = tmp_path_factory.mktemp("later_blanks")
    return {year: synthetic_blanks(year, folder) for year in SYNTHETIC_YEARS}


@pytest.mark.parametrize("synthetic_year", SYNTHETIC_YEARS)
@pytest.mark.parametrize("book", ("sample", "capital_loss", "k1"))
def test_books_foot_on_later_revisions(books, book, synthetic_year, later_blanks):
    blanks = later_blanks[synthetic_year]
    problems = []
    for account in _accounts(books[book], synthetic_year):
        pdf = fill_return(account, synthetic_year, blanks)
        problems += [f"{account['account_id']}: {p}" for p in footing_problems(pdf, blanks)]
    assert_foots(problems)


def test_the_capital_loss_book_prints_line_4c(books):
    """The reviewer's case: a capital loss return prints 4c between 7 (C) and 13 (C).
    The sale: amount realized 300,000 − adjusted basis (400,000 − depreciation) is a loss; its debt-
    financed share is far over $3,000, so line 4c (A) and (C) = (3,000) and 13 (C) = 7 (C) − 3,000."""
    (account,) = _accounts(books["capital_loss"], 2022)
    part_i = account["schedule_a"]["part_i"]
    assert part_i["4c"] == -3000 and part_i["4a"] == 0
    pdf = fill_return(account, 2022, blanks_for(2022))
    found = read_filled_values(pdf)
    fields = _reading_map(F990TSA, 2022, blanks_for(2022).f990tsa.read_bytes())
    shown = {key: found[f"{F990TSA}.{fields[key]}"]["value"] for key in ("part_i.4c.A", "part_i.4c.C", "part_i.13.C")}
    assert shown["part_i.4c.A"] == shown["part_i.4c.C"] == "(3,000)"
    assert _amount(shown["part_i.13.C"]) == part_i["7c"] - 3000
