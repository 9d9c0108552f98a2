"""statements.pdf: the statement lines tie to the return's form lines, every page is headed with the
account and "Page x of y", rendering is reproducible, and long descriptions are not clipped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pdf_text import pdftotext
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.money import format_dollars
from udfi.statements.render import render_statements
from udfi.validate import validate_book

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"
YEAR = 2023  # a sale (Schedule D computation), a rate-schedule account, a §514(c)(9) account


def _pdftotext(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    """Text of each page (pdftotext -layout)."""
    text = pdftotext(pdf, tmp_path, name, "-layout")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, shared_documents):
    # compute_book(validate_book(SAMPLE).book, YEAR, keep_history=True) and its render_many batch, shared
    results = shared_documents.results("sample", YEAR)
    pdfs = shared_documents.statements("sample", YEAR)
    folder = tmp_path_factory.mktemp("statements")
    pages = {result.account_id: _pdftotext(pdf, folder, result.account_id) for result, pdf in zip(results, pdfs)}
    return results, pdfs, pages


def _values_after(pages: list[str], label: str) -> list[str]:
    """The last number on every text line containing `label`, in page order."""
    found = []
    for page in pages:
        for line in page.splitlines():
            if label in line:
                numbers = re.findall(r"\(?-?[\d,]+(?:\.\d+)?\)?%?", line.split(label, 1)[1])
                found.append(numbers[-1] if numbers else "")
    return found


def test_one_pdf_per_account_in_order(rendered):
    results, pdfs, _ = rendered
    assert len(pdfs) == len(results)
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)


def test_every_page_is_headed_with_account_and_page_x_of_y(rendered):
    results, _, pages = rendered
    for result in results:
        account_pages = pages[result.account_id]
        for number, page in enumerate(account_pages, start=1):
            assert result.account["name"] in page
            assert f"EIN {result.account['ein']}" in page
            assert f"Tax year {YEAR}" in page
            assert f"Page {number} of {len(account_pages)}" in page


def test_part_v_statement_lines_tie_to_the_form_lines(rendered):
    results, _, pages = rendered
    for result in results:
        data = account_object(result)
        text = pages[result.account_id]
        columns = data["properties"]
        expected = {
            "Line 2 (whole dollars)": [format_dollars(p["part_v"]["2"]) for p in columns],
            "Line 3a (whole dollars)": [format_dollars(p["part_v"]["3a"]) for p in columns],
            "Line 3b (whole dollars)": [format_dollars(p["part_v"]["3b"]) for p in columns],
            "Line 4 (whole dollars)": [format_dollars(p["part_v"]["4"]) for p in columns],
            "Line 5 (whole dollars)": [format_dollars(p["part_v"]["5"]) for p in columns],
        }
        for label, values in expected.items():
            found = _values_after(text, label)
            if label == "Line 3a (whole dollars)":  # the accumulated total follows line 3a on that row
                found = [re.findall(r"[\d,]+", line.split(label, 1)[1])[0]
                         for page in text for line in page.splitlines() if label in line]
            assert found == values, (result.account_id, label)
        assert _values_after(text, "Debt/basis percentage: ") == [f"{p['part_v']['6']}%" for p in columns]
        assert _values_after(text, "Gross income reportable: ") == [format_dollars(p["part_v"]["7"]) for p in columns]
        assert _values_after(text, "Allocable deductions: ") == [format_dollars(p["part_v"]["9"]) for p in columns]
        # Part V totals on the summary page
        totals = [line for page in text for line in page.splitlines() if "Line 8 (to Part I line 7" in line]
        assert totals and totals[0].split()[-2:] == [format_dollars(data["schedule_a"]["part_v"]["8"]) or "0",
                                                     format_dollars(data["schedule_a"]["part_v"]["10"]) or "0"]


def test_return_totals_tie(rendered):
    results, _, pages = rendered
    for result in results:
        data = account_object(result)
        text = pages[result.account_id]
        form = data["form_990t"]
        assert _values_after(text, "Unrelated business taxable income (line 11), not below zero") == \
            [format_dollars(form["part_i"]["11"])]
        tax_label = "Part II line 2: the smaller, in whole dollars" if data["tax_computation_method"] == "schedule_d" \
            else "Part II line 2 (whole dollars)"
        assert _values_after(text, tax_label) == [format_dollars(form["part_ii"]["2"])]
        assert _values_after(text, "Tax due (line 9)") == [format_dollars(form["part_iii"]["9"])]
        assert _values_after(text, "Total payments (line 7)") == [format_dollars(form["part_iii"]["7"])]
        assert _values_after(text, "Post-2017 NOL deduction used (Schedule A Part II line 17)") == \
            [format_dollars(data["schedule_a"]["part_ii"]["17"])]
        # the sales section ties to Schedule A lines 4a (Schedule D line 19) and 4b (Form 4797 line 17)
        if data["schedule_d"]:
            assert _values_after(text, "Total net gain (loss): a gain is Schedule A line 4a") == \
                [format_dollars(data["schedule_d"]["part_iii"]["19"]) or "0"]
            assert data["schedule_a"]["part_i"]["4a"] == max(data["schedule_d"]["part_iii"]["19"], 0)
        if data["form_4797"]:
            assert _values_after(text, "Ordinary gain (loss): lines 10 through 16") == \
                [format_dollars(data["schedule_a"]["part_i"]["4b"]) or "0"]
        assert bool(data["schedule_d"] or data["form_4797"]) == any(p["disposition"] for p in data["properties"])


def test_flags_and_due_dates_are_in_the_summary(rendered):
    results, _, pages = rendered
    for result in results:
        first = " ".join(pages[result.account_id][0].split())
        # a not-required account says why and prints no due date as if one applied (issue #10 §5)
        shown = result.due_date.strftime("%B %-d, %Y") in first
        assert shown == result.must_file
        assert (result.extended_due_date.strftime("%B %-d, %Y") in first) == result.must_file
        if not result.must_file:
            assert "under the $1,000 filing threshold" in first and "no due date applies" in first
        for flag in result.flags:
            assert " ".join(flag.split()[:4]) in first
        if result.estimated_tax_due_dates:
            assert result.estimated_tax_due_dates[0].strftime("%B %-d, %Y") in first


def test_two_renders_are_byte_identical_and_single_equals_batched(rendered):
    results, pdfs, _ = rendered
    assert render_statements(results[0]) == pdfs[0]


def test_long_description_wraps_and_is_not_clipped(tmp_path):
    folder = tmp_path / "book"
    shutil.copytree(SAMPLE, folder)
    properties = pd.read_csv(folder / "properties.csv", dtype=str, keep_default_na=False)
    words = [f"word{index:02d}" for index in range(60)]
    properties.loc[properties["property_id"] == "P-ELM", "description"] = " ".join(words)
    properties.to_csv(folder / "properties.csv", index=False)
    results = [r for r in compute_book(validate_book(folder).book, YEAR) if r.account_id == "ROTH-OKAFOR"]
    text = " ".join(_pdftotext(render_statements(results[0]), tmp_path, "long"))
    for word in words:
        assert word in text
