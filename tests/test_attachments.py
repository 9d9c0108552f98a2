"""attachments.pdf (Schedule D (Form 1041), Form 8949, the Schedule D Tax Worksheet, Form 4797, Form 2220)
and letter.pdf: layouts are data that name only lines the reference knows, every printed total foots
(read back from the PDF), and the figures agree with examples worked by hand from the forms."""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from attachment_books import sales_book, six_property_book
from bookbuilder import compute
from form_readback import pdf_words, read_forms
from udfi.attachments import layouts
from udfi.attachments.render import form_pages, render_many
from udfi.attachments.render import render_html as render_attachments_html
from udfi.engine.report import account_object
from udfi.resources import schemas_dir

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"
YEARS = range(2020, 2027)
DOCUMENT = {"schedule_d": "IRS1041ScheduleD", "form_4797": "IRS4797", "form_2220": "IRS2220"}
# Figures a page prints that are the form's own arithmetic on the engine's lines (not account-object keys).
DERIVED = re.compile(r"^(form_8949\.box_[cf]\.total\.|part_v\.|w\.|zero$)")


# ---- the layouts are data, and name only what the form and the reference have -------------------

def _keys(node) -> list[str]:
    """Every account-object key a layout names (`value`, `values`, `check`)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "value" and isinstance(value, str):
                found.append(value)
            elif key == "values" and isinstance(value, dict):
                found.extend(v for v in value.values() if isinstance(v, str))
            elif key == "check" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_keys(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_keys(item))
    return found


@pytest.mark.parametrize("year", YEARS)
def test_every_form_has_a_layout_for_every_year(year):
    for form in layouts.LAYOUT_FILES:
        assert layouts.revision(form, year)["years"][0] <= year


def test_a_year_without_a_layout_is_an_error():
    with pytest.raises(layouts.MissingLayoutError, match="2019"):
        layouts.revision("form_2220", 2019)


@pytest.mark.parametrize("year", YEARS)
def test_layouts_name_only_keys_the_efile_reference_maps(year):
    """A printed amount comes from an account-object key that the year's MeF element map carries for that
    form (so the line exists on the form and in the reference), or is the form's own arithmetic."""
    mapping = yaml.safe_load((schemas_dir() / "efile" / f"map-{year}.yaml").read_text())["documents"]
    for form, document in DOCUMENT.items():
        mapped = set(mapping[document]["lines"]) | set(mapping["IRS990T"]["lines"])
        for key in _keys(layouts.revision(form, year)):
            if DERIVED.match(key):
                continue
            assert key in mapped or any(name.startswith(key + ".") for name in mapped), (year, form, key)


def test_form_4797_lines_1b_and_1c_start_in_2021():
    lines = {str(line["line"]) for line in layouts.revision("form_4797", 2020)["top"]}
    assert lines == {"1"}
    assert {str(line["line"]) for line in layouts.revision("form_4797", 2021)["top"]} == {"1a", "1b", "1c"}


# ---- every printed total foots ------------------------------------------------------------------

def _column(form: str, column: str) -> str:
    return "Amount" if column == "amount" else f"({column})"


def _value(lines: dict, line: str, column: str, entry: int = 0) -> Decimal:
    entries = lines.get(line, [])
    return entries[entry].get(column, Decimal(0)) if len(entries) > entry else Decimal(0)


def _check_lines(form: str, lines: dict, specs: list[dict], where: str) -> int:
    """Lines with `adds`/`subtracts` per column: printed total == sum of printed parts (floored)."""
    checked = 0
    for spec in specs:
        adds = spec.get("adds")
        if not adds:
            continue
        per_column = adds if isinstance(adds, dict) else {"amount": adds}
        subtracts = spec.get("subtracts", {})
        subtracts = subtracts if isinstance(subtracts, dict) else {"amount": subtracts}
        for column, parts in per_column.items():
            label = _column(form, str(column))
            total_entries = lines.get(str(spec["line"]), [])
            if not total_entries or label not in total_entries[0]:
                continue  # a line the form's own instructions skip (e.g. worksheet lines 38-40) prints blank
            total = total_entries[0][label]
            expected = sum((_part(lines, part, label) for part in parts), Decimal(0))
            expected -= sum((_part(lines, part, label) for part in subtracts.get(column, [])), Decimal(0))
            if "floor" in spec:
                expected = max(expected, Decimal(spec["floor"]))
            assert total == expected, f"{where}: line {spec['line']} {label} prints {total}, its lines add to {expected}"
            checked += 1
    return checked


def _part(lines: dict, part: str, label: str) -> Decimal:
    match = re.fullmatch(r"(\w+)\((\w)\)", part)
    if match:  # "2(g)": every sale row of line 2, column (g)
        return sum((entry.get(f"({match[2]})", Decimal(0)) for entry in lines.get(match[1], [])), Decimal(0))
    return _value(lines, part, label)


def _check_page_set(forms: dict, year: int, where: str) -> int:
    checked = 0
    if "schedule_d" in forms:
        for spec in layouts.revision("schedule_d", year)["parts"]:
            checked += _check_lines("schedule_d", forms["schedule_d"], spec["lines"], where)
    if "tax_worksheet" in forms:
        for spec in layouts.revision("tax_worksheet", year)["parts"]:
            checked += _check_lines("tax_worksheet", forms["tax_worksheet"], spec["lines"], where)
    if "form_8949" in forms:  # line 2 totals: the sum of the rows above them (the row of line 1)
        lines = forms["form_8949"]
        for column in ("(d)", "(e)", "(h)"):
            rows = lines.get("1", [])
            totals = lines.get("2", [])
            # boxes C and F each have their rows then line 2; pdftotext reads them in page order
            assert totals, where
            assert sum(entry.get(column, Decimal(0)) for entry in rows) == sum(t.get(column, Decimal(0)) for t in totals)
            checked += 1
    if "form_4797" in forms:
        revision = layouts.revision("form_4797", year)
        lines = forms["form_4797"]
        checked += _check_lines("form_4797", lines, revision["part_i"]["lines"] + revision["part_ii"]["lines"], where)
        summary = [spec for spec in revision["part_iii"]["summary"] if spec["line"] != "30"]
        checked += _check_lines("form_4797", lines, summary, where)
        properties = [label for entry in lines.get("20", []) for label in entry]
        for label in properties:  # lines 23 and 24 per property column; line 30 adds line 24 of every column
            assert _value(lines, "23", label) == _value(lines, "21", label) - _value(lines, "22", label), where
            assert _value(lines, "24", label) == _value(lines, "20", label) - _value(lines, "23", label), where
            checked += 2
        if properties:
            assert _value(lines, "30", "Amount") == sum(_value(lines, "24", label) for label in properties), where
    if "form_2220" in forms:
        lines = forms["form_2220"]
        checked += _check_lines("form_2220", lines, layouts.revision("form_2220", year)["part_i"]["lines"], where)
        # Part III: the engine rounds each line from amounts in cents (a quarter of line 5 is often x.25 or
        # x.75), as the instructions direct ("include cents when adding, round only the total"); two
        # rounded parts can then differ from their rounded total by $1. The engine's account object
        # carries these lines in whole dollars only (reported to the lead), so allow that $1.
        for column, previous in (("(b)", "(a)"), ("(c)", "(b)"), ("(d)", "(c)")):
            for total, parts, sign in (("13", ("11", "12"), 1), ("14", ("16", "17"), 1)):
                source = previous if total == "14" else column
                assert abs(_value(lines, total, column) - sum(_value(lines, part, source) for part in parts)) <= 1, \
                    (where, total, column)
            assert abs(_value(lines, "15", column)
                       - max(_value(lines, "13", column) - _value(lines, "14", column), 0)) <= 1, (where, column)
            checked += 3
        columns = list(lines.get("37", [{}])[0])
        for column in columns:
            parts = [_value(lines, str(line), column) for line in range(22, 37, 2)]
            # each period's penalty is printed to the cent, the column's total is the exact sum to the cent
            assert abs(_value(lines, "37", column) - sum(parts)) <= Decimal("0.01") * len(parts), (where, column)
            checked += 1
        if columns:
            total = sum(_value(lines, "37", column) for column in columns)
            assert abs(_value(lines, "38", "Amount") - total) <= Decimal("0.5") + Decimal("0.01") * len(columns), where
    return checked


@pytest.fixture(scope="module")
def sample_packages(tmp_path_factory, shared_documents):
    # compute_book(validate_book(SAMPLE).book, year, keep_history=True) and its render_many batch, shared
    folder = tmp_path_factory.mktemp("attachments")
    return {year: (shared_documents.results("sample", year), shared_documents.attachments("sample", year), folder)
            for year in YEARS}


@pytest.fixture(scope="module")
def built_books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("books")
    return {"sales": sales_book(folder / "sales"), "six": six_property_book(folder / "six")}


@pytest.mark.parametrize("year", YEARS)
def test_every_printed_total_foots_sample(sample_packages, year):
    results, files, folder = sample_packages[year]
    for result, package in zip(results, files):
        if "attachments.pdf" not in package:
            assert not form_pages(result)
            continue
        forms = read_forms(pdf_words(package["attachments.pdf"], folder, f"{result.account_id}-{year}"))
        assert set(forms) == {page.key for page in form_pages(result)}
        assert _check_page_set(forms, year, f"{result.account_id} {year}") > 0


@pytest.mark.parametrize("book,year", [("sales", 2022), ("sales", 2023), ("six", 2023), ("six", 2024),
                                       ("six", 2021)])
def test_every_printed_total_foots_synthetic(built_books, tmp_path, book, year):
    results = list(compute(built_books[book], year, keep_history=True).values())
    checked = 0
    for result, package in zip(results, render_many(results)):
        if "attachments.pdf" in package:
            forms = read_forms(pdf_words(package["attachments.pdf"], tmp_path, result.account_id))
            checked += _check_page_set(forms, year, f"{book} {result.account_id} {year}")
    assert checked > 0


# ---- hand-worked examples -----------------------------------------------------------------------

def _forms_of(result, tmp_path) -> dict:
    package = render_many([result])[0]
    return read_forms(pdf_words(package["attachments.pdf"], tmp_path, result.account_id))


def test_form_2220_ira_chen_2022_by_hand(sample_packages, tmp_path):
    """Form 2220 for IRA-CHEN 2022 (fixtures/sample), worked from the form:
    Part I: line 1 total tax 1,576 (Form 990-T Part III line 4); line 4 the 2021 tax 565; line 5 the
    smaller, 565. Part III: line 10 = 25% of 565 = 141.25 in each column (printed 141). The one payment,
    400 on 6/15/2022, pays (a) 141.25 late (due 4/18/2022 — April 15 was a Friday holiday in DC,
    Emancipation Day, moved to Monday the 18th) and (b) 141.25 on time, leaving 117.50 for (c): line 17
    underpayments (a) 141.25, (c) 141.25 - 117.50 = 23.75, (d) 141.25. The balance is paid with the return
    on 4/18/2023, before the 5th-month date (5/15/2023).
    Part IV (rates: 4% 2022 Q2, 5% Q3, 6% Q4, 7% 2023 Q1 and Q2; 365-day years):
      (a) due 4/18/2022, paid 6/15/2022: 58 days, all after 4/15 and before 7/1:
          141.25 x 58 x 0.04 / 365 = 0.8978 -> line 22 0.90; line 37 0.90
      (c) due 9/15/2022, paid 4/18/2023: 215 days = 15 (9/16-9/30) + 92 (Q4) + 90 (2023 Q1) + 18 (4/1-4/18):
          23.75 x 15 x 0.05 / 365 = 0.0488 (0.05); x 92 x 0.06 / 365 = 0.3592 (0.36);
          x 90 x 0.07 / 365 = 0.4099 (0.41); x 18 x 0.07 / 365 = 0.0820 (0.08); line 37 = 0.8999 -> 0.90
      (d) due 12/15/2022, paid 4/18/2023: 124 days = 16 (12/16-12/31) + 90 + 18:
          141.25 x 16 x 0.06 / 365 = 0.3715 (0.37); x 90 x 0.07 / 365 = 2.4380 (2.44);
          x 18 x 0.07 / 365 = 0.4876 (0.49); line 37 = 3.2971 -> 3.30
    Line 38 = 0.8978 + 0.8999 + 3.2971 = 5.0948 -> $5 (Form 990-T Part III line 8)."""
    results, files, _ = sample_packages[2022]
    result = next(r for r in results if r.account_id == "IRA-CHEN")
    lines = _forms_of(result, tmp_path)["form_2220"]
    assert [_value(lines, line, "Amount") for line in ("1", "4", "5")] == [1576, 565, 565]
    assert [_value(lines, "10", c) for c in ("(a)", "(b)", "(c)", "(d)")] == [141] * 4
    assert [_value(lines, "17", c) for c in ("(a)", "(b)", "(c)", "(d)")] == [141, 0, 24, 141]
    expected = {"(a)": {"20": 58, "21": 58, "22": "0.90", "37": "0.90"},
                "(c)": {"20": 215, "23": 15, "24": "0.05", "25": 92, "26": "0.36", "27": 90, "28": "0.41",
                        "29": 18, "30": "0.08", "37": "0.90"},
                "(d)": {"20": 124, "25": 16, "26": "0.37", "27": 90, "28": "2.44", "29": 18, "30": "0.49",
                        "37": "3.30"}}
    for column, values in expected.items():
        for line, value in values.items():
            assert _value(lines, line, column) == Decimal(str(value)), (column, line)
    assert _value(lines, "38", "Amount") == 5
    data = account_object(result)
    assert data["form_990t"]["part_iii"]["8"] == 5 and not data["form_2220_details"]["must_attach"]
    page = next(page for page in form_pages(result) if page.key == "form_2220")
    assert not page.attached and page.status.startswith("Worksheet — not attached")
    assert any("$141.25" in note for note in page.notes)


def test_form_4797_loss_year_and_recapture_year_by_hand(built_books, tmp_path):
    """R1: rental bought 1/1/2021 for 100,000 (land 20,000), 100,000 interest-only loan, sold 6/30/2022
    for 70,000. Building 80,000 over 30 years (ADS), mid-month: 80,000 / 360 = 222.22 a month;
    11.5 months in 2021 + 5.5 in 2022 = 17 months = 3,777.78. Adjusted basis 96,222.22; loss 26,222.22.
    Debt 100,000 over the 2022 average adjusted basis ((97,444.44 + 96,222.22) / 2 = 96,833.33) is over
    100%, so the whole loss is reportable (IRC §514(a)(1): not over 100%).
    Form 4797 2022, line 2: (d) 70,000, (e) 3,778, (f) 100,000, (g) = 70,000 + 3,778 - 100,000 = (26,222);
    line 7 (26,222) -> line 11 (26,222) -> line 17 (26,222) (Schedule A line 4b); lines 8 and 9 are zero.
    R2: bought 1/1/2021 for 50,000 (land 10,000), 60,000 loan (over 100%), sold 6/30/2023 for 60,000.
    Depreciation 40,000 / 360 = 111.11 a month x 29 months (11.5 + 12 + 5.5) = 3,222.22.
    Form 4797 2023, Part III: line 20 60,000; 21 50,000; 22 3,222; 23 = 50,000 - 3,222 = 46,778;
    24 = 60,000 - 46,778 = 13,222; 26g 0 (straight line) -> line 32 13,222 -> line 6 13,222 -> line 7 13,222.
    Line 8 recaptures the 2022 net section 1231 loss of 26,222 up to the gain: 13,222 (IRC §1231(c));
    line 9 = 0; line 12 = 13,222; line 17 = 13,222, ordinary income; 13,000 of the 2022 loss remains."""
    loss = compute(built_books["sales"], 2022, keep_history=True)["A1"]
    lines = _forms_of(loss, tmp_path)["form_4797"]
    sale = lines["2"][0]
    assert [sale["(d)"], sale["(e)"], sale["(f)"], sale["(g)"]] == [70000, 3778, 100000, -26222]
    assert [_value(lines, line, "Amount") for line in ("7", "8", "9", "11", "12", "17")] == \
        [-26222, 0, 0, -26222, 0, -26222]
    gain = compute(built_books["sales"], 2023, keep_history=True)["A1"]
    lines = _forms_of(gain, tmp_path)["form_4797"]
    assert [_value(lines, line, "Property A") for line in ("20", "21", "22", "23", "24", "26g")] == \
        [60000, 50000, 3222, 46778, 13222, 0]
    assert [_value(lines, line, "Amount") for line in ("30", "31", "32", "6", "7", "8", "9", "12", "17")] == \
        [13222, 0, 13222, 13222, 13222, 13222, 0, 13222, 13222]
    assert account_object(gain)["section_1231_losses"]["nonrecaptured_out"] == [{"year": 2022, "amount": "13000.00"}]


def test_schedule_d_and_part_v_by_hand(built_books, tmp_path):
    """A3 (SEP IRA): land held for investment, bought 3/1/2021 for 100,000 with a 50,000 interest-only
    loan, sold 9/30/2022 for 120,000: gain 20,000; debt/basis 50,000 / 100,000 = 50% (land is not
    depreciated, so the average adjusted basis is the cost). Form 8949 box F: (d) 60,000, (e) 50,000,
    (h) 10,000. Schedule D: line 10 10,000; 16 10,000; 18a 10,000; 18b 0; 19 10,000 (-> Schedule A 4a).
    Form 990-T: line 11 = 10,000 - 1,000 specific deduction = 9,000. Part V (2022 breakpoints 2,800 / 13,700):
    21 9,000; 22 10,000; 24 10,000; 26 10,000; 27 = 9,000 - 10,000 -> 0; 28 = min(9,000, 2,800) = 2,800;
    29 0; 30 2,800 (0%); 31 9,000; 32 6,200; 33 9,000; 34 2,800; 35 6,200; 36 6,200; 37 = 15% = 930.00;
    38 9,000; 39 9,000; 40 0; 41 0; 42 tax on 0 = 0; 43 930.00; 44 tax on 9,000 = 10% x 2,750 +
    24% x 6,250 = 275 + 1,500 = 1,775.00; 45 the smaller, 930.00 -> Form 990-T Part II line 2 930.
    A2 (Roth IRA): land bought 1/3/2022 for 50,000 with 25,000 of debt (50%), sold 7/5/2022 for 40,000:
    box C (d) 20,000, (e) 25,000, (h) (5,000); line 3 (5,000); 7 (5,000); 17 and 19 (5,000); line 20 the
    smaller of the loss or 3,000 = 3,000 (-> Schedule A line 4c (3,000))."""
    results = compute(built_books["sales"], 2022, keep_history=True)
    gain = _forms_of(results["A3"], tmp_path)
    box_f = gain["form_8949"]["1"][0]
    assert [box_f["(d)"], box_f["(e)"], box_f["(h)"]] == [60000, 50000, 10000]
    sd = gain["schedule_d"]
    assert [_value(sd, line, "(h)") for line in ("10", "16")] == [10000, 10000]
    assert [_value(sd, line, "(2)") for line in ("18a", "18b", "19")] == [10000, 0, 10000]
    part_v = {line: _value(sd, line, "Amount") for line in map(str, range(21, 46))}
    assert part_v == {"21": 9000, "22": 10000, "23": 0, "24": 10000, "25": 0, "26": 10000, "27": 0, "28": 2800,
                      "29": 0, "30": 2800, "31": 9000, "32": 6200, "33": 9000, "34": 2800, "35": 6200, "36": 6200,
                      "37": Decimal("930.00"), "38": 9000, "39": 9000, "40": 0, "41": 0, "42": 0,
                      "43": Decimal("930.00"), "44": Decimal("1775.00"), "45": Decimal("930.00")}
    assert account_object(results["A3"])["form_990t"]["part_ii"]["2"] == 930
    assert "tax_worksheet" not in gain
    loss = _forms_of(results["A2"], tmp_path)
    box_c = loss["form_8949"]["1"][0]
    assert [box_c["(d)"], box_c["(e)"], box_c["(h)"]] == [20000, 25000, -5000]
    sd = loss["schedule_d"]
    assert [_value(sd, line, "(h)") for line in ("3", "7")] == [-5000, -5000]
    assert [_value(sd, line, "(3)") for line in ("17", "19")] == [-5000, -5000]
    assert _value(sd, "20", "Amount") == -3000


def test_worksheet_replaces_part_v_when_line_18b_is_positive(sample_packages):
    results, _, _ = sample_packages[2023]
    result = next(r for r in results if r.account_id == "IRA-CHEN")
    keys = [page.key for page in form_pages(result)]
    assert keys == ["schedule_d", "tax_worksheet", "form_4797", "form_2220"]
    schedule = next(page for page in form_pages(result) if page.key == "schedule_d")
    part_v = next(part for part in schedule.parts if part.id == "V")
    assert all(not row.cells.get("amount") for row in part_v.rows)


# ---- the letter and the package -------------------------------------------------------------------

def _text(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_letter_is_one_page_with_what_is_due_and_next_years_installments(sample_packages, tmp_path):
    results, files, _ = sample_packages[2022]
    by_id = {result.account_id: package for result, package in zip(results, files)}
    pages = _text(by_id["IRA-CHEN"]["letter.pdf"], tmp_path, "chen")
    assert len(pages) == 1
    text = " ".join(pages[0].split())
    # due April 18, 2023 (April 15 a Saturday, April 17 Emancipation Day), 6 months more with Form 8868
    assert "April 18, 2023" in text and "October 16, 2023" in text
    assert "$1,181" in text and "EFTPS" in text and "not from the owner's personal funds" in text
    # next year's safe-harbour installments: 25% of the 2022 total tax of 1,576 = 394.00 each
    assert text.count("$394.00") == 4 and "$1,576.00" in text
    assert "Form 8879-TE" in text
    pages = _text(by_id["S401K-OKAFOR"]["letter.pdf"], tmp_path, "solo")
    assert len(pages) == 1
    text = " ".join(pages[0].split())
    assert "No Form 990-T is required for 2022" in text and "under the $1,000 filing threshold" in text
    assert "File Form 990-T" not in text and "Balance to pay" not in text
    # a Solo 401(k) trust is addressed through its trustee (often the owner), never as an IRA custodian's
    assert "For the plan's trustee who signs the return" in text and "§408(e)" not in text
    assert "For the trustee or custodian who signs the return (Pinecrest Trust Company)" in \
        " ".join(_text(by_id["IRA-CHEN"]["letter.pdf"], tmp_path, "chen-to")[0].split())


def test_letter_without_a_named_custodian_names_no_one_twice(built_books):
    """The six-property book names no custodian (books_in_care_of is empty): the letter says "the
    custodian (trustee)" where a name would go, never "(the custodian (trustee))" after a role."""
    results = list(compute(built_books["six"], 2023, keep_history=True).values())
    html = " ".join(render_attachments_html(results).split())
    assert "For the trustee or custodian who signs the return and for the account owner." in html
    assert "(the custodian (trustee))" not in html
    assert "An authorized officer of the custodian (trustee) reviews and signs" in html


def test_every_year_renders_a_one_page_letter(sample_packages, tmp_path):
    for year, (results, files, _) in sample_packages.items():
        for result, package in zip(results, files):
            assert len(_text(package["letter.pdf"], tmp_path, f"{result.account_id}-{year}")) == 1, (year, result.account_id)


def test_prepare_writes_attachments_and_letter(tmp_path, monkeypatch):
    from udfi.batch.run import PrepareOptions, prepare

    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    empty = tmp_path / "no-forms"
    empty.mkdir()
    out = tmp_path / "out"
    outcome = prepare(PrepareOptions(book=SAMPLE, tax_year=2023, out=out, jobs=1, forms_dir=empty),
                      echo=lambda text: None)
    assert outcome.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    chen = out / "IRA-CHEN" / "2023"
    assert (chen / "attachments.pdf").read_bytes().startswith(b"%PDF")
    assert (chen / "letter.pdf").read_bytes().startswith(b"%PDF")
    assert "IRA-CHEN/2023/attachments.pdf" in manifest["outputs"]
    roth = out / "ROTH-OKAFOR" / "2023"
    assert (roth / "letter.pdf").is_file() and not (roth / "attachments.pdf").exists()
