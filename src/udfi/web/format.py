"""Jinja filters for the pages: money as the forms print it, dates in words. Values arrive as the
account object's JSON (whole-dollar ints for form lines, 2-decimal strings for figures)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from udfi.money import format_dollars


def dollars(value) -> str:
    """A whole-dollar form line: 1234 → "$1,234", -50 → "($50)"."""
    if value is None or value == "":
        return ""
    text = format_dollars(Decimal(str(value))) or "0"
    return f"(${text[1:-1]})" if text.startswith("(") else f"${text}"


def money(value) -> str:
    """A figure in cents: "1234.5" → "$1,234.50"."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"(${-amount:,.2f})" if amount < 0 else f"${amount:,.2f}"


def percent(value) -> str:
    return "" if value in (None, "") else f"{value}%"


def long_date(value) -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day:%B} {day.day}, {day.year}"


def register_filters(app) -> None:
    app.jinja_env.filters.update(dollars=dollars, money=money, percent=percent, long_date=long_date)
