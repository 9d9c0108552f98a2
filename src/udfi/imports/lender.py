"""Splitting a lumped loan payment ("Mortgage payment") into interest and principal with the lender's
own figures, and checking that the split reconciles.

Two sources, per loan:

* the lender's **amortization schedule** or payment history (``--lender-schedule FILE.csv``:
  ``loan_id, date, interest, principal`` and optionally ``escrow`` and ``balance`` after the payment).
  Each payment is matched to the schedule line within 31 days whose interest + principal + escrow
  equals it; the line's figures are used as they are.
* a **year-end lender statement or Form 1098** (``--lender-statement FILE.csv``: ``loan_id, tax_year,
  interest_paid, principal_start, principal_end`` and optionally ``escrow_paid``). The year's
  payments must reconcile: payments = interest paid + (principal at start − principal at end)
  (+ escrow). Interest is then allocated as a standard amortization would: the same rate per payment
  on the balance before each payment, the rate chosen so that the year's interest is exactly the
  lender's; the cent left by rounding goes to the last payment. The principal repaid in the year is
  then exactly start − end, and each payment's principal lands in the month it was paid, which is what
  the first-of-month balances of IRC §514 (Reg. §1.514(a)-1(a)(3)) need.

Escrow (taxes and insurance the lender pays from the payment) is not an expense when paid into
escrow; it is left out, and the taxes and insurance the lender paid from it belong in the ledger as
their own rows. Money is integer cents; the rate is a ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pandas as pd

from udfi.imports.amounts import money, parse_money
from udfi.imports.problems import ImportProblem

MATCH_DAYS = 31
SCHEDULE_COLUMNS = ("loan_id", "date", "interest", "principal")
SCHEDULE_OPTIONAL = ("escrow", "balance")
STATEMENT_COLUMNS = ("loan_id", "tax_year", "interest_paid", "principal_start", "principal_end")
STATEMENT_OPTIONAL = ("escrow_paid",)


@dataclass(frozen=True)
class Payment:
    position: int  # index of the row in the export frame
    row: int  # spreadsheet row of the export
    day: dt.date
    loan_id: str
    cents: int


@dataclass(frozen=True)
class ScheduleLine:
    file: str
    row: int
    loan_id: str
    day: dt.date
    interest: int
    principal: int
    escrow: int
    balance: int | None

    @property
    def total(self) -> int:
        return self.interest + self.principal + self.escrow


@dataclass(frozen=True)
class Statement:
    file: str
    row: int
    loan_id: str
    tax_year: int
    interest: int
    principal_start: int
    principal_end: int
    escrow: int


@dataclass(frozen=True)
class Split:
    position: int
    interest: int
    principal: int
    escrow: int
    note: str  # the arithmetic, for the memo


@dataclass
class SplitOutcome:
    splits: list[Split]
    problems: list[ImportProblem]
    notes: list[str]


# --- reading the lender's files -----------------------------------------------------------------


def _read_table(path: Path, required: tuple[str, ...], optional: tuple[str, ...],
                problems: list[ImportProblem]) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                       index_col=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        problems.append(ImportProblem(f"cannot be read ({exc})", file=path.name))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems.append(ImportProblem(f"missing column(s) {', '.join(missing)} (expected {', '.join(required)}, "
                                      f"optionally {', '.join(optional)}; found {', '.join(frame.columns)})",
                                      file=path.name))
        return None
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    return frame.apply(lambda column: column.str.strip())


def _money_column(frame: pd.DataFrame, column: str, path: Path, problems: list[ImportProblem],
                  required: bool = True) -> pd.Series:
    cents, bad = parse_money(frame[column])
    bad = bad | ((frame[column] == "") & required)
    if bad.any():
        problems.append(ImportProblem("expected an amount such as 1234.56 (at most 2 decimals)",
                                      (frame.index[bad] + 2).tolist(), file=path.name, column=column))
    return cents


def _dates(frame: pd.DataFrame, column: str, path: Path, problems: list[ImportProblem]) -> pd.Series:
    parsed = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        problems.append(ImportProblem("expected a date YYYY-MM-DD, e.g. 2022-03-01",
                                      (frame.index[bad] + 2).tolist(), file=path.name, column=column))
    return parsed


def read_schedule(path: Path) -> tuple[list[ScheduleLine], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    frame = _read_table(path, SCHEDULE_COLUMNS, SCHEDULE_OPTIONAL, problems)
    if frame is None:
        return [], problems
    days = _dates(frame, "date", path, problems)
    interest = _money_column(frame, "interest", path, problems)
    principal = _money_column(frame, "principal", path, problems)
    escrow = _money_column(frame, "escrow", path, problems, required=False)
    balance = _money_column(frame, "balance", path, problems, required=False)
    if problems:
        return [], problems
    lines = [ScheduleLine(path.name, index + 2, frame.at[index, "loan_id"], days[index].date(), int(interest[index]),
                          int(principal[index]), int(escrow[index]),
                          None if frame.at[index, "balance"] == "" else int(balance[index]))
             for index in frame.index]
    # The schedule must hold together: each balance = the previous balance − this line's principal.
    by_loan: dict[str, list[ScheduleLine]] = defaultdict(list)
    for line in lines:
        by_loan[line.loan_id].append(line)
    for loan_lines in by_loan.values():
        loan_lines.sort(key=lambda line: line.day)
        for before, line in zip(loan_lines, loan_lines[1:]):
            if before.balance is not None and line.balance is not None and \
                    before.balance - line.principal != line.balance:
                problems.append(ImportProblem(
                    f"balance {money(line.balance)} ≠ previous balance {money(before.balance)} − principal "
                    f"{money(line.principal)} = {money(before.balance - line.principal)}",
                    [line.row], file=path.name, column="balance"))
    return lines, problems


def read_statements(path: Path) -> tuple[list[Statement], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    frame = _read_table(path, STATEMENT_COLUMNS, STATEMENT_OPTIONAL, problems)
    if frame is None:
        return [], problems
    bad_year = ~frame["tax_year"].str.fullmatch(r"\d{4}")
    if bad_year.any():
        problems.append(ImportProblem("expected a year such as 2022", (frame.index[bad_year] + 2).tolist(),
                                      file=path.name, column="tax_year"))
    interest = _money_column(frame, "interest_paid", path, problems)
    start = _money_column(frame, "principal_start", path, problems)
    end = _money_column(frame, "principal_end", path, problems)
    escrow = _money_column(frame, "escrow_paid", path, problems, required=False)
    if problems:
        return [], problems
    statements = [Statement(path.name, index + 2, frame.at[index, "loan_id"], int(frame.at[index, "tax_year"]),
                            int(interest[index]), int(start[index]), int(end[index]), int(escrow[index]))
                  for index in frame.index]
    seen: dict[tuple[str, int], Statement] = {}
    for statement in statements:
        key = (statement.loan_id, statement.tax_year)
        if key in seen:
            problems.append(ImportProblem(f"a second statement for loan {key[0]} in {key[1]} (first on row "
                                          f"{seen[key].row})", [statement.row], file=path.name, column="loan_id"))
        seen[key] = statement
    return statements, problems


# --- splitting ----------------------------------------------------------------------------------


def _by_schedule(payments: list[Payment], lines: list[ScheduleLine]) -> SplitOutcome:
    outcome = SplitOutcome([], [], [])
    unused = sorted(lines, key=lambda line: line.day)
    for payment in sorted(payments, key=lambda p: (p.day, p.row)):
        near = [line for line in unused if abs((line.day - payment.day).days) <= MATCH_DAYS]
        matching = [line for line in near if line.total == payment.cents]
        if not matching:
            closest = min(unused, key=lambda line: abs((line.day - payment.day).days), default=None)
            hint = ("" if closest is None else
                    f"; the nearest line is {closest.file} row {closest.row} ({closest.day}: interest "
                    f"{money(closest.interest)} + principal {money(closest.principal)}"
                    + (f" + escrow {money(closest.escrow)}" if closest.escrow else "")
                    + f" = {money(closest.total)})")
            outcome.problems.append(ImportProblem(
                f"payment of {money(payment.cents)} on {payment.day} (loan {payment.loan_id}) matches no line of "
                f"the lender's schedule within {MATCH_DAYS} days whose interest + principal + escrow equals it{hint}",
                [payment.row]))
            continue
        line = min(matching, key=lambda item: (abs((item.day - payment.day).days), item.day))
        unused.remove(line)
        outcome.splits.append(Split(
            payment.position, line.interest, line.principal, line.escrow,
            f"split of {money(payment.cents)}: interest {money(line.interest)} + principal {money(line.principal)}"
            + (f" + escrow {money(line.escrow)} (not imported)" if line.escrow else "")
            + f" ({line.file} row {line.row})"))
    return outcome


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def level_rate(start: int, payments: list[int], interest: int) -> Decimal:
    """The rate r per payment at which interest on the balance before each payment, summed over the
    payments, is `interest` (exact arithmetic, no rounding; bisection — the sum grows with r)."""
    if interest <= 0:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 40

        def total(rate: Decimal) -> Decimal:
            balance, accrued = Decimal(start), Decimal(0)
            for amount in payments:
                charge = balance * rate
                accrued += charge
                balance -= amount - charge
            return accrued

        low, high = Decimal(0), Decimal(1)
        while total(high) < interest:
            high *= 2
        for _ in range(160):
            middle = (low + high) / 2
            if total(middle) < interest:
                low = middle
            else:
                high = middle
        return (low + high) / 2


def _by_statement(payments: list[Payment], statement: Statement) -> SplitOutcome:
    outcome = SplitOutcome([], [], [])
    ordered = sorted(payments, key=lambda p: (p.day, p.row))
    paid = sum(p.cents for p in ordered)
    repaid = statement.principal_start - statement.principal_end
    expected = statement.interest + repaid + statement.escrow
    where = f"{statement.file} row {statement.row}"
    arithmetic = (f"interest paid {money(statement.interest)} + principal repaid {money(repaid)} "
                  f"({money(statement.principal_start)} at the start − {money(statement.principal_end)} at the end)"
                  + (f" + escrow {money(statement.escrow)}" if statement.escrow else ""))
    if paid != expected:
        outcome.problems.append(ImportProblem(
            f"loan {statement.loan_id} {statement.tax_year}: the {len(ordered)} payment(s) in the export total "
            f"{money(paid)}, but the lender's statement ({where}) gives {arithmetic} = {money(expected)}; "
            f"difference {money(paid - expected)}. A missing or extra payment, a late fee, or escrow not on the "
            "statement would explain it; or give the lender's schedule (--lender-schedule)",
            [p.row for p in ordered]))
        return outcome
    count = len(ordered)
    escrow = [statement.escrow // count] * count
    escrow[-1] += statement.escrow - sum(escrow)
    scheduled = [p.cents - e for p, e in zip(ordered, escrow)]
    rate = level_rate(statement.principal_start, scheduled, statement.interest)
    balance, allocated = statement.principal_start, 0
    for index, (payment, amount, escrow_part) in enumerate(zip(ordered, scheduled, escrow)):
        interest = _round(Decimal(balance) * rate) if index < count - 1 else statement.interest - allocated
        principal = amount - interest
        if interest < 0 or principal < 0:
            outcome.problems.append(ImportProblem(
                f"payment of {money(payment.cents)} on {payment.day} cannot be split: interest allocated "
                f"{money(interest)}, principal {money(principal)}; give the lender's schedule (--lender-schedule)",
                [payment.row]))
            return outcome
        allocated += interest
        outcome.splits.append(Split(
            payment.position, interest, principal, escrow_part,
            f"split of {money(payment.cents)}: interest {money(interest)} (balance {money(balance)} × "
            f"{rate * 100:.6f} % per payment) + principal {money(principal)}"
            + (f" + escrow {money(escrow_part)} (not imported)" if escrow_part else "") + f" ({where})"))
        balance -= principal
    last = outcome.splits[-1]
    residual = last.interest - _round(Decimal(statement.principal_end + last.principal) * rate)
    outcome.notes.append(
        f"loan {statement.loan_id} {statement.tax_year}: {count} payment(s) {money(paid)} = {arithmetic} — "
        f"reconciles. Interest allocated at a level {rate * 100:.6f} % per payment on the balance before it"
        f" (rounding: {money(residual)} in the last payment); principal repaid {money(repaid)} ends at the "
        f"lender's {money(statement.principal_end)}." + _escrow_note(statement.escrow))
    return outcome


def split_payments(payments: list[Payment], schedule: list[ScheduleLine], statements: list[Statement],
                   originations: dict[str, tuple[dt.date, int]]) -> SplitOutcome:
    """Split every lumped payment. `originations`: loan → (originated_on, principal) from loans.csv,
    to check a statement's opening balance for a loan made in the statement's year."""
    outcome = SplitOutcome([], [], [])
    schedule_by_loan: dict[str, list[ScheduleLine]] = defaultdict(list)
    for line in schedule:
        schedule_by_loan[line.loan_id].append(line)
    statement_by_key = {(s.loan_id, s.tax_year): s for s in statements}
    groups: dict[tuple[str, int], list[Payment]] = defaultdict(list)
    for payment in payments:
        groups[(payment.loan_id, payment.day.year)].append(payment)
    for (loan_id, year), group in sorted(groups.items()):
        statement = statement_by_key.get((loan_id, year))
        negative = [p.row for p in group if p.cents <= 0]
        if negative:
            outcome.problems.append(ImportProblem(
                f"loan {loan_id}: a lumped payment that is zero or negative (a reversal?) cannot be split; "
                "enter it as interest and principal rows", negative))
            continue
        if statement is not None and loan_id in originations:
            made, principal = originations[loan_id]
            if made.year == year and statement.principal_start != principal:
                outcome.problems.append(ImportProblem(
                    f"the statement's principal at the start, {money(statement.principal_start)}, is not the "
                    f"principal of loan {loan_id} in loans.csv ({money(principal)}, made {made})",
                    [statement.row], file=statement.file, column="principal_start"))
                continue
        if schedule_by_loan.get(loan_id):
            part = _by_schedule(group, schedule_by_loan[loan_id])
            if statement is not None and not part.problems:
                part.problems += _cross_check(part.splits, statement)
            if not part.problems:
                interest = sum(s.interest for s in part.splits)
                principal = sum(s.principal for s in part.splits)
                part.notes.append(f"loan {loan_id} {year}: {len(group)} payment(s) {money(sum(p.cents for p in group))}"
                                  f" split by the lender's schedule: interest {money(interest)} + principal "
                                  f"{money(principal)}" + (" — agrees with the lender's statement"
                                                           if statement is not None else "")
                                  + _escrow_note(sum(s.escrow for s in part.splits)))
        elif statement is not None:
            part = _by_statement(group, statement)
        else:
            part = SplitOutcome([], [ImportProblem(
                f"lumped payment(s) on loan {loan_id} in {year} and no lender figures to split them: give "
                f"--lender-schedule (the lender's amortization schedule) or --lender-statement (year-end "
                f"statement or Form 1098: interest paid, principal at start and end) for {loan_id}",
                [p.row for p in group])], [])
        outcome.splits += part.splits
        outcome.problems += part.problems
        outcome.notes += part.notes
    return outcome


def _escrow_note(escrow: int) -> str:
    if not escrow:
        return ""
    return (f" Escrow {money(escrow)} is left out (not an expense when paid into escrow): add the property taxes "
            "and insurance the lender paid from escrow as their own ledger rows.")


def _cross_check(splits: list[Split], statement: Statement) -> list[ImportProblem]:
    interest = sum(s.interest for s in splits)
    principal = sum(s.principal for s in splits)
    repaid = statement.principal_start - statement.principal_end
    if interest == statement.interest and principal == repaid:
        return []
    return [ImportProblem(
        f"loan {statement.loan_id} {statement.tax_year}: the schedule's lines for the payments give interest "
        f"{money(interest)} and principal {money(principal)}, the lender's statement interest "
        f"{money(statement.interest)} and principal repaid {money(repaid)}", [statement.row], file=statement.file)]
