"""Read an attachments.pdf back (pdftotext -bbox) into the printed amounts of each form's lines, so
that tests can check that every printed total equals the sum of the printed lines it adds.

Each table row prints its line number, caption and amounts on one baseline (cells are top-aligned);
a column is found from its heading's first word — "(d)", "(2)", "(a)", "Amount", "Property A" — and
an amount belongs to the column whose heading starts left of the amount's right edge."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from pdf_text import pdftotext

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
AMOUNT = re.compile(r"^\(?\d{1,3}(?:,\d{3})*(?:\.\d\d)?\)?$")
LINE = re.compile(r"^\d{1,2}[a-z]?$")
COLUMN_ID = re.compile(r"^\([A-Za-z0-9]{1,2}\),?$")
# The title each form page prints in its heading: where one form ends and the next begins.
TITLES = {"Capital Gains and Losses": "schedule_d", "Sales and Other Dispositions of Capital Assets": "form_8949",
          "Schedule D Tax Worksheet (Instructions": "tax_worksheet", "Sales of Business Property": "form_4797",
          "Underpayment of Estimated Tax by Corporations": "form_2220"}
LINE_COLUMN_RIGHT = 68.0
BODY_TOP, BODY_BOTTOM = 52.0, 752.0  # points: inside the page margins of attachments.css  # points: the line-number column (left margin + 5% of the text width)


def pdf_words(pdf: bytes, folder: Path, name: str) -> list[list[tuple[float, float, float, float, str]]]:
    text = pdftotext(pdf, folder, name, "-bbox")
    pages = []
    for chunk in text.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in WORD.findall(chunk)])
    return pages


def rows_of(words: list) -> list[list]:
    """Words grouped into text rows (same baseline within 1.5 pt), left to right."""
    rows: list[list] = []
    for word in sorted(words, key=lambda item: (round(item[3], 1), item[0])):
        if rows and abs(rows[-1][0][3] - word[3]) <= 1.5:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda item: item[0]) for row in rows]


def amount(text: str) -> Decimal:
    negative = text.startswith("(")
    value = Decimal(text.strip("()").replace(",", ""))
    return -value if negative else value


def _headings(row: list) -> list[tuple[float, str]]:
    """Column headings of a heading row: "(d)", "(2)", "(c) part 2", "Amount", "Property A" — the
    leftmost of each (a heading's caption may mention other columns: "subtract (e) from (d)")."""
    found: dict[str, float] = {}
    for index, word in enumerate(row):
        label = None
        if COLUMN_ID.match(word[4]) and word[0] > 150:
            label = word[4].rstrip(",")
            if index + 2 < len(row) and row[index + 1][4] == "part":
                label = f"{label} part {row[index + 2][4]}"
        elif word[4] == "Amount" and word[0] > 300:
            label = "Amount"
        elif word[4] == "Property" and index + 1 < len(row) and word[0] > 150 and re.fullmatch(r"[A-D]\d?", row[index + 1][4]):
            label = f"Property {row[index + 1][4]}"
        if label and label not in found:
            found[label] = word[0]
    return sorted((x, label) for label, x in found.items())


def read_forms(pages: list) -> dict[str, dict[str, list[dict[str, Decimal]]]]:
    """{form key: {line: [ {column heading: amount}, … one per printed row of that line ]}}."""
    forms: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    form = None
    columns: list[tuple[float, str]] = []
    last_line = None
    in_heading = False
    for words in pages:
        for row in rows_of(words):
            if row[0][1] < BODY_TOP or row[0][1] > BODY_BOTTOM:
                continue  # the running head and foot ("Page 2 of 7")
            text = " ".join(word[4] for word in row)
            for title, key in TITLES.items():
                if title in text:
                    form, columns, last_line = key, [], None
            if form is None:
                continue
            first = row[0]
            numbered = first[0] < LINE_COLUMN_RIGHT and LINE.match(first[4])
            if not numbered and (heads := _headings(row)):
                # a heading's wrapped lines may name other columns ("subtract (e) from (d)"): a row naming
                # only some of the columns just set is such a line, wherever the cells wrap it
                labels = {label for _, label in columns}
                if not (in_heading and {label for _, label in heads} <= labels and len(heads) < len(columns)):
                    columns, in_heading = heads, True
                continue
            if numbered:
                in_heading = False
            if not columns:
                continue
            cells: dict[str, Decimal] = {}
            start = columns[0][0]
            for word in row[1:] if numbered else row:
                if word[2] <= start + 1 or not AMOUNT.match(word[4]):
                    continue
                owner = [label for x, label in columns if x - 1 <= word[2]]
                if owner:
                    label = owner[-1]
                    position = [label for _, label in columns].index(label)
                    # right-aligned amounts end before the next column's heading starts
                    if position + 1 < len(columns) and word[2] > columns[position + 1][0] + 1:
                        continue
                    key = label if label not in cells else f"{label}#{len(cells)}"
                    cells[key] = amount(word[4])
            if numbered:
                last_line = first[4]
                forms[form][last_line].append(cells)
            elif cells and last_line is not None:
                forms[form][last_line].append(cells)
    return {key: dict(lines) for key, lines in forms.items()}
