"""Checks of the k1s table (and of carryovers.csv's per-silo column) a custodian needs: the account
exists, percentages are percentages, a partnership appears once a year, a non-qualifying interest has
the NAICS code that names its Schedule A, and a warning when an interest that qualified last year
stops qualifying (Treas. Reg. §1.512(a)-6(c)).

Called by `udfi.validate` on the typed tables (text percentages, money in cents); every problem is a
row of a table, so it is pinned to its account like every other problem.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from udfi.engine.k1 import (GRACE_PERIOD, PERCENT_COLUMNS, TEST_WORDS, activity_code_problem, parse_percent,
                            qualification, thresholds)
from udfi.parameters import MissingParameterError

INVESTMENT_CODES = ("900000",)   # the investment-activities silo's default Schedule A item C code
PERCENT_EXPECTED = "a percentage from 0 to 100, like 1.5 (meaning 1.5%)"


def k1_checks(tables: dict[str, pd.DataFrame], add_rows: Callable, error: str, warning: str) -> None:
    """`add_rows(severity, table, rows, column, values, expected)` records one problem per row label."""
    k1s = tables.get("k1s")
    if k1s is not None and len(k1s):
        _accounts(k1s, tables["accounts"], add_rows, error)
        percents = _percentages(k1s, add_rows, error)
        _once_a_year(k1s, add_rows, error)
        _tests(k1s, percents, add_rows, error, warning)
    carryovers = tables.get("carryovers")
    if carryovers is not None and len(carryovers) and "activity_code" in carryovers.columns:
        _carryover_codes(carryovers, add_rows, error)


def _accounts(k1s, accounts, add_rows, error) -> None:
    known = set(accounts["account_id"].dropna())
    bad = k1s["account_id"].notna() & ~k1s["account_id"].isin(known)
    add_rows(error, "k1s", k1s.index[bad], "account_id", k1s.loc[bad, "account_id"],
             "an account_id from accounts.csv that exists")


def _percentages(k1s, add_rows, error) -> pd.DataFrame:
    """The percent columns parsed (None where empty or bad); bad and out-of-range values reported."""
    parsed = {}
    for column in PERCENT_COLUMNS + ("related_capital_pct",):
        values = k1s[column] if column in k1s.columns else pd.Series([None] * len(k1s), index=k1s.index)
        numbers = values.map(parse_percent)
        given = values.notna() & values.astype(str).str.strip().ne("")
        malformed = given & numbers.isna()
        add_rows(error, "k1s", k1s.index[malformed], column, values[malformed], PERCENT_EXPECTED)
        over = numbers.notna() & numbers.map(lambda value: value is not None and value > 100)
        add_rows(error, "k1s", k1s.index[over], column, values[over],
                 PERCENT_EXPECTED + " (a share of a partnership cannot exceed 100%)")
        parsed[column] = numbers.where(~over, None)
    return pd.DataFrame(parsed, index=k1s.index)


def _once_a_year(k1s, add_rows, error) -> None:
    keys = ["account_id", "tax_year", "partnership_id"]
    twice = k1s.dropna(subset=keys).duplicated(keys, keep="first")
    rows = twice.index[twice]
    add_rows(error, "k1s", rows, "partnership_id", k1s.loc[rows, "partnership_id"],
             "one K-1 per partnership per account and tax year (this partnership already has a row for the year; "
             "add the amounts of a corrected K-1 into one row)")
    by_ein = k1s.dropna(subset=["account_id", "tax_year", "partnership_ein"])
    same_ein = by_ein.duplicated(["account_id", "tax_year", "partnership_ein"], keep="first") & \
        ~by_ein.duplicated(keys, keep="first")
    rows = same_ein.index[same_ein]
    add_rows(error, "k1s", rows, "partnership_ein", k1s.loc[rows, "partnership_ein"],
             "one K-1 per partnership per account and tax year (another row of the year has this partnership EIN "
             "under a different partnership_id)")


def _tests(k1s, percents, add_rows, error, warning) -> None:
    """The activity code a non-qualifying interest needs, and the grace-period warnings."""
    codes = k1s["activity_code"] if "activity_code" in k1s.columns else pd.Series([None] * len(k1s), index=k1s.index)
    given = codes.notna() & codes.astype(str).str.strip().ne("")
    problems = codes[given].map(activity_code_problem)
    bad = problems.notna()
    for row in problems.index[bad]:
        add_rows(error, "k1s", pd.Index([row]), "activity_code", [str(codes[row])], problems[row])
    tests: dict[tuple, str | None] = {}
    order = k1s.assign(_year=pd.to_numeric(k1s["tax_year"], errors="coerce")).sort_values(["_year"], kind="stable")
    for row, record in order.iterrows():
        values = [percents.at[row, column] for column in PERCENT_COLUMNS]
        if any(value is None for value in values) or pd.isna(record["_year"]) or not isinstance(record["account_id"], str):
            continue
        year = int(record["_year"])
        try:
            limits = thresholds(year)
        except MissingParameterError:
            continue  # the computation reports a year without parameters
        key = (record["account_id"], record["partnership_id"])
        prior = tests.get(key + (year - 1,), "absent")
        related = percents.at[row, "related_capital_pct"] or 0
        result = qualification(*values, control=bool(record.get("control")), related_capital_pct=related,
                               limits=limits, prior_test=None if prior in ("absent", GRACE_PERIOD) else prior,
                               increase_by_other_partners=bool(record.get("increase_by_other_partners")))
        tests[key + (year,)] = result.test
        if result.test is None and not given[row]:
            add_rows(error, "k1s", pd.Index([row]), "activity_code", None,
                     "the partnership's 6-digit NAICS code: this interest is its own trade or business by the "
                     f"code's first two digits (Reg. §1.512(a)-6(b)) — it is {result.explanation}")
        if prior in (None, "absent") or prior == GRACE_PERIOD:
            if record.get("increase_by_other_partners") and result.test is None:
                add_rows(warning, "k1s", pd.Index([row]), "increase_by_other_partners", ["true"],
                         "a preceding-year K-1 row of this partnership that meets a test (the grace period applies "
                         "only then; the interest is treated as not qualifying)")
            continue
        if result.test is None or result.test == GRACE_PERIOD:
            column = "control" if record.get("control") and result.participation_capital_pct <= \
                limits.participation_capital_pct else "capital_pct_end"
            then = "; it is treated as qualifying this year only (grace period)" if result.test == GRACE_PERIOD \
                else ("; if other partners' actions caused the change, set increase_by_other_partners (grace period)"
                      f"; it now goes on a Schedule A of its own")
            add_rows(warning, "k1s", pd.Index([row]), column, [str(record.get(column))],
                     f"an interest that still qualifies: it met the {TEST_WORDS[prior]} in {year - 1}, but now it is "
                     f"{result.explanation}{then}")


def _carryover_codes(carryovers, add_rows, error) -> None:
    codes = carryovers["activity_code"]
    given = codes.notna() & codes.astype(str).str.strip().ne("")
    other_kind = given & (carryovers["kind"] != "post2017_nol")
    add_rows(error, "carryovers", carryovers.index[other_kind], "activity_code", codes[other_kind],
             "no activity_code except on a post2017_nol row (pre-2018 NOLs and capital losses are not kept by silo: "
             "pre-2018 NOLs are deducted from total UBTI, Reg. §1.512(a)-6(h)(2))")
    for row in carryovers.index[given & ~other_kind]:
        code = str(codes[row]).strip()
        if code in INVESTMENT_CODES:
            continue
        problem = activity_code_problem(code)
        if problem:
            add_rows(error, "carryovers", pd.Index([row]), "activity_code", [code],
                     f"{problem}, or blank (or {INVESTMENT_CODES[0]}) for the investment-activities silo")
