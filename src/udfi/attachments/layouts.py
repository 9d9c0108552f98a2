"""The line layouts of the attached forms (schemas/attachments/<form>.yaml), one revision per range of
tax years; a tax year no revision covers is an error, never a guess."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


from udfi.resources import read_yaml, schemas_dir

LAYOUT_FILES = {
    "schedule_d": "f1041sd.yaml",
    "tax_worksheet": "f1041sd-tax-worksheet.yaml",
    "form_8949": "f8949.yaml",
    "form_4797": "f4797.yaml",
    "form_2220": "f2220.yaml",
}


class MissingLayoutError(LookupError):
    """No revision of a form's line layout covers the tax year."""


@lru_cache(maxsize=None)
def layout_file(form: str) -> dict[str, Any]:
    return read_yaml((schemas_dir() / "attachments" / LAYOUT_FILES[form]).read_text(encoding="utf-8"))


def revision(form: str, tax_year: int) -> dict[str, Any]:
    """The revision of `form` used for `tax_year` (its `years` are [first, last], inclusive)."""
    data = layout_file(form)
    for entry in data["revisions"]:
        first, last = entry["years"]
        if first <= tax_year <= last:
            return entry
    raise MissingLayoutError(f"{data['form']}: no line layout for tax year {tax_year} "
                             f"(schemas/attachments/{LAYOUT_FILES[form]})")


def caption(text: str, values: dict[str, Any]) -> str:
    """A caption with the year's values filled in ({year}, {prior_year}, breakpoints, …)."""
    return text.format(**values) if "{" in text else text
