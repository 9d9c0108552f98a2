"""The dependency statements behind Schedule A Part V lines 3a, 3b, 4 and 5 ("attach statement").

One statement of each kind per Schedule A, holding a row per Part V property whose line is on the
return; each row carries the property's Part V line number. Whole-dollar rows add up to the Part V
line they support (largest-remainder rounding), so every total is the sum of the printed rows.

"Percent allocable to debt-financed income" (lines 3b, 4, 5 statements) is the share of the property
that is debt-financed property: 100 % here, because udfi's properties are wholly held for rent (no
exempt-function use, Reg. §1.514(b)-1(b)(1)); each statement's allocable amount then equals the Part V
line it supports [M: confirm the reading with the XSD documentation]. Line 6 applies the debt/basis
percentage afterwards.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from udfi.efile.details import Details, PropertyDetail
from udfi.efile.tree import Document, parse_path
from udfi.efile.values import element_text, whole_dollars

STATEMENT_FOR_LINE = {"3a": "StraightlineDepreciationSch", "3b": "DebtFinancedExpenseSchedule",
                      "4": "AvgAcquisDebtFincdPropSch", "5": "AdjBssAllcblDebtFincdPropSch"}
SHORT_ID = {"StraightlineDepreciationSch": "SLDepr", "DebtFinancedExpenseSchedule": "DFExpense",
            "AvgAcquisDebtFincdPropSch": "AvgDebt", "AdjBssAllcblDebtFincdPropSch": "AdjBasis"}


def statement_id(document: str, sequence: int) -> str:
    return f"{SHORT_ID[document]}-{sequence}"


def _dollars(amount: Decimal) -> int:
    return int(Decimal(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def allocate(amounts: list[Decimal], total: int) -> list[int]:
    """Whole dollars for `amounts` that add up to `total` (the rounded line): round each, then move the
    difference one dollar at a time onto the rows with the largest rounding remainders."""
    rounded = [_dollars(a) for a in amounts]
    difference = total - sum(rounded)
    if not amounts or difference == 0:
        return rounded
    step = 1 if difference > 0 else -1
    remainders = sorted(range(len(amounts)), key=lambda i: (-(Decimal(amounts[i]) - rounded[i]) * step, i))
    for position in range(abs(difference)):
        rounded[remainders[position % len(amounts)]] += step
    return rounded


def _years(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _line(prop: dict, line: str) -> int:
    return whole_dollars((prop.get("part_v") or {}).get(line, 0), f"Schedule A Part V line {line}")


def _depreciation_rows(prop: dict, detail: PropertyDetail | None, line_total: int) -> list[dict]:
    street = prop["efile"]["address"]["line1"]
    if detail is None or detail.depreciation_overridden or not detail.assets:
        note = " (depreciation.csv)" if detail is not None and detail.depreciation_overridden else ""
        return [{"PropertyDesc": f"{street}{note}", "AllowableDeprecExpenseAmt": line_total}]
    allowed = allocate([asset.for_year for asset in detail.assets], line_total)
    rows = []
    for asset, amount in zip(detail.assets, allowed):
        remaining = max(Decimal(0), asset.recovery_years * (asset.basis - asset.accumulated_end) / asset.basis)
        rows.append({
            "PropertyDesc": f"{street}: {asset.label}",
            "SalvageValueCostAmt": _dollars(asset.basis),
            "AcquiredYr": str(asset.placed_in_service_year),
            "UsefulLifeYearNum": _years(asset.recovery_years),
            "RemainingYearNum": _years(remaining.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
            "AnnualDeprecExpenseAmt": _dollars(asset.basis / asset.recovery_years),
            "AllowableDeprecExpenseAmt": amount,
        })
    return rows


def _put(document: Document, group: str, index: int, values: dict, field: str) -> None:
    for name, value in values.items():
        steps = ((group, index),) + parse_path(name)
        text = element_text(value, name.rsplit("/", 1)[-1], field, required=name.endswith(("Amt", "Pct")))
        if text is not None:
            document.set(steps, text)


def statements_for_silo(silo: dict, details: Details | None, reference, sequence: int,
                        lines_written: dict[str, set[int]]) -> list[Document]:
    """The statements this Schedule A refers to. `lines_written` says, per Part V line (3a, 3b, 4, 5),
    which property positions (0-based) have that line on the return."""
    by_id = (details.properties if details else {})
    documents = []
    for line, name in STATEMENT_FOR_LINE.items():
        positions = sorted(lines_written.get(line, set()))
        if not positions:
            continue
        document = Document(name, reference, {"documentId": statement_id(name, sequence)})
        total = 0
        row = 0
        for position in positions:
            prop = silo["properties"][position]
            detail = by_id.get(prop.get("property_id"))
            number = prop["efile"]["line_number"]
            amount = _line(prop, line)
            field = f"{name} property {prop.get('property_id')}"
            if line == "3a":
                for values in _depreciation_rows(prop, detail, amount):
                    _put(document, "StraightlineDepreciationGrp", row, {"PropertyLineNum": number, **values}, field)
                    row += 1
            elif line == "3b":
                expenses = list(detail.expenses) if detail else [("Other deductions", Decimal(amount))]
                group = {"PropertyLineNum": number}
                _put(document, "DebtFinancedExpenseGrp", row, group, field)
                for index, dollars in enumerate(allocate([value for _, value in expenses], amount)):
                    _put(document, "DebtFinancedExpenseGrp", row,
                         {f"ExpenseDescriptionGrp[{index}]/Desc": expenses[index][0],
                          f"ExpenseDescriptionGrp[{index}]/Amt": dollars}, field)
                _put(document, "DebtFinancedExpenseGrp", row,
                     {"PropertyTotalAmt": amount, "AllocableDebtFinancedIncomePct": "100",
                      "ExpensesAllocableAmt": amount}, field)
                row += 1
            elif line == "4":
                _put(document, "AvgAcquisDebtFincdPropGrp", row,
                     {"PropertyLineNum": number, "MonthlyAvgAcquisIndbtAmt": amount,
                      "AllocableDebtFinancedIncomePct": "100", "AvgAcquisDebtFincdPropAmt": amount}, field)
                row += 1
            else:
                values = {"PropertyLineNum": number, "PropertyDesc": prop["efile"]["address"]["line1"]}
                if detail is not None:
                    values.update({"BeginningAdjustedBasisAmt": _dollars(detail.basis_first_day),
                                   "EndingAdjustedBasisAmt": _dollars(detail.basis_last_day)})
                values.update({"AverageAdjustedBasisAmt": amount, "AllocableDebtFinancedIncomePct": "100",
                               "AdjBssAllcblDebtFincdPropAmt": amount})
                _put(document, "AdjBssAllcblDebtFincdPropGrp", row, values, field)
                row += 1
            total += amount
        total_element = {"3a": "TotalAllowableDeprecExpenseAmt", "3b": "TotalExpensesAllocableAmt",
                         "5": "TotalAdjustedBasisPropertyAmt"}.get(line)
        if total_element:
            document.set(((total_element, 0),), str(total))
        documents.append(document)
    return documents
