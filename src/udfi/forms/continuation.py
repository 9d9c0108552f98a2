"""The Schedule A Part V continuation statement (more than four debt-financed properties).

Rendered from templates/continuation.html.j2 with jinja2, laid out with ReportLab (udfi.documents,
templates/continuation.css). The PDF has fixed metadata (no dates, fixed identifier) so a given
account always renders to the same bytes.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import jinja2

from udfi.forms.lines import PART_V_AMOUNT_LINES, PART_V_COLUMNS, _amount, _dollars, _percent, part_v_properties
from udfi.resources import templates_dir

TEMPLATE = "continuation.html.j2"
STYLESHEET = "continuation.css"

LINE_LABELS = {
    "2": "Gross income",
    "3a": "Straight-line depreciation",
    "3b": "Other deductions",
    "3c": "Total deductions (3a + 3b)",
    "4": "Average acquisition debt",
    "5": "Average adjusted basis",
    "6": "Debt/basis % (4 ÷ 5)",
    "7": "Gross income reportable (2 × 6)",
    "9": "Allocable deductions (3c × 6)",
}


@functools.cache  # one per process: jinja2 compiles a template once per environment
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )


def statement_rows(account: dict) -> list[dict]:
    """One row per Part V property, in form order, with the column it is reported in."""
    properties = part_v_properties(account)
    rows = []
    for number, prop in enumerate(properties, start=1):
        column = PART_V_COLUMNS[number - 1] if number <= 3 else "D"
        amounts = {line: _dollars(prop["part_v"].get(line, 0)) or "0" for line in PART_V_AMOUNT_LINES}
        amounts["6"] = _percent(prop["part_v"].get("6"))
        rows.append({"number": number, "column": column, "description": prop.get("description", ""), "lines": amounts})
    return rows


def render_html(account: dict, tax_year: int) -> str:
    properties = part_v_properties(account)
    totals = {
        line: _dollars(sum(_amount(p["part_v"].get(line, 0)) for p in properties)) or "0"
        for line in PART_V_AMOUNT_LINES
    }
    column_d = properties[3:]
    template = _environment().get_template(TEMPLATE)
    return template.render(
        tax_year=tax_year,
        name=account.get("name", ""),
        ein=account.get("ein", ""),
        rows=statement_rows(account),
        totals=totals,
        line_8=_dollars(account["schedule_a"]["part_v"].get("8", 0)) or "0",
        line_10=_dollars(account["schedule_a"]["part_v"].get("10", 0)) or "0",
        lines=[(line, LINE_LABELS[line]) for line in ("2", "3a", "3b", "3c", "4", "5", "6", "7", "9")],
        column_d_first=4,
        column_d_last=len(properties),
        column_d_count=len(column_d),
    )


_SHEET = None


def render_continuation(account: dict, tax_year: int) -> bytes:
    """The continuation statement as PDF bytes (landscape letter, "Page x of N" at the foot)."""
    global _SHEET
    from udfi.documents import pages  # noqa: PLC0415
    from udfi.documents.flow import Converter, parse  # noqa: PLC0415
    from udfi.documents.styles import StyleSheet  # noqa: PLC0415

    if _SHEET is None:
        _SHEET = StyleSheet((STYLESHEET,))
    body = parse(render_html(account, tax_year))
    flowables = Converter(_SHEET, pages.CONTINUATION.frame_width).convert(body)
    return pages.render(flowables, pages.CONTINUATION, f"Schedule A (Form 990-T) {tax_year} Part V continuation statement")
