"""What a diagnostics page holds: items of five kinds, each saying where it comes from, which return
line it touches and on what authority. Plain frozen dataclasses: built once, never mutated."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

ERROR, WARNING, FLAG, ASSUMPTION, INFO = "error", "warning", "flag", "assumption", "info"
# Page order: what stops the return first, what the reviewer must weigh next, what is only noted last.
KINDS = (ERROR, WARNING, FLAG, ASSUMPTION, INFO)
KIND_TITLES = {
    ERROR: "Errors (the return was not prepared)",
    WARNING: "Warnings from validation",
    FLAG: "Flags from the computation",
    ASSUMPTION: "Assumptions (readings udfi took where the book was silent)",
    INFO: "Standing readings and notes",
}
# Kinds that make an account "something to report"; info items are standing readings of every return.
REPORTABLE = (ERROR, WARNING, FLAG, ASSUMPTION)
CSV_COLUMNS = ("tax_year", "account_id", "kind", "topic", "message", "where", "line", "authority")


@dataclass(frozen=True)
class Item:
    kind: str
    topic: str       # a short, stable label shared by the same situation across accounts
    message: str     # masked: no SSN-shaped value
    where: str = ""  # "loans.csv row 3, column recourse" or "property P-1, loan L-1"
    line: str = ""   # the return line it touches (udfi explain's line keys), when known
    authority: str = ""  # Code / Regulation / instruction, or "README Assumption N"
    source: str = ""     # validation, computation, return header, book

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Diagnostics:
    account_id: str
    tax_year: int
    name: str = ""
    status: str = ""      # file, not_required, exception
    items: tuple[Item, ...] = field(default_factory=tuple)

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]

    def counts(self) -> dict[str, int]:
        counted = Counter(item.kind for item in self.items)
        return {kind: counted.get(kind, 0) for kind in KINDS}

    @property
    def has_reportable(self) -> bool:
        return any(item.kind in REPORTABLE for item in self.items)

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "tax_year": self.tax_year, "name": self.name, "status": self.status,
                "counts": self.counts(), "items": [item.as_dict() for item in self.items]}

    def csv_rows(self) -> list[dict]:
        return [{"tax_year": self.tax_year, "account_id": self.account_id, **{key: getattr(item, key) for key in
                 CSV_COLUMNS[2:]}} for item in self.items]


def sorted_items(items) -> tuple[Item, ...]:
    """Kind order first, then the order gathered (stable): the same inputs give the same page."""
    rank = {kind: position for position, kind in enumerate(KINDS)}
    return tuple(sorted(items, key=lambda item: rank.get(item.kind, len(KINDS))))
