"""Field maps (schemas/fieldmaps/<form>-<year>.yaml) and recognising which revision a blank is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from udfi.forms.acroform import FieldInfo
from udfi.resources import read_yaml, schemas_dir


class UnknownRevisionError(Exception):
    """The blank's fields match no known field map, so we refuse to fill it."""


@dataclass(frozen=True)
class FieldMap:
    form: str
    tax_year: int
    path: Path
    sha256: str
    lines: dict  # line key → {"field": name | None, "caption", "on", "reason"}
    blank_fields: dict  # full field name → "text" | "checkbox"
    derived: bool = False  # derived from the blank's captions (udfi.forms.derive), not reviewed

    def field_for(self, key: str) -> str | None:
        return self.lines[key]["field"]

    @property
    def source(self) -> str:
        return (f"the field map derived from the captions of {self.path.name}" if self.derived
                else self.path.name)


def fieldmaps_dir() -> Path:
    return schemas_dir() / "fieldmaps"


@lru_cache(maxsize=None)
def _load(path: Path) -> FieldMap:
    data = read_yaml(path.read_text(encoding="utf-8"))
    return FieldMap(
        form=data["form"],
        tax_year=int(data["tax_year"]),
        path=path,
        sha256=data["derived_from"]["sha256"],
        lines=data["lines"],
        blank_fields=data["blank_fields"],
    )


def known_maps(form: str) -> list[FieldMap]:
    return [_load(path) for path in sorted(fieldmaps_dir().glob(f"{form}-*.yaml"))]


def match_revision(form: str, tax_year: int, fields: list[FieldInfo], sha256: str | None = None) -> FieldMap:
    """The field map whose recorded inventory equals the blank's fields (names and kinds).

    Prefer the map for `tax_year`; any map with an identical inventory is the same revision.
    Otherwise raise UnknownRevisionError naming the missing and extra fields.
    """
    inventory = {f.name: f.kind for f in fields}
    maps = known_maps(form)
    if not maps:
        raise UnknownRevisionError(f"no field maps for {form} in {fieldmaps_dir()}")
    ordered = sorted(maps, key=lambda m: (m.tax_year != tax_year, -m.tax_year))
    for fieldmap in ordered:
        if sha256 is not None and fieldmap.sha256 == sha256:
            return fieldmap
    for fieldmap in ordered:
        if fieldmap.blank_fields == inventory:
            return fieldmap
    closest = min(ordered, key=lambda m: (len(set(m.blank_fields.items()) ^ set(inventory.items())), m.tax_year != tax_year))
    missing = sorted(set(closest.blank_fields) - set(inventory))
    extra = sorted(set(inventory) - set(closest.blank_fields))
    changed = sorted(n for n in set(inventory) & set(closest.blank_fields) if inventory[n] != closest.blank_fields[n])
    details = []
    if missing:
        details.append(f"missing {len(missing)}: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    if extra:
        details.append(f"extra {len(extra)}: {', '.join(extra[:5])}{' …' if len(extra) > 5 else ''}")
    if changed:
        details.append(f"changed type: {', '.join(changed[:5])}")
    raise UnknownRevisionError(
        f"{form} blank for {tax_year} matches no known field map; closest is {closest.path.name} "
        f"({'; '.join(details)})"
    )
