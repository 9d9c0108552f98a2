"""Which form lines we fill, and their values for one account (the engine's account object).

Line keys are our own stable names for form lines ("part_i.11", "part_v.7.A"); each field-map YAML
maps them to the field names of one revision of the blank. See docs/return-json.md for the input.
"""

from __future__ import annotations

from decimal import Decimal

from udfi.money import format_dollars

F990T = "f990t"
F990TSA = "f990tsa"
FORMS = (F990T, F990TSA)

# Schedule A Part V has four property columns; more properties go on a continuation statement.
PART_V_COLUMNS = ("A", "B", "C", "D")
PART_V_AMOUNT_LINES = ("2", "3a", "3b", "3c", "4", "5", "7", "9")
PART_V_LINES = ("2", "3a", "3b", "3c", "4", "5", "6", "7", "9")
NOL_ROWS = 4  # Form 990-T Part IV line 5 has four rows (activity code, amount)
SEE_STATEMENT = "See attached statement"

F990T_LINE_KEYS: tuple[str, ...] = (
    "header.calendar_year",
    "header.name",
    "header.street",
    "header.city_state_zip",
    "header.B.408e",
    "header.B.408A",
    "header.D.ein",
    "header.G.401a_trust",
    "header.G.other_trust",
    "header.J.schedules_a",
    "header.L.books_in_care_of",
    "header.L.phone",
    *(f"part_i.{n}" for n in ("1", "3", "4", "5", "6", "7", "8", "9", "10", "11")),
    "part_ii.2",
    "part_ii.2.tax_rate_schedule",
    "part_ii.2.schedule_d",
    "part_ii.7",
    *(f"part_iii.{n}" for n in ("2", "4", "6a", "6b", "6c", "7", "8", "9", "10")),
    "part_iii.8.form_2220",
    "part_iv.4",
    *(f"part_iv.5.row{row}.{col}" for row in range(1, NOL_ROWS + 1) for col in ("activity_code", "amount")),
)

F990TSA_LINE_KEYS: tuple[str, ...] = (
    "header.A.name",
    "header.B.ein",
    "header.C.activity_code",
    "header.D.sequence",
    "header.D.of",
    "header.E.description",
    "part_i.4a.A",
    "part_i.4a.C",
    *(f"part_i.{n}.{c}" for n in ("7", "13") for c in ("A", "B", "C")),
    *(f"part_ii.{n}" for n in ("15", "16", "17", "18")),
    *(f"part_v.1.{c}" for c in PART_V_COLUMNS),
    *(f"part_v.{n}.{c}" for n in PART_V_LINES for c in PART_V_COLUMNS),
    "part_v.8",
    "part_v.10",
)

LINE_KEYS = {F990T: F990T_LINE_KEYS, F990TSA: F990TSA_LINE_KEYS}

# Check boxes are filled with this marker; the field map says which on-state it means.
CHECKED = True


def _amount(value) -> Decimal:
    # Form lines arrive as int whole dollars; Decimal/str tolerated, float refused (no binary money).
    if isinstance(value, float):
        raise TypeError(f"form line amount must be int or Decimal, not float: {value!r}")
    return Decimal(value) if not isinstance(value, Decimal) else value


def _dollars(value) -> str:
    return format_dollars(_amount(value), blank_zero=True)


def _percent(value) -> str:
    if value in (None, ""):
        return ""
    return str(Decimal(str(value)).quantize(Decimal("0.0001")))


def part_v_properties(account: dict) -> list[dict]:
    return [p for p in account.get("properties", []) if p.get("debt_financed")]


def needs_continuation(account: dict) -> bool:
    return len(part_v_properties(account)) > len(PART_V_COLUMNS)


def form_values(account: dict, tax_year: int) -> dict[str, dict[str, str | bool]]:
    """Line key → value per form. Text values are display strings; "" means leave blank."""
    address = account.get("address") or {}
    city_line = " ".join(
        part for part in (f"{address.get('city', '')}," if address.get("city") else "", address.get("state", ""), address.get("zip", "")) if part
    )
    exempt_under = account.get("exempt_under", "")
    org_type = account.get("organization_type", "")
    f990t_values: dict[str, str | bool] = {
        "header.name": account.get("name", ""),
        "header.street": address.get("street", ""),
        "header.city_state_zip": city_line,
        "header.D.ein": account.get("ein", ""),
        "header.J.schedules_a": "1",
        "header.L.books_in_care_of": account.get("books_in_care_of", ""),
        "header.L.phone": account.get("phone", ""),
    }
    # Item B: a solo 401(k) trust is exempt under 501(a) as a 401(a) trust, so no B box applies.
    if exempt_under == "408(e)":
        f990t_values["header.B.408e"] = CHECKED
    elif exempt_under == "408A":
        f990t_values["header.B.408A"] = CHECKED
    if org_type == "401a_trust":
        f990t_values["header.G.401a_trust"] = CHECKED
    elif org_type == "other_trust":
        f990t_values["header.G.other_trust"] = CHECKED

    lines = account["form_990t"]
    for part in ("part_i", "part_ii", "part_iii"):
        for line, amount in lines.get(part, {}).items():
            f990t_values[f"{part}.{line}"] = _dollars(amount)
    # Part II line 2: "Income tax on the amount on Part I, line 11 from: Tax rate schedule or Schedule D"
    method = account.get("tax_computation_method")
    if method in ("tax_rate_schedule", "schedule_d"):
        f990t_values[f"part_ii.2.{method}"] = CHECKED
    # Part III line 8: "Check if Form 2220 is attached" only when the form must be attached.
    if account.get("form_2220_attached"):
        f990t_values["part_iii.8.form_2220"] = CHECKED
    part_iv = lines.get("part_iv", {})
    if "4" in part_iv:
        f990t_values["part_iv.4"] = _dollars(part_iv["4"])
    nol_rows = [row for row in part_iv.get("5", []) if _dollars(row.get("amount", 0))]
    if len(nol_rows) > NOL_ROWS:
        raise ValueError(f"Form 990-T Part IV line 5 has {NOL_ROWS} rows; got {len(nol_rows)} activity codes")
    for row_number, row in enumerate(nol_rows, start=1):
        f990t_values[f"part_iv.5.row{row_number}.activity_code"] = str(row.get("activity_code", ""))
        f990t_values[f"part_iv.5.row{row_number}.amount"] = _dollars(row["amount"])

    schedule = account["schedule_a"]
    sa_values: dict[str, str | bool] = {
        "header.A.name": account.get("name", ""),
        "header.B.ein": account.get("ein", ""),
        "header.C.activity_code": str(account.get("activity_code", "")),
        "header.D.sequence": "1",
        "header.D.of": "1",
        "header.E.description": account.get("activity_description", ""),
    }
    part_i = schedule.get("part_i", {})
    # Line 4a is one amount: income column (A) and net column (C); (B) is not used for a gain.
    sa_values["part_i.4a.A"] = _dollars(part_i.get("4a", 0))
    sa_values["part_i.4a.C"] = _dollars(part_i.get("4a", 0))
    for line in ("7", "13"):
        for column in ("A", "B", "C"):
            sa_values[f"part_i.{line}.{column}"] = _dollars(part_i.get(f"{line}{column.lower()}", 0))
    for line, amount in schedule.get("part_ii", {}).items():
        sa_values[f"part_ii.{line}"] = _dollars(amount)
    for line, amount in schedule.get("part_v", {}).items():
        sa_values[f"part_v.{line}"] = _dollars(amount)

    properties = part_v_properties(account)
    overflow = len(properties) > len(PART_V_COLUMNS)
    direct = properties[:3] if overflow else properties
    for column, prop in zip(PART_V_COLUMNS, direct):
        sa_values[f"part_v.1.{column}"] = prop.get("description", "")
        for line in PART_V_AMOUNT_LINES:
            sa_values[f"part_v.{line}.{column}"] = _dollars(prop["part_v"].get(line, 0))
        sa_values[f"part_v.6.{column}"] = _percent(prop["part_v"].get("6"))
    if overflow:
        # Column D carries the sum of the remaining properties; each is itemised on the statement.
        rest = properties[3:]
        sa_values["part_v.1.D"] = SEE_STATEMENT
        for line in PART_V_AMOUNT_LINES:
            sa_values[f"part_v.{line}.D"] = _dollars(sum(_amount(p["part_v"].get(line, 0)) for p in rest))
        sa_values["part_v.6.D"] = ""  # a percentage of a sum of properties means nothing
    return {F990T: f990t_values, F990TSA: sa_values}
