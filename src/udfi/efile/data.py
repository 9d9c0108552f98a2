"""The e-file data files (schemas/efile/): reference element lists, element maps per tax year, schema
version strings and value types. Loaded once per process; a missing year is an error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from udfi.resources import read_yaml, schemas_dir

RETURN_990T = "990T"
RETURN_8868 = "8868"


class EfileDataError(Exception):
    """An e-file data file is missing, or has no entry for the year asked for."""


def efile_dir() -> Path:
    return schemas_dir() / "efile"


def _years(spec: str | None) -> range:
    """'2021-' → 2021..9999; '-2022' → 0..2022; '2023-2023' → 2023; None → every year."""
    if not spec:
        return range(0, 10000)
    low, _, high = spec.partition("-")
    return range(int(low) if low else 0, (int(high) if high else 9999) + 1)


@dataclass(frozen=True)
class Reference:
    """The element paths each document may hold in one tax year, in writing order."""

    tax_year: int
    order: dict[str, dict[str, int]]       # document → path → position
    pushpins: dict[str, frozenset[str]]    # document → paths that may carry @referenceDocumentId

    def has(self, document: str, path: str) -> bool:
        return path in self.order.get(document, {})


@lru_cache(maxsize=None)
def _reference_file() -> dict:
    return read_yaml((efile_dir() / "reference.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def reference(tax_year: int) -> Reference:
    data = _reference_file()
    if tax_year not in data["years"]:
        raise EfileDataError(f"no MeF reference element list for tax year {tax_year} "
                             f"(schemas/efile/reference.yaml covers {data['years'][0]}–{data['years'][-1]})")
    order: dict[str, dict[str, int]] = {}
    for document, entries in data["documents"].items():
        paths: dict[str, int] = {}
        for entry in entries:
            path, _, spec = entry.partition(" ")
            if tax_year in _years(spec.strip() or None):
                paths[path] = len(paths)
        order[document] = paths
    pushpins = {document: frozenset(paths) for document, paths in data.get("pushpins", {}).items()}
    return Reference(tax_year, order, pushpins)


@dataclass(frozen=True)
class MapEntry:
    key: str                 # account-object path (see the map file's header)
    element: str | None      # element path inside the document; None: not on this year's form
    required: bool = False
    when: str | None = None
    attach: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DocumentMap:
    document: str
    context: str             # account | silo | extension
    present: str | None      # the account key whose non-null object (or true) makes this document exist
    entries: tuple[MapEntry, ...]


@dataclass(frozen=True)
class ElementMap:
    tax_year: int
    path: Path
    documents: dict[str, DocumentMap]


def map_path(tax_year: int) -> Path:
    return efile_dir() / f"map-{tax_year}.yaml"


@lru_cache(maxsize=None)
def element_map(tax_year: int) -> ElementMap:
    path = map_path(tax_year)
    if not path.is_file():
        raise EfileDataError(f"no e-file element map for tax year {tax_year} (schemas/efile/{path.name})")
    data = read_yaml(path.read_text(encoding="utf-8"))
    documents = {}
    for document, spec in data["documents"].items():
        entries = []
        for key, value in spec["lines"].items():
            spec_ = value if isinstance(value, dict) else {"element": value}
            # one line may print in two elements (a list): e.g. Schedule D Part III columns (2) and (3)
            elements = spec_["element"] if isinstance(spec_.get("element"), list) else [spec_.get("element")]
            for element in elements:
                entries.append(MapEntry(key, element, bool(spec_.get("required", False)), spec_.get("when"),
                                        spec_.get("attach"), spec_.get("reason")))
        documents[document] = DocumentMap(document, spec["context"], spec.get("present"), tuple(entries))
    return ElementMap(int(data["tax_year"]), path, documents)


def mapped_years() -> list[int]:
    return sorted(int(match.group(1)) for p in efile_dir().glob("map-*.yaml")
                  if (match := re.fullmatch(r"map-(\d{4})\.yaml", p.name)))


@dataclass(frozen=True)
class ReturnVersion:
    version: str
    placeholder: bool
    source: str


@lru_cache(maxsize=None)
def _versions() -> dict:
    return read_yaml((efile_dir() / "return-versions.yaml").read_text(encoding="utf-8"))


def return_version(return_type: str, tax_year: int, overrides: dict | None = None) -> ReturnVersion:
    """The @returnVersion for a return type and year; `overrides` (custodian settings) win."""
    override = (overrides or {}).get(tax_year)
    if override:
        return ReturnVersion(str(override), False, "custodian settings (return_versions)")
    entry = _versions().get(return_type, {}).get(tax_year)
    if entry is None:
        raise EfileDataError(f"no MeF schema version for Form {return_type} tax year {tax_year} "
                             "(schemas/efile/return-versions.yaml)")
    return ReturnVersion(str(entry["version"]), bool(entry.get("placeholder", False)), entry["source"])


@dataclass(frozen=True)
class ValueType:
    name: str
    max: int
    pattern: re.Pattern
    expected: str


@lru_cache(maxsize=None)
def _types() -> tuple[dict[str, ValueType], dict[str, str]]:
    data = read_yaml((efile_dir() / "types.yaml").read_text(encoding="utf-8"))
    types = {name: ValueType(name, int(spec["max"]), re.compile(spec["pattern"]), spec["expected"])
             for name, spec in data["types"].items()}
    return types, dict(data["elements"])


def value_type(element_name: str) -> ValueType | None:
    """The type a text element's value must fit (None for amounts, dates, indicators, numbers)."""
    types, elements = _types()
    name = elements.get(element_name)
    if name is None and element_name.endswith(("Txt", "Desc", "Nm")):
        name = "text"
    return types.get(name) if name else None


def type_named(name: str) -> ValueType:
    return _types()[0][name]
