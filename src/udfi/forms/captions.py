"""The XFA captions of a blank, read in the form's own reading order and normalized for matching.

An IRS blank names each field's form line only in its XFA `<speak>` caption, and the caption of the
first field of a part carries the part's heading ("Part III. Tax and Payments. 1a. …"); the fields
after it inherit the part. The XFA template is the reading order the IRS wrote the captions for, so
the part context is taken from it, never from the order of the AcroForm field tree (which a new
revision may shuffle).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from udfi.forms.acroform import FieldInfo

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11}
PART_NAMES = {value: f"part_{key.lower()}" for key, value in _ROMAN.items()}

_PAGE = re.compile(r"^Page \d+\. ")
_PART = re.compile(r"^Part ((?:[IVX] ?)+)\. ")
# The part's title runs up to the first line label: "12. ", "6b. ", "Row: 3. " (or a row-only caption).
_FIRST_LABEL = re.compile(r"\. (?=\d{1,2}[a-z]?\. |Row: )")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


@dataclass(frozen=True)
class Caption:
    """One field with the part it sits in and its caption without page and part headings."""

    field: FieldInfo
    part: str  # "header" before Part I, then "part_i", "part_ii", ...
    text: str


def strip_page(text: str) -> str:
    return _PAGE.sub("", text)


def split_part(text: str) -> tuple[str | None, str]:
    """("part_iii", "1a. Foreign tax credit …") for a caption that opens a part, else (None, text)."""
    text = strip_page(text)
    match = _PART.match(text)
    if not match:
        return None, text
    part = PART_NAMES[_ROMAN[match.group(1).replace(" ", "")]]
    rest = text[match.end():]
    label = _FIRST_LABEL.search(rest)
    return part, (rest[label.end():] if label else rest)


def reading_order(fields: list[FieldInfo], order: list[str]) -> list[FieldInfo]:
    """`fields` in the XFA template's order (`order`: full names as `acroform.xfa_captions` yields them);
    fields the template does not name keep their AcroForm order, after the others."""
    rank = {name: index for index, name in enumerate(order)}
    return sorted(fields, key=lambda info: rank.get(info.name, len(rank)))


def read_captions(fields: list[FieldInfo]) -> list[Caption]:
    """Each field (already in reading order) with its part and its caption's own text."""
    part = "header"
    found = []
    for info in fields:
        opened, text = split_part(info.caption)
        if opened is not None:
            part = opened
        found.append(Caption(info, part, text))
    return found


def normalize(text: str, tax_year: int) -> str:
    """A caption in the form that two revisions' captions of the same line share: no page or part
    heading, one kind of dash and quote, lower case, single spaces, and the tax year and its
    neighbours written as {year-1}, {year}, {year+1} ("A 2021 overpayment credited to 2022")."""
    _, text = split_part(text)
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES)
    text = " ".join(text.split()).lower()
    for offset, placeholder in ((-1, "{year-1}"), (0, "{year}"), (1, "{year+1}")):
        text = re.sub(rf"(?<!\d){tax_year + offset}(?!\d)", placeholder, text)
    return text
