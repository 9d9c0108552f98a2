"""The account object of `udfi compute --format json` and `return.json` (contract: docs/return-json.md)."""

from __future__ import annotations

from udfi.engine.compute import AccountYear
from udfi.engine.property_year import PropertyYear
from udfi.engine.report_silos import k1_object, nol_by_origin, nol_by_silo, schedules_a
from udfi.engine.return_header import return_header
from udfi.engine.schedule_a import part_v_column
from udfi.money import money_str, percent_str
from udfi import parameters as parameter_store


def _text(value) -> str:
    return "" if value is None or value != value else str(value)  # NaN-safe


def property_object(column: PropertyYear) -> dict:
    facts = column.facts
    disposition = None
    if column.disposition is not None:
        sale = column.disposition
        disposition = {
            "date": sale.date.isoformat(), "amount_realized": money_str(sale.amount_realized),
            "adjusted_basis": money_str(sale.adjusted_basis), "gain": money_str(sale.gain),
            "window_start": sale.window_start.isoformat(),
            "highest_acquisition_indebtedness": money_str(sale.highest_acquisition_indebtedness),
            "highest_on": sale.highest_on.isoformat(), "percentage": percent_str(sale.ratio),
            "gain_reportable": money_str(sale.gain_reportable),
            "accumulated_depreciation": money_str(sale.accumulated_depreciation),
            "unrecaptured_1250_reportable": money_str(sale.unrecaptured_1250_reportable),
            "acquired_on": sale.acquired_on.isoformat(), "holding_period": sale.holding_period,
            "use": sale.use, "character": sale.character,
            "amount_realized_reportable": money_str(sale.amount_realized_reportable),
            "depreciation_reportable": money_str(sale.depreciation_reportable),
            "adjusted_basis_reportable": money_str(sale.amount_realized_reportable - sale.gain_reportable),
        }
    return {
        "property_id": facts.property_id, "description": facts.description, "property_type": facts.property_type,
        "debt_financed": column.debt_financed, "months_held": column.months_held,
        "first_day_held": column.first_day_held.isoformat(), "last_day_held": column.last_day_held.isoformat(),
        "average_acquisition_indebtedness": money_str(column.average_acquisition_indebtedness),
        "average_adjusted_basis": money_str(column.average_adjusted_basis),
        "debt_basis_percentage": percent_str(column.ratio),
        "gross_income": money_str(column.gross_income),
        "straight_line_depreciation": money_str(column.straight_line_depreciation),
        "other_deductions": money_str(column.other_deductions),
        "gross_income_reportable": money_str(column.gross_income_reportable),
        "allocable_deductions": money_str(column.allocable_deductions),
        "acquisition_indebtedness_excluded_514c9": column.acquisition_indebtedness_excluded,
        "disposition": disposition,
        "part_v": part_v_column(column),
    }


def form_2220_object(form) -> dict | None:
    """Form 2220 by line number: a line with columns is {"a": …, "d": …} (a greyed cell is left out);
    Part IV is a list of columns, one per installment or per part of one paid in pieces."""
    if form is None:
        return None

    def columns(values) -> dict:
        return {letter: (value.isoformat() if hasattr(value, "isoformat") else value)
                for letter, value in zip("abcd", values) if value is not None}

    lines = {"1": form.line_1, "2a": form.line_2a, "2b": form.line_2b, "2c": form.line_2c, "2d": form.line_2d,
             "3": form.line_3, "4": form.line_4, "5": form.line_5, "8": form.line_8}
    lines.update({str(number): columns(getattr(form, f"line_{number}")) for number in range(9, 19)})
    part_iv = []
    for column in form.part_iv:
        entry = {"19": column.line_19.isoformat(), "20": column.line_20, "37": column.line_37}
        entry.update({str(number): column.line(number) for number in range(21, 37)})
        part_iv.append(entry)
    return {**lines, "part_iv": part_iv, "38": form.line_38}


def form_2220_details(form) -> dict | None:
    """What the Form 2220 lines do not say: whether a penalty applies, whether the form is attached,
    why line 4 was skipped, each Part IV column's installment and the rate of each period."""
    if form is None:
        return None
    return {
        "penalty": form.penalty, "required": form.required, "must_attach": form.must_attach,
        "explanation": form.explanation, "line_4_skipped": form.line_4_skipped,
        "part_iv_columns": [{"column": column.column, "installment": column.installment, "ended_by": column.ended_by}
                            for column in form.part_iv],
        "rate_periods": [{"caption": period.caption, "rate": None if period.rate is None else str(period.rate),
                          "reference": period.reference} for period in form.rate_periods],
        "references": list(form.references),
    }


def account_object(result: AccountYear) -> dict:
    account = result.account
    schedule = result.schedule
    form = result.form
    account_type = account["account_type"]
    properties = [property_object(column) for column in result.property_years]
    silos = result.silos
    header = return_header(result)  # items B, C, G, K and Part IV; every line in the year's own numbering
    return {
        "account_id": account["account_id"], "account_type": account_type,
        "name": _text(account.get("name")), "ein": _text(account.get("ein")),
        "address": {key: _text(account.get(key)) for key in ("street", "city", "state", "zip")},
        "books_in_care_of": _text(account.get("books_in_care_of")), "phone": _text(account.get("phone")),
        "exempt_under": header.exempt_under, "organization_type": header.organization_type,
        "activity_code": result.settings.activity_code,
        # the investment-activities Schedule A's item E (named for its qualifying partnership interests too)
        "activity_description": silos.investment.description if silos else result.settings.activity_description,
        "must_file": result.must_file,
        "gross_unrelated_income": money_str(result.gross_unrelated_income),
        "filing_threshold": money_str(result.parameters.filing_threshold),
        "due_date": result.due_date.isoformat(), "extended_due_date": result.extended_due_date.isoformat(),
        "flags": list(result.flags) + header.flags,
        "properties": properties,
        "schedule_a": schedule.as_lines(),
        "schedules_a": schedules_a(silos, properties),
        "k1s": [k1_object(item, silos) for item in result.k1s],
        "k1_gross_income": money_str(result.k1_gross_income),
        # Part II line 2 "from: Tax rate schedule or Schedule D (Form 1041)"; none when line 11 is zero
        "tax_computation_method": (None if form.ubti == 0 else
                                   "schedule_d" if form.capital_gain_tax is not None else "tax_rate_schedule"),
        "form_990t": header.form_990t,
        "form_990t_items": header.items,
        "form_2220": form_2220_object(form.form_2220),
        "form_2220_details": form_2220_details(form.form_2220),
        "form_2220_attached": bool(form.form_2220 is not None and form.form_2220.must_attach),
        "form_4797": None if schedule.form_4797 is None else schedule.form_4797.as_lines(),
        "schedule_d": None if schedule.schedule_d is None else schedule.schedule_d.as_lines(),
        "nol_carryover": {
            "post2017_in": money_str(schedule.nol_in), "post2017_used": money_str(schedule.line_17),
            "post2017_generated": money_str(schedule.nol_generated), "post2017_out": money_str(schedule.nol_out),
            "post2017_limit": None if schedule.nol_limit is None else money_str(schedule.nol_limit),
            "pre2018_in": money_str(form.pre2018_in), "pre2018_used": money_str(form.pre2018_used),
            "pre2018_out": money_str(schedule.carry_out.pre2018_nol),
            "pre2018_expired": money_str(schedule.nol.expired),
            "by_origin": nol_by_origin(silos, result.tax_year),
        },
        "nol_by_silo": nol_by_silo(silos, result.tax_year),
        "capital_loss_carryover": {
            "in": money_str(schedule.capital_loss_carryover_in), "out": money_str(schedule.capital_loss_carryover_out),
            "short_term_in": money_str(schedule.carry_in.short_term_capital_loss),
            "long_term_in": money_str(schedule.carry_in.long_term_capital_loss),
            "short_term_out": money_str(schedule.carry_out.short_term_capital_loss),
            "long_term_out": money_str(schedule.carry_out.long_term_capital_loss),
        },
        "section_1231_losses": {
            "nonrecaptured_in": [{"year": year, "amount": money_str(amount)}
                                 for year, amount in schedule.carry_in.section_1231_losses],
            "nonrecaptured_out": [{"year": year, "amount": money_str(amount)}
                                  for year, amount in schedule.carry_out.section_1231_losses],
        },
        "first_year_rolled_forward": result.first_year,
        "estimated_tax_due_dates": [day.isoformat() for day in result.estimated_tax_due_dates],
    }


def compute_document(results: list[AccountYear], tax_year: int) -> dict:
    return account_document([account_object(result) for result in results], tax_year)


def account_document(accounts: list[dict], tax_year: int) -> dict:
    """`udfi compute --format json`'s document around the account objects (docs/return-json.md)."""
    return {"tax_year": tax_year, "parameters": parameter_store.for_year(tax_year).references, "accounts": accounts}
