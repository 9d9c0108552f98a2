"""Propose a field map (form line → AcroForm field) for an IRS blank from its XFA captions.

Usage: ``python -m udfi.forms.fieldmap_gen BLANK.pdf --form f990t --year 2021 > schemas/fieldmaps/f990t-2021.yaml``

The output is a *proposal*: a person reviews every entry (the caption it matched is written next to
it) before it is committed. Lines the generator cannot find are written as ``field: null`` with a
reason, which the reviewer either fixes or confirms as a real absence on that revision.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from udfi.forms.acroform import FieldInfo, list_fields, read_pdf
from udfi.forms.lines import F990T, F990TSA, fill_keys

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11}
_ROMAN_NAME = {v: k.lower() for k, v in _ROMAN.items()}


@dataclass
class Parsed:
    """What a caption says about its field, with the running context of the captions before it."""

    info: FieldInfo
    part: str  # "header" before Part I, then "part_i", "part_ii", ...
    line: str | None
    column: str | None
    item: str | None  # header item letter


def _strip_page(text: str) -> str:
    return re.sub(r"^Page \d+\. ", "", text)


def parse_captions(fields: list[FieldInfo]) -> list[Parsed]:
    part = "header"
    line: str | None = None
    parsed: list[Parsed] = []
    for info in fields:
        text = _strip_page(info.caption)
        item = None
        match = re.match(r"Part ((?:[IVX] ?)+)\. ", text)
        if match:
            part = "part_" + _ROMAN_NAME[_ROMAN[match.group(1).replace(" ", "")]]
            text = text[match.end():]
            line = None
        if part == "header":
            item_match = re.match(r"([A-L])\. ", text)
            item = item_match.group(1) if item_match else None
        else:
            line_match = re.search(r"(?:^|\. )(?:Row: )?(\d{1,2}[a-g]?)\. ", text)
            # "Row: 2. Column: …" is a row of a table inside the current line, not a new line.
            if line_match and not re.match(r"Row: \(?\d+\)?\. Column:", text):
                line = line_match.group(1)
                # Table rows name the sub-line after the row title: "Row: 3. Deductions … a. Straight line"
                sub = re.match(r"Row: \d+\. [^.]*\. ([a-c])\. ", text, flags=re.IGNORECASE)
                if sub and line.isdigit():
                    line += sub.group(1).lower()
        column_match = re.search(r"Column: \(?([A-D])\)?[ .]", text + " ")
        column = column_match.group(1) if column_match else None
        if part == "part_v" and re.match(r"1\. ([A-D])\. Description", text):
            column = text[3]
        parsed.append(Parsed(info, part, line, column, item))
    return parsed


def _rightmost(candidates: list[Parsed]) -> Parsed | None:
    # Several text fields can share a line (an inline sub-amount and the line's own amount box);
    # the line amount is the box furthest right.
    return max(candidates, key=lambda p: p.info.rect[2]) if candidates else None


def _find(parsed: list[Parsed], *, part: str, line: str | None = None, column: str | None = None,
          kind: str = "text", caption: str | None = None, item: str | None = None) -> Parsed | None:
    candidates = [
        p for p in parsed
        if p.part == part and p.info.kind == kind and not p.info.read_only
        and (line is None or p.line == line)
        and (column is None or p.column == column)
        and (item is None or p.item == item)
        and (caption is None or re.search(caption, _strip_page(p.info.caption)))
    ]
    if column is None and line is not None:
        candidates = [p for p in candidates if p.column is None] or candidates
    return _rightmost(candidates)


def propose(form: str, fields: list[FieldInfo], tax_year: int) -> dict[str, Parsed | str]:
    """Line key → the matched field, or a string saying why nothing matched (for the keys udfi fills
    on the year's revision: `udfi.forms.lines.fill_keys`)."""
    parsed = parse_captions(fields)
    found: dict[str, Parsed | str] = {}
    for key in fill_keys(form, tax_year):
        found[key] = _propose_one(form, key, parsed) or "no field whose caption matches this line"
    return found


def _propose_one(form: str, key: str, parsed: list[Parsed]) -> Parsed | str | None:
    section, _, rest = key.partition(".")
    if form == F990T:
        header_rules = {
            "header.name": dict(caption=r"^Name of organization\.", ),
            "header.street": dict(caption=r"^Number, street"),
            "header.city_state_zip": dict(caption=r"^City or town"),
            "header.B.408e": dict(kind="checkbox", item="B", caption=r"408\(e\)"),
            "header.B.408A": dict(kind="checkbox", item="B", caption=r"408A"),
            "header.B.501": dict(kind="checkbox", item="B", caption=r"Exempt under section\. 501"),
            "header.B.501.first": dict(item="B", caption=r"first subsection"),
            "header.C.book_value": dict(item="C"),
            "header.D.ein": dict(item="D"),
            "header.G.401a_trust": dict(kind="checkbox", item="G", caption=r"401\(a\) trust"),
            "header.G.other_trust": dict(kind="checkbox", item="G", caption=r"Other trust"),
            "header.J.schedules_a": dict(item="J"),
            "header.K.yes": dict(kind="checkbox", item="K", caption=r"Yes\.$"),
            "header.K.no": dict(kind="checkbox", item="K", caption=r"No\.$"),
            "header.K.parent": dict(item="K", caption=r"parent corporation"),
            "header.L.books_in_care_of": dict(item="L", caption=r"books are in care of"),
            "header.L.phone": dict(item="L", caption=r"Telephone"),
        }
        if key.startswith("part_ii.2."):
            # Line 2's two check boxes say which computation gave the tax.
            caption = {"tax_rate_schedule": r"Tax rate schedule", "schedule_d": r"^2\. Schedule D"}[key.split(".")[2]]
            return _find(parsed, part="part_ii", line="2", kind="checkbox", caption=caption)
        if key == "part_iii.8.form_2220":
            return _find(parsed, part="part_iii", line="8", kind="checkbox", caption=r"Form 2220")
        answer = re.match(r"part_iv\.(\w+)\.(yes|no)$", key)
        if answer:
            # Part IV questions: a Yes box and a No box, each captioned with its answer last.
            return _find(parsed, part="part_iv", line=answer.group(1), kind="checkbox",
                         caption={"yes": r"Yes\.$", "no": r"No\.$"}[answer.group(2)])
        if key == "part_iv.1.country":
            return _find(parsed, part="part_iv", line="1")
        if key in header_rules:
            return _find(parsed, part="header", **header_rules[key])
        if key.startswith("part_iv.5.row"):
            row, col = re.match(r"part_iv\.5\.row(\d)\.(\w+)", key).groups()
            # The line 5 table: rows are named Row1..Row4 in the field names (captions say "Row: n").
            in_row = [p for p in parsed if p.part == "part_iv" and p.info.kind == "text"
                      and p.line == "5" and f"Row{row}[" in p.info.name]
            if not in_row:
                return None
            # Left box: business activity code; right box: the carryover amount.
            ordered = sorted(in_row, key=lambda p: p.info.rect[0])
            return ordered[0] if col == "activity_code" else (ordered[-1] if len(ordered) > 1 else None)
        return _find(parsed, part=section, line=rest)
    # Schedule A
    header_rules = {
        "header.A.name": dict(item="A"),
        "header.B.ein": dict(item="B"),
        "header.C.activity_code": dict(item="C"),
        "header.D.sequence": dict(item="D", caption=r"Sequence"),
        "header.D.of": dict(item="D", caption=r"^D\. of"),
        "header.E.description": dict(item="E"),
    }
    if key in header_rules:
        return _find(parsed, part="header", **header_rules[key])
    pieces = rest.split(".")
    if len(pieces) == 2:
        return _find(parsed, part=section, line=pieces[0], column=pieces[1])
    return _find(parsed, part=section, line=pieces[0])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_map(blank: Path, form: str, tax_year: int) -> dict:
    fields = list_fields(read_pdf(blank))
    proposals = propose(form, fields, tax_year)
    lines: dict[str, dict] = {}
    used: dict[str, str] = {}
    for key, found in proposals.items():
        if isinstance(found, str):
            lines[key] = {"field": None, "reason": found}
            continue
        entry = {"field": found.info.name, "caption": found.info.caption}
        if found.info.kind == "checkbox":
            entry["on"] = found.info.on_states[0]
        if found.info.name in used:
            entry["review"] = f"same field as {used[found.info.name]}"
        used.setdefault(found.info.name, key)
        lines[key] = entry
    return {
        "form": form,
        "tax_year": tax_year,
        "derived_from": {"file": blank.name, "sha256": sha256_of(blank), "field_count": len(fields)},
        "generated_by": "udfi.forms.fieldmap_gen, then reviewed by hand",
        "lines": lines,
        # The whole inventory: a blank is recognised as this revision only if it has exactly these.
        "blank_fields": {f.name: f.kind for f in fields},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blank", type=Path)
    parser.add_argument("--form", choices=[F990T, F990TSA], required=True)
    parser.add_argument("--year", type=int, required=True)
    args = parser.parse_args(argv)
    document = build_map(args.blank, args.form, args.year)
    yaml.safe_dump(document, sys.stdout, sort_keys=False, allow_unicode=True, width=200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
