"""Ordered MeF documents: collect element values by path, write them in the reference's order.

A path is a tuple of (name, index) steps, e.g. (("UnrelatedDebtFinancedPropGrp", 1), ("GrossIncomeAmt", 0)).
Every element path must be in the year's reference list for its document (data.Reference), so no
element the reference does not know can reach a file. Writing the same element twice with different
text is an error (two lines sharing one element must agree).
"""

from __future__ import annotations

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
        tree: dict = {}
        for steps, text in self.values.items():
            node = tree
            for step in steps[:-1]:
                node = node.setdefault(step, {})
            node[steps[-1]] = (text, steps)
        self._write(root, tree, "")
        return root

    def _write(self, parent: etree._Element, tree: dict, prefix: str) -> None:
        def order(step: Step) -> tuple[int, int]:
            return self._rank.get(prefix + step[0], 1 << 30), step[1]

        for step in sorted(tree, key=order):
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
