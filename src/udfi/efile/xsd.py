"""Validating a MeF file against the IRS schema package (XSD), for a user who has it.

The IRS distributes the MeF schemas only to registered e-file software developers, so udfi cannot
ship or test against them; `udfi efile validate FILE --xsd DIR` uses the package the user points at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree


class SchemaError(Exception):
    """The schema folder cannot be used (no entry schema, or a schema that does not compile)."""


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


def entry_schema(directory: Path, return_type: str = "", name: str | None = None) -> Path:
    """The schema that declares the Return element: `name` when given (a file in DIR), else the one
    .xsd under DIR declaring <…element name="Return">, preferring a file named for the return type."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SchemaError(f"{directory}: not a folder (give the unpacked IRS schema package)")
    if name:
        chosen = directory / name
        if not chosen.is_file():
            raise SchemaError(f"{chosen}: no such schema file")
        return chosen
    declares = re.compile(rb"<(?:\w+:)?element\s+name=\"Return\"")
    candidates = sorted(path for path in directory.rglob("*.xsd")
                        if declares.search(path.read_bytes()[:200_000]))
    if not candidates:
        raise SchemaError(f"{directory}: no .xsd file declares the Return element")
    preferred = [path for path in candidates if return_type and return_type.lower() in path.name.lower()]
    if len(preferred) == 1 or len(candidates) == 1:
        return (preferred or candidates)[0]
    names = ", ".join(str(path.relative_to(directory)) for path in candidates[:6])
    raise SchemaError(f"{directory}: several schemas declare Return ({names}); choose one with --schema")


def validate(document: Path | bytes, schema_path: Path) -> list[Finding]:
    """Every schema violation of the document, with its line; [] when it is valid."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        schema = etree.XMLSchema(etree.parse(str(schema_path), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise SchemaError(f"{schema_path}: the schema does not load ({str(exc).splitlines()[0][:200]})") from None
    data = Path(document).read_bytes() if isinstance(document, Path) else document
    tree = etree.fromstring(data, parser).getroottree()
    if schema.validate(tree):
        return []
    return [Finding(error.line, error.message) for error in schema.error_log]
