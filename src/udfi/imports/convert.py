"""A foreign ledger export → the book's canonical ledger rows, and writing BOOK/ledger.csv.

Every source row is mapped, deliberately skipped, or reported: an account no rule matches is an error
naming the account and its spreadsheet rows; on any error nothing is written; on success the ledger
is written atomically (temporary file + rename). Signs: income categories are credit-positive,
everything else debit-positive (a rule may override with ``sign:``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from udfi.imports.amounts import cents_text, money, parse_money
from udfi.imports.lender import Payment, read_schedule, read_statements, split_payments
from udfi.imports.problems import ImportProblem, ImportResult
from udfi.imports.profile import MORTGAGE_PAYMENT, Profile, load_profile
from udfi.imports.references import resolve, unknown_properties
from udfi.imports.reading import SourceError, carry_headings, read_source
from udfi.imports.rules import map_accounts

LEDGER_COLUMNS = ["date", "property_id", "category", "amount", "loan_id", "memo"]
PROPERTY_MAP_COLUMNS = ("source_property", "property_id")


@dataclass(frozen=True)
class LenderFiles:
    """The lender's figures for splitting lumped payments (see udfi.imports.lender)."""

    schedules: tuple[Path, ...] = ()
    statements: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ImportOptions:
    property_map: Path | None = None  # CSV: source_property, property_id
    lender: LenderFiles = field(default_factory=LenderFiles)


def read_book_table(book: Path, name: str) -> pd.DataFrame | None:
    path = book / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                       index_col=False)


def read_property_map(path: Path, problems: list[ImportProblem]) -> dict[str, str]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                       index_col=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        problems.append(ImportProblem(f"cannot be read ({exc})", file=path.name))
        return {}
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in PROPERTY_MAP_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(ImportProblem(f"missing column(s) {', '.join(missing)} (expected source_property, "
                                      f"property_id; found {', '.join(frame.columns)})", file=path.name))
        return {}
    frame = frame.apply(lambda column: column.str.strip())
    blank = frame["property_id"] == ""
    if blank.any():
        problems.append(ImportProblem("expected the property_id of properties.csv", (frame.index[blank] + 2).tolist(),
                                      file=path.name, column="property_id"))
    return dict(zip(frame["source_property"], frame["property_id"]))


def _rows(mask: pd.Series, rows: np.ndarray) -> list[int]:
    return rows[mask.to_numpy(dtype=bool)].tolist()


def convert(source: str | Path, profile: Profile, book: str | Path | None = None,
            options: ImportOptions = ImportOptions()) -> ImportResult:
    """Map the export to canonical ledger rows (text columns). `book` supplies loans.csv and
    properties.csv for loan → property lookups and reference checks when present."""
    source = Path(source)
    try:
        read = read_source(source, profile)
    except SourceError as exc:
        return ImportResult(None, [ImportProblem(str(exc))])
    frame, rows = read.frame, read.rows
    problems: list[ImportProblem] = []
    result = ImportResult(None, problems, header_row=read.header_row, source_label=read.label)
    book = Path(book) if book is not None else None
    loans = read_book_table(book, "loans") if book is not None else None
    properties = read_book_table(book, "properties") if book is not None else None

    # Dates (real Excel date cells are already ISO text).
    date_text = read.column(profile.date_column)
    parsed = pd.to_datetime(date_text.where(date_text != "", None), format=profile.date_format, errors="coerce")
    excel = read.date_cells.get(read.columns[profile.date_column])
    if excel is not None:
        parsed = parsed.where(~excel, pd.to_datetime(date_text.where(excel, None), format="%Y-%m-%d", errors="coerce"))

    # Amounts as debit − credit, or one signed column (its sign resolved once the account is known).
    if profile.amount_column:
        signed, bad_amount = parse_money(read.column(profile.amount_column))
        no_amount = read.column(profile.amount_column) == ""
    else:
        debit, bad_debit = parse_money(read.column(profile.debit_column))
        credit, bad_credit = parse_money(read.column(profile.credit_column))
        signed, bad_amount = debit - credit, bad_debit | bad_credit
        no_amount = (read.column(profile.debit_column) == "") & (read.column(profile.credit_column) == "")

    # Accounts: a column, or headings carried down. Report lines (headings, totals, "Beginning
    # Balance", the title block's leftovers) are not transactions.
    if profile.headings is not None:
        carried = carry_headings(read, profile.headings)
        account = carried.account
        for message, row in carried.problems:
            problems.append(ImportProblem(message, [row]))
        report_line = carried.heading_row | (parsed.isna() & no_amount)
    else:
        account = read.column(profile.account_column)
        # No readable date and no account, or a "Total …" line: report lines (a dated row is kept).
        report_line = parsed.isna() & ((account == "") | account.str.match(r"(?i)total\b"))
    if not profile.skip_report_lines:
        report_line = carried.heading_row if profile.headings is not None else pd.Series(False, index=frame.index)
    live = ~report_line

    names = pd.Series(pd.unique(account[live]))
    per_row = map_accounts(names, profile).set_index("account").reindex(account.to_numpy())
    per_row.index = frame.index
    matched = per_row["matched"].fillna(False).astype(bool) & live
    skipped = per_row["skip"].fillna(False).astype(bool) & matched
    wanted = matched & ~skipped

    unmatched = live & ~matched
    if unmatched.any():
        memo = _memo(read, profile)
        bad = pd.DataFrame({"account": account[unmatched], "row": rows[unmatched.to_numpy()],
                            "signed": signed[unmatched], "memo": memo[unmatched]})
        for name, group in bad.groupby("account", sort=True):
            label = name if name else ("(no account heading above the row)" if profile.headings else "(blank account)")
            problems.append(ImportProblem(f"unmapped source account {label!r}: no skip or accounts rule matches it",
                                          group["row"].tolist(), name))
            result.unmapped[name] = {"rows": group["row"].tolist(),
                                     "debits": int(group["signed"].clip(lower=0).sum()),
                                     "credits": int(-group["signed"].clip(upper=0).sum()),
                                     "memo": next((m for m in group["memo"] if m), ""),
                                     "signed": profile.amount_column is not None}

    bad_date = wanted & parsed.isna()
    if bad_date.any():
        problems.append(ImportProblem(f"unreadable {profile.date_column!r} (expected format {profile.date_format})",
                                      _rows(bad_date, rows), column=profile.date_column))
    bad_amount = bad_amount & wanted
    if bad_amount.any():
        problems.append(ImportProblem("unreadable amount (expected e.g. 1234.56, $1,234.56 or (1,234.56))",
                                      _rows(bad_amount, rows)))

    normal = per_row["normal"].fillna("debit")
    if profile.amount_column and profile.amount_positive == "credit":
        signed = -signed
    elif profile.amount_column and profile.amount_positive == "natural":
        signed = signed.where(normal != "credit", -signed)  # shown as the account's increase
    sign = per_row["sign"].fillna("")
    amount = signed.where(sign != "credit", -signed)

    category = per_row["category"].fillna("")
    property_lookup = dict(profile.property_ids)
    if options.property_map is not None:
        property_lookup.update(read_property_map(options.property_map, problems))
    refs = resolve(wanted, account, category, per_row["property_id"].fillna(""), per_row["loan_id"].fillna(""),
                   read.column(profile.property_column) if profile.property_column else None,
                   profile.property_column, rows, property_lookup, loans, properties)
    problems += refs.problems
    result.notes += refs.notes
    result.unmapped_properties = refs.unmapped_properties
    if profile.property_column and unmatched.any():  # for --draft-profile: the names on unmapped rows too
        for name, found in unknown_properties(read.column(profile.property_column)[unmatched], rows[unmatched.to_numpy()],
                                              property_lookup, properties).items():
            result.unmapped_properties.setdefault(name, []).extend(found)
    property_id, loan_id = refs.property_id, refs.loan_id

    zero = wanted & (amount == 0) & ~bad_amount
    keep = wanted & ~zero
    result.source_rows, result.report_lines = int(live.sum()), int(report_line.sum())
    result.skipped_rows, result.zero_rows = int(skipped.sum()), int(zero.sum())
    lumped = keep & (category == MORTGAGE_PAYMENT)
    splits = _split(lumped, parsed, loan_id, amount, rows, options.lender, refs.originations, problems, result)
    if problems:
        return result

    memo = _memo(read, profile)
    ledger = pd.DataFrame({"order": np.arange(len(frame)) * 3, "date": parsed.dt.strftime("%Y-%m-%d"),
                           "property_id": property_id, "category": category, "amount": amount.astype("int64"),
                           "loan_id": loan_id, "memo": memo})
    pieces = [ledger[(keep & ~lumped).to_numpy()]]
    if splits:
        base = ledger.loc[[s.position for s in splits]]
        for offset, part in ((0, "interest"), (1, "principal")):
            rows_part = base.assign(order=base["order"] + offset, category=part,
                                    amount=[getattr(s, part) for s in splits],
                                    memo=[_join(m, s.note, profile.memo_separator) for m, s in zip(base["memo"], splits)])
            pieces.append(rows_part[rows_part["amount"] != 0])
    ledger = pd.concat(pieces).sort_values("order", kind="stable")
    _rent_sign_notes(ledger, result)
    ledger["amount"] = cents_text(ledger["amount"])
    result.ledger = ledger[LEDGER_COLUMNS].reset_index(drop=True)
    return result


def _join(memo: str, note: str, separator: str) -> str:
    return f"{memo}{separator}{note}" if memo else note


def _memo(read, profile: Profile) -> pd.Series:
    memo = pd.Series("", index=read.frame.index, dtype=object)
    for column in profile.memo_columns:
        if column not in read.columns:
            continue
        text = read.column(column)
        memo = memo + np.where((memo != "") & (text != ""), profile.memo_separator, "") + text
    return memo


def _split(lumped, parsed, loan_id, amount, rows, lender: LenderFiles, originations, problems, result):
    if not lumped.any():
        return []
    schedule, statements = [], []
    for path in lender.schedules:
        lines, found = read_schedule(Path(path))
        schedule += lines
        problems += found
    for path in lender.statements:
        items, found = read_statements(Path(path))
        statements += items
        problems += found
    if problems:
        return []
    positions = np.flatnonzero(lumped.to_numpy())
    payments = [Payment(int(p), int(rows[p]), parsed.iat[p].date(), loan_id.iat[p], int(amount.iat[p]))
                for p in positions]
    outcome = split_payments(payments, schedule, statements, originations)
    problems += outcome.problems
    result.notes += outcome.notes
    return outcome.splits


def _rent_sign_notes(ledger: pd.DataFrame, result: ImportResult) -> None:
    """A property whose rent sums below zero almost always means the profile reads the signs wrongly."""
    rent = ledger[ledger["category"] == "rent"].groupby("property_id")["amount"].sum()
    for property_id, total in rent[rent < 0].items():
        result.notes.append(f"warning: rent on {property_id} totals {money(int(total))} (negative): check the "
                            "profile's sign convention (source.amount.positive, or `sign:` on the rule)")


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
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def import_ledger(source: str | Path, profile: str | Path | Profile, book: str | Path, mode: str = "create",
                  options: ImportOptions = ImportOptions()) -> ImportResult:
    """Convert and, when there is no problem, write BOOK/ledger.csv. Nothing is written on error."""
    book = Path(book)
    profile = profile if isinstance(profile, Profile) else load_profile(profile)
    if not book.is_dir():
        return ImportResult(None, [ImportProblem(f"book folder {book} does not exist")])
    if mode == "create" and (book / "ledger.csv").exists():
        return ImportResult(None, [ImportProblem(
            f"{book / 'ledger.csv'} already exists (use --replace to overwrite it or --append to add to it)")])
    result = convert(source, profile, book, options)
    if result.ok and result.ledger is not None:
        write_ledger_atomic(result.ledger, book, mode)
    return result
