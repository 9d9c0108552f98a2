"""Table definitions: the machine-readable format of a book, kept as data in `schemas/tables/`.

Each YAML file describes one table (columns, types, constraints, prose). From it we build the
pandera schema that checks a parsed table and the README's format tables, so the checks and the
documentation cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache


from udfi.resources import read_yaml, schemas_dir

TABLE_ORDER = (
    "accounts",
    "properties",
    "loans",
    "ledger",
    "depreciation",
    "loan_balances",
    "carryovers",
    "payments",
    "account_years",
    "k1s",
)

TYPE_PROSE = {
    "text": "text",
    "money": "money",
    "date": "date",
    "enum": "one of",
    "bool": "true/false",
    "ein": "EIN",
    "year": "year",
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    unique: bool = False
    values: tuple[str, ...] = ()
    references: str | None = None
    min: float | None = None
    gt: float | None = None
    nonzero: bool = False
    default: object = None
    description: str = ""
    shown_as: str | None = None   # the type the README names when it differs (a percent parsed as text)

    @property
    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.type == "money":
            bound = ""
            if self.gt is not None:
                bound = f" greater than {self.gt:g}"
            elif self.min is not None:
                bound = f" of at least {self.min:g}"
            elif self.nonzero:
                bound = " (non-zero)"
            return f"an amount{bound} like 1234.56, $1,234.56 or (1,234.56), at most 2 decimals"
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        if self.type == "bool":
            return "true or false"
        if self.type == "ein":
            return "an EIN like 12-3456789"
        if self.type == "year":
            return "a 4-digit tax year"
        return "text"


@dataclass(frozen=True)
class TableSpec:
    table: str
    required: bool
    description: str
    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    @property
    def filename(self) -> str:
        return f"{self.table}.csv"

    def column(self, name: str) -> ColumnSpec:
        return next(column for column in self.columns if column.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


@lru_cache(maxsize=None)
def table_specs() -> dict[str, TableSpec]:
    specs = {}
    for name in TABLE_ORDER:
        # libyaml's loader when PyYAML has it: the pure-Python one costs half a second per start
        raw = read_yaml((schemas_dir() / "tables" / f"{name}.yaml").read_text(encoding="utf-8"))
        columns = tuple(
            ColumnSpec(**{**column, "values": tuple(column.get("values", ()))}) for column in raw["columns"]
        )
        specs[name] = TableSpec(raw["table"], bool(raw["required"]), raw["description"].strip(), columns)
    return specs


def pandera_schema(spec: TableSpec) -> "pa.DataFrameSchema":
    """The pandera schema for a *parsed* table: money in integer cents, dates as datetime64.

    Type conversion (and its error messages) happens in the parser; this schema checks what the
    values must satisfy: presence, enumerations, bounds, uniqueness. (Validation runs the same checks
    as column operations, `udfi.validate_cells._constraint_failures`; a test holds the two equal. pandera
    is imported here only: it pulls in hypothesis and costs a second at every start.)
    """
    import pandera.pandas as pa  # noqa: PLC0415

    columns = {}
    for column in spec.columns:
        checks = []
        if column.type == "enum":
            checks.append(pa.Check.isin(list(column.values), name=f"one of {', '.join(column.values)}"))
        if column.type == "money":
            if column.min is not None:
                checks.append(pa.Check.ge(int(round(column.min * 100)), name=f"at least {column.min:g}"))
            if column.gt is not None:
                checks.append(pa.Check.gt(int(round(column.gt * 100)), name=f"greater than {column.gt:g}"))
            if column.nonzero:
                checks.append(pa.Check.ne(0, name="non-zero"))
        columns[column.name] = pa.Column(
            checks=checks,
            nullable=not column.required,
            unique=column.unique,
            required=False,  # absent optional columns are added as nulls by the parser
            coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=False, name=spec.table)


def markdown_tables() -> str:
    """The README's format section, generated from the schemas."""
    parts = []
    for spec in table_specs().values():
        flag = "required" if spec.required else "optional"
        parts.append(f"#### `{spec.filename}` ({flag})\n\n{spec.description}\n")
        parts.append("| column | required | type | meaning |")
        parts.append("|---|---|---|---|")
        for column in spec.columns:
            kind = column.shown_as or TYPE_PROSE[column.type]
            if column.type == "enum":
                kind += " " + ", ".join(f"`{value}`" for value in column.values)
            if column.default is not None:
                default = str(column.default).lower() if isinstance(column.default, bool) else column.default
                kind += f" (default `{default}`)"
            required = "yes" if column.required else ""
            parts.append(f"| `{column.name}` | {required} | {kind} | {column.description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
