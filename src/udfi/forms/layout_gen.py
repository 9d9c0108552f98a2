"""Propose a revision's line layout (schemas/layouts/<form>-<year>.yaml) from a blank's XFA captions.

Usage: ``python -m udfi.forms.layout_gen BLANK.pdf --form f990t --year 2022 [--inherits 2021]``

Every field of the parts udfi reads gets a key and its caption (normalized: no page or part
heading, the tax year as {year}); the keys of the lines udfi fills are the reviewed field map's.
With ``--inherits`` only what differs from the inherited revision is written. Like the field maps,
the output is a proposal a person reviews before it is committed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from udfi.forms.acroform import list_fields, read_pdf, xfa_captions
from udfi.forms.captions import Caption, normalize, read_captions, reading_order
from udfi.forms.lines import F990T, F990TSA

# The parts whose lines the layout lists; Schedule A Parts III, IV and VI–X (cost of goods sold, rents,
# controlled organizations, …) never carry an IRA's debt-financed income and are left out.
LISTED_PARTS = {
    F990T: ("header", "part_i", "part_ii", "part_iii", "part_iv"),
    F990TSA: ("header", "part_i", "part_ii", "part_v"),
}

_LINE = re.compile(r"^(?:Row: )?(\d{1,2}[a-z]?)\. ")
_TABLE_ROW = re.compile(r"^Row: \(?(\d+)\)?\. Column:")
_SUB_LINE = re.compile(r"^Row: \d+\. [^.]*\. ([a-cA-C])\. ")
_COLUMN = re.compile(r"Column: \(?([A-D])\)?[ .]")
_PART_V_COLUMN = re.compile(r"^1\. ([A-D])\. ")
_ITEM = re.compile(r"^([A-L])\. ")

# Names for the fields that a line label and column alone do not tell apart (normalized caption → key).
NAMED = {
    F990T: {
        "for calendar year {year} or other tax year beginning. month and day.": "header.tax_year.begin",
        ", {year}, and ending. month and day.": "header.tax_year.end",
        ", 20. 2 digit year.": "header.tax_year.end_year",
        "print or type. name of organization. (check box if name changed and see instructions.).": "header.name_changed",
        "a. check box if address changed.": "header.A.address_changed",
        "b. exempt under section. 501. open parenthesis. (first subsection number). close parenthesis. open "
        "parenthesis (second subsection number). close parenthesis.": "header.B.501",
        "b. 501. open parenthesis. (enter first subsection number). close parenthesis.": "header.B.501.first",
        "b. 501. open parenthesis. (enter second subsection number). close parenthesis.": "header.B.501.second",
        "b. 220(e).": "header.B.220e",
        "b. 530(a).": "header.B.530a",
        "b. 529(a).": "header.B.529a",
        "b. 529a.": "header.B.529A",
        "c. book value of all assets at end of year.": "header.C.book_value",
        "e. group exemption number (see instructions).": "header.E.group_exemption_number",
        "f. check box if an amended return.": "header.F.amended",
        "g. check organization type. 501(c) corporation.": "header.G.501c_corporation",
        "g. 501(c) trust.": "header.G.501c_trust",
        "g. applicable reinsurance entity.": "header.G.applicable_reinsurance_entity",
        "g. state college/university.": "header.G.state_college_university",
        "h. check if filing only to. claim credit from form 8941.": "header.H.form_8941",
        "g. claim a refund shown on form 2439.": "header.H.form_2439",  # the IRS caption says G; the box is item H
        "i. check if a 501(c)(3) organization filing a consolidated return with a 501(c)(2) titleholding "
        "corporation.": "header.I.consolidated",
        "k. during the tax year, was the corporation a subsidiary in an affiliated group or a parent-subsidiary "
        "controlled group? yes.": "header.K.yes",
        "k. no.": "header.K.no",
        'k. if "yes," enter the name and identifying number of the parent corporation.': "header.K.parent",
        "3. other taxes. check if from: form 4255.": "part_iii.3.form_4255",
        "3. other amounts due. check if from: form 4255.": "part_iii.3.form_4255",
        "3. form 8611.": "part_iii.3.form_8611",
        "3. form 8697.": "part_iii.3.form_8697",
        "3. form 8866.": "part_iii.3.form_8866",
        "3. other (attach statement).": "part_iii.3.other",
        "4. total tax. add lines 2 and 3 (see instructions). check if includes tax previously deferred under "
        "section 1294.": "part_iii.4.section_1294",
        "4. enter tax amount here.": "part_iii.4.section_1294_amount",
        "6b. {year} estimated tax payments. check if section 643(g) election applies.": "part_iii.6b.section_643g",
        "6g. other credits, adjustments, and payments: form 2439.": "part_iii.6g.form_2439",
        "6g. form 2439. amount.": "part_iii.6g.form_2439_amount",
        "6g. form 4136.": "part_iii.6g.form_4136",
        "6g. form 4136. amount.": "part_iii.6g.form_4136_amount",
        "6g. other.": "part_iii.6g.other",
        "6g. other. amount.": "part_iii.6g.other_amount",
        "6g. total.": "part_iii.6g",
        "8. estimated tax penalty (see instructions). check if form 2220 is attached.": "part_iii.8.form_2220",
        "8. amount.": "part_iii.8",
        "11. enter the amount of line 10 you want: credited to {year+1} estimated tax.": "part_iii.11.credited",
        "11. refunded.": "part_iii.11.refunded",
        "1. yes.": "part_iv.1.yes",
        "1. no.": "part_iv.1.no",
        "2. no.": "part_iv.2.no",
        "4a. no.": "part_iv.4a.no",
        '4b. if "no," explain in part v. no.': "part_iv.4b.no",
        "6a. no.": "part_iv.6a.no",
        '6b. if "no," explain in part v. no.': "part_iv.6b.no",
    },
    F990TSA: {
        "row: 1a. gross receipts or sales.": "part_i.1a",
        "row: 1b. less returns and allowances.": "part_i.1b",
        "8a. less depreciation claimed in part i i i and elsewhere on return.": "part_ii.8a",
        "8b. amount.": "part_ii.8b",
    },
}
# Captions that start a question's "Yes" box (the line label plus the question).
_YES = re.compile(r"^(?:\d{1,2}[a-z]?)\. .*\? (?:\(see instructions\)\. )?(?:if \"yes,\" see instructions for other "
                  r"forms the organization may have to file\. )?yes\.$")


def _key_of(form: str, caption: Caption, line: str | None, item: str | None, year: int) -> str | None:
    text = normalize(caption.text, year)
    if text in NAMED[form]:
        return NAMED[form][text]
    part = caption.part
    if part == "header":
        return None  # header fields are all named above or in the reviewed map
    if caption.field.kind == "checkbox" and line and _YES.match(text):
        return f"{part}.{line}.yes"
    column = _COLUMN.search(caption.text + " ")
    if part == "part_v" and line == "1":
        # "1. B. Description …", "1. B. Check if a dual-use …"; column A's box ends its long caption: "… A."
        letter = _PART_V_COLUMN.match(caption.text) or re.search(r"\. ([A-D])\.$", caption.text)
        suffix = ".dual_use" if caption.field.kind == "checkbox" else ""
        return f"{part}.1.{letter.group(1)}{suffix}" if letter else None
    if part == "part_iv" and line == "1" and caption.field.kind == "text":
        return "part_iv.1.country"  # "… If "Yes," enter the name of the foreign country here."
    if line is None:
        return None
    if column:
        return f"{part}.{line}.{column.group(1)}"
    return f"{part}.{line}"


def propose_layout(blank: Path, form: str, tax_year: int, fieldmap_lines: dict | None = None) -> dict[str, dict]:
    """Key → {"caption", "kind"} for every field of the listed parts, in reading order."""
    reader = read_pdf(blank)
    fields = reading_order(list_fields(reader), list(xfa_captions(reader)))
    mapped = {entry["field"]: key for key, entry in (fieldmap_lines or {}).items() if entry.get("field")}
    lines: dict[str, dict] = {}
    line: str | None = None
    item: str | None = None
    part_seen = None
    for caption in read_captions(fields):
        if caption.part != part_seen:
            part_seen, line, item = caption.part, None, None
        table_row = _TABLE_ROW.match(caption.text)
        label = _LINE.match(caption.text)
        if label and not table_row:
            line = label.group(1)
            sub = _SUB_LINE.match(caption.text)
            if sub and line.isdigit():
                line += sub.group(1).lower()
        if caption.part == "header":
            found = _ITEM.match(caption.text)
            item = found.group(1) if found else item
        if caption.part not in LISTED_PARTS[form]:
            continue
        key = mapped.get(caption.field.name) or _key_of(form, caption, line, item, tax_year)
        if key is None:
            raise ValueError(f"{blank}: no key for {caption.field.name} ({caption.text!r}); name it in NAMED")
        if key in lines:
            raise ValueError(f"{blank}: key {key} for both {lines[key]['field']} and {caption.field.name}")
        lines[key] = {"caption": normalize(caption.text, tax_year), "kind": caption.field.kind, "field": caption.field.name}
        if caption.field.read_only:
            lines[key]["read_only"] = True  # printed greyed: the line exists but takes no entry
    return lines


def layout_document(lines: dict[str, dict], form: str, tax_year: int, inherited: dict[str, dict] | None) -> dict:
    own = {key: {name: entry[name] for name in ("caption", "kind", "read_only") if name in entry}
           for key, entry in lines.items()}
    document: dict = {"form": form, "tax_year": tax_year}
    if inherited is None:
        document["lines"] = own
        return document
    document["inherits"] = tax_year - 1
    document["lines"] = {key: entry for key, entry in own.items() if inherited.get(key) != entry}
    removed = sorted(set(inherited) - set(own))
    if removed:
        document["removed"] = {key: "not on this revision" for key in removed}
    return document


def main(argv: list[str] | None = None) -> int:
    from udfi.forms.fieldmaps import known_maps  # noqa: PLC0415
    from udfi.forms.layouts import load_layout  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blank", type=Path)
    parser.add_argument("--form", choices=[F990T, F990TSA], required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--inherits", action="store_true", help="write only the differences from the year before")
    args = parser.parse_args(argv)
    reviewed = next((m.lines for m in known_maps(args.form) if m.tax_year == args.year), None)
    lines = propose_layout(args.blank, args.form, args.year, reviewed)
    inherited = None
    if args.inherits:
        inherited = {key: {"caption": line.caption, "kind": line.kind, **({"read_only": True} if line.read_only else {})}
                     for key, line in load_layout(args.form, args.year - 1).lines.items()}
    document = layout_document(lines, args.form, args.year, inherited)
    yaml.safe_dump(document, sys.stdout, sort_keys=False, allow_unicode=True, width=200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
