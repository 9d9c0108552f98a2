"""Schedule D (Form 1041) with Form 8949, and the §1(h) tax computation laid out as Schedule D Part V
or, when line 18b is positive, as the Schedule D Tax Worksheet of the instructions.

Every amount is the engine's: Schedule D's lines from the account object, Form 8949's rows as the
engine split them into boxes C and F, and the capital-gain tax from `AccountYear.form.capital_gain_tax`
(the bases taxed at 0/15/20/25/28% and the taxes). The lines between them are the form's own
arithmetic on those figures; a derived line that disagrees with the engine's figure raises
`AttachmentMismatch` — a page that does not foot is never printed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from udfi.attachments import layouts
from udfi.attachments.build import lines_part
from udfi.attachments.model import FormPage, Part, Row, dollars, form_date
from udfi.engine.compute import AccountYear
from udfi.engine.tax import trust_rate_tax
from udfi.money import ZERO, round_cents

ATTACH = "Attach to Form 990-T."
DEBT_FINANCED_NOTE = ("Every amount is the debt-financed (reportable) share of the sale: the gain times the highest "
                      "acquisition indebtedness of the 12 months before the sale divided by the year's average "
                      "adjusted basis (IRC §514(a)(1), §514(c)(7)); the computation is in the supporting statements.")


class AttachmentMismatch(RuntimeError):
    """A line the form derives from the engine's figures disagrees with the engine's own figure."""


def words(result: AccountYear) -> dict[str, Any]:
    """The year's values that captions print."""
    parameters = result.parameters
    return {"year": result.tax_year, "prior_year": result.tax_year - 1,
            "zero_rate_amount": f"{int(parameters.max_zero_rate_amount):,}",
            "fifteen_rate_amount": f"{int(parameters.max_15_rate_amount):,}",
            "top_24_amount": f"{int(parameters.top_of_24_percent_bracket):,}"}


def _same(line: str, derived: Decimal, engine: Decimal) -> None:
    if round_cents(Decimal(derived)) != round_cents(Decimal(engine)):
        raise AttachmentMismatch(f"Schedule D tax computation line {line}: the form's arithmetic gives {derived}, "
                                 f"the engine {engine}")


def uses_worksheet(data: dict) -> bool:
    """Part V is skipped for the Schedule D Tax Worksheet when line 18b (or 18c), column (2), is positive."""
    schedule = data["schedule_d"]
    return bool(schedule and schedule["part_iii"]["18b"] > 0)


def part_v_lines(result: AccountYear) -> dict[str, Decimal]:
    """Schedule D Part V, lines 21–45, from the engine's §1(h) computation (no 18b/18c gain)."""
    c = result.form.capital_gain_tax
    p = result.parameters
    lines: dict[str, Decimal] = {"21": c.taxable_income, "22": c.net_capital_gain, "23": ZERO, "25": ZERO}
    lines["24"] = lines["22"] + lines["23"]
    lines["26"] = max(lines["24"] - lines["25"], ZERO)
    lines["27"] = max(lines["21"] - lines["26"], ZERO)
    lines["28"] = min(lines["21"], p.max_zero_rate_amount)
    lines["29"] = min(lines["27"], lines["28"])
    lines["30"] = max(lines["28"] - lines["29"], ZERO)
    lines["31"] = min(lines["21"], lines["26"])
    lines["32"] = lines["31"] - lines["30"]
    lines["33"] = min(lines["21"], p.max_15_rate_amount)
    lines["34"] = lines["27"] + lines["30"]
    lines["35"] = max(lines["33"] - lines["34"], ZERO)
    lines["36"] = min(lines["32"], lines["35"])
    lines["38"] = lines["31"]
    lines["39"] = lines["30"] + lines["36"]
    lines["40"] = max(lines["38"] - lines["39"], ZERO)
    for line, engine in (("27", c.ordinary_base), ("30", c.zero_rate_base), ("36", c.fifteen_rate_base),
                         ("40", c.twenty_rate_base)):
        _same(line, lines[line], engine)
    lines["37"] = c.fifteen_rate_base * p.fifteen_rate
    lines["41"] = c.twenty_rate_base * p.twenty_rate
    lines["42"] = trust_rate_tax(c.ordinary_base, p)
    lines["43"] = c.alternative_tax
    lines["44"] = c.regular_tax
    lines["45"] = c.tax
    _same("43", lines["37"] + lines["41"] + lines["42"], c.alternative_tax)
    _same("45", min(lines["43"], lines["44"]), c.tax)
    return lines


def worksheet_lines(result: AccountYear, data: dict) -> dict[str, Decimal | None]:
    """The Schedule D Tax Worksheet from the engine's §1(h) computation; skipped lines are None."""
    c = result.form.capital_gain_tax
    p = result.parameters
    schedule = data["schedule_d"]["part_iii"]
    w: dict[str, Decimal | None] = {"1": c.taxable_income}
    for line in ("2", "3", "4", "5", "6", "8"):
        w[line] = ZERO  # no qualified dividends or investment interest election inside a Schedule A silo
    w["7"] = c.net_capital_gain
    w["9"] = max(w["7"] - w["8"], ZERO)
    w["10"] = w["6"] + w["9"]
    w["11"] = Decimal(schedule["18b"])  # + line 18c: no 28% rate gain from real property
    w["12"] = min(w["9"], w["11"])
    w["13"] = w["10"] - w["12"]
    w["14"] = max(w["1"] - w["13"], ZERO)
    w["15"] = min(w["1"], p.max_zero_rate_amount)
    w["16"] = min(w["14"], w["15"])
    w["17a"] = max(w["1"] - w["10"], ZERO)
    w["17b"] = min(w["1"], p.top_of_24_percent_bracket)
    w["17c"] = min(w["14"], w["17b"])
    w["18"] = max(w["17a"], w["17c"])
    w["19"] = w["15"] - w["16"]
    _same("18", w["18"], c.ordinary_base)
    _same("19", w["19"], c.zero_rate_base)
    skip_to_41 = w["1"] == w["15"]  # "If lines 1 and 15 are the same, skip lines 20 through 40"
    if not skip_to_41:
        w["20"] = min(w["1"], w["13"])
        w["21"] = w["19"]
        w["22"] = max(w["20"] - w["21"], ZERO)
        w["23"] = p.max_15_rate_amount
        w["24"] = min(w["1"], w["23"])
        w["25"] = w["18"] + w["19"]
        w["26"] = max(w["24"] - w["25"], ZERO)
        w["27"] = min(w["22"], w["26"])
        w["28"] = c.fifteen_rate_base * p.fifteen_rate
        w["29"] = w["21"] + w["27"]
        w["30"] = max(w["20"] - w["29"], ZERO)
        w["31"] = c.twenty_rate_base * p.twenty_rate
        w["32"] = min(w["9"], w["11"])
        w["33"] = w["10"] + w["18"]
        w["34"] = w["1"]
        w["35"] = max(w["33"] - w["34"], ZERO)
        w["36"] = max(w["32"] - w["35"], ZERO)
        w["37"] = c.unrecaptured_base * p.unrecaptured_1250_rate
        _same("27", w["27"], c.fifteen_rate_base)
        _same("30", w["30"], c.twenty_rate_base)
        _same("36", w["36"], c.unrecaptured_base)
        # Lines 38–40 only when Schedule D line 18c (28% rate gain) is positive: never for real property.
        _same("28% rate portion", ZERO, c.rate_28_base)
    w["41"] = trust_rate_tax(c.ordinary_base, p)
    w["42"] = c.alternative_tax
    w["43"] = c.regular_tax
    w["44"] = c.tax
    parts = [w.get(line) for line in ("28", "31", "37", "40")]
    _same("42", sum((value for value in parts if value is not None), ZERO) + w["41"], c.alternative_tax)
    _same("44", min(w["42"], w["43"]), c.tax)
    return w


def _box_totals(rows: list[dict]) -> dict[str, int]:
    """Form 8949 line 2: the totals of columns (d), (e) and (h) of the rows."""
    return {key: sum(int(row[key]) for row in rows) for key in ("proceeds", "cost_or_basis", "gain_or_loss")}


def schedule_d_page(result: AccountYear, data: dict) -> FormPage:
    layout = layouts.revision("schedule_d", result.tax_year)
    schedule = data["schedule_d"]
    extra: dict[str, Any] = {}
    for box in ("box_c", "box_f"):
        rows = schedule["form_8949"][box]
        if rows:
            totals = _box_totals(rows)
            extra[f"form_8949.{box}.total.proceeds"] = totals["proceeds"]
            extra[f"form_8949.{box}.total.cost_or_basis"] = totals["cost_or_basis"]
    with_part_v = result.form.capital_gain_tax is not None and not uses_worksheet(data)
    if with_part_v:
        extra.update({f"part_v.{line}": value for line, value in part_v_lines(result).items()})
    text = words(result)
    parts = [lines_part(spec, data, extra, text, when=lambda name: name != "part_v" or with_part_v)
             for spec in layout["parts"]]
    notes = [DEBT_FINANCED_NOTE]
    if result.form.capital_gain_tax is not None and uses_worksheet(data):
        notes.append("Part V is not completed: line 18b, column (2), is more than zero, so the tax on Form 990-T, "
                     "Part II, line 2 is figured on the Schedule D Tax Worksheet (kept with the records, "
                     "in these pages after Schedule D).")
    elif result.form.capital_gain_tax is None:
        notes.append("Part V is not completed: there is no net capital gain taxed at the capital-gain rates "
                     "(Form 990-T, Part II, line 2 uses the Tax Rate Schedule).")
    data_file = layouts.layout_file("schedule_d")
    return FormPage("schedule_d", data_file["form"], data_file["title"], result.tax_year, ATTACH, parts,
                    data["name"], data["ein"], notes, question=(layout["question"], "No"))


def form_8949_page(result: AccountYear, data: dict) -> FormPage | None:
    schedule = data["schedule_d"]
    spec = layouts.layout_file("form_8949")
    revision = layouts.revision("form_8949", result.tax_year)
    columns = list(spec["columns"].items())
    parts = []
    for box, part in spec["parts"].items():
        rows = schedule["form_8949"][f"box_{box.lower()}"]
        if not rows:
            continue
        printed = [Row("1" if index == 0 else "", "", {
            "description": row["description"], "acquired_on": form_date(row["acquired_on"]),
            "sold_on": form_date(row["sold_on"]), "proceeds": dollars(row["proceeds"]),
            "cost_or_basis": dollars(row["cost_or_basis"]), "code": "", "adjustment": "",
            "gain_or_loss": dollars(row["gain_or_loss"])}) for index, row in enumerate(rows)]
        totals = _box_totals(rows)
        printed.append(Row("2", spec["total_caption"].format(schedule_d_line=part["schedule_d_line"]), {
            "proceeds": dollars(totals["proceeds"]), "cost_or_basis": dollars(totals["cost_or_basis"]),
            "adjustment": "", "gain_or_loss": dollars(totals["gain_or_loss"])}, "total"))
        parts.append(Part(part["part"], f"{part['title']}. Box checked: {revision['boxes'][box]}", columns,
                          printed, kind="sales"))
    if not parts:
        return None
    return FormPage("form_8949", spec["form"], spec["title"], result.tax_year, spec["attach"], parts,
                    data["name"], data["ein"], [DEBT_FINANCED_NOTE])


def tax_worksheet_page(result: AccountYear, data: dict) -> FormPage | None:
    if result.form.capital_gain_tax is None or not uses_worksheet(data):
        return None
    layout = layouts.revision("tax_worksheet", result.tax_year)
    extra = {f"w.{line}": value for line, value in worksheet_lines(result, data).items()}
    text = words(result)
    parts = [lines_part(spec, data, extra, text) for spec in layout["parts"]]
    spec = layouts.layout_file("tax_worksheet")
    status = ("Worksheet — not attached to the return. It figures the tax on Form 990-T, Part II, line 2 when "
              "Schedule D line 18b, column (2), is more than zero; keep it with the records.")
    notes = ["If lines 1 and 15 are the same, lines 20 through 40 are skipped. Lines 38 through 40 apply only to "
             "28% rate gain (Schedule D line 18c), which real property does not produce. The tax lines are shown "
             "with cents; Form 990-T, Part II, line 2 carries line 44 in whole dollars "
             f"({dollars(data['form_990t']['part_ii']['2'])})."]
    return FormPage("tax_worksheet", spec["form"], spec["title"], result.tax_year, status, parts, data["name"],
                    data["ein"], notes, attached=False)
