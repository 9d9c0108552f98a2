"""Form 4797, Sales of Business Property, laid out from the engine's `form_4797` (docs/return-json.md):
Part I line 2 and Part II line 10 one row per sale, Part III one column (A–D) per §1250 property with a
gain, lines 30–32 summarizing Part III. Every amount is the debt-financed share, whole dollars."""

from __future__ import annotations

from udfi.attachments import layouts
from udfi.attachments.build import printed, source_value
from udfi.attachments.layouts import caption
from udfi.attachments.model import FormPage, Part, Row, cents, dollars, form_date
from udfi.attachments.schedule_d import ATTACH, DEBT_FINANCED_NOTE, words
from udfi.engine.compute import AccountYear

PROPERTY_COLUMNS = ("A", "B", "C", "D")


def _sales(line: str, rows: list[dict], columns: dict[str, str], amounts: list[str], title: str) -> Part:
    printed_rows = []
    for index, row in enumerate(rows):
        cells = {key: (form_date(row[key]) if key in ("acquired_on", "sold_on") else
                       dollars(row[key]) if key in amounts else str(row[key])) for key in columns}
        printed_rows.append(Row(line if index == 0 else "", "", cells))
    if not printed_rows:
        printed_rows.append(Row(line, "", {}))
    return Part(line, title, list(columns.items()), printed_rows, kind="sales")


def _lines(part_id: str, title: str, specs: list[dict], data: dict, text: dict, note: str = "") -> Part:
    rows = [Row(str(spec["line"]), caption(spec["caption"], text),
                {"amount": printed(source_value(spec.get("value"), data, {}), spec)},
                "total" if spec.get("adds") else "line") for spec in specs]
    return Part(part_id, title, [("amount", "")], rows, note)


def _part_iii(spec: dict, properties: list[dict], data: dict) -> list[Part]:
    """Part III in groups of four property columns (a fifth property starts another group)."""
    parts = []
    for start in range(0, max(len(properties), 1), 4):
        group = properties[start:start + 4]
        letters = [PROPERTY_COLUMNS[index] if start == 0 else f"{PROPERTY_COLUMNS[index]}{start // 4 + 1}"
                   for index in range(len(group))]
        columns = [(letter, f"Property {letter}") for letter in letters]
        rows = [Row(spec["header"]["line"], spec["header"]["caption"],
                    {letter: f"{item['description']}; acquired {form_date(item['acquired_on'])}; "
                             f"sold {form_date(item['sold_on'])}" for letter, item in zip(letters, group)},
                    "heading")]
        for line in spec["lines"]:
            field = line.get("field")
            cells = {letter: (dollars(0 if field == "zero" else item[field]) if field else "")
                     for letter, item in zip(letters, group)}
            rows.append(Row(line["line"], line["caption"], cells, "total" if line.get("adds") else "line"))
        title = spec["title"] if start == 0 else f"{spec['title']} (continued)"
        parts.append(Part("III", title, columns, rows, kind="properties"))
    return parts


def form_4797_page(result: AccountYear, data: dict) -> FormPage | None:
    form = data["form_4797"]
    if form is None:
        return None
    spec = layouts.layout_file("form_4797")
    revision = layouts.revision("form_4797", result.tax_year)
    text = words(result)
    columns, amounts = spec["sale_columns"], spec["sale_amounts"]
    parts = [_lines("top", "", revision["top"], data, text)]
    part_i, part_ii, part_iii = revision["part_i"], revision["part_ii"], revision["part_iii"]
    parts.append(_sales("2", form["part_i"]["2"], columns, amounts, f"Part I — {part_i['title']}"))
    parts.append(_lines("I", "", part_i["lines"], data, text, part_i.get("note", "")))
    parts.append(_sales("10", form["part_ii"]["10"], columns, amounts,
                        f"Part II — {part_ii['title']}. Line 10: {part_ii['rows']['caption']}"))
    parts.append(_lines("II", "", part_ii["lines"], data, text))
    properties = form["part_iii"]["properties"]
    if properties:
        for part in _part_iii(part_iii, properties, data):
            part.title = f"Part III — {part.title}"
            parts.append(part)
    parts.append(_lines("III-summary", "Summary of Part III gains" if properties else
                        f"Part III — {part_iii['title']}: no section 1250 property sold at a gain",
                        part_iii["summary"], data, text))
    notes = [DEBT_FINANCED_NOTE,
             "Straight-line depreciation of real property leaves no additional depreciation (IRC §1250(b)(1)): "
             "line 26g is zero and the whole Part III gain is section 1231 gain (line 32 to line 6)."]
    if result.schedule.form_4797 is not None and result.schedule.form_4797.recaptured:
        recaptured = "; ".join(f"{year}: ${amount:,}" for year, amount in result.schedule.form_4797.recaptured)
        notes.append(f"Line 8 recaptures the nonrecaptured net section 1231 losses of the 5 preceding years, oldest "
                     f"first (IRC §1231(c)): {recaptured}.")
    open_losses = data["section_1231_losses"]["nonrecaptured_out"]
    if open_losses:
        listed = "; ".join(f"{item['year']}: ${cents(item['amount'])}" for item in open_losses)
        notes.append(f"Net section 1231 losses still open for recapture in later years (IRC §1231(c)): {listed}.")
    return FormPage("form_4797", spec["form"], spec["title"], result.tax_year, ATTACH, parts, data["name"],
                    data["ein"], notes)
