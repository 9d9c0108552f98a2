"""Ordered MeF documents: collect element values by path, write them in the reference's order.

A path is a tuple of (name, index) steps, e.g. (("UnrelatedDebtFinancedPropGrp", 1), ("GrossIncomeAmt", 0)).
Every element path must be in the year's reference list for its document (data.Reference), so no
element the reference does not know can reach a file. Writing the same element twice with different
text is an error (two lines sharing one element must agree).
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from udfi.efile.data import Reference

NAMESPACE = "http://www.irs.gov/efile"
Q = "{" + NAMESPACE + "}"

Step = tuple[str, int]


class ElementConflict(Exception):
    """Two values for one element, or an element the reference does not list."""


@lru_cache(maxsize=1 << 14)  # map paths repeat on every return; the result is an immutable tuple
def parse_path(text: str, indices: tuple[int, ...] = ()) -> tuple[Step, ...]:
    """'A[]/B/C[2]' with indices (5,) → (('A', 5), ('B', 0), ('C', 2))."""
    steps: list[Step] = []
    pending = list(indices)
    for part in text.split("/"):
        if part.endswith("[]"):
            if not pending:
                raise ElementConflict(f"{text}: more [] than list positions")
            steps.append((part[:-2], pending.pop(0)))
        elif part.endswith("]") and "[" in part:
            name, _, number = part[:-1].partition("[")
            steps.append((name, int(number)))
        else:
            steps.append((part, 0))
    return tuple(steps)


def bare(steps: tuple[Step, ...]) -> str:
    return "/".join(name for name, _ in steps)


# The writing rank of every element path and of each of its prefixes, per document order of a reference
# (references are cached per year): computed once, not once per document of every return. Keyed by the
# order's id, checked by identity, so a new reference with a reused id never gets another's ranks.
_RANKS: dict[int, tuple[dict[str, int], dict[str, int]]] = {}


def _rank_of(order: dict[str, int]) -> dict[str, int]:
    cached = _RANKS.get(id(order))
    if cached is not None and cached[0] is order:
        return cached[1]
    rank: dict[str, int] = {}
    for path, position in order.items():
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            rank[prefix] = min(rank.get(prefix, position), position)
    _RANKS[id(order)] = (order, rank)
    return rank


class Document:
    """One document of ReturnData (or the ReturnHeader) being filled."""

    def __init__(self, name: str, reference: Reference, attributes: dict[str, str] | None = None):
        self.name = name
        self.reference = reference
        self.attributes = dict(attributes or {})
        self.values: dict[tuple[Step, ...], str] = {}
        self.element_attributes: dict[tuple[Step, ...], dict[str, str]] = {}
        order = reference.order.get(name)
        if order is None:
            raise ElementConflict(f"{name} is not a document of the reference list")
        self._rank = _rank_of(order)


    def set(self, steps: tuple[Step, ...], text: str) -> None:
        path = bare(steps)
        if not self.reference.has(self.name, path):
            raise ElementConflict(f"{self.name}/{path} is not in the {self.reference.tax_year} reference list")
        previous = self.values.get(steps)
        if previous is not None and previous != text:
            raise ElementConflict(f"{self.name}/{path}: two lines share this element with different values "
                                  f"({previous} and {text})")
        self.values[steps] = text

    def attribute(self, steps: tuple[Step, ...], name: str, value: str) -> None:
        self.element_attributes.setdefault(steps, {})[name] = value

    def has(self, steps: tuple[Step, ...]) -> bool:
        return steps in self.values

    def __bool__(self) -> bool:
        return bool(self.values)

    def element(self, tag: str | None = None) -> etree._Element:
        root = etree.Element(Q + (tag or self.name))
        for key in sorted(self.attributes):
            root.set(key, self.attributes[key])
        self._write(root, self._tree(), "")
        return root

    def _tree(self) -> dict:
        tree: dict = {}
        for steps, text in self.values.items():
            node = tree
            for step in steps[:-1]:
                node = node.setdefault(step, {})
            node[steps[-1]] = (text, steps)
        return tree

    def write_text(self, lines: list[str], indent: str, tag: str | None = None) -> None:
        """Append this document's lines (indented by `indent`, two spaces a level) to `lines`: the text
        `serialize` writes for `element(tag)` when no value holds a character XML_TEXT_FALLBACK names."""
        name = tag or self.name
        attributes = "".join(f' {key}="{_attribute_text(self.attributes[key])}"' for key in sorted(self.attributes))
        if not self.values:
            lines.append(f"{indent}<{name}{attributes}/>")
            return
        lines.append(f"{indent}<{name}{attributes}>")
        self._write_text(lines, self._tree(), "", indent + "  ")
        lines.append(f"{indent}</{name}>")

    def _ordered(self, tree: dict, prefix: str) -> list[Step]:
        """One level's steps in the schema's element order (unknown names last), repeats by index."""
        rank = self._rank
        return sorted(tree, key=lambda step: (rank.get(prefix + step[0], 1 << 30), step[1]))

    def _write_text(self, lines: list[str], tree: dict, prefix: str, indent: str) -> None:
        for step in self._ordered(tree, prefix):
            name = step[0]
            value = tree[step]
            if isinstance(value, tuple):
                text, steps = value
                attributes = self.element_attributes.get(steps)
                attributes = "".join(f' {key}="{_attribute_text(attr)}"'
                                     for key, attr in sorted(attributes.items())) if attributes else ""
                lines.append(f"{indent}<{name}{attributes}>{_element_text(text)}</{name}>" if text
                             else f"{indent}<{name}{attributes}></{name}>" if text == "" else
                             f"{indent}<{name}{attributes}/>")
            else:
                lines.append(f"{indent}<{name}>")
                self._write_text(lines, value, prefix + name + "/", indent + "  ")
                lines.append(f"{indent}</{name}>")

    def _write(self, parent: etree._Element, tree: dict, prefix: str) -> None:
        for step in self._ordered(tree, prefix):
            child = etree.SubElement(parent, Q + step[0])
            value = tree[step]
            if isinstance(value, tuple):
                text, steps = value
                child.text = text
                for key, attr in sorted(self.element_attributes.get(steps, {}).items()):
                    child.set(key, attr)
            else:
                self._write(child, value, prefix + step[0] + "/")


def serialize(root: etree._Element) -> bytes:
    """UTF-8 with declaration, two-space indentation: the same bytes for the same tree."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


# Characters lxml refuses (controls, surrogates, U+FFFE/U+FFFF) or that are rare enough not to be worth
# matching its escaping for (C1 controls): a document holding one is written through lxml instead,
# which raises or escapes as it always did.
XML_TEXT_FALLBACK = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _element_text(text: str) -> str:
    """Element content escaped as libxml2 escapes it: & < > and carriage return."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _attribute_text(text: str) -> str:
    """An attribute value escaped as libxml2 escapes it: & < > " and tab, newline, carriage return."""
    return (_element_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def text_document(declaration_root: str, root_close: str, body: list[str]) -> bytes | None:
    """`serialize`'s bytes from lines written by `Document.write_text` under a root opened by
    `declaration_root` (its start tag) and closed by `root_close`; None when a value holds a character
    XML_TEXT_FALLBACK names (build the lxml tree then)."""
    text = "\n".join(["<?xml version='1.0' encoding='UTF-8'?>", declaration_root, *body, root_close, ""])
    if XML_TEXT_FALLBACK.search(text):
        return None
    return text.encode("utf-8")
