"""The book-level checks a preparer would make once every cell is parsed: references between the
tables, loans of another property, holding periods, totals per owner under the bound — on the text
columns' integer codes the cell parser kept (one look-up per distinct id, not per row)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from udfi.background import on_a_thread
from udfi.column_codes import ColumnCodes
from udfi.k1_checks import k1_checks
from udfi.law_checks import law_checks
from udfi.reading import ERROR, WARNING, Problem
from udfi.schemas import TableSpec
from udfi.validate_cells import MAX_AMOUNT_CENTS, Collector

_TOTAL_KEYS = {"ledger": "property_id", "loans": "property_id", "depreciation": "property_id",
               "loan_balances": "loan_id", "properties": "account_id", "carryovers": "account_id",
               "payments": "account_id"}


_ROWS_SUMMED_EXACTLY = (2**63 - 1) // MAX_AMOUNT_CENTS   # int64 sums of this many |amounts| cannot wrap


def _exact_total(magnitude: np.ndarray) -> int:
    """The sum of non-negative int64 amounts of at most MAX_AMOUNT_CENTS each, exactly: int64 sums of
    slices of `_ROWS_SUMMED_EXACTLY` rows cannot wrap, and the slices' sums are added as Python integers."""
    return sum(int(magnitude[start:start + _ROWS_SUMMED_EXACTLY].sum())
               for start in range(0, len(magnitude), _ROWS_SUMMED_EXACTLY))


def _map(values: pd.Series, mapping: pd.Series) -> pd.Series:
    """`values.map(mapping)`, also when `mapping` is empty (pandas then fails to cast a datetime
    mapping to float: a header-only loans or properties table)."""
    if mapping.empty:
        return pd.Series(index=values.index, dtype=mapping.dtype)
    return values.map(mapping)


class _Lookups:
    """`_map` for the id columns of one table: each id is looked up once, not once per row (the
    ledger's millions of ids are a few thousand distinct ones)."""

    def __init__(self, column_codes: ColumnCodes, table: str):
        self.column_codes, self.table = column_codes, table

    def map(self, column: str, mapping: pd.Series) -> pd.Series:
        values = self.column_codes.tables[self.table][column]
        if mapping.empty or not mapping.index.is_unique:
            return _map(values, mapping)
        codes, uniques = self.column_codes.codes(self.table, column)
        if not len(uniques):   # every value empty
            return pd.Series(index=values.index, dtype=mapping.dtype)
        where = mapping.index.get_indexer(pd.Index(uniques, dtype=object))
        taken = mapping.take(np.where(where < 0, 0, where)).to_numpy()
        known = (where >= 0)[codes] & (codes >= 0)
        result = pd.Series(taken[np.where(codes < 0, 0, codes)], index=values.index, dtype=mapping.dtype)
        return result.where(known)


def _loan_of_another_property(column_codes: ColumnCodes, property_of_loan: pd.Series) -> pd.Series:
    """Ledger rows whose loan_id names a loan of another property than the row's property_id, compared
    as codes: each distinct loan's property is looked up once."""
    ledger = column_codes.tables["ledger"]
    loan_codes, loan_ids = column_codes.codes("ledger", "loan_id")
    property_codes, property_ids = column_codes.codes("ledger", "property_id")
    if property_of_loan.empty or not len(loan_ids):
        return pd.Series(False, index=ledger.index)
    where = property_of_loan.index.get_indexer(pd.Index(loan_ids, dtype=object))
    their_property = property_of_loan.to_numpy(dtype=object).take(np.where(where < 0, 0, where))
    known = (where >= 0) & pd.notna(their_property)
    # their property as a code of the row's property_id column; -2 for one no row names (never equal)
    their_code = pd.Index(property_ids, dtype=object).get_indexer(np.where(known, their_property, None))
    their_code = np.where(their_code < 0, -2, their_code)
    row_loan = np.where(loan_codes < 0, 0, loan_codes)
    wrong = (loan_codes >= 0) & known[row_loan] & (their_code[row_loan] != property_codes)
    return pd.Series(wrong, index=ledger.index)


def _cross_checks(tables: dict[str, pd.DataFrame], collect: Collector, column_codes: ColumnCodes) -> None:
    accounts = tables["accounts"]
    properties = tables["properties"]
    loans = tables["loans"]
    ledger = tables["ledger"]

    def reference(table: str, column: str, target: pd.Series, what: str) -> None:
        frame = tables[table]
        values = frame[column]
        known = set(target.dropna())
        bad = column_codes.where(table, column, lambda distinct: distinct.notna() & ~distinct.isin(known))
        collect.add_rows(ERROR, table, frame.index[bad], column, values[bad], f"{what} that exists")

    reference("properties", "account_id", accounts["account_id"], "an account_id from accounts.csv")
    reference("loans", "property_id", properties["property_id"], "a property_id from properties.csv")
    reference("ledger", "property_id", properties["property_id"], "a property_id from properties.csv")
    reference("ledger", "loan_id", loans["loan_id"], "a loan_id from loans.csv")
    for optional, column, target, what in (
        ("depreciation", "property_id", properties["property_id"], "a property_id from properties.csv"),
        ("loan_balances", "loan_id", loans["loan_id"], "a loan_id from loans.csv"),
        ("carryovers", "account_id", accounts["account_id"], "an account_id from accounts.csv"),
        ("payments", "account_id", accounts["account_id"], "an account_id from accounts.csv"),
    ):
        if optional in tables:
            reference(optional, column, target, what)

    # properties: land ≤ cost, dates in order, amount realized with a disposal
    land_over = properties["land_value"].notna() & properties["cost_basis"].notna() & (
        properties["land_value"] > properties["cost_basis"])
    collect.add_rows(ERROR, "properties", properties.index[land_over], "land_value",
                     properties.loc[land_over, "land_value"].map(lambda c: f"{int(c) / 100:.2f}"),
                     "a land value no greater than cost_basis")
    early_disposal = properties["disposed_on"].notna() & (properties["disposed_on"] < properties["acquired_on"])
    collect.add_rows(ERROR, "properties", properties.index[early_disposal], "disposed_on",
                     properties.loc[early_disposal, "disposed_on"].dt.strftime("%Y-%m-%d"),
                     "a disposal date on or after acquired_on")
    early_service = properties["placed_in_service_on"].notna() & (
        properties["placed_in_service_on"] < properties["acquired_on"])
    collect.add_rows(ERROR, "properties", properties.index[early_service], "placed_in_service_on",
                     properties.loc[early_service, "placed_in_service_on"].dt.strftime("%Y-%m-%d"),
                     "a placed-in-service date on or after acquired_on")
    no_amount = properties["disposed_on"].notna() & properties["amount_realized"].isna()
    collect.add_rows(ERROR, "properties", properties.index[no_amount], "amount_realized", None,
                     "an amount realized (required when disposed_on is set)")
    no_date = properties["disposed_on"].isna() & properties["amount_realized"].notna()
    collect.add_rows(WARNING, "properties", properties.index[no_date], "disposed_on", None,
                     "a disposal date when amount_realized is given (the amount is ignored)")

    # loans: refinance structure, prohibited-transaction flags
    purpose = loans["purpose"]
    refinances = loans["refinances"]
    missing_target = (purpose == "refinance") & refinances.isna()
    collect.add_rows(ERROR, "loans", loans.index[missing_target], "refinances", None,
                     "the loan_id this loan refinances (required when purpose is refinance)")
    stray = (purpose != "refinance") & refinances.notna()
    collect.add_rows(ERROR, "loans", loans.index[stray], "refinances", refinances[stray],
                     "no value unless purpose is refinance")
    by_id = loans.drop_duplicates("loan_id").set_index("loan_id")
    target_property = _map(refinances, by_id["property_id"])
    other_property = refinances.notna() & target_property.notna() & (target_property != loans["property_id"])
    collect.add_rows(ERROR, "loans", loans.index[other_property], "refinances", refinances[other_property],
                     "a loan of the same property (a refinance cannot take over another property's loan)")
    target_date = _map(refinances, by_id["originated_on"])
    later_target = refinances.notna() & target_date.notna() & (target_date > loans["originated_on"])
    collect.add_rows(ERROR, "loans", loans.index[later_target], "refinances", refinances[later_target],
                     "a loan originated on or before this one")
    twice = refinances.notna() & refinances.duplicated(keep="first")
    collect.add_rows(ERROR, "loans", loans.index[twice], "refinances", refinances[twice],
                     "a loan not already refinanced by another loan")
    # Follow every chain; a pointer that never reaches a loan without `refinances` is a loop.
    pointer = refinances.copy()
    self_loop = pd.Series(False, index=loans.index)
    for _ in range(min(len(loans), 64) + 1):
        if pointer.isna().all():
            break
        self_loop |= pointer.notna() & (pointer == loans["loan_id"])
        pointer = _map(pointer, by_id["refinances"]).where(pointer.notna())
    looping = pointer.notna() | self_loop
    collect.add_rows(ERROR, "loans", loans.index[looping], "refinances", refinances[looping],
                     "a refinance chain that ends (this chain loops back on itself)")
    for flag, text in (
        ("recourse", "a non-recourse loan: a recourse loan extends credit to the account "
                     "(prohibited-transaction risk, IRC §4975(c)(1)(B))"),
        ("lender_is_disqualified_person", "a lender who is not a disqualified person "
                                          "(IRC §4975(c)(1)(B) prohibited transaction; also defeats §514(c)(9))"),
    ):
        flagged = loans[flag].astype(bool)
        collect.add_rows(WARNING, "loans", loans.index[flagged], flag, loans.loc[flagged, flag], text)

    # ledger: loan rules, holding period, duplicates, balances
    needs_loan = (column_codes.where("ledger", "category", lambda v: v.isin(["interest", "principal"]))
                  & column_codes.where("ledger", "loan_id", lambda v: v.isna()))
    collect.add_rows(ERROR, "ledger", ledger.index[needs_loan], "loan_id", None,
                     "a loan_id (required for interest and principal rows)")
    wrong_property = _loan_of_another_property(column_codes, by_id["property_id"])
    collect.add_rows(ERROR, "ledger", ledger.index[wrong_property], "loan_id", ledger.loc[wrong_property, "loan_id"],
                     "a loan of the row's property (" + "the loan belongs to another property)")
    # The law's checks on a thread, beside the ledger's checks below (much of both is numpy's work, run
    # without the interpreter's lock); their problems are kept apart and listed where they always were.
    law_problems: list[Problem] = []
    law = on_a_thread(law_checks, tables, Collector(law_problems, collect.file_of).add_rows, ERROR, WARNING,
                      column_codes)
    # Each of the ledger's checks in its own function: its row-sized intermediates are freed when it
    # returns, not held while the next one runs (peak memory of a million-row ledger).
    _holding_periods(ledger, properties, collect, column_codes)
    duplicated = tables["_ledger_duplicated"]
    collect.add_rows(WARNING, "ledger", ledger.index[duplicated], None, None,
                     "a unique row (this row repeats an earlier row exactly; both are counted)")
    _principal_balances(ledger, by_id, collect, column_codes)

    law.result()
    collect.problems.extend(law_problems)
    k1_checks(tables, collect.add_rows, ERROR, WARNING)

    if "depreciation" in tables:
        depreciation = tables["depreciation"]
        twice = depreciation.duplicated(["property_id", "tax_year"], keep="first") & depreciation["tax_year"].notna()
        collect.add_rows(ERROR, "depreciation", depreciation.index[twice], "tax_year", depreciation["tax_year"][twice],
                         "one row per property and tax year")


def _holding_periods(ledger: pd.DataFrame, properties: pd.DataFrame, collect: Collector,
                     column_codes: ColumnCodes) -> None:
    held = properties.drop_duplicates("property_id").set_index("property_id")
    if held.empty or not held.index.is_unique:
        lookups = _Lookups(column_codes, "ledger")
        start = lookups.map("property_id", held["acquired_on"])
        end = lookups.map("property_id", held["disposed_on"])
        outside = ledger["date"].notna() & start.notna() & (
            (ledger["date"] < start) | (end.notna() & (ledger["date"] > end)))
    else:   # the same comparison on the property_id codes: each property's period looked up once
        codes, property_ids = column_codes.codes("ledger", "property_id")
        where = held.index.get_indexer(pd.Index(property_ids, dtype=object))
        where = np.append(where, -1)[codes]   # a row's place in `held`; -1: a missing or unknown property
        known = where >= 0

        def of_row(column: str) -> np.ndarray:   # NaT where unknown; NaT compares False, as pandas' NaT
            days = held[column].to_numpy(dtype="datetime64[ns]").take(np.maximum(where, 0))
            return np.where(known, days, np.datetime64("NaT", "ns"))
        date, start, end = ledger["date"].to_numpy(dtype="datetime64[ns]"), of_row("acquired_on"), of_row("disposed_on")
        outside = pd.Series(~np.isnat(date) & ~np.isnat(start) & ((date < start) | (~np.isnat(end) & (date > end))),
                            index=ledger.index)
    collect.add_rows(WARNING, "ledger", ledger.index[outside], "date",
                     ledger.loc[outside, "date"].dt.strftime("%Y-%m-%d"),
                     "a date within the property's holding period (row is ignored by the computation)")


def _principal_balances(ledger: pd.DataFrame, by_id: pd.DataFrame, collect: Collector,
                        column_codes: ColumnCodes) -> None:
    """Principal repayments that take a loan below zero, or precede its origination.

    The repayments in the order of (loan_id as text, date, row), on the loan_id column's integer codes:
    each distinct loan's principal and origination are looked up once, not once per row."""
    principal_rows = (column_codes.where("ledger", "category", lambda v: v == "principal")
                      & column_codes.where("ledger", "loan_id", lambda v: v.notna()))
    at = np.flatnonzero((principal_rows & ledger["amount"].notna() & ledger["date"].notna()).to_numpy(dtype=bool))
    if not len(at):
        return
    loan_codes, loan_ids = column_codes.codes("ledger", "loan_id")
    rank = np.empty(len(loan_ids), dtype=np.int64)   # each distinct loan_id's place in text order
    rank[np.argsort(loan_ids, kind="stable")] = np.arange(len(loan_ids))
    codes = loan_codes[at]
    days = ledger["date"].to_numpy(dtype="datetime64[ns]")[at]
    order = np.lexsort((days, rank[codes]))   # stable: rows of one loan and day stay in file order
    at, codes, days = at[order], codes[order], days[order]
    amounts = ledger["amount"].to_numpy(dtype=np.int64, na_value=0)[at]
    paid = pd.Series(amounts).groupby(codes, sort=False).cumsum().to_numpy(dtype=np.int64)
    if by_id.empty:
        return
    where = by_id.index.get_indexer(pd.Index(loan_ids, dtype=object))
    known = where >= 0
    of_loan = np.maximum(where, 0)   # (position 0 stands in for an unknown loan; `known` masks it)
    principal = by_id["principal"]
    has_principal = known & ~principal.isna().to_numpy(dtype=bool).take(of_loan)
    remaining = principal.to_numpy(dtype=np.int64, na_value=0).take(of_loan)[codes] - paid
    negative = has_principal[codes] & (remaining < 0)
    first = np.flatnonzero(negative)
    first = first[~pd.Series(codes[first]).duplicated(keep="first").to_numpy(dtype=bool)] if len(first) else first
    labels = ledger.index.to_numpy()
    for position in first.tolist():
        loan_id = loan_ids[codes[position]]
        collect.add(ERROR, "ledger", labels[at[position]], "amount", f"{int(amounts[position]) / 100:.2f}",
                    f"principal repayments that leave loan {loan_id} at or above zero "
                    f"(this row brings it to {int(remaining[position]) / 100:.2f})")
    originated = by_id["originated_on"].to_numpy(dtype="datetime64[ns]").take(of_loan)
    originated = np.where(known, originated, np.datetime64("NaT"))
    before_origination = days < originated[codes]   # NaT compares False
    rows = at[before_origination]
    collect.add_rows(ERROR, "ledger", ledger.index[rows], "date",
                     pd.Series(days[before_origination]).dt.strftime("%Y-%m-%d"),
                     "a principal repayment dated on or after the loan's origination")


def _attribute_accounts(problems: list[Problem], tables: dict[str, pd.DataFrame], file_of: dict[str, str]) -> list[Problem]:
    """Pin each row problem to its account so one bad account never stops the others."""
    table_of = {file: table for table, file in file_of.items()}
    properties = tables.get("properties")
    loans = tables.get("loans")
    property_account = (properties.dropna(subset=["property_id"]).drop_duplicates("property_id")
                        .set_index("property_id")["account_id"]) if properties is not None else pd.Series(dtype=object)
    loan_property = (loans.dropna(subset=["loan_id"]).drop_duplicates("loan_id")
                     .set_index("loan_id")["property_id"]) if loans is not None else pd.Series(dtype=object)

    def account_of(table: str, row_index: int) -> str | None:
        frame = tables.get(table)
        if frame is None or row_index not in frame.index:
            return None
        record = frame.loc[row_index]
        if "account_id" in frame.columns and isinstance(record.get("account_id"), str):
            return record["account_id"]
        property_id = record.get("property_id") if "property_id" in frame.columns else None
        if not isinstance(property_id, str) and "loan_id" in frame.columns and isinstance(record.get("loan_id"), str):
            property_id = loan_property.get(record["loan_id"])
        if isinstance(property_id, str):
            account = property_account.get(property_id)
            return account if isinstance(account, str) else None
        return None

    attributed = []
    for problem in problems:
        account = None
        table = table_of.get(problem.file)
        if problem.row is not None and table and not problem.book_wide:
            account = account_of(table, problem.row - 2)
        attributed.append(Problem(problem.severity, problem.file, problem.row, problem.column, problem.value,
                                  problem.expected, account, problem.book_wide))
    return attributed


def _check_totals(typed: dict[str, pd.DataFrame], specs: dict[str, TableSpec], collect: Collector,
                  column_codes: ColumnCodes) -> None:
    """The total of |amounts| per owner (see _TOTAL_KEYS) must stay within MAX_AMOUNT_CENTS.

    Summed exactly: each |amount| ≤ 10^14 is split into high and low 32-bit halves whose per-group
    int64 sums cannot wrap (fewer than 2^31 rows), then recombined as Python integers. The first row
    at which a group's running total passes the bound is named."""
    for table, key in _TOTAL_KEYS.items():
        frame = typed.get(table)
        if frame is None or frame.empty or key not in frame.columns:
            continue
        owner_codes, owners = column_codes.codes(table, key)
        for column in (c.name for c in specs[table].columns if c.type == "money"):
            values = frame[column]
            known = (values.notna().to_numpy(dtype=bool) & (owner_codes >= 0))
            if not known.any():
                continue
            magnitude = np.abs(values.to_numpy(dtype=np.int64, na_value=0)[known])
            # No owner can pass the bound when all owners together do not — every book far from it.
            if _exact_total(magnitude) <= MAX_AMOUNT_CENTS:
                continue
            keys = owner_codes[known]   # the owner's code: equal codes, equal owners
            parts = pd.DataFrame({"key": keys, "high": magnitude >> 32, "low": magnitude & 0xFFFFFFFF})
            sums = parts.groupby("key", sort=False)[["high", "low"]].sum()
            # only groups whose approximate total comes near the bound are recombined exactly
            approximate = sums["high"].to_numpy(dtype=np.float64) * 2.0**32 + sums["low"].to_numpy(dtype=np.float64)
            near = np.flatnonzero(approximate > MAX_AMOUNT_CENTS * (1 - 1e-9))
            totals = {code: (int(high) << 32) + int(low)
                      for code, high, low in zip(sums.index[near], sums["high"].iloc[near], sums["low"].iloc[near])}
            over = [code for code, total in totals.items() if total > MAX_AMOUNT_CENTS]
            for code in over:
                owner = owners[code]
                rows = frame.index[known][keys == code]
                running = 0
                for row, amount in zip(rows, magnitude[keys == code]):
                    running += int(amount)
                    if running > MAX_AMOUNT_CENTS:
                        collect.add(ERROR, table, row, column, f"{int(values[row]) / 100:.2f}",
                                    f"amounts whose total for {key} {owner} stays within "
                                    f"${MAX_AMOUNT_CENTS // 100:,}.00 (udfi's bound; the total of this column "
                                    f"reaches ${totals[code] // 100:,} and passes the bound at this row)")
                        break
