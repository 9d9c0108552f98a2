"""statements.pdf: one paginated PDF per account and year (templates/statements/), laid out with
ReportLab (udfi.documents). Every page is headed with the account's name, EIN, tax year and "Page x
of y" counted within the account's document; the chart is drawn from its geometry.

Output bytes are reproducible: ReportLab's invariant mode (no dates, fixed document id), fixed
metadata; one account's document is the same bytes whether rendered alone or in a batch.
"""

from __future__ import annotations

import base64
from decimal import Decimal

import jinja2

from udfi.engine.compute import AccountYear
from udfi.engine.report import account_object
from udfi.engine.schedule_a import part_v_line_3a, part_v_line_3b
from udfi.money import ZERO, format_dollars, whole_dollars
from udfi.documents import markup, pages
from udfi.documents.flow import Converter, parse
from udfi.documents.styles import StyleSheet
from udfi.statements import words
from udfi.statements.chart import chart_geometry, debt_chart_svg
from udfi.statements.figures import CITE, asset_lines, format_cents, format_rate, trust_rate_steps
from udfi.statements.k1 import k1_context
from udfi.statements.loans import loan_tables

TEMPLATE = "statements/statements.html.j2"
STYLESHEET = "statements/statements.css"
CATEGORY_LABELS = {
    "interest": "Interest on acquisition indebtedness", "taxes": "Taxes", "insurance": "Insurance",
    "repairs": "Repairs", "management": "Management", "utilities": "Utilities", "other_expense": "Other expenses",
}
OTHER_DEDUCTION_CATEGORIES = ("interest", "taxes", "insurance", "repairs", "management", "utilities", "other_expense")
PART_V_COLUMNS = ("A", "B", "C", "D")

_ENVIRONMENT: jinja2.Environment | None = None


def _environment() -> jinja2.Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = markup.template_environment(
            cents=format_cents, isodate=lambda day: day.isoformat() if day else "")
    return _ENVIRONMENT


# ---------------------------------------------------------------------------------------------
# What each section shows (all form lines are taken from account_object, so they tie exactly)
# ---------------------------------------------------------------------------------------------

def _summary(result: AccountYear, data: dict) -> dict:
    form = data["form_990t"]
    threshold = Decimal(data["filing_threshold"])
    gross = Decimal(data["gross_unrelated_income"])
    if data["must_file"]:
        why = (f"Gross unrelated business income of ${format_cents(gross)} is at least the ${format_dollars(threshold)} "
               "filing threshold, so the custodian (trustee) must file Form 990-T for the account.")
    else:
        why = (f"Gross unrelated business income of ${format_cents(gross)} is under the ${format_dollars(threshold)} "
               "filing threshold, so no return is due and no due date applies. The figures below show how the gross "
               "income was reached.")
    return {
        "must_file": data["must_file"], "why": why, "gross": gross, "threshold": threshold,
        "ubti": form["part_i"]["11"], "tax": form["part_iii"]["4"], "payments": form["part_iii"]["7"],
        "balance_due": form["part_iii"]["9"], "overpayment": form["part_iii"]["10"],
        "due_date": result.due_date, "extended_due_date": result.extended_due_date,
        "estimated_dates": result.estimated_tax_due_dates, "flags": data["flags"],
        "account_type": words.account_type(data["account_type"]), "exemption": words.exemption(data["account_type"]),
    }


def _columns(data: dict) -> dict[str, str]:
    """Property id → Part V column (A–C; D holds the 4th and later properties)."""
    part_v = [item["property_id"] for item in data["properties"] if item["debt_financed"]]
    return {pid: PART_V_COLUMNS[min(index, 3)] for index, pid in enumerate(part_v)}


def _property(result: AccountYear, column, item: dict, letter: str | None) -> dict:
    facts = column.facts
    lines = item["part_v"]
    year = result.tax_year
    assets = [asset for asset in asset_lines(facts, year) if asset.placed_in_service <= column.last_day_held]
    asset_rows = [{"label": words.asset_label(asset.label, facts.property_type), "asset": asset} for asset in assets]
    assert whole_dollars(sum((asset.for_year for asset in assets), ZERO)) == lines["3a"] or column.depreciation_overridden
    shown_loans = [loan for loan in facts.loans
                   if any(month.by_loan.get(loan.loan_id, ZERO) != ZERO for month in column.months)]
    months = [{"month": month.month, "measured_on": month.measured_on,
               "by_loan": [month.by_loan.get(loan.loan_id, ZERO) for loan in shown_loans], "total": month.total}
              for month in column.months]
    deductions = [{"category": category, "label": CATEGORY_LABELS[category], "amount": column.amounts.get(category, ZERO)}
                  for category in OTHER_DEDUCTION_CATEGORIES if column.amounts.get(category, ZERO) != ZERO]
    interest = []
    loans_by_id = {loan.loan_id: loan for loan in facts.loans}
    for loan_id, allocable in sorted(column.interest_allocable.items()):
        paid = facts.interest_by_year.get(year, {}).get(loan_id, ZERO)
        interest.append({"loan_id": loan_id, "paid": paid, "fraction": loans_by_id[loan_id].acquisition_fraction,
                         "allocable": allocable})
    income = [{"category": category, "amount": column.amounts.get(category, ZERO)}
              for category in ("rent", "other_income") if column.amounts.get(category, ZERO) != ZERO]
    improvements_year = [(day, amount) for day, amount, _ in facts.improvements
                         if column.first_day_held <= day <= column.last_day_held]
    sale = column.disposition
    disposition = None
    if sale is not None:
        disposition = {
            "date": sale.date, "amount_realized": sale.amount_realized, "adjusted_basis": sale.adjusted_basis,
            "gain": sale.gain, "window_start": sale.window_start, "highest": sale.highest_acquisition_indebtedness,
            "highest_on": sale.highest_on, "average_basis": column.average_adjusted_basis,
            "percentage": item["disposition"]["percentage"], "gain_reportable": sale.gain_reportable,
            "accumulated": sale.accumulated_depreciation, "unrecaptured": sale.unrecaptured_1250_reportable,
            "gain_line": whole_dollars(sale.gain_reportable), "acquired_on": sale.acquired_on,
            "long_term": sale.holding_period == "long_term", "use": USE_WORDS[sale.use],
            "character": CHARACTER_WORDS[sale.character], "reported_on": _reported_on(sale),
        }
    return {
        "id": facts.property_id, "column": letter, "description": facts.description,
        "type": words.property_type(facts.property_type), "is_land": facts.property_type == "land",
        "debt_financed": item["debt_financed"], "line_4": loan_tables(column, facts, column.acquisition_indebtedness_excluded),
        "acquired_on": facts.acquired_on, "placed_in_service_on": facts.placed_in_service_on,
        "disposed_on": facts.disposed_on, "first_day": column.first_day_held, "last_day": column.last_day_held,
        "months_held": column.months_held, "lines": lines, "excluded": column.acquisition_indebtedness_excluded,
        "exception_lost": facts.exception_lost_reason,
        "cost": facts.cost_basis, "land": facts.land_value, "assets": asset_rows,
        "depreciation": column.straight_line_depreciation, "depreciation_overridden": column.depreciation_overridden,
        "accumulated_last": column.accumulated_depreciation_last_day,
        "income": income, "gross_income": column.gross_income,
        "deductions": deductions, "other_deductions": column.other_deductions, "interest": interest,
        "loans": [loan.loan_id for loan in shown_loans],
        "months": months, "month_sum": sum((month.total for month in column.months), ZERO),
        "aai": column.average_acquisition_indebtedness,
        "basis_first": column.basis_first_day, "basis_last": column.basis_last_day,
        "improvements_first": column.improvements_first_day, "improvements_last": column.improvements_last_day,
        "accumulated_first": column.accumulated_depreciation_first_day,
        "improvements_year": improvements_year, "aab": column.average_adjusted_basis,
        "ratio_percent": lines["6"], "reportable": column.gross_income_reportable,
        "total_deductions": column.straight_line_depreciation + column.other_deductions,
        "allocable": column.allocable_deductions, "disposition": disposition,
        "check_3a": part_v_line_3a(column), "check_3b": part_v_line_3b(column),
    }


USE_WORDS = {"rental_business": "held for the production of rents (used in a trade or business)",
             "investment": "held for investment (a capital asset)"}
CHARACTER_WORDS = {"section_1231": "§1231 gain or loss", "ordinary": "ordinary gain or loss",
                   "capital": "capital gain or loss"}


def _reported_on(sale) -> str:
    if sale.character == "capital":
        box = "F (long-term)" if sale.holding_period == "long_term" else "C (short-term)"
        return f"Form 8949 box {box} → Schedule D (Form 1041) → Schedule A Part I line 4a or 4c"
    if sale.character == "ordinary":
        return "Form 4797 Part II line 10 → line 17 → Schedule A Part I line 4b"
    part = "Part III, then Part I line 6" if sale.depreciable and sale.gain_reportable > ZERO else "Part I line 2"
    return (f"Form 4797 {part} → line 7 (net §1231 gain or loss): a net gain goes to Schedule D line 14 "
            "(line 4a) after recapture of earlier net §1231 losses; a net loss to Part II (line 4b)")


def _sales(data: dict) -> dict | None:
    """Form 4797 and Schedule D (Form 1041) lines as the account object gives them."""
    if data["form_4797"] is None and data["schedule_d"] is None:
        return None
    return {"form_4797": data["form_4797"], "schedule_d": data["schedule_d"],
            "carry": data["capital_loss_carryover"], "section_1231": data["section_1231_losses"]}


def _nol(result: AccountYear, data: dict) -> dict:
    schedule = data["schedule_a"]
    carry = data["nol_carryover"]
    return {
        "activity_code": data["activity_code"], "line_16": schedule["part_ii"]["16"],
        "post_in": whole_dollars(Decimal(carry["post2017_in"])),
        "limit": None if carry["post2017_limit"] is None else whole_dollars(Decimal(carry["post2017_limit"])),
        "limited": result.parameters.post2017_nol_limit is not None,
        "limit_rate": format_rate(result.parameters.post2017_nol_limit) if result.parameters.post2017_nol_limit else "",
        "used": schedule["part_ii"]["17"],
        "generated": whole_dollars(Decimal(carry["post2017_generated"])),
        "post_out": whole_dollars(Decimal(carry["post2017_out"])),
        "pre_in": whole_dollars(Decimal(carry["pre2018_in"])), "pre_used": data["form_990t"]["part_i"]["6"],
        "pre_out": whole_dollars(Decimal(carry["pre2018_out"])),
        "capital_in": whole_dollars(Decimal(data["capital_loss_carryover"]["in"])),
        "capital_out": whole_dollars(Decimal(data["capital_loss_carryover"]["out"])),
        "line_4c": schedule["part_i"]["4c"],
        "by_origin": [{**item, **{key: whole_dollars(Decimal(item[key]))
                                  for key in ("available", "used", "expired", "remaining")}}
                      for item in carry["by_origin"]],
        "capital": data["capital_loss_carryover"],
        "worksheet": result.schedule.capital_loss_worksheet,
    }


def _tax(result: AccountYear, data: dict) -> dict:
    line_11 = data["form_990t"]["part_i"]["11"]
    parameters = result.parameters
    tax_line = data["form_990t"]["part_ii"]["2"]
    steps, schedule_tax = trust_rate_steps(Decimal(line_11), parameters)
    computation = result.form.capital_gain_tax
    capital = None
    if computation is not None:
        ordinary_steps, ordinary_tax = trust_rate_steps(computation.ordinary_base, parameters)
        rows = [
            ("(A)", "Ordinary part, at the trust rate schedule", computation.ordinary_base, None, ordinary_tax),
            ("(B)", "Adjusted net capital gain at 0%", computation.zero_rate_base, Decimal(0), ZERO),
            ("(C)", "Adjusted net capital gain at 15%", computation.fifteen_rate_base, parameters.fifteen_rate,
             computation.fifteen_rate_base * parameters.fifteen_rate),
            ("(D)", "Adjusted net capital gain at 20%", computation.twenty_rate_base, parameters.twenty_rate,
             computation.twenty_rate_base * parameters.twenty_rate),
            ("(E)", "Unrecaptured §1250 gain at 25%", computation.unrecaptured_base, parameters.unrecaptured_1250_rate,
             computation.unrecaptured_base * parameters.unrecaptured_1250_rate),
            ("(F)", "28-percent rate gain / rest at 28%", computation.rate_28_base, parameters.rate_28_gain,
             computation.rate_28_base * parameters.rate_28_gain),
        ]
        capital = {
            "taxable_income": computation.taxable_income, "net_capital_gain": computation.net_capital_gain,
            "unrecaptured": computation.unrecaptured_1250_gain, "ancg": computation.adjusted_net_capital_gain,
            "rows": [{"part": part, "label": label, "base": base, "rate": format_rate(rate) if rate is not None else
                      "schedule", "tax": tax} for part, label, base, rate, tax in rows],
            "ordinary_steps": ordinary_steps, "regular": computation.regular_tax,
            "alternative": computation.alternative_tax, "tax": computation.tax,
            "max_zero": parameters.max_zero_rate_amount, "max_15": parameters.max_15_rate_amount,
        }
    return {
        "line_11": line_11, "line_2": tax_line, "line_7": data["form_990t"]["part_ii"]["7"],
        "steps": [{"over": step.over, "upper": step.upper, "rate": format_rate(step.rate), "taxed": step.taxed,
                   "tax": step.tax} for step in steps],
        "schedule_tax": schedule_tax, "capital": capital, "method": data["tax_computation_method"],
        "reference": parameters.references.get("trust_rate_schedule", ""),
        "cg_reference": parameters.references.get("capital_gain_breakpoints", ""),
    }


CHART_SCHEME = "udfi-chart"


def statement_context(result: AccountYear, index: int = 0, chart: bool = True, charts: dict | None = None) -> dict:
    """What the template shows for one account. With `charts`, the chart's geometry is stored there
    and the page refers to it as `udfi-chart:<index>` (the PDF draws it); without, the page carries
    the chart as an SVG data: URL (for a browser)."""
    data = account_object(result)
    letters = _columns(data)
    items = {item["property_id"]: item for item in data["properties"]}
    properties = [_property(result, column, items[column.property_id], letters.get(column.property_id))
                  for column in result.property_years]
    drawn = chart and bool(result.property_years)  # K-1s only: no debt to draw
    svg = debt_chart_svg(result) if drawn and charts is None else ""
    if drawn and charts is not None:
        charts[f"{CHART_SCHEME}:{index}"] = chart_geometry(result)
        chart_url = f"{CHART_SCHEME}:{index}"
    elif svg:
        chart_url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    else:
        chart_url = ""
    sales = _sales(data)
    k1 = k1_context(result, data)
    return {
        "numbers": section_numbers([p["id"] for p in properties], sales is not None, bool(chart_url),
                                   has_k1=bool(k1)),
        "index": index, "year": result.tax_year, "account": data, "name": data["name"] or data["account_id"],
        "ein": data["ein"], "summary": _summary(result, data), "properties": properties,
        "part_v": [p for p in properties if p["debt_financed"]],
        "schedule_a": data["schedule_a"], "form": data["form_990t"], "nol": _nol(result, data),
        "tax": _tax(result, data), "payments": result.payments, "sales": sales,
        "chart": chart_url,
        "cite": CITE,
        "k1": k1,
    }


# The sections in the order they print; a property's section (and its subsections) follows the
# properties' order. Another section (an include in templates/statements/sections/) adds its key here.
SECTION_ORDER = ("summary", "properties", "sales", "k1", "nol", "tax", "chart")


def section_numbers(property_ids: list[str], has_sales: bool, has_chart: bool, has_k1: bool = False) -> dict:
    """{"summary": 1, "property": {id: 2, …}, "sales": n, …}: numbers that follow the properties."""
    numbers: dict = {"property": {}}
    number = 0
    for key in SECTION_ORDER:
        if key == "properties":
            for property_id in property_ids:
                number += 1
                numbers["property"][property_id] = number
            continue
        if (key == "sales" and not has_sales) or (key == "chart" and not has_chart) or (key == "k1" and not has_k1):
            continue
        number += 1
        numbers[key] = number
    return numbers


def render_html(results: list[AccountYear], chart: bool = True, charts: dict | None = None, spans: bool = True) -> str:
    """The statements as HTML; `spans`: form names and citations in no-break spans (the PDF layout
    joins them itself, `markup.no_break`)."""
    accounts = [statement_context(result, index, chart, charts) for index, result in enumerate(results)]
    html = _environment().get_template(TEMPLATE).render(accounts=accounts)
    return markup.keep_together(html) if spans else html


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

_SHEET: StyleSheet | None = None


def style_sheet() -> StyleSheet:
    global _SHEET
    if _SHEET is None:
        _SHEET = StyleSheet((STYLESHEET,))
    return _SHEET


def flowables(result: AccountYear) -> list:
    """The account's statements as platypus flowables (HTML from the templates, then converted)."""
    charts: dict = {}
    html = render_html([result], charts=charts, spans=False)
    return Converter(style_sheet(), pages.STATEMENTS.frame_width, charts).convert(parse(html))


def render_statements(result: AccountYear) -> bytes:
    """statements.pdf for one account and year."""
    name = result.account.get("name") or result.account_id
    return pages.render(flowables(result), pages.STATEMENTS,
                        f"Form 990-T {result.tax_year} supporting statements — {name}",
                        (name, result.account.get("ein") or "", result.tax_year))


def render_many(results: list[AccountYear]) -> list[bytes]:
    """statements.pdf for each of `results` (same order); each account is its own document."""
    return [render_statements(result) for result in results]
