"""Which form lines we fill, and their values for one account (the engine's account object).

Line keys are our own stable names for form lines ("part_i.11", "part_v.7.A"); each field-map YAML
maps them to the field names of one revision of the blank. See docs/return-json.md for the input.
"""

from __future__ import annotations

from decimal import Decimal

from udfi.forms.layouts import load_layout
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

YES_NO = ("yes", "no")

F990T_LINE_KEYS: tuple[str, ...] = (
    "header.name",
    "header.street",
    "header.city_state_zip",
    "header.B.501",
    "header.B.501.first",
    "header.B.408e",
    "header.B.408A",
    "header.C.book_value",
    "header.D.ein",
    "header.G.401a_trust",
    "header.G.other_trust",
    "header.J.schedules_a",
    "header.K.yes",
    "header.K.no",
    "header.K.parent",
    "header.L.books_in_care_of",
    "header.L.phone",
    *(f"part_i.{n}" for n in ("1", "3", "4", "5", "6", "7", "8", "9", "10", "11")),
    "part_ii.2",
    "part_ii.2.tax_rate_schedule",
    "part_ii.2.schedule_d",
    "part_ii.7",
    *(f"part_iii.{n}" for n in ("2", "4", "6a", "6b", "6c", "7", "8", "9", "10")),
    "part_iii.8.form_2220",
    "part_iv.1.yes",
    "part_iv.1.no",
    "part_iv.1.country",
    "part_iv.2.yes",
    "part_iv.2.no",
    "part_iv.3",
    "part_iv.4",
    *(f"part_iv.5.row{row}.{col}" for row in range(1, NOL_ROWS + 1) for col in ("activity_code", "amount")),
    # The change-in-accounting-method question: lines 4a/4b on the 2020 revision, 6a/6b in 2021-2022.
    *(f"part_iv.{line}.{answer}" for line in ("4a", "4b", "6a", "6b") for answer in YES_NO),
)

F990TSA_LINE_KEYS: tuple[str, ...] = (
    "header.A.name",
    "header.B.ein",
    "header.C.activity_code",
    "header.D.sequence",
    "header.D.of",
    "header.E.description",
    *(f"part_i.{n}.{c}" for n in ("4a", "4b", "4c", "5") for c in ("A", "C")),
    *(f"part_i.{n}.{c}" for n in ("7", "13") for c in ("A", "B", "C")),
    *(f"part_ii.{n}" for n in ("15", "16", "17", "18")),
    *(f"part_v.1.{c}" for c in PART_V_COLUMNS),
    *(f"part_v.{n}.{c}" for n in PART_V_LINES for c in PART_V_COLUMNS),
    "part_v.8",
    "part_v.10",
)

LINE_KEYS = {F990T: F990T_LINE_KEYS, F990TSA: F990TSA_LINE_KEYS}


def fill_keys(form: str, tax_year: int) -> tuple[str, ...]:
    """The line keys udfi fills on `tax_year`'s revision of `form`: those its layout has."""
    layout = load_layout(form, tax_year)
    return tuple(key for key in LINE_KEYS[form] if key in layout.lines)

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


def _header_items(account: dict) -> dict:
    """Items B, C, G, K of the account object; an account object from before form_990t_items (a saved
    return.json) still has exempt_under / organization_type."""
    items = (account.get("form_990t_items") or {}).get("header")
    if items is not None:
        return items
    return {"B": account.get("exempt_under", ""), "G": account.get("organization_type", "")}


def _item_values(account: dict) -> dict[str, str | bool]:
    header = _header_items(account)
    values: dict[str, str | bool] = {}
    # Item B: the box of the section the account is exempt under; a §401(a) trust (Solo 401(k)) is exempt
    # under §501(a): the 501 box with "a" in its first parentheses.
    exempt_under = header.get("B")
    if exempt_under == "408(e)":
        values["header.B.408e"] = CHECKED
    elif exempt_under == "408A":
        values["header.B.408A"] = CHECKED
    elif exempt_under == "501(a)":
        values["header.B.501"] = CHECKED
        values["header.B.501.first"] = "a"
    if header.get("C") is not None:
        values["header.C.book_value"] = _dollars(header["C"])
    if header.get("G") == "401a_trust":
        values["header.G.401a_trust"] = CHECKED
    elif header.get("G") == "other_trust":
        values["header.G.other_trust"] = CHECKED
    if header.get("K") is not None:
        values[f"header.K.{'yes' if header['K'] else 'no'}"] = CHECKED
        values["header.K.parent"] = header.get("K.parent", "") if header["K"] else ""
    part_iv = (account.get("form_990t_items") or {}).get("part_iv", {})
    for line, answer in part_iv.items():
        if line.endswith(".country"):
            values[f"part_iv.{line}"] = answer or ""
        elif isinstance(answer, bool):  # a question: its Yes or its No box; None leaves both blank
            values[f"part_iv.{line}.{'yes' if answer else 'no'}"] = CHECKED
        elif answer is not None:
            values[f"part_iv.{line}"] = _dollars(answer)
    return values


def form_values(account: dict, tax_year: int) -> dict[str, dict[str, str | bool]]:
    """Line key → value per form. Text values are display strings; "" means leave blank.

    `account` is an account object in `tax_year`'s own line numbers (as `udfi.engine.report` builds it)."""
    address = account.get("address") or {}
    city_line = " ".join(
        part for part in (f"{address.get('city', '')}," if address.get("city") else "", address.get("state", ""), address.get("zip", "")) if part
    )
    f990t_values: dict[str, str | bool] = {
        "header.name": account.get("name", ""),
        "header.street": address.get("street", ""),
        "header.city_state_zip": city_line,
        "header.D.ein": account.get("ein", ""),
        "header.J.schedules_a": str(len(schedule_a_entries(account))),
        "header.L.books_in_care_of": account.get("books_in_care_of", ""),
        "header.L.phone": account.get("phone", ""),
        **_item_values(account),
    }
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

    return {F990T: f990t_values, F990TSA: schedules_a_values(account)[0]}


def schedule_a_entries(account: dict) -> list[dict]:
    """Every Schedule A of the return, in sequence: the account object's `schedules_a` (one per unrelated
    trade or business, Treas. Reg. §1.512(a)-6); an account object without it (a return.json saved before
    issue #14) has the one investment-activities Schedule A."""
    entries = account.get("schedules_a")
    if entries:
        return list(entries)
    return [{"sequence": 1, "sequence_total": 1, "activity_code": account.get("activity_code", ""),
             "activity_description": account.get("activity_description", ""),
             "schedule_a": account["schedule_a"], "properties": part_v_properties(account)}]


def schedules_a_values(account: dict) -> list[dict[str, str | bool]]:
    """Line key → value of each Schedule A in sequence (item D "sequence n of N")."""
    entries = schedule_a_entries(account)
    return [_schedule_a_values(account, entry, len(entries)) for entry in entries]


def _schedule_a_values(account: dict, entry: dict, total: int) -> dict[str, str | bool]:
    schedule = entry["schedule_a"]
    sa_values: dict[str, str | bool] = {
        "header.A.name": account.get("name", ""),
        "header.B.ein": account.get("ein", ""),
        "header.C.activity_code": str(entry.get("activity_code", "")),
        "header.D.sequence": str(entry["sequence"]),
        "header.D.of": str(total),
        "header.E.description": entry.get("activity_description", ""),
    }
    part_i = schedule.get("part_i", {})
    # Lines 4a-4c and 5 are single amounts: in the income column (A) and the net column (C); (B) is greyed.
    for line in ("4a", "4b", "4c", "5"):
        sa_values[f"part_i.{line}.A"] = _dollars(part_i.get(line, 0))
        sa_values[f"part_i.{line}.C"] = _dollars(part_i.get(line, 0))
    for line in ("7", "13"):
        for column in ("A", "B", "C"):
            sa_values[f"part_i.{line}.{column}"] = _dollars(part_i.get(f"{line}{column.lower()}", 0))
    for line, amount in schedule.get("part_ii", {}).items():
        sa_values[f"part_ii.{line}"] = _dollars(amount)
    for line, amount in schedule.get("part_v", {}).items():
        sa_values[f"part_v.{line}"] = _dollars(amount)

    properties = [item for item in entry.get("properties", []) if item.get("debt_financed")]
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
    return sa_values
