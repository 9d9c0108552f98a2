"""What an examiner and a client see in statements.pdf, attachments.pdf and letter.pdf (issue #10 §5):
only public citations, section numbers that follow the properties, types in words, "Form 990-T" never
split across lines, a not-required summary without due dates, §514(c)(9) debt called excepted, land
never called a building, headings never stranded at a page foot, chart labels that do not collide,
and one font family in every document (the continuation page included)."""

from __future__ import annotations

import re
from decimal import Decimal
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from attachment_books import six_property_book
from bookbuilder import compute
from pdf_text import pdftotext
from udfi.attachments.render import render_many as render_attachments
from udfi.engine.compute import compute_book
from udfi.engine.report import account_object
from udfi.resources import parameters_dir as package_parameters
from udfi.statements.figures import CITE
from udfi.statements.render import render_many
from udfi.validate import validate_book

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"
# Internal references never reach a client: the project's notes, confidence tags, source files.
INTERNAL = re.compile(r"rules\.md|examples\.md|mef-990t|shared/|reference/|README|\[(?:Q|M|C|Q-3P)\]|"
                      r"Assumptions|udfi/|\.py\b|\.ya?ml\b|issue #|TODO", re.IGNORECASE)


def _text(pdf: bytes, folder: Path, name: str, layout: bool = False) -> list[str]:
    text = pdftotext(pdf, folder, name, *(["-layout"] if layout else []))
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def documents(tmp_path_factory, shared_documents):
    """Every document of the sample book for three years (one per layout revision: 2022 for 2020–2022,
    2023, 2025 for 2024 on) and of the six-property book for 2023 (built once a session, shared)."""
    folder = tmp_path_factory.mktemp("layout")
    sets = [("sample", year) for year in (2022, 2023, 2025)] + [("six", 2023)]
    found = []
    for book, year in sets:
        for result, statements, files in zip(shared_documents.results(book, year),
                                             shared_documents.statements(book, year),
                                             shared_documents.attachments(book, year)):
            found.append((result, {"statements.pdf": statements, **files}))
    return found, folder


def test_no_internal_reference_reaches_any_document(documents):
    found, folder = documents
    for result, files in found:
        for name, pdf in files.items():
            text = "\n".join(_text(pdf, folder, f"{result.account_id}-{result.tax_year}-{name}"))
            hit = INTERNAL.search(text)
            assert hit is None, (result.account_id, result.tax_year, name, text[max(hit.start() - 80, 0):hit.end() + 80])


def test_every_citation_source_is_public():
    """The citations the documents print: the statements' CITE, and every parameter file's `reference`
    for every year (the capital-gain, rate-schedule and underpayment-rate references reach the PDFs)."""
    for key, text in CITE.items():
        assert not INTERNAL.search(text), key
    for path in sorted(package_parameters().glob("*.yaml")):
        data = yaml.safe_load(path.read_text())

        def walk(node, where):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "reference":
                        assert isinstance(value, str) and not INTERNAL.search(value), (path.name, where, value)
                    else:
                        walk(value, f"{where}.{key}")
            elif isinstance(node, list):
                for index, item in enumerate(node):
                    walk(item, f"{where}[{index}]")

        walk(data.get("values", {}), "values")


def test_form_names_are_never_split_across_lines(documents):
    found, folder = documents
    for result, files in found:
        for name, pdf in files.items():
            for page in _text(pdf, folder, f"{result.account_id}-{result.tax_year}-{name}-raw"):
                assert not re.search(r"\bForm\s*\n\s*990-T|990-\s*\n\s*T\b|\bSchedule\s*\n\s*[A-D]\b", page), \
                    (result.account_id, name)
                # nor a citation inside its paragraph references: "§408(e)" / "(1)"
                # (a break inside it: the next line of the same paragraph starts with "(e)" or "-1"/"1")
                split = re.search(r"§\s?\d[\w.]*(?:\([A-Za-z0-9]{1,5}\))*"
                                  r"(?:[ ]?\n[ ]?\([A-Za-z0-9]{1,5}\)|-[ ]?\n[ ]?\d)", page)
                assert split is None, (result.account_id, name, split and split.group(0))


def test_section_numbers_follow_the_properties_and_types_are_in_words(documents):
    found, folder = documents
    for result, files in found:
        text = "\n".join(_text(files["statements.pdf"], folder, f"{result.account_id}-{result.tax_year}-st"))
        numbers = [int(number) for number in re.findall(r"^(\d+)\. ", text, re.MULTILINE)]
        assert numbers == list(range(1, len(numbers) + 1)), (result.account_id, numbers)
        for position, column in enumerate(result.property_years, start=2):
            assert re.search(rf"^{position}\. {re.escape(column.property_id)} — ", text, re.MULTILINE), column.property_id
            assert f"{position}.4 Line 4 — average acquisition indebtedness" in text
        words = {"traditional_ira": "Traditional IRA", "roth_ira": "Roth IRA", "solo_401k": "Solo 401(k) trust",
                 "sep_ira": "SEP IRA", "simple_ira": "SIMPLE IRA"}[result.account["account_type"]]
        assert words in text and result.account["account_type"] not in text
        assert "traditional ira" not in text and "residential rental\n" not in text
        # Schedule A Part V has four columns: from the 5th property on, column D is a sum the subtitle explains
        flat = " ".join(text.split())
        part_v = [column.property_id for column in result.property_years
                  if column.debt_financed]
        shared = "column D carries the sum of the 4th and later properties"
        assert (shared in flat) == (len(part_v) > 4), (result.account_id, part_v)


def test_not_required_summary_says_why_and_prints_no_due_date(documents):
    found, folder = documents
    seen = 0
    for result, files in found:
        if result.must_file:
            continue
        seen += 1
        first = " ".join(_text(files["statements.pdf"], folder, f"{result.account_id}-nr")[0].split())
        assert "No Form 990-T is required" in first and "under the $1,000 filing threshold" in first
        assert "Return due" not in first and result.due_date.strftime("%B %-d, %Y") not in first
        letter = " ".join(_text(files["letter.pdf"], folder, f"{result.account_id}-nr-letter")[0].split())
        assert "No Form 990-T is required" in letter and result.due_date.strftime("%B %-d, %Y") not in letter
    assert seen


def test_excepted_debt_is_called_excepted_and_land_is_not_a_building(documents):
    found, folder = documents
    for result, files in found:
        text = " ".join("\n".join(_text(files["statements.pdf"], folder, f"{result.account_id}-x")).split())
        for column in result.property_years:
            section = text.split(f". {column.property_id} — ", 1)[1][:6000]  # its numbered section
            if column.acquisition_indebtedness_excluded:
                assert "Excepted under IRC §514(c)(9)" in section
                assert "had no acquisition indebtedness" not in section
            if column.facts.property_type == "land":
                assert "Land (not depreciated)" in section
                assert "Building" not in section.split(" Line 3b ")[0]


def test_line_4_ties_each_loan_to_its_lender_balance(documents):
    """IRA-CHEN 2022 (fixtures/sample): L-MAPLE-2 refinanced L-MAPLE-1 in 2021 for 230,000; the share it
    carries is the old loan's balance on the refinance date over the new principal, and each month's
    acquisition debt is the lender balance times that share."""
    found, folder = documents
    result, files = next((r, f) for r, f in found if r.account_id == "IRA-CHEN" and r.tax_year == 2022)
    text = " ".join("\n".join(_text(files["statements.pdf"], folder, "chen-l4")).split())
    maple = next(column for column in result.property_years if column.property_id == "P-MAPLE")
    loan = next(loan for loan in maple.facts.loans if loan.loan_id == "L-MAPLE-2")
    share = f"{loan.acquisition_fraction * 100:.4f}%"
    assert f"refinances L-MAPLE-1: continues its acquisition debt of" in text and share in text
    first = maple.months[0]
    balance = loan.balance(first.measured_on)
    assert f"{balance:,.2f}" in text and f"{first.by_loan['L-MAPLE-2']:,.2f}" in text


def test_no_heading_is_stranded_at_the_foot_of_a_page(documents):
    found, folder = documents
    for result, files in found:
        for number, page in enumerate(_text(files["statements.pdf"], folder, f"{result.account_id}-foot", True)):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            body = [line for line in lines if not line.startswith("Supporting statements prepared")]
            assert not re.match(r"^\d+(\.\d+)? \S", body[-1]), (result.account_id, number + 1, body[-1])


def _fonts(pdf: bytes, folder: Path, name: str) -> set[str]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:] if line.strip()}


def test_one_font_family_in_every_document(documents, tmp_path):
    if shutil.which("pdffonts") is None:
        pytest.skip("poppler pdffonts not installed")
    from udfi.forms.continuation import render_continuation

    found, folder = documents
    for result, files in found[:6]:
        for name, pdf in files.items():
            fonts = _fonts(pdf, folder, f"{result.account_id}-{name}-fonts")
            assert fonts and all(re.search(r"DejaVu-?Sans", font) and not re.search(r"Serif|Mono", font)
                                 for font in fonts), (name, fonts)
    six = next(result for result, _ in found if len(result.property_years) == 6)
    fonts = _fonts(render_continuation(account_object(six), 2022), tmp_path, "continuation")
    assert all("Serif" not in font for font in fonts) and fonts


def _overlap(first, second) -> bool:
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def test_chart_percent_labels_do_not_collide_with_six_properties(tmp_path):
    """The chart's geometry (what the SVG draws; text boxes from the embedded face's advance widths):
    no two percentage labels overlap, nor a label the legend, a year or a title; every label stands
    inside the percentage panel over its own bar in its colour; each year's label sits centred under
    that year's bars; six properties, six colours; each label is its bar's line 6 percentage."""
    from udfi.statements.chart import chart_geometry

    result = compute(six_property_book(tmp_path / "six"), 2023, keep_history=True)["A1"]
    chart = chart_geometry(result)
    labels = chart.texts_of("percent")
    assert len(labels) >= 6 * 3  # six properties over several years
    boxes = [label.box() for label in labels]
    for first, second in combinations(boxes, 2):
        assert not _overlap(first, second), (first, second)
    for box in (text.box() for text in chart.texts_of("legend") + chart.texts_of("year") + chart.texts_of("title")):
        assert not any(_overlap(box, label) for label in boxes)
    top, bottom = chart.percent_panel
    assert all(top <= box[1] and box[3] <= bottom for box in boxes)
    assert len(chart.bars) == len(labels)
    for bar, box, label in zip(chart.bars, boxes, labels):
        assert bar.x < (box[0] + box[2]) / 2 < bar.x + bar.width and label.color == bar.color
        assert box[3] <= bar.y  # above the bar
    # one label per year 2020-2023, centred in the year's span, and under that year's bars
    years = chart.texts_of("year")
    assert [label.text for label in years] == ["2020", "2021", "2022", "2023"]
    for label in years:
        centres = [bar.x + bar.width / 2 for bar in chart.bars if bar.year == int(label.text)]
        assert min(centres) < label.x < max(centres)
        assert label.box()[1] > bottom  # under the panel
    for first, second in combinations([label.box() for label in years], 2):
        assert not _overlap(first, second)
    legend = [text.box() for text in chart.texts_of("legend")]
    assert len(legend) == 6 and all(box[1] > years[0].box()[3] for box in legend)  # under the years
    for first, second in combinations(legend, 2):
        assert not _overlap(first, second)
    colours = [item.color for item in chart.series]
    assert len(colours) == 6 and len(set(colours)) == 6  # six properties, six different colours
    # each label is its bar's Part V line 6 to one decimal: the ratio the return used, times 100
    ratios = {(column.property_id, column.tax_year): column.ratio
              for columns in result.history.values() for column in columns}
    ratios.update({(column.property_id, column.tax_year): column.ratio for column in result.property_years})
    for bar, label in zip(chart.bars, labels):
        expected = (Decimal(ratios[(bar.property_id, bar.year)]) * 100).quantize(Decimal("0.1"))
        assert label.text == f"{expected}%"


def test_chart_svg_carries_every_text(tmp_path):
    """The SVG (the statements' HTML for a browser) carries every title, tick, year, label and legend
    entry of the geometry as text, and is the same bytes twice."""
    import xml.etree.ElementTree as ElementTree

    from udfi.statements.chart import chart_geometry, debt_chart_svg

    result = compute(six_property_book(tmp_path / "six"), 2023, keep_history=True)["A1"]
    svg = debt_chart_svg(result)
    assert svg == debt_chart_svg(result)
    root = ElementTree.fromstring(svg)
    shown = [node.text for node in root.iter("{http://www.w3.org/2000/svg}text")]
    assert shown == [text.text for text in chart_geometry(result).texts]
    assert any(text.startswith("Acquisition indebtedness on the first day of each month held") for text in shown)
    assert any(text.startswith("Debt/basis percentage by year, Part V line 6") for text in shown)
    assert "$0" in shown and "100%" in shown


def _documents_html(shared_documents):
    """(name, HTML, style sheet) of every document the layout tests render."""
    from udfi.attachments import render as attachments
    from udfi.statements import render as statements

    for book, year in [("sample", year) for year in (2022, 2023, 2025)] + [("six", 2023)]:
        results = list(shared_documents.results(book, year))
        yield f"{book}-{year}-statements", statements.render_html(results, charts={}, spans=False), \
            statements.style_sheet()
        yield f"{book}-{year}-attachments", attachments.render_html(results, spans=False), attachments.style_sheet()


def test_every_element_and_class_the_documents_use_is_styled(shared_documents):
    """The PDF layout styles a closed set of elements (documents.styles.ELEMENTS; another is an error
    when converting) and every class a template sets has a rule in the document's stylesheets, or is
    one of the few marker classes that only name what a row or cell is."""
    import lxml.html

    from udfi.documents.flow import Converter, UnstyledElement, parse
    from udfi.documents.styles import ELEMENTS, MARKER_CLASSES, MARKER_PATTERN, StyleSheet
    from udfi.forms.continuation import STYLESHEET, render_html

    six = next(result for result in shared_documents.results("six", 2023) if len(result.property_years) == 6)
    documents = list(_documents_html(shared_documents))
    documents.append(("continuation", render_html(account_object(six), 2023), StyleSheet((STYLESHEET,))))
    for name, html, sheet in documents:
        root = lxml.html.document_fromstring(html)
        tags = {node.tag for node in root.iter() if isinstance(node.tag, str)}
        assert tags <= ELEMENTS, (name, tags - ELEMENTS)
        classes = {word for node in root.iter() if isinstance(node.tag, str) for word in (node.get("class") or "").split()}
        unstyled = {word for word in classes - sheet.classes - MARKER_CLASSES if not MARKER_PATTERN.match(word)}
        assert not unstyled, (name, unstyled)
    with pytest.raises(UnstyledElement, match="<blink>"):
        Converter(StyleSheet(("statements/statements.css",)), 500).convert(parse("<p>a <blink>b</blink></p>"))


def _words(text: str) -> list[str]:
    """Words, case folded (a kicker prints upper-case: text-transform)."""
    return text.replace("\u00a0", " ").casefold().split()


def _html_words(html: str) -> list[str]:
    """The words of the HTML's body as a reader sees them: blocks and cells apart, inline runs joined."""
    import lxml.html

    body = lxml.html.document_fromstring(html).find("body")
    for node in body.iter("td", "th", "p", "li", "h1", "h2", "h3", "div", "br", "tr", "table", "section"):
        node.tail = " " + (node.tail or "")
        node.text = " " + (node.text or "")
    for node in body.find_class("ln"):  # a line number: an inline block of its own before its caption
        node.tail = " " + (node.tail or "")
    return _words(body.text_content())


def test_no_text_is_clipped_every_word_of_the_html_is_printed(shared_documents, tmp_path):
    """Every word of the HTML the templates produce appears, whole, in the text the PDF prints
    (pdftotext): nothing clipped, overflowing out of sight or broken inside a word — statements,
    attached forms and letters of the six-property book and of the sample book's 2023."""
    for book, year in (("six", 2023), ("sample", 2023)):
        results = list(shared_documents.results(book, year))
        from udfi.attachments import render as attachments
        from udfi.statements import render as statements

        for index, result in enumerate(results):
            html = statements.render_html([result], charts={}, spans=False)
            printed = set(_words(pdftotext(shared_documents.statements(book, year)[index], tmp_path, f"w-{book}-{index}")))
            missing = [word for word in _html_words(html) if word not in printed]
            assert not missing, (book, result.account_id, missing[:10])
            files = shared_documents.attachments(book, year)[index]
            printed = set()
            for name, pdf in files.items():
                printed |= set(_words(pdftotext(pdf, tmp_path, f"w-{book}-{index}-{name}")))
            missing = [word for word in _html_words(attachments.render_html([result], spans=False))
                       if word not in printed]
            assert not missing, (book, result.account_id, missing[:10])


def test_attached_forms_are_headed_and_the_letter_is_footed(shared_documents, tmp_path):
    """attachments.pdf: every page headed with the account's name, EIN, tax year and "Page x of N"
    counted within the file; letter.pdf: one page, no page number, the footer line."""
    for result, files in zip(shared_documents.results("sample", 2023), shared_documents.attachments("sample", 2023)):
        if "attachments.pdf" in files:
            pages = _text(files["attachments.pdf"], tmp_path, f"{result.account_id}-heads")
            for number, page in enumerate(pages, start=1):
                assert result.account["name"] in page and f"EIN {result.account['ein']}" in page
                assert f"Tax year {result.tax_year}" in page and f"Page {number} of {len(pages)}" in page
        letter = _text(files["letter.pdf"], tmp_path, f"{result.account_id}-letter")
        assert len(letter) == 1 and "Page 1 of" not in letter[0]
        assert "Prepared with udfi from the account's ledger" in letter[0]


def test_attachments_letter_and_continuation_render_to_the_same_bytes_twice(shared_documents):
    from udfi.forms.continuation import render_continuation

    results = shared_documents.results("six", 2023)
    assert render_attachments([results[0]])[0] == dict(shared_documents.attachments("six", 2023)[0])
    six = next(result for result in results if len(result.property_years) == 6)
    assert render_continuation(account_object(six), 2023) == render_continuation(account_object(six), 2023)


def test_text_xml_cannot_carry_and_characters_outside_the_face_still_print(tmp_path):
    """A noncharacter (U+FFFE) in a name cannot be parsed as XML: it prints as U+FFFD, the rest of
    the name intact. A character DejaVu Sans lacks is printed from another installed face that has
    it; the paragraph markup stays well-formed either way (user text is escaped)."""
    from udfi.documents import pages
    from udfi.documents.flow import Converter, parse, text_markup
    from udfi.documents.styles import StyleSheet

    sheet = StyleSheet(("statements/statements.css",))
    html = "<html><body><p>Trust FBO A\ufffeB &lt;IRA&gt; &amp; co \u4e2d</p></body></html>"
    pdf = pages.render(Converter(sheet, 500).convert(parse(html)), pages.LETTER_PAGE, "t")
    text = pdftotext(pdf, tmp_path, "odd")
    assert "Trust FBO A\ufffdB <IRA> & co" in text
    assert text_markup("a < b & c") == "a &lt; b &amp; c"


def test_the_embedded_face_is_the_same_bytes_from_any_cache(tmp_path, monkeypatch):
    """The unhinted copy of DejaVu Sans the PDFs embed from is made the same, byte for byte, in any
    user's cache (no timestamp): a cluster worker writes the same PDF bytes as this machine."""
    from udfi.documents import fonts

    source = fonts.find_font(fonts.FACES["normal"][1])
    if source is None:
        pytest.skip("DejaVu Sans not installed")
    made = []
    for name in ("one", "two"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / name))
        made.append(fonts.unhinted(source))
    assert made[0] != source and made[0].read_bytes() == made[1].read_bytes()
