"""Turn a layout part (schemas/attachments/*.yaml) into printed rows: each line's amount is looked up
by its key, first among the figures a form builder passes (`extra`), then in the account object."""

from __future__ import annotations

from typing import Any, Callable

from udfi.attachments.layouts import caption
from udfi.attachments.model import Part, Row, cents, dollars, lookup

ROMAN = ("I", "II", "III", "IV", "V")


def source_value(key: str | None, data: dict, extra: dict[str, Any]) -> Any:
    if key is None:
        return None
    if key == "zero":
        return 0
    if key in extra:
        return extra[key]
    return lookup(data, key)


def printed(value: Any, spec: dict) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "X" if value else ""
    if spec.get("cents"):
        return cents(value)
    if spec.get("negative") and value:
        return dollars(-abs(int(value)))
    return dollars(value)


def lines_part(spec: dict, data: dict, extra: dict[str, Any], words: dict[str, Any],
               when: Callable[[str], bool] = lambda _: True) -> Part:
    """A part of fixed columns (`columns: {id: heading}`) and lines (`values: {column: key}`)."""
    columns = [(str(column), heading) for column, heading in spec["columns"].items()]
    rows = []
    active = when(spec.get("when", ""))
    for line in spec["lines"]:
        values = line.get("values", {}) if active else {}
        cells = {str(column): printed(source_value(key, data, extra), line) for column, key in values.items()}
        rows.append(Row(str(line["line"]), caption(line["caption"], words), cells,
                        "total" if line.get("adds") else "line"))
    title = spec["title"]
    if title and spec.get("numbered", True) and str(spec["id"]) in ROMAN:
        title = f"Part {spec['id']} — {title}"
    return Part(str(spec["id"]), title, columns, rows, caption(spec.get("note", ""), words))
