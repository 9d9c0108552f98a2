"""Line layouts of Form 990-T and Schedule A (Form 990-T), one per tax year (schemas/layouts/).

A layout says which lines a revision has and what each caption reads (normalized as
`udfi.forms.captions.normalize` does: the tax year as {year}), which printed totals add which lines,
and how the engine's line numbers land on the revision's. A file may inherit the year before and
list only what changed; a tax year without a file is an error, never the nearest year's layout.

The engine computes on one canonical numbering, the 2021–2022 revision's (`udfi.engine.form_990t`);
`year_lines` moves those values to the year's own line numbers in one place, so return.json,
statements and forms all speak the year's numbers (the 2024 revision's "4b" is the canonical "4").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path


from udfi.resources import read_yaml, schemas_dir

KINDS = ("text", "checkbox")


class MissingLayoutError(LookupError):
    """No line layout exists for the requested form and tax year."""


class LayoutError(ValueError):
    """A layout file is malformed, or a value has no line on the year's revision."""


@dataclass(frozen=True)
class LayoutLine:
    key: str
    caption: str
    kind: str
    read_only: bool = False  # printed greyed: the line exists but takes no entry
    note: str = ""  # where a caption comes from when no blank of the revision was read


@dataclass(frozen=True)
class Total:
    """A printed total: the sum of `add` minus the sum of `subtract`, not below `floor` when given."""

    add: tuple[str, ...]
    subtract: tuple[str, ...] = ()
    floor: int | None = None

    def of(self, values: dict[str, int]) -> int:
        amount = sum(values.get(key, 0) for key in self.add) - sum(values.get(key, 0) for key in self.subtract)
        return amount if self.floor is None else max(amount, self.floor)


@dataclass(frozen=True)
class Layout:
    form: str
    tax_year: int
    lines: dict[str, LayoutLine]
    totals: dict[str, Total]
    renumbered: dict[str, str]  # canonical line key → this revision's line key
    absent: dict[str, str]  # canonical line key → why this revision has no such line
    sources: tuple[Path, ...] = field(default_factory=tuple)

    def has_line(self, key: str) -> bool:
        """A line exists when it is listed itself or through one of its entries ("part_iv.1" via "part_iv.1.yes")."""
        return key in self._listed_or_entry_of

    @cached_property
    def _listed_or_entry_of(self) -> frozenset[str]:
        """Every listed key and each of its prefixes that ends before a dot: has_line is asked for every
        line of every package, and scanning all the lines for each key it lacks cost ~0.5 ms a package."""
        return frozenset(key[:end] for key in self.lines
                         for end in [*(at for at, character in enumerate(key) if character == "."), len(key)])


def layouts_dir() -> Path:
    return schemas_dir() / "layouts"


def layout_years(form: str) -> list[int]:
    return sorted(int(path.stem.rsplit("-", 1)[1]) for path in layouts_dir().glob(f"{form}-*.yaml"))


def _total(key: str, raw, path: Path) -> Total:
    if not isinstance(raw, dict) or not raw.get("add"):
        raise LayoutError(f"{path.name}: total {key} needs an 'add' list")
    unknown = set(raw) - {"add", "subtract", "floor"}
    if unknown:
        raise LayoutError(f"{path.name}: total {key} has unknown keys {sorted(unknown)}")
    return Total(tuple(raw["add"]), tuple(raw.get("subtract", ())), raw.get("floor"))


@lru_cache(maxsize=None)
def load_layout(form: str, tax_year: int) -> Layout:
    path = layouts_dir() / f"{form}-{tax_year}.yaml"
    if not path.is_file():
        known = ", ".join(map(str, layout_years(form))) or "none"
        raise MissingLayoutError(f"no line layout of {form} for tax year {tax_year} "
                                 f"(schemas/layouts has {known})")
    data = read_yaml(path.read_text(encoding="utf-8"))
    if data.get("form") != form or int(data.get("tax_year", 0)) != tax_year:
        raise LayoutError(f"{path.name}: says form {data.get('form')!r}, tax year {data.get('tax_year')!r}")
    if "inherits" in data:
        base = load_layout(form, int(data["inherits"]))
        lines, totals = dict(base.lines), dict(base.totals)
        renumbered, absent, sources = dict(base.renumbered), dict(base.absent), base.sources
    else:
        lines, totals, renumbered, absent, sources = {}, {}, {}, {}, ()
    for key, reason in (data.get("removed") or {}).items():
        if key not in lines:
            raise LayoutError(f"{path.name}: removes {key}, which the inherited layout does not have")
        del lines[key]
        totals.pop(key, None)
    for key, raw in (data.get("lines") or {}).items():
        old = lines.get(key)
        entry = {**({"caption": old.caption, "kind": old.kind, "read_only": old.read_only} if old else {}), **raw}
        if entry.get("kind") not in KINDS or not entry.get("caption"):
            raise LayoutError(f"{path.name}: line {key} needs a caption and a kind ({', '.join(KINDS)})")
        lines[key] = LayoutLine(key, entry["caption"], entry["kind"], bool(entry.get("read_only")), entry.get("note", ""))
    for key, raw in (data.get("totals") or {}).items():
        totals[key] = _total(key, raw, path)
    # A file that gives these replaces what it inherits (an empty mapping clears it).
    renumbered = dict(data["renumbered"] or {}) if "renumbered" in data else renumbered
    absent = dict(data["absent"] or {}) if "absent" in data else absent
    layout = Layout(form, tax_year, lines, totals, renumbered, absent, (*sources, path))
    _check(layout, path)
    return layout


def _check(layout: Layout, path: Path) -> None:
    for key, total in layout.totals.items():
        for term in (key, *total.add, *total.subtract):
            if term not in layout.lines:
                raise LayoutError(f"{path.name}: total {key} names {term}, which is not a line of {layout.tax_year}")
    for canonical, own in layout.renumbered.items():
        if not layout.has_line(own):
            raise LayoutError(f"{path.name}: {canonical} is renumbered to {own}, which is not a line")
    for canonical in layout.absent:
        if layout.has_line(canonical) and canonical not in layout.renumbered:
            raise LayoutError(f"{path.name}: {canonical} is declared absent but the layout has it")


def year_lines(lines: dict[str, dict], form: str, tax_year: int) -> dict[str, dict]:
    """The engine's canonical {part: {line: value}} in `tax_year`'s own line numbers.

    A canonical line the revision renumbers moves to its new number; one the revision does not have
    is dropped only where the layout says why (e.g. the 2020 revision has no NOL carryover lines);
    any other line the revision lacks is an error, so a figure never silently falls off the form.
    Never mutates `lines`.
    """
    layout = load_layout(form, tax_year)
    moved: dict[str, dict] = {part: {} for part in lines}
    for part, values in lines.items():
        for line, value in values.items():
            canonical = f"{part}.{line}"
            own = layout.renumbered.get(canonical, canonical)
            if layout.has_line(own):
                own_part, own_line = own.split(".", 1)
                moved.setdefault(own_part, {})[own_line] = value
            elif canonical not in layout.absent:
                raise LayoutError(f"{form} ({tax_year}) has no line {canonical} for the value {value!r}; "
                                  f"add it to schemas/layouts/{form}-{tax_year}.yaml or declare it absent")
    return moved
