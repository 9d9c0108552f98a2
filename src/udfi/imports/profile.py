"""Mapping profiles: where a foreign export keeps its figures and how its accounts map to the ledger.

A profile is YAML (commented examples in ``schemas/profiles/``). ``--profile`` takes a path or the
name of a shipped profile (``quickbooks-online-gl``), found through :mod:`udfi.resources` so that it
works after a normal, non-editable install. A profile may ``extends:`` another (by name or by a path
relative to itself): its rules are tried first, then the parent's; ``source`` and ``lookups`` are
merged key by key.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from udfi.resources import schemas_dir

CATEGORIES = (
    "rent", "other_income", "interest", "principal", "taxes", "insurance", "repairs", "management",
    "utilities", "other_expense", "improvement",
)
# A lumped loan payment (interest + principal, perhaps escrow) split with the lender's figures.
MORTGAGE_PAYMENT = "mortgage_payment"
RULE_CATEGORIES = CATEGORIES + (MORTGAGE_PAYMENT,)
LOAN_CATEGORIES = ("interest", "principal", MORTGAGE_PAYMENT)
CREDIT_POSITIVE = frozenset({"rent", "other_income"})
# Accounts whose balance is normally a credit: income, and the loan (a liability) that principal repays.
CREDIT_NORMAL = frozenset({"rent", "other_income", "principal"})
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
DEFAULT_TOTAL = r"^Total(?: for)? (?P<account>.+?)(?: with sub-accounts)?$"
HEADER_SEARCH_ROWS = 50


class ProfileError(ValueError):
    """The mapping profile itself is malformed, or cannot be found."""


@dataclass(frozen=True)
class Rule:
    exact: str | None
    regex: re.Pattern | None
    category: str | None  # None for a skip rule
    property_id: str | None
    loan_id: str | None
    sign: str | None  # "debit" or "credit": which side is positive for the category
    normal: str | None  # "debit" or "credit": the account's normal balance (signed "natural" amounts)


@dataclass(frozen=True)
class Headings:
    """Account names on heading rows above their transactions (QuickBooks, AppFolio reports)."""

    columns: tuple[str, ...]  # one per nesting level; usually one
    total: re.Pattern  # a heading row that closes an account: "Total for Rental Income"
    separator: str  # nested headings are joined: "Rental Income:123 Main St"


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path | None
    header_row: int | None  # None: detected
    sheet: str | int
    date_column: str
    date_format: str
    account_column: str | None  # None when the account comes from headings
    headings: Headings | None
    property_column: str | None
    amount_column: str | None
    amount_positive: str  # signed amount column: "debit", "credit" or "natural"
    debit_column: str | None
    credit_column: str | None
    memo_columns: tuple[str, ...]
    memo_separator: str
    skip_report_lines: bool
    rules: tuple[Rule, ...]
    property_ids: dict[str, str]
    loan_ids: dict[str, str]

    def needed_columns(self) -> list[str]:
        """The columns the export must have (by heading or letter); memo columns are used when present."""
        columns = [self.date_column]
        columns += [self.account_column] if self.account_column else list(self.headings.columns)
        columns += [self.amount_column] if self.amount_column else [self.debit_column, self.credit_column]
        if self.property_column:
            columns.append(self.property_column)
        return columns


def shipped_profiles() -> dict[str, Path]:
    folder = schemas_dir() / "profiles"
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def resolve_profile(reference: str | Path, relative_to: Path | None = None) -> Path:
    """A profile path, or the name of a shipped profile (``quickbooks-online-gl``)."""
    text = str(reference)
    candidate = Path(text)
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to / candidate
    if candidate.is_file():
        return candidate
    shipped = shipped_profiles()
    stem = text[:-5] if text.endswith(".yaml") else text
    if stem in shipped and "/" not in text:
        return shipped[stem]
    near = difflib.get_close_matches(stem, list(shipped), n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise ProfileError(f"no profile {text!r}: not a file, and not a shipped profile "
                       f"({', '.join(shipped) or 'none'}){hint}")


def _merge(parent: dict, child: dict) -> dict:
    merged = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    if path.resolve() in chain:
        raise ProfileError(f"{path}: `extends` loops back to itself")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping")
    base = data.get("extends")
    if not base:
        return data
    parent = _read_yaml(resolve_profile(base, path.parent), chain + (path.resolve(),))
    combined = {**parent, **{k: v for k, v in data.items() if k not in ("skip", "accounts")}}
    for key in ("source", "lookups"):
        combined[key] = _merge(parent.get(key) or {}, data.get(key) or {})
    for key in ("skip", "accounts"):  # the child's rules first: they win
        combined[key] = list(data.get(key) or []) + list(parent.get(key) or [])
    return combined


def _rule(entry: Any, where: str, skip: bool, property_from_column: bool) -> Rule:
    if isinstance(entry, str):
        entry = {"exact": entry}
    if not isinstance(entry, dict):
        raise ProfileError(f"{where}: expected a mapping with `exact` or `regex`")
    exact, pattern = entry.get("exact"), entry.get("regex")
    if (exact is None) == (pattern is None):
        raise ProfileError(f"{where}: give exactly one of `exact` or `regex`")
    where += f" (exact {exact!r})" if exact is not None else f" (regex {pattern!r})"
    try:
        regex = re.compile(str(pattern)) if pattern is not None else None
    except re.error as exc:
        raise ProfileError(f"{where}: bad regex {pattern!r}: {exc}") from exc
    if skip:
        return Rule(None if exact is None else str(exact), regex, None, None, None, None, None)
    category = entry.get("category")
    if category not in RULE_CATEGORIES:
        raise ProfileError(f"{where}: category must be one of {', '.join(RULE_CATEGORIES)} (got {category!r})")
    for key in ("sign", "normal"):
        if entry.get(key) not in (None, "debit", "credit"):
            raise ProfileError(f"{where}: {key} must be `debit` or `credit` (got {entry.get(key)!r})")
    property_id = entry.get("property_id")
    loan_id = entry.get("loan_id")
    if property_id is None and loan_id is None and not property_from_column:
        raise ProfileError(f"{where}: give `property_id` (or a `loan_id` whose property is looked up in loans.csv, "
                           "or set source.property to read the property from a column)")
    if category in LOAN_CATEGORIES and loan_id is None and not property_from_column:
        raise ProfileError(f"{where}: category {category} needs a `loan_id` (or source.property, when each "
                           "property has one loan)")
    groups = set(regex.groupindex) if regex is not None else set()
    for key, template in (("property_id", property_id), ("loan_id", loan_id)):
        for name in TEMPLATE_FIELD.findall(str(template or "")):
            if name not in groups:
                raise ProfileError(f"{where}: {key} uses {{{name}}} but the regex has no group named {name!r}")
    return Rule(None if exact is None else str(exact), regex, category,
                None if property_id is None else str(property_id),
                None if loan_id is None else str(loan_id), entry.get("sign"), entry.get("normal"))


def _headings(spec: dict, where: str) -> Headings:
    columns = spec.get("heading")
    columns = [columns] if isinstance(columns, (str, int)) else list(columns or [])
    if not columns:
        raise ProfileError(f"{where}: source.account.heading names the column(s) holding account headings")
    try:
        total = re.compile(str(spec.get("total", DEFAULT_TOTAL)))
    except re.error as exc:
        raise ProfileError(f"{where}: bad source.account.total regex: {exc}") from exc
    if "account" not in total.groupindex:
        raise ProfileError(f"{where}: source.account.total needs a group named `account`")
    return Headings(tuple(str(c) for c in columns), total, str(spec.get("separator", ":")))


def load_profile(reference: str | Path) -> Profile:
    path = resolve_profile(reference)
    return profile_from_data(_read_yaml(path), path)


def profile_from_data(data: dict, path: Path | None, require_rules: bool = True) -> Profile:
    """A profile from its parsed YAML (`path` names it in messages; None for a drafted layout)."""
    where = str(path) if path is not None else "the drafted profile"
    source = data.get("source") or {}
    date = source.get("date") or {}
    if isinstance(date, str):
        date = {"column": date}
    account = source.get("account")
    if not date.get("column") or not account:
        raise ProfileError(f"{where}: source.date.column and source.account are required")
    headings = _headings(account, where) if isinstance(account, dict) else None
    amount = source.get("amount") or {}
    if amount.get("column"):
        amount_column, debit, credit = str(amount["column"]), None, None
        positive = amount.get("positive", "debit")
        if positive not in ("debit", "credit", "natural"):
            raise ProfileError(f"{where}: source.amount.positive must be `debit`, `credit` or `natural`")
    elif amount.get("debit") and amount.get("credit"):
        amount_column, debit, credit, positive = None, str(amount["debit"]), str(amount["credit"]), "debit"
    else:
        raise ProfileError(f"{where}: source.amount needs `column` or both `debit` and `credit`")
    prop = source.get("property")
    property_column = str(prop.get("column") if isinstance(prop, dict) else prop) if prop else None
    memo = source.get("memo") or []
    if isinstance(memo, str):
        memo = [memo]
    rules = [_rule(e, f"{where}: skip[{i}]", True, False) for i, e in enumerate(data.get("skip") or [])]
    rules += [_rule(e, f"{where}: accounts[{i}]", False, property_column is not None)
              for i, e in enumerate(data.get("accounts") or [])]
    if not rules and require_rules:
        raise ProfileError(f"{where}: no `accounts` rules")
    lookups = data.get("lookups") or {}
    header_row = source.get("header_row", "auto")
    if header_row not in ("auto", None) and not (isinstance(header_row, int) and header_row >= 1):
        raise ProfileError(f"{where}: source.header_row is a row number (1 = first line) or `auto`")
    unmapped = [name for name, value in (lookups.get("property_id") or {}).items() if value in (None, "")]
    if unmapped:
        raise ProfileError(f"{where}: lookups.property_id gives no property_id for {', '.join(map(repr, unmapped))}")
    return Profile(
        name=str(data.get("name") or (path.stem if path is not None else "draft")),
        path=path,
        header_row=None if header_row in ("auto", None) else int(header_row),
        sheet=source.get("sheet", 0) if source.get("sheet") is not None else 0,
        date_column=str(date["column"]),
        date_format=str(date.get("format", "%Y-%m-%d")),
        account_column=None if headings else str(account),
        headings=headings,
        property_column=property_column,
        amount_column=amount_column,
        amount_positive=positive,
        debit_column=debit,
        credit_column=credit,
        memo_columns=tuple(str(c) for c in memo),
        memo_separator=str(source.get("memo_separator", " | ")),
        skip_report_lines=bool(source.get("skip_report_lines", True)),
        rules=tuple(rules),
        property_ids={str(k): str(v) for k, v in (lookups.get("property_id") or {}).items()},
        loan_ids={str(k): str(v) for k, v in (lookups.get("loan_id") or {}).items()},
    )
