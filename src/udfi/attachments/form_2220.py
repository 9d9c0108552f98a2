"""Form 2220, Underpayment of Estimated Tax by Corporations, laid out from the engine's `form_2220`
and `form_2220_details` (docs/return-json.md). The penalty goes on Form 990-T, Part III, line 8 in any
case; the form itself is attached only when a Part II box applies (`must_attach`), so otherwise the
page is labelled a worksheet.

Part IV prints each period's penalty with cents, as the engine keeps it, and line 37 as the exact sum
to the cent (the instructions' rule: round only the total); line 38 is the engine's whole dollars."""

from __future__ import annotations

from decimal import Decimal

from udfi.attachments import layouts
from udfi.attachments.build import printed, source_value
from udfi.attachments.layouts import caption
from udfi.attachments.model import FormPage, Part, Row, cents, dollars, form_date
from udfi.attachments.schedule_d import words
from udfi.engine.compute import AccountYear
from udfi.money import round_cents

COLUMNS = ("a", "b", "c", "d")


def wanted(data: dict) -> bool:
    """The page is in the package when a penalty is owed or the form must be attached."""
    details = data.get("form_2220_details")
    return bool(details and (details["penalty"] or details["must_attach"]))


def _status(data: dict) -> tuple[str, bool]:
    details = data["form_2220_details"]
    if details["must_attach"]:
        return "Attach to Form 990-T: a Part II box applies, so the form must be filed.", True
    return (f"Worksheet — not attached to the return. The penalty of ${details['penalty']:,} is entered on Form 990-T, "
            "Part III, line 8; Form 2220 is filed only when a Part II box applies (Instructions for Form 2220).",
            False)


def _part_i(spec: dict, data: dict, text: dict) -> Part:
    details = data["form_2220_details"]
    rows = []
    for line in spec["lines"]:
        value = source_value(line.get("value"), data, {})
        label = caption(line["caption"], text)
        if line["line"] == "4" and value is None and details.get("line_4_skipped"):
            label += f" — skipped: {details['line_4_skipped']}"
        rows.append(Row(line["line"], label, {"amount": printed(value, line)}, "total" if line.get("adds") else "line"))
    return Part("I", f"Part I — {spec['title']}", [("amount", "")], rows)


def _part_ii(spec: dict, data: dict) -> Part:
    rows = []
    for line in spec["lines"]:
        check = line["check"]
        ticked = bool(source_value(check, data, {})) if isinstance(check, str) else bool(check)
        rows.append(Row(line["line"], line["caption"], {"amount": "X" if ticked else ""}, "check", ticked))
    return Part("II", f"Part II — {spec['title']}", [("amount", "")], rows)


def _part_iii(spec: dict, data: dict) -> Part:
    columns = [(column, f"({column})") for column in COLUMNS]
    rows = []
    for line in spec["lines"]:
        values = source_value(line["value"], data, {}) or {}
        cells = {column: (form_date(values[column]) if line.get("date") else dollars(values[column]))
                 for column in COLUMNS if column in values}
        rows.append(Row(line["line"], line["caption"], cells, "total" if line.get("adds") else "line"))
    return Part("III", f"Part III — {spec['title']}", columns, rows)


def _part_iv(spec: dict, data: dict, result: AccountYear) -> Part:
    details = data["form_2220_details"]
    entries = data["form_2220"]["part_iv"]
    engine_columns = result.form.form_2220.part_iv if result.form.form_2220 is not None else ()
    labels = []
    for index, info in enumerate(details["part_iv_columns"]):
        same = [item for item in details["part_iv_columns"] if item["column"] == info["column"]]
        part = f", part {same.index(info) + 1}" if len(same) > 1 else ""
        labels.append((str(index), f"({info['column']}){part}"))
    periods = details["rate_periods"]
    rows = []
    for line in spec["lines"]:
        if "period" in line:
            period = periods[line["period"] - 1]
            days, penalty = line["days"], line["penalty"]
            rows.append(Row(days, period["caption"], {key: str(entry[days]) for (key, _), entry in zip(labels, entries)}))
            rate = "the period's rate (not needed: no day falls in it)" if period["rate"] is None else \
                f"{Decimal(period['rate']) * 100:.0f}% ({period['rate']})"
            divisor = next((column.divisors[line["period"] - 1] for column in engine_columns), 365)
            label = spec["penalty_caption"].format(days=days, rate=rate, divisor=divisor)
            cells = {key: cents(column.penalties[line["period"] - 1])
                     for (key, _), column in zip(labels, engine_columns)}
            rows.append(Row(penalty, label, cells))
        elif line["line"] == "37":
            cells = {key: cents(round_cents(column.line_37_exact)) for (key, _), column in zip(labels, engine_columns)}
            rows.append(Row("37", line["caption"], cells, "total"))
        else:
            number = line["line"]
            cells = {key: (form_date(entry[number]) if line.get("date") else str(entry[number]))
                     for (key, _), entry in zip(labels, entries)}
            rows.append(Row(number, line["caption"], cells))
    return Part("IV", f"Part IV — {spec['title']}", labels, rows, kind="properties")


def _line_19_note(data: dict, result: AccountYear) -> str:
    """What ends each column's penalty period (line 19), and the columns Part IV leaves out."""
    columns = data["form_2220_details"]["part_iv_columns"]
    computed = result.form.form_2220
    end = computed.penalty_period_end if computed is not None else None
    text = ("Line 19: the earlier of the day the underpayment is paid and "
            + (f"{form_date(end)}, " if end else "")
            + "the 15th day of the 5th month after the year for Form 990-T filers (IRC §6655(g)(3)).")
    if any(column["ended_by"] == "balance paid" for column in columns):
        text += (f" The balance still unpaid is taken as paid with the return on {form_date(result.due_date)}"
                 "; paid later, the penalty is larger and must be refigured.")
    shown = {column["column"] for column in columns}
    left_out = [f"({column})" for column in COLUMNS if column not in shown]
    if columns and left_out:
        text += f" Column{'s' if len(left_out) > 1 else ''} {', '.join(left_out)} had no underpayment and " \
                f"{'are' if len(left_out) > 1 else 'is'} left out of Part IV."
    return text


def form_2220_page(result: AccountYear, data: dict) -> FormPage | None:
    if not wanted(data) or data["form_2220"] is None:
        return None
    spec = layouts.layout_file("form_2220")
    revision = layouts.revision("form_2220", result.tax_year)
    text = words(result)
    status, attached = _status(data)
    parts = [_part_i(revision["part_i"], data, text), _part_ii(revision["part_ii"], data),
             _part_iii(revision["part_iii"], data)]
    if data["form_2220"]["part_iv"]:
        parts.append(_part_iv(revision["part_iv"], data, result))
    total = revision["part_iv"]["total"]
    parts.append(Part("38", "", [("amount", "")],
                      [Row(total["line"], total["caption"], {"amount": dollars(source_value(total["value"], data, {}))},
                           "total")]))
    details = data["form_2220_details"]
    exact = result.form.form_2220.required_installments if result.form.form_2220 is not None else ()
    notes = [details["explanation"]]
    if exact and any(amount != int(amount) for amount in exact):
        notes.append("Line 10 is shown in whole dollars; each required installment is "
                     + ", ".join(f"${cents(amount)}" for amount in exact)
                     + " exactly, and Part IV figures the penalty on the unrounded underpayments.")
    notes += [_line_19_note(data, result),
             "A trust subject to the section 511 tax figures estimated tax as a corporation does (IRC §6655(g)(3)). "
             "Amounts in Part IV are shown with cents and only totals are rounded.",
             "Rates: " + "; ".join(f"{period['caption'].replace('Number of days on line 20 ', '')}: "
                                   f"{Decimal(period['rate']) * 100:.0f}% ({period['reference']})"
                                   for period in details["rate_periods"] if period["rate"] is not None) + "."]
    return FormPage("form_2220", spec["form"], spec["title"], result.tax_year, status, parts, data["name"],
                    data["ein"], notes, attached=attached)
