"""Book checks that come from the law rather than from a column's type: carryover origins, lender
statements that disagree with the ledger, and years a held property has no ledger rows.

Called by `udfi.validate` on the typed tables (money in integer cents, dates as datetime64); each
problem is a row of a table, so it is pinned to its account like every other problem.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from udfi.column_codes import ColumnCodes
from udfi.money import cents_to_decimal

RECONCILIATION_TOLERANCE_CENTS = 50  # a lender statement within $0.50 of the ledger agrees with it
ORIGIN_REQUIRED = {
    "pre2018_nol": "the year the loss arose (before 2018): its 20-year carryforward runs from it "
                   "(IRC §172(b)(1)(A) as in force for losses of years beginning before 2018)",
    "section_1231_loss": "the year the net §1231 loss arose: only losses of the 5 preceding years are "
                         "recaptured (IRC §1231(c))",
}


def law_checks(tables: dict[str, pd.DataFrame], add_rows: Callable, error: str, warning: str,
               column_codes: ColumnCodes | None = None) -> None:
    """`add_rows(severity, table, rows, column, values, expected)` records one problem per row label.
    `column_codes`: the text columns' codes kept by the parser (else they are factorized here)."""
    column_codes = column_codes or ColumnCodes(tables)
    _carryover_origins(tables, add_rows, error)
    _statements_against_ledger(tables, add_rows, warning, column_codes)
    _years_without_ledger_rows(tables, add_rows, warning, column_codes)


def _carryover_origins(tables, add_rows, error) -> None:
    carryovers = tables.get("carryovers")
    if carryovers is None or not len(carryovers) or "origin_year" not in carryovers.columns:
        if carryovers is not None and len(carryovers):
            for kind, why in ORIGIN_REQUIRED.items():
                rows = carryovers.index[carryovers["kind"] == kind]
                add_rows(error, "carryovers", rows, "origin_year", None, f"an origin_year column: {why}")
        return
    kind, origin, year = carryovers["kind"], pd.to_numeric(carryovers["origin_year"]), pd.to_numeric(carryovers["tax_year"])
    for name, why in ORIGIN_REQUIRED.items():
        missing = (kind == name) & origin.isna()
        add_rows(error, "carryovers", carryovers.index[missing], "origin_year", None, f"an origin_year: {why}")
    late = (kind == "pre2018_nol") & origin.notna() & (origin >= 2018)
    add_rows(error, "carryovers", carryovers.index[late], "origin_year", origin[late],
             "a year before 2018 for a pre-2018 NOL (a later loss is a post2017_nol)")
    early = (kind == "post2017_nol") & origin.notna() & (origin < 2018)
    add_rows(error, "carryovers", carryovers.index[early], "origin_year", origin[early],
             "a year after 2017 for a post-2017 NOL (an earlier loss is a pre2018_nol)")
    not_before = origin.notna() & year.notna() & (origin >= year)
    add_rows(error, "carryovers", carryovers.index[not_before], "origin_year", origin[not_before],
             "a year before tax_year (a carryover comes from an earlier year)")


def _statements_against_ledger(tables, add_rows, warning, column_codes: ColumnCodes) -> None:
    statements = tables.get("loan_balances")
    loans = tables["loans"]
    if statements is None or not len(statements) or not len(loans):
        return
    ledger = tables["ledger"]
    by_loan = loans.dropna(subset=["loan_id"]).drop_duplicates("loan_id").set_index("loan_id")
    usable = statements.dropna(subset=["loan_id", "as_of", "balance"])
    usable = usable[usable["loan_id"].isin(by_loan.index)]
    if not len(usable):
        return
    # the repayments as (loan code, day, cents) on the ledger's loan_id codes: no row's id is hashed again
    at = np.flatnonzero((column_codes.where("ledger", "category", lambda v: v == "principal")
                         & column_codes.where("ledger", "loan_id", lambda v: v.notna())
                         & ledger["date"].notna() & ledger["amount"].notna()).to_numpy(dtype=bool))
    loan_codes, loan_ids = column_codes.codes("ledger", "loan_id")
    asked = pd.Index(loan_ids, dtype=object).get_indexer(usable["loan_id"].to_numpy(dtype=object))
    repaid = _repaid_before_codes(loan_codes[at], ledger["date"].to_numpy()[at].astype("datetime64[D]"),
                                  ledger["amount"].iloc[at].to_numpy(dtype=np.int64), asked,
                                  usable["as_of"].to_numpy(dtype="datetime64[D]"))
    implied = usable["loan_id"].map(by_loan["principal"]).astype("Int64") - pd.Series(repaid, index=usable.index)
    stated = usable["balance"].astype("Int64")
    differs = (stated - implied).abs() > RECONCILIATION_TOLERANCE_CENTS
    originated = usable["loan_id"].map(by_loan["originated_on"])
    before_loan = usable["as_of"] < originated
    add_rows(warning, "loan_balances", usable.index[before_loan.to_numpy(dtype=bool)], "as_of",
             usable.loc[before_loan, "as_of"].dt.strftime("%Y-%m-%d"),
             "a statement date on or after the loan's origination (this statement is not used)")
    for index in usable.index[(differs & ~before_loan).to_numpy(dtype=bool)]:
        add_rows(warning, "loan_balances", pd.Index([index]), "balance",
                 [f"{cents_to_decimal(int(stated[index])):,.2f}"],
                 f"a balance that agrees with the ledger within $0.50: the ledger implies "
                 f"{cents_to_decimal(int(implied[index])):,.2f} for loan {usable.at[index, 'loan_id']} at the start of "
                 f"{usable.at[index, 'as_of']:%Y-%m-%d} (difference "
                 f"{cents_to_decimal(int(stated[index] - implied[index])):,.2f}); the statement is used from its date "
                 "on, less later repayments")


def _repaid_before(principal_rows: pd.DataFrame, loan_ids: pd.Series, days: pd.Series) -> np.ndarray:
    """Per (loan_id, day): the principal rows of that loan dated strictly before the day, summed (cents).

    One sort of the repayments by (loan, date), a running total per loan, and a binary search per
    statement — not a scan of the ledger per statement."""
    if not len(principal_rows) or not len(loan_ids):
        return np.zeros(len(loan_ids), dtype=np.int64)
    codes, uniques = pd.factorize(pd.concat([principal_rows["loan_id"], loan_ids], ignore_index=True).astype(object))
    return _repaid_before_codes(codes[:len(principal_rows)], principal_rows["date"].to_numpy(dtype="datetime64[D]"),
                                principal_rows["amount"].to_numpy(dtype=np.int64), codes[len(principal_rows):],
                                days.to_numpy(dtype="datetime64[D]"))


def _repaid_before_codes(row_codes: np.ndarray, row_days: np.ndarray, amounts: np.ndarray, asked_codes: np.ndarray,
                         asked_days: np.ndarray) -> np.ndarray:
    """`_repaid_before` with the loans as integer codes (rows' codes ≥ 0; an asked code of -1, a loan
    no row names, has repaid nothing) and the days as datetime64[D]."""
    if not len(row_codes) or not len(asked_codes):
        return np.zeros(len(asked_codes), dtype=np.int64)
    row_days, asked_days = row_days.astype(np.int64), asked_days.astype(np.int64)
    order = np.lexsort((row_days, row_codes))
    row_codes, row_days = row_codes[order], row_days[order]
    amounts = amounts[order]
    running = pd.Series(amounts).groupby(row_codes).cumsum().to_numpy(dtype=np.int64)
    # Row keys sort like (loan, date); a statement's key finds the rows of its loan dated before it.
    span = int(max(row_days.max(), asked_days.max()) - min(row_days.min(), asked_days.min())) + 2
    base = int(min(row_days.min(), asked_days.min()))
    row_keys = row_codes.astype(np.int64) * span + (row_days - base)
    asked_keys = asked_codes.astype(np.int64) * span + (asked_days - base)
    first = np.searchsorted(row_keys, asked_codes.astype(np.int64) * span, side="left")
    before = np.searchsorted(row_keys, asked_keys, side="left")
    repaid = np.where(before > first, running[np.maximum(before - 1, 0)], 0).astype(np.int64)
    return np.where(asked_codes >= 0, repaid, 0)


def _years_without_ledger_rows(tables, add_rows, warning, column_codes: ColumnCodes) -> None:
    """A held property-year with no ledger rows at all: either history the book does not cover (not
    rolled forward — give carryovers.csv) or a year computed with no rent and no expenses."""
    properties, ledger = tables["properties"], tables["ledger"]
    codes, property_ids = column_codes.codes("ledger", "property_id")
    dated = (codes >= 0) & ledger["date"].notna().to_numpy(dtype=bool)
    if not len(properties) or not dated.any():
        return
    # (property, year) pairs first, on integer codes: the ledger has millions of rows, a property a few years
    codes = codes[dated].astype(np.int64)
    year_of_row = _years_of_days(ledger["date"].to_numpy(dtype="datetime64[D]")[dated])
    last_book_year = int(year_of_row.max())
    pairs, first_year_of_code = _property_years(codes, year_of_row, len(property_ids))
    pair_codes, code_of = pairs // 1_000_000, {property_id: code for code, property_id in enumerate(property_ids)}

    def years_with_rows(property_id) -> set:
        code = code_of.get(property_id)
        if code is None:
            return set()
        low, high = np.searchsorted(pair_codes, [code, code + 1])
        return set((pairs[low:high] % 1_000_000).tolist())
    property_account = properties.set_index("property_id")["account_id"] if "account_id" in properties else None
    first_account_year = {}
    if property_account is not None:
        # the year of a property's first ledger row (the year of its first day: years grow with days)
        first_by_property = pd.Series(first_year_of_code.to_numpy(dtype=np.int64),
                                      index=pd.Index(property_ids[first_year_of_code.index.to_numpy()], dtype=object))
        account_of = first_by_property.index.map(property_account.groupby(level=0).first())
        first_account_year = first_by_property.groupby(account_of).min().to_dict()
    held = properties.dropna(subset=["property_id", "acquired_on"])
    for index, row in held.loc[_with_missing_years(held, pairs, property_ids, last_book_year)].iterrows():
        start = int(row["acquired_on"].year)
        end = last_book_year if pd.isna(row.get("disposed_on")) else min(int(row["disposed_on"].year), last_book_year)
        present = years_with_rows(row["property_id"])
        missing = [year for year in range(start, end + 1) if year not in present]
        if not missing:
            continue
        first = first_account_year.get(row.get("account_id"))
        before = [year for year in missing if first is None or year < first]
        gaps = [year for year in missing if first is not None and year >= first]
        parts = []
        if before:
            parts.append(f"{_years(before)} precede the account's first ledger rows and are not rolled forward "
                         "(give NOL and capital-loss carryovers into the first year in carryovers.csv)")
        if gaps:
            parts.append(f"{_years(gaps)} {'is' if len(gaps) == 1 else 'are'} computed with no rent and no expenses")
        add_rows(warning, "properties", pd.Index([index]), "property_id", [row["property_id"]],
                 f"ledger rows in every year the property is held — none in {_years(missing)}: " + "; ".join(parts))


def _years_of_days(days: np.ndarray) -> np.ndarray:
    """The calendar year of each datetime64[D] day, as int64: each day of the span looked up in a table of
    the span's years (a ledger's million rows fall on a few thousand days; dates end in 2100)."""
    first = days.min().astype(np.int64)
    span = np.arange(first, days.max().astype(np.int64) + 1).astype("datetime64[D]")
    year_of_day = span.astype("datetime64[Y]").astype(np.int64) + 1970
    return year_of_day[days.astype(np.int64) - first]


_MAX_YEAR_GRID = 1 << 26   # cells of the (property, year) grid below; a larger book sorts its pairs


def _property_years(codes: np.ndarray, years: np.ndarray, properties: int) -> tuple[np.ndarray, pd.Series]:
    """(the distinct property code × 1,000,000 + year of the rows, sorted; each code's first year, by code).

    `np.unique` of the row keys, without sorting a million of them: a grid of properties × the book's
    years marks each pair; its marks, read in order, are the sorted distinct pairs."""
    low, high = int(years.min()), int(years.max())
    width = high - low + 1
    if properties * width > _MAX_YEAR_GRID:
        pairs = np.unique(codes * 1_000_000 + years)   # dates end in 2100: a year fits in 6 digits
        return pairs, pd.Series(years).groupby(codes).min()
    grid = np.zeros(properties * width, dtype=bool)
    grid[codes * width + (years - low)] = True
    marked = np.flatnonzero(grid)
    pair_codes, pair_years = marked // width, marked % width + low
    starts = np.flatnonzero(np.r_[True, pair_codes[1:] != pair_codes[:-1]])   # each code's first (smallest) year
    first_year = pd.Series(pair_years[starts], index=pair_codes[starts])
    return pair_codes * 1_000_000 + pair_years, first_year


def _with_missing_years(held: pd.DataFrame, pairs: np.ndarray, property_ids: np.ndarray, last_book_year: int) -> pd.Index:
    """Row labels of the properties with at least one held year (acquisition to disposal or the book's
    last year) that has no ledger row: the distinct ledger years in that span are counted per row.

    `pairs`: the ledger's distinct (property code × 1,000,000 + year), sorted — so a property's years
    in a span are one range of it, found by binary search; `property_ids`: the property of each code."""
    start = held["acquired_on"].dt.year.to_numpy(dtype=np.int64)
    disposed = held["disposed_on"].dt.year if "disposed_on" in held.columns else pd.Series(np.nan, index=held.index)
    end = np.minimum(disposed.fillna(last_book_year).to_numpy(dtype=np.int64), last_book_year)
    span = np.maximum(end - start + 1, 0)
    code = pd.Index(property_ids, dtype=object).get_indexer(held["property_id"].to_numpy(dtype=object))
    base = np.maximum(code, 0).astype(np.int64) * 1_000_000
    covered = np.searchsorted(pairs, base + end, side="right") - np.searchsorted(pairs, base + start, side="left")
    covered = np.where((code >= 0) & (span > 0), np.maximum(covered, 0), 0)
    return held.index[covered < span]


def _years(years: list[int]) -> str:
    spans, start = [], years[0]
    for previous, current in zip(years, years[1:] + [None]):
        if current != previous + 1:
            spans.append(str(start) if start == previous else f"{start}–{previous}")
            start = current
    return ", ".join(spans)
