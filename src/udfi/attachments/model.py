"""What an attached form's page shows: parts of rows, each row a line number, its caption and the
printed amount of each column. Builders fill it from the account object; one template prints it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from udfi.money import round_cents


@dataclass
class Row:
    line: str
    caption: str
    cells: dict[str, str] = field(default_factory=dict)
    kind: str = "line"          # line | total | heading | check
    checked: bool | None = None  # a checkbox line: ticked or not


@dataclass
class Part:
    id: str
    title: str
    columns: list[tuple[str, str]]   # (column id, heading); one unnamed column for single-amount parts
    rows: list[Row]
    note: str = ""
    kind: str = "lines"              # lines | sales (one row per sale) | properties (one column per item)
    wide_caption: bool = True


@dataclass
class FormPage:
    key: str            # schedule_d, form_8949, tax_worksheet, form_4797, form_2220
    form: str           # "Schedule D (Form 1041)"
    title: str
    tax_year: int
    status: str         # "Attach to Form 990-T." or why the page is a worksheet
    parts: list[Part]
    name: str
    ein: str
    notes: list[str] = field(default_factory=list)
    question: tuple[str, str] | None = None  # (question, answer) printed under the heading
    attached: bool = True


def dollars(value: Any, negative_in_parentheses: bool = True) -> str:
    """A whole-dollar form amount: 12,345; a loss as (12,345); None is a blank cell."""
    if value is None or value == "":
        return ""
    amount = int(value)
    text = f"{abs(amount):,}"
    return f"({text})" if amount < 0 and negative_in_parentheses else (f"-{text}" if amount < 0 else text)


def cents(value: Any) -> str:
    """An amount with cents: 1,234.56; a negative in parentheses; None is blank."""
    if value is None or value == "":
        return ""
    amount = round_cents(Decimal(value))
    text = f"{abs(amount):,.2f}"
    return f"({text})" if amount < 0 else text


def form_date(value: Any) -> str:
    """mm/dd/yyyy as the forms print dates; accepts ISO text or a date."""
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return day.strftime("%m/%d/%Y")


def lookup(data: dict, path: str) -> Any:
    """The value at a dotted path of the account object (`schedule_d.part_i.3`), None when absent."""
    node: Any = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node
