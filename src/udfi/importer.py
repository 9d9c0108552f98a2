"""Convert a foreign ledger export (CSV or XLSX) into a book's canonical `ledger.csv`.

A *mapping profile* (YAML, see ``schemas/profiles/quickbooks-gl.yaml`` for a commented example) says

* where the date, account, amount (one signed column or a debit/credit pair) and memo are;
* which source accounts are the other side of each transaction (bank, cash) and are skipped;
* how every other source account maps to a canonical ``category`` + ``property_id`` (+ ``loan_id``),
  by exact name or by a regular expression whose capture groups fill ``{name}`` templates;
* the sign convention: income categories are credit-positive, everything else debit-positive
  (a rule may override with ``sign: credit`` / ``sign: debit``).

Every source row is either mapped, deliberately skipped, or reported: an account no rule matches is an
error naming the account and its spreadsheet rows (header = row 1). On any error nothing is written;
on success the ledger is written atomically (temporary file + rename).

The mapping is vectorized: rules are matched against the distinct account names (a loop over rules,
not rows) and the result is merged onto the rows.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

CATEGORIES = (
    "rent", "other_income", "interest", "principal", "taxes", "insurance", "repairs", "management",
    "utilities", "other_expense", "improvement",
)
CREDIT_POSITIVE = frozenset({"rent", "other_income"})
LEDGER_COLUMNS = ["date", "property_id", "category", "amount", "loan_id", "memo"]
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_MONEY_CORE = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2}"


class ProfileError(ValueError):
    """The mapping profile itself is malformed."""


@dataclass
class ImportProblem:
    message: str
    rows: list[int] = field(default_factory=list)  # spreadsheet rows of the source (header = row 1)
    account: str | None = None

    def __str__(self) -> str:
        text = self.message
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:20])
            more = f" … (+{len(self.rows) - 20} more)" if len(self.rows) > 20 else ""
            text += f" (source rows {shown}{more})"
        return text


@dataclass
class ImportResult:
    ledger: pd.DataFrame | None  # canonical text columns, or None on error
    problems: list[ImportProblem]
    source_rows: int = 0
    skipped_rows: int = 0
    zero_rows: int = 0
    report_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    exact: str | None
    regex: re.Pattern | None
    category: str | None  # None for a skip rule
    property_id: str | None
    loan_id: str | None
    sign: str | None  # "debit" or "credit" (which side is positive)


@dataclass(frozen=True)
class Profile:
    name: str
    header_row: int
    sheet: str | int
    date_column: str
    date_format: str
    account_column: str
    amount_column: str | None
    amount_positive: str  # for a signed amount column: "debit" if positive values are debits
    debit_column: str | None
    credit_column: str | None
    memo_columns: tuple[str, ...]
    memo_separator: str
    skip_report_lines: bool
    rules: tuple[Rule, ...]
    property_ids: dict[str, str]
    loan_ids: dict[str, str]


def _rule(entry: Any, where: str, skip: bool) -> Rule:
    if isinstance(entry, str):
        entry = {"exact": entry}
    if not isinstance(entry, dict):
        raise ProfileError(f"{where}: expected a mapping with `exact` or `regex`")
    exact, pattern = entry.get("exact"), entry.get("regex")
    if (exact is None) == (pattern is None):
        raise ProfileError(f"{where}: give exactly one of `exact` or `regex`")
    try:
        regex = re.compile(str(pattern)) if pattern is not None else None
    except re.error as exc:
        raise ProfileError(f"{where}: bad regex {pattern!r}: {exc}") from exc
    if skip:
        return Rule(None if exact is None else str(exact), regex, None, None, None, None)
    category = entry.get("category")
    if category not in CATEGORIES:
        raise ProfileError(f"{where}: category must be one of {', '.join(CATEGORIES)} (got {category!r})")
    sign = entry.get("sign")
    if sign not in (None, "debit", "credit"):
        raise ProfileError(f"{where}: sign must be `debit` or `credit` (got {sign!r})")
    property_id = entry.get("property_id")
    loan_id = entry.get("loan_id")
    if property_id is None and loan_id is None:
        raise ProfileError(f"{where}: give `property_id` (or a `loan_id` whose property is looked up in loans.csv)")
    if category in ("interest", "principal") and loan_id is None:
        raise ProfileError(f"{where}: category {category} needs a `loan_id`")
    groups = set(regex.groupindex) if regex is not None else set()
    for key, template in (("property_id", property_id), ("loan_id", loan_id)):
        for name in _TEMPLATE_FIELD.findall(str(template or "")):
            if name not in groups:
                raise ProfileError(f"{where}: {key} uses {{{name}}} but the regex has no group named {name!r}")
    return Rule(None if exact is None else str(exact), regex, category,
                None if property_id is None else str(property_id),
                None if loan_id is None else str(loan_id), sign)


def load_profile(path: str | Path) -> Profile:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping")
    source = data.get("source") or {}
    date = source.get("date") or {}
    if isinstance(date, str):
        date = {"column": date}
    amount = source.get("amount") or {}
    if not date.get("column") or not source.get("account"):
        raise ProfileError(f"{path}: source.date.column and source.account are required")
    if amount.get("column"):
        amount_column, debit, credit = str(amount["column"]), None, None
        positive = amount.get("positive", "debit")
        if positive not in ("debit", "credit"):
            raise ProfileError(f"{path}: source.amount.positive must be `debit` or `credit`")
    elif amount.get("debit") and amount.get("credit"):
        amount_column, debit, credit, positive = None, str(amount["debit"]), str(amount["credit"]), "debit"
    else:
        raise ProfileError(f"{path}: source.amount needs `column` or both `debit` and `credit`")
    memo = source.get("memo") or []
    if isinstance(memo, str):
        memo = [memo]
    rules = [_rule(e, f"{path}: skip[{i}]", True) for i, e in enumerate(data.get("skip") or [])]
    rules += [_rule(e, f"{path}: accounts[{i}]", False) for i, e in enumerate(data.get("accounts") or [])]
    if not rules:
        raise ProfileError(f"{path}: no `accounts` rules")
    lookups = data.get("lookups") or {}
    return Profile(
        name=str(data.get("name") or Path(path).stem),
        header_row=int(source.get("header_row", 1)),
        sheet=source.get("sheet", 0) if source.get("sheet") is not None else 0,
        date_column=str(date["column"]),
        date_format=str(date.get("format", "%Y-%m-%d")),
        account_column=str(source["account"]),
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


# --------------------------------------------------------------------------------------------
# Reading the source as text
# --------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")  # the date format is then ISO, handled below
    if isinstance(value, float):
        # Excel stores binary floats: snap to cents when the value is (within noise) a cent amount.
        cents = round(value * 100)
        if abs(value * 100 - cents) < 1e-6:
            sign = "-" if cents < 0 else ""
            return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
        return repr(value)
    return str(value)


def read_source(path: Path, profile: Profile) -> tuple[pd.DataFrame, np.ndarray, dict[str, pd.Series]]:
    """The export as stripped text cells; returns (frame, spreadsheet row numbers, date-cell masks).

    Date-typed Excel cells become ISO text; the mask per column says which cells they were."""
    skip = profile.header_row - 1
    date_cells: dict[str, pd.Series] = {}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, sheet_name=profile.sheet, dtype=object, skiprows=skip, engine="openpyxl")
        frame.columns = [str(c).strip() for c in frame.columns]
        for column in frame.columns:
            mask = frame[column].map(lambda v: hasattr(v, "strftime")).astype(bool)
            if mask.any():
                date_cells[column] = mask.reset_index(drop=True)
        frame = frame.map(_cell_text)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skiprows=skip,
                            encoding="utf-8-sig")
        frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda col: col.astype(str).str.strip())
    rows = np.arange(len(frame)) + profile.header_row + 1
    return frame.reset_index(drop=True), rows, date_cells


def _parse_money(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text → int64 cents (blank → 0). Returns (cents, bad mask)."""
    text = text.str.strip()
    paren = text.str.startswith("(") & text.str.endswith(")")
    core = text.where(~paren, text.str.slice(1, -1)).str.strip()
    minus = core.str.startswith("-")
    core = core.where(~minus, core.str.slice(1)).str.replace("$", "", regex=False).str.strip()
    minus2 = core.str.startswith("-")
    core = core.where(~minus2, core.str.slice(1))
    blank = core == ""
    good = blank | (core.str.fullmatch(_MONEY_CORE).fillna(False).astype(bool) & ~(paren & (minus | minus2)))
    cleaned = core.where(good & ~blank, "0").str.replace(",", "", regex=False)
    parts = cleaned.str.partition(".")
    whole = parts[0].where(parts[0] != "", "0").astype("int64")
    fraction = parts[2].str.pad(2, side="right", fillchar="0").where(parts[2] != "", "0").astype("int64")
    cents = whole * 100 + fraction
    cents = cents.where(~(paren | (minus ^ minus2)), -cents)
    return cents.where(good, 0).astype("int64"), ~good


def cents_text(cents: pd.Series) -> pd.Series:
    """int64 cents → exact 2-decimal strings (``-1234.50``)."""
    values = cents.astype("int64")
    magnitude = values.abs()
    sign = pd.Series(np.where(values < 0, "-", ""), index=values.index)
    return sign + (magnitude // 100).astype(str) + "." + (magnitude % 100).astype(str).str.zfill(2)


def _render(template: str | None, groups: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Fill `{group}` fields from regex capture columns, vectorized over the matched accounts."""
    if template is None:
        return pd.Series("", index=index, dtype=object)
    pieces = _TEMPLATE_FIELD.split(template)  # literal, field, literal, field, …
    out = pd.Series(pieces[0], index=index, dtype=object)
    for i in range(1, len(pieces), 2):
        out = out + groups[pieces[i]].fillna("").str.strip() + pieces[i + 1]
    return out


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------


def _map_accounts(names: pd.Series, profile: Profile) -> pd.DataFrame:
    """Distinct account names → skip / category / property_id / loan_id / sign (first rule wins)."""
    result = pd.DataFrame({"account": names, "matched": False, "skip": False, "category": "",
                           "property_id": "", "loan_id": "", "sign": ""}, index=names.index)
    for rule in profile.rules:
        open_ = ~result["matched"]
        if not open_.any():
            break
        candidates = names[open_]
        if rule.exact is not None:
            hit = candidates == rule.exact
            groups = pd.DataFrame(index=candidates.index)
        else:
            hit = candidates.str.fullmatch(rule.regex.pattern, flags=rule.regex.flags).fillna(False).astype(bool)
            groups = (candidates.str.extract(rule.regex.pattern, flags=rule.regex.flags, expand=True)
                      if rule.regex.groupindex else pd.DataFrame(index=candidates.index))
        index = candidates.index[hit.to_numpy(dtype=bool)]
        if not len(index):
            continue
        groups = groups.loc[index]
        result.loc[index, "matched"] = True
        if rule.category is None:
            result.loc[index, "skip"] = True
            continue
        result.loc[index, "category"] = rule.category
        result.loc[index, "property_id"] = _render(rule.property_id, groups, index)
        result.loc[index, "loan_id"] = _render(rule.loan_id, groups, index)
        result.loc[index, "sign"] = rule.sign or ("credit" if rule.category in CREDIT_POSITIVE else "debit")
    if profile.property_ids:
        result["property_id"] = result["property_id"].replace(profile.property_ids)
    if profile.loan_ids:
        result["loan_id"] = result["loan_id"].replace(profile.loan_ids)
    return result


def _read_book_table(book: Path, name: str) -> pd.DataFrame | None:
    path = book / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")


def convert(source: str | Path, profile: Profile, book: str | Path | None = None) -> ImportResult:
    """Map the export to canonical ledger rows (text columns). `book` supplies loans.csv/properties.csv
    for loan → property lookups and reference checks when present."""
    source = Path(source)
    frame, rows, date_cells = read_source(source, profile)
    problems: list[ImportProblem] = []
    needed = [profile.date_column, profile.account_column, *profile.memo_columns]
    needed += [profile.amount_column] if profile.amount_column else [profile.debit_column, profile.credit_column]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        return ImportResult(None, [ImportProblem(
            f"{source.name}: missing column(s) {', '.join(missing)} (found: {', '.join(frame.columns)})")], len(frame))

    account = frame[profile.account_column]
    date_text = frame[profile.date_column]
    fmt = profile.date_format
    parsed = pd.to_datetime(date_text.where(date_text != "", None), format=fmt, errors="coerce")
    if profile.date_column in date_cells:  # real Excel date cells, already ISO text
        excel = date_cells[profile.date_column]
        parsed = parsed.where(~excel, pd.to_datetime(date_text.where(excel, None), format="%Y-%m-%d", errors="coerce"))
    # Report lines (headings, "TOTAL") have no account and no readable date: not transactions.
    # A dated row without an account is kept and reported as unmapped.
    report_line = (account == "") & parsed.isna() if profile.skip_report_lines else pd.Series(False, index=frame.index)
    live = ~report_line

    names = pd.Series(pd.unique(account[live]))
    mapping = _map_accounts(names, profile).set_index("account")
    per_row = mapping.reindex(account.to_numpy())
    per_row.index = frame.index
    matched = per_row["matched"].fillna(False).astype(bool) & live
    skipped = per_row["skip"].fillna(False).astype(bool) & matched
    wanted = matched & ~skipped

    unmatched = live & ~matched
    if unmatched.any():
        bad = pd.DataFrame({"account": account[unmatched], "row": rows[unmatched.to_numpy()]})
        for name, group in bad.groupby("account", sort=True):
            label = name if name else "(blank account)"
            problems.append(ImportProblem(f"unmapped source account {label!r}: no skip or accounts rule matches it",
                                          group["row"].tolist(), name))

    # Dates
    dates = parsed.where(wanted)
    bad_date = wanted & dates.isna()
    if bad_date.any():
        problems.append(ImportProblem(f"unreadable {profile.date_column!r} (expected format {fmt})",
                                      rows[bad_date.to_numpy()].tolist()))

    # Amounts → debit-positive cents
    if profile.amount_column:
        value, bad_amount = _parse_money(frame[profile.amount_column])
        debit_positive = value if profile.amount_positive == "debit" else -value
    else:
        debit, bad_debit = _parse_money(frame[profile.debit_column])
        credit, bad_credit = _parse_money(frame[profile.credit_column])
        debit_positive = debit - credit
        bad_amount = bad_debit | bad_credit
    bad_amount = bad_amount & wanted
    if bad_amount.any():
        problems.append(ImportProblem("unreadable amount (expected e.g. 1234.56, $1,234.56 or (1,234.56))",
                                      rows[bad_amount.to_numpy()].tolist()))
    sign = per_row["sign"].fillna("")
    amount = debit_positive.where(sign != "credit", -debit_positive)

    # Loan → property lookup for rules that give only a loan_id; reference checks against the book.
    property_id = per_row["property_id"].fillna("")
    loan_id = per_row["loan_id"].fillna("")
    if book is not None:
        loans = _read_book_table(Path(book), "loans")
        if loans is not None and {"loan_id", "property_id"} <= set(loans.columns):
            loan_property = loans.drop_duplicates("loan_id").set_index("loan_id")["property_id"]
            property_id = property_id.where(property_id != "", loan_id.map(loan_property).fillna(""))
            unknown = wanted & (loan_id != "") & ~loan_id.isin(set(loan_property.index))
            for name, group in pd.DataFrame({"a": account[unknown], "l": loan_id[unknown],
                                             "r": rows[unknown.to_numpy()]}).groupby(["a", "l"], sort=True):
                problems.append(ImportProblem(f"source account {name[0]!r} maps to loan_id {name[1]!r}, "
                                              "which is not in loans.csv", group["r"].tolist(), name[0]))
        properties = _read_book_table(Path(book), "properties")
        if properties is not None and "property_id" in properties.columns:
            unknown = wanted & (property_id != "") & ~property_id.isin(set(properties["property_id"]))
            for name, group in pd.DataFrame({"a": account[unknown], "p": property_id[unknown],
                                             "r": rows[unknown.to_numpy()]}).groupby(["a", "p"], sort=True):
                problems.append(ImportProblem(f"source account {name[0]!r} maps to property_id {name[1]!r}, "
                                              "which is not in properties.csv", group["r"].tolist(), name[0]))
    no_property = wanted & (property_id == "")
    if no_property.any():
        problems.append(ImportProblem("no property_id for the row (its rule gives only a loan_id and the loan "
                                      "is not in the book's loans.csv)", rows[no_property.to_numpy()].tolist()))

    zero = wanted & (amount == 0) & ~bad_amount
    keep = wanted & ~zero
    result = ImportResult(None, problems, source_rows=int(live.sum()), report_lines=int(report_line.sum()), skipped_rows=int(skipped.sum()),
                          zero_rows=int(zero.sum()))
    if problems:
        return result

    memo = pd.Series("", index=frame.index, dtype=object)
    for column in profile.memo_columns:
        text = frame[column]
        memo = memo + np.where((memo != "") & (text != ""), profile.memo_separator, "") + text
    ledger = pd.DataFrame({
        "date": dates.dt.strftime("%Y-%m-%d"),
        "property_id": property_id,
        "category": per_row["category"],
        "amount": cents_text(amount),
        "loan_id": loan_id,
        "memo": memo,
    })[keep.to_numpy()]
    result.ledger = ledger.reset_index(drop=True)
    return result


def write_ledger_atomic(ledger: pd.DataFrame, book: Path, mode: str = "create") -> Path:
    """Write BOOK/ledger.csv via a temporary file + rename. mode: create | replace | append."""
    target = book / "ledger.csv"
    if mode == "append" and target.exists():
        existing = pd.read_csv(target, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
        ledger = pd.concat([existing, ledger], ignore_index=True).fillna("")
    columns = [c for c in LEDGER_COLUMNS if c in ledger.columns] + [c for c in ledger.columns if c not in LEDGER_COLUMNS]
    fd, tmp = tempfile.mkstemp(prefix=".ledger-", suffix=".csv.tmp", dir=book)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            ledger[columns].to_csv(handle, index=False, lineterminator="\n")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def import_ledger(source: str | Path, profile_path: str | Path, book: str | Path, mode: str = "create") -> ImportResult:
    """Convert and, when there is no problem, write BOOK/ledger.csv. Nothing is written on error."""
    book = Path(book)
    profile = load_profile(profile_path)
    if not book.is_dir():
        return ImportResult(None, [ImportProblem(f"book folder {book} does not exist")])
    if mode == "create" and (book / "ledger.csv").exists():
        return ImportResult(None, [ImportProblem(
            f"{book / 'ledger.csv'} already exists (use --replace to overwrite it or --append to add to it)")])
    result = convert(source, profile, book)
    if result.ok and result.ledger is not None:
        write_ledger_atomic(result.ledger, book, mode)
    return result
