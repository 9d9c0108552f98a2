"""Applying an element map (schemas/efile/map-<year>.yaml) to a context: one document's elements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from udfi.efile.data import DocumentMap, MapEntry
from udfi.efile.tree import Document, Step, parse_path
from udfi.efile.values import element_text, lookup


@dataclass(frozen=True)
class Written:
    entry: MapEntry
    indices: tuple[int, ...]
    steps: tuple[Step, ...]
    value: object


@lru_cache(maxsize=4096)  # map keys: a few hundred, split for every return
def split_key(key: str) -> tuple[str, str | None, bool]:
    """'a.b=X' → ('a.b', 'X', False); 'form_2220?' → ('form_2220', None, True); else (key, None, False)."""
    if "=" in key:
        path, _, equals = key.partition("=")
        return path, equals, False
    if key.endswith("?"):
        return key[:-1], None, True
    return key, None, False


def _truthy(value) -> bool:
    if isinstance(value, str):
        try:
            return float(value) != 0
        except ValueError:
            return value.strip() != ""
    return bool(value)


def entry_values(entry: MapEntry, context: dict) -> list[tuple[tuple[int, ...], object]]:
    """The (indices, value) pairs an entry takes from the context, indicators resolved, `when` applied."""
    path, equals, present = split_key(entry.key)
    found = lookup(context, path)
    if equals is not None:
        found = [(indices, str(value) == equals) for indices, value in found]
    elif present:
        found = [(indices, isinstance(value, dict)) for indices, value in found]
    if entry.when:
        gate = dict(lookup(context, entry.when))
        found = [(indices, value) for indices, value in found
                 if _truthy(gate.get(indices, gate.get((), None)))]
    return found


def fill(document: Document, doc_map: DocumentMap, context: dict) -> list[Written]:
    """Set every mapped element whose value is on the return; returns what was written."""
    written = []
    for entry in doc_map.entries:
        if entry.element is None:
            continue
        name = entry.element.rsplit("/", 1)[-1]
        for indices, value in entry_values(entry, context):
            text = element_text(value, name, f"{doc_map.document} {entry.key}", entry.required)
            if text is None:
                continue
            steps = parse_path(entry.element, indices)
            document.set(steps, text)
            written.append(Written(entry, indices, steps, value))
    return written
