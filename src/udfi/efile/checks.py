"""Consistency checks of the e-file data (run by the tests): maps against the reference lists, and
account objects against the maps (every line the engine fills has an element or a reviewed reason)."""

from __future__ import annotations

import re

from udfi.efile.data import ElementMap, Reference, element_map, reference
from udfi.efile.mapping import split_key
from udfi.efile.statements import STATEMENT_FOR_LINE
from udfi.efile.values import element_kind

ATTACHABLE = {"IRS1041ScheduleD", "IRS4797", "IRS2220", "GeneralExplanationAttachment", *STATEMENT_FOR_LINE.values()}
# the account object's form-line sections: every leaf under them is a line the engine fills
ACCOUNT_LINES = ("form_990t", "schedule_d", "form_4797", "form_2220")


def bare(path: str) -> str:
    return re.sub(r"\[\d*\]", "", path)


def map_problems(maps: ElementMap, ref: Reference) -> list[str]:
    """What is wrong with an element map: elements the year's reference does not list, links to
    documents that cannot be attached or from elements without a pushpin, reasons missing."""
    problems = []
    for name, doc_map in maps.documents.items():
        if name not in ref.order:
            problems.append(f"{maps.path.name}: document {name} is not in the reference list")
            continue
        for entry in doc_map.entries:
            where = f"{maps.path.name}: {name} {entry.key}"
            if entry.element is None:
                if not entry.reason:
                    problems.append(f"{where}: no element and no reason")
                continue
            if not ref.has(name, bare(entry.element)):
                problems.append(f"{where}: {entry.element} is not in the {ref.tax_year} reference list for {name}")
            if entry.attach:
                if entry.attach not in ATTACHABLE:
                    problems.append(f"{where}: attach {entry.attach} is not a document udfi writes")
                if bare(entry.element) not in ref.pushpins.get(name, frozenset()):
                    problems.append(f"{where}: {entry.element} has no attachment pushpin in the stylesheets")
            path, equals, present = split_key(entry.key)
            kind = element_kind(entry.element.rsplit("/", 1)[-1])
            if (equals is not None or present) and kind != "indicator":
                problems.append(f"{where}: an indicator key maps to a non-indicator element")
            if entry.key.count("[]") != entry.element.count("[]"):
                problems.append(f"{where}: the key and the element walk a different number of lists")
    return problems


def leaf_keys(obj, prefix: str) -> set[str]:
    """Dotted keys of every leaf under `obj`, list positions written as []."""
    keys: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            keys |= leaf_keys(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list):
        for item in obj:
            keys |= leaf_keys(item, prefix + "[]")
    elif obj is not None:
        keys.add(prefix)
    return keys


def unmapped_lines(account: dict, tax_year: int) -> list[str]:
    """Lines the account object fills that the year's map has no entry for."""
    maps = element_map(tax_year)
    mapped = {split_key(entry.key)[0] for doc_map in maps.documents.values() for entry in doc_map.entries}
    found: set[str] = set()
    for section in ACCOUNT_LINES:
        found |= leaf_keys(account.get(section), section)
    found |= leaf_keys(account.get("schedule_a"), "schedule_a")
    for prop in account.get("properties", []):
        if prop.get("debt_financed"):
            found |= leaf_keys(prop.get("part_v"), "properties[].part_v")
    return sorted(found - mapped)


def year_problems(tax_year: int) -> list[str]:
    return map_problems(element_map(tax_year), reference(tax_year))
