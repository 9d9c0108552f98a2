"""Reading a MeF XML file back: its documents, header and the lines the element map knows.

Used by `udfi efile show FILE` (to check a file someone else produced) and by the round-trip check
(every mapped element of a written file equals the account object it came from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from udfi.efile.data import EfileDataError, element_map, mapped_years, return_version
from udfi.efile.mapping import entry_values
from udfi.efile.tree import Step, parse_path
from udfi.efile.values import element_text


class EfileReadError(Exception):
    """The file is not a MeF return udfi can read (names the file and what is wrong)."""


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def leaves(element: etree._Element) -> dict[tuple[Step, ...], str]:
    """Every leaf element below `element` as steps (name, position among same-named siblings) → text."""
    found: dict[tuple[Step, ...], str] = {}

    def walk(node, prefix):
        counts: dict[str, int] = {}
        for child in node:
            name = _local(child.tag)
            if not name:
                continue
            position = counts.get(name, 0)
            counts[name] = position + 1
            steps = prefix + ((name, position),)
            if len(child):
                walk(child, steps)
            else:
                found[steps] = (child.text or "").strip()

    walk(element, ())
    return found


@dataclass
class ParsedReturn:
    path: str
    return_version: str
    tax_year: int
    return_type: str
    header: dict[tuple[Step, ...], str]
    documents: list[tuple[str, dict, dict[tuple[Step, ...], str]]]   # (name, attributes, leaves)

    def header_text(self, path: str) -> str:
        return self.header.get(parse_path(path), "")


def parse(source: bytes | str | Path, name: str = "") -> ParsedReturn:
    where = name or (str(source) if isinstance(source, (str, Path)) else "XML")
    try:
        data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    except OSError as exc:
        raise EfileReadError(f"{where}: cannot read ({exc.strerror or exc})") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise EfileReadError(f"{where}: not well-formed XML (line {exc.lineno}: {exc.msg})") from None
    if _local(root.tag) != "Return":
        raise EfileReadError(f"{where}: the root element is {_local(root.tag) or '?'}, expected Return (a MeF return)")
    header = next((child for child in root if _local(child.tag) == "ReturnHeader"), None)
    data_node = next((child for child in root if _local(child.tag) == "ReturnData"), None)
    if header is None or data_node is None:
        raise EfileReadError(f"{where}: a MeF return has a ReturnHeader and a ReturnData")
    header_leaves = leaves(header)
    version = root.get("returnVersion", "")
    year_text = header_leaves.get((("TaxYr", 0),)) or version[:4]
    if not re.fullmatch(r"\d{4}", year_text or ""):
        raise EfileReadError(f"{where}: no tax year (ReturnHeader/TaxYr or @returnVersion)")
    documents = [(_local(child.tag), dict(child.attrib), leaves(child)) for child in data_node if _local(child.tag)]
    return ParsedReturn(where, version, int(year_text), header_leaves.get((("ReturnTypeCd", 0),), ""),
                        header_leaves, documents)


@dataclass(frozen=True)
class Line:
    document: str
    sequence: int        # the n-th document of that name (Schedules A)
    key: str             # map key, list positions filled in
    element: str
    text: str


def _key_with(key: str, indices: tuple[int, ...]) -> str:
    parts = iter(indices)
    return re.sub(r"\[\]", lambda _: f"[{next(parts)}]", key)


def mapped_lines(parsed: ParsedReturn) -> list[Line]:
    """The file's values of every element the year's map names, keyed by the map's line key."""
    if parsed.tax_year not in mapped_years():
        raise EfileReadError(f"{parsed.path}: tax year {parsed.tax_year} has no udfi element map "
                             f"(years {mapped_years()[0]}–{mapped_years()[-1]})")
    maps = element_map(parsed.tax_year)
    lines = []
    seen: dict[str, int] = {}
    for name, _attributes, values in parsed.documents:
        doc_map = maps.documents.get(name)
        sequence = seen.get(name, 0) + 1
        seen[name] = sequence
        if doc_map is None:
            continue
        for entry in doc_map.entries:
            if entry.element is None:
                continue
            for steps, text in values.items():
                indices = _match(entry.element, steps)
                if indices is not None:
                    lines.append(Line(name, sequence, _key_with(entry.key, indices), entry.element, text))
    return lines


def _match(element_path: str, steps: tuple[Step, ...]) -> tuple[int, ...] | None:
    """The list positions of `steps` if they are an instance of `element_path` ('A[]/B', 'C[2]/D')."""
    parts = element_path.split("/")
    if len(parts) != len(steps):
        return None
    indices = []
    for part, (name, position) in zip(parts, steps):
        if part.endswith("[]"):
            if part[:-2] != name:
                return None
            indices.append(position)
        elif part.endswith("]") and "[" in part:
            base, _, number = part[:-1].partition("[")
            if base != name or int(number) != position:
                return None
        elif part != name or position != 0:
            return None
    return tuple(indices)


def expected_leaves(doc_map, context: dict) -> dict[tuple[Step, ...], str]:
    """What the map writes for `context`: element steps → text (for the round-trip check)."""
    expected: dict[tuple[Step, ...], str] = {}
    for entry in doc_map.entries:
        if entry.element is None:
            continue
        name = entry.element.rsplit("/", 1)[-1]
        for indices, value in entry_values(entry, context):
            text = element_text(value, name, entry.key, entry.required)
            if text is not None:
                expected[parse_path(entry.element, indices)] = text
    return expected


def mapped_paths(doc_map) -> set[str]:
    return {re.sub(r"\[\d*\]", "", entry.element) for entry in doc_map.entries if entry.element}


def placeholder_version(parsed: ParsedReturn) -> bool:
    kind = "8868" if parsed.return_type == "8868" else "990T"
    try:
        known = return_version(kind, parsed.tax_year)
    except EfileDataError:
        return False
    return known.placeholder and known.version == parsed.return_version
