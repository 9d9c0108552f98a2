"""Reading the account object by map key, and writing a value the way its MeF element takes it.

Keys: dotted paths into the account object; `name[]` walks a list, `key=value` and `key?` are
indicators (see the map files). Element kinds follow the MeF naming convention of the element's last
word: …Amt whole dollars, …Ind "X", …Dt ISO date, …Pct a ratio (69.2172 % → 0.692172), …Cnt/Num/Yr/Qty
integers, everything else text checked against schemas/efile/types.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from udfi.efile.data import value_type

CHECKED = "X"
RATIO_PLACES = Decimal("0.000001")  # 4 decimals of a percent [M: the XSD sets the decimals a ratio may carry]


class EfileValueError(Exception):
    """A value the XML cannot carry. `field` names the input (file and column, or the line)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@lru_cache(maxsize=4096)  # map keys: a few hundred, looked up for every return
def _segments(key: str) -> tuple[tuple[str, bool], ...]:
    return tuple((part[:-2], True) if part.endswith("[]") else (part, False) for part in key.split("."))


def lookup(obj, key: str) -> list[tuple[tuple[int, ...], object]]:
    """Every (list indices, value) the key reaches; an absent or null step reaches nothing."""
    found: list[tuple[tuple[int, ...], object]] = [((), obj)]
    for name, walk in _segments(key):
        step = []
        for indices, value in found:
            if not isinstance(value, dict) or value.get(name) is None:
                continue
            child = value[name]
            if walk:
                if isinstance(child, list):
                    step.extend((indices + (position,), item) for position, item in enumerate(child)
                                if item is not None)
            else:
                step.append((indices, child))
        found = step
    return found


@lru_cache(maxsize=4096)  # element names: a few hundred
def element_kind(element_name: str) -> str:
    for suffix, kind in (("Amt", "amount"), ("Ind", "indicator"), ("Dt", "date"), ("Pct", "ratio"),
                         ("Cnt", "integer"), ("Num", "integer"), ("Yr", "integer"), ("Qty", "integer")):
        if element_name.endswith(suffix):
            return kind
    return "text"


def whole_dollars(value, field: str) -> int:
    """A form line as whole dollars: int as is; Decimal or a money string rounded half-up; never float."""
    if isinstance(value, bool) or isinstance(value, float):
        raise EfileValueError(field, f"expected whole dollars (int), not {type(value).__name__}")
    if isinstance(value, int):
        return value
    try:
        return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        raise EfileValueError(field, "expected an amount in whole dollars") from None


def ratio_text(percent, field: str) -> str:
    """The engine's percentage string ("69.2172") as the MeF ratio ("0.692172")."""
    try:
        ratio = (Decimal(str(percent)) / 100).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise EfileValueError(field, "expected a percentage") from None
    return format(ratio, "f")


def check_text(text: str, element_name: str, field: str) -> str:
    kind = value_type(element_name)
    if kind is None:
        return text
    if len(text) > kind.max:
        raise EfileValueError(field, f"{len(text)} characters is too long; expected {kind.expected}")
    if not kind.pattern.fullmatch(text):
        bad = sorted({ch for ch in text if not kind.pattern.fullmatch(ch) and not ch.isalnum()} - {" "})
        what = f"unsupported character(s) {' '.join(repr(ch) for ch in bad)}" if bad else "not in the expected form"
        raise EfileValueError(field, f"{what}; expected {kind.expected}")
    return text


def element_text(value, element_name: str, field: str, required: bool = False) -> str | None:
    """The element's text for `value`, or None when the element is left out (zero optional amount,
    false indicator, empty text)."""
    kind = element_kind(element_name)
    if kind == "amount":
        dollars = whole_dollars(value, field)
        return str(dollars) if dollars or required else None
    if kind == "indicator":
        return CHECKED if value else None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise EfileValueError(field, f"expected an ISO date YYYY-MM-DD, got {str(value)[:12]!r}") from None
    if kind == "ratio":
        return ratio_text(value, field)
    if kind == "integer":
        if isinstance(value, float):
            raise EfileValueError(field, "expected a whole number")
        text = str(value)
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise EfileValueError(field, f"expected a number, got {text[:12]!r}")
        return text
    text = "" if value is None else str(value)
    if not text:
        return None
    return check_text(text, element_name, field)
