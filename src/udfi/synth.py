"""Synthetic books for scale tests: `udfi synth --accounts N --years 2020-2025 --seed S --out DIR`.

Deterministic for a seed (same bytes on the same numpy), realistic in shape, and fast: everything is
generated with numpy over whole arrays — amortization runs one vectorized step per month across all
loans — and money is integer cents from start to finish (amounts are written as exact 2-decimal
strings; the level payment is the only figure derived through a float, and it is rounded to an
integer number of cents before any use).

Per account: 1–3 properties acquired mid-month within the year range; most financed by an amortizing
non-recourse loan (monthly interest + principal rows on the 1st); monthly rent; property taxes twice a
year, annual insurance, quarterly utilities and management, occasional repairs, late fees and capital
improvements. Some loans are refinanced (new loan with `purpose: refinance` + `refinances`, the old loan
paid off by a principal row on the refinance date, often with cash out), some paid off early, some
properties sold (loan paid off at the sale). A few accounts are tiny (a small land lease) or barely
leveraged so they fall below the $1,000 filing threshold. Account types are mostly traditional IRAs with
Roth IRAs, SEP/SIMPLE IRAs and Solo 401(k)s mixed in.

`broken=K` breaks K accounts, each in one of several ways (bad date, principal overpayment driving the
balance negative, loan pointing at a missing property, land above cost, …); every other account stays
valid. DIR/broken.txt lists `account_id<TAB>kind<TAB>what` for each.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CATEGORIES = np.array(["rent", "other_income", "interest", "principal", "taxes", "insurance", "repairs",
                       "management", "utilities", "other_expense", "improvement"])
CAT = {name: i for i, name in enumerate(CATEGORIES)}
ACCOUNT_TYPES = np.array(["traditional_ira", "roth_ira", "sep_ira", "simple_ira", "solo_401k"])
ACCOUNT_TYPE_P = [0.62, 0.18, 0.05, 0.03, 0.12]
PROPERTY_TYPES = np.array(["residential_rental", "nonresidential_real", "land"])

BROKEN_KINDS = (
    ("bad_date", "a ledger row dated 2021-02-30"),
    ("principal_overpayment", "an extra principal row that drives the loan balance below zero"),
    ("missing_property", "a loan whose property_id does not exist"),
    ("land_over_cost", "land_value greater than cost_basis"),
    ("bad_amount", "a ledger amount that is not money"),
    ("interest_without_loan", "an interest row without loan_id"),
    ("unknown_category", "a ledger row with an unknown category"),
    ("ssn_ein", "an SSN-shaped EIN"),
    ("service_before_acquisition", "placed_in_service_on before acquired_on"),
)

_FIRST = np.array("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
                  "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark "
                  "Sandra Steven Ashley Andrew Emily Kevin Donna Brian Michelle Priya Wei Carlos Aisha Tomas "
                  "Mei Olga Ravi Fatima Diego Hannah Samuel Grace".split())
_LAST = np.array("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
                 "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
                 "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
                 "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Okafor Chen "
                 "Patel Kowalski Lindqvist".split())
_INITIAL = np.array(list("ABCDEFGHJKLMNPRSTW"))
_CUSTODIANS = np.array(["Pinecrest Trust Company", "Equinox Self-Directed IRA Services", "Harborview Trust Co",
                        "Summit Bay Trust Co", "Northgate Fiduciary Services", "Cardinal Trust Company"])
_CUSTODIAN_ADDR = np.array([
    ("1200 Lakeview Dr Suite 400", "Columbus", "OH", "43215", "614-555-0142"),
    ("77 Franklin St 9th Floor", "Boston", "MA", "02110", "617-555-0160"),
    ("2500 Harbor Blvd", "Long Beach", "CA", "90802", "562-555-0133"),
    ("500 Harbor Blvd Ste 210", "Tacoma", "WA", "98402", "253-555-0119"),
    ("40 N Central Ave Suite 1100", "Phoenix", "AZ", "85004", "602-555-0175"),
    ("310 Peachtree St NE", "Atlanta", "GA", "30303", "404-555-0128"),
])
_STREETS = np.array("Maple Oak Pine Cedar Elm Birch Walnut Chestnut Willow Spruce Hickory Magnolia Sycamore "
                    "Aspen Juniper Laurel Poplar Cypress Dogwood Redwood".split())
_SUFFIX = np.array(["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Pl", "Blvd"])
_CITIES = np.array([("Columbus", "OH", "432"), ("Dayton", "OH", "454"), ("Indianapolis", "IN", "462"),
                    ("Louisville", "KY", "402"), ("Memphis", "TN", "381"), ("Tulsa", "OK", "741"),
                    ("Omaha", "NE", "681"), ("Boise", "ID", "837"), ("Spokane", "WA", "992"),
                    ("Tucson", "AZ", "857"), ("Albuquerque", "NM", "871"), ("Raleigh", "NC", "276"),
                    ("Asheville", "NC", "288"), ("Greenville", "SC", "296"), ("Birmingham", "AL", "352"),
                    ("Little Rock", "AR", "722"), ("Des Moines", "IA", "503"), ("Wichita", "KS", "672"),
                    ("Reno", "NV", "895"), ("El Paso", "TX", "799")])
_BUSINESS = np.array(["Consulting LLC", "Design Studio LLC", "Builders Inc", "Analytics LLC", "Dental PLLC",
                      "Landscaping LLC", "Media Group LLC", "Engineering PC"])
# IRS campus EIN prefixes (a subset of the valid ones).
_EIN_PREFIX = np.array(["20", "26", "27", "45", "46", "47", "81", "82", "83", "84", "85", "86", "87", "88",
                        "90", "91", "92", "93", "98", "99"])


@dataclass
class SynthSummary:
    out: Path
    accounts: int
    properties: int
    loans: int
    ledger_rows: int
    broken: list[tuple[str, str, str]]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _ragged(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, the integers starts[i]..ends[i] inclusive: returns (owner index, value)."""
    counts = np.maximum(ends - starts + 1, 0)
    owner = np.repeat(np.arange(len(starts)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, starts[owner] + offsets


def _money(cents: np.ndarray) -> np.ndarray:
    """int64 cents → exact strings with two decimals, vectorized."""
    cents = np.asarray(cents, dtype=np.int64)
    mag = np.abs(cents)
    frac = np.array([f"{i:02d}" for i in range(100)], dtype=object)[mag % 100]
    whole = (mag // 100).astype(str).astype(object)
    text = whole + "." + frac
    neg = cents < 0
    if neg.any():
        text[neg] = "-" + text[neg]
    return text


def _half_up_div(num: np.ndarray, den: int) -> np.ndarray:
    """Round num/den half away from zero, integers only."""
    return np.sign(num) * ((np.abs(num) * 2 + den) // (2 * den))


def _level_payment(principal: np.ndarray, bps: np.ndarray, months: np.ndarray) -> np.ndarray:
    rate = bps / 120000.0
    pmt = principal * rate / (1.0 - (1.0 + rate) ** (-months.astype(float)))
    return np.floor(pmt + 0.5).astype(np.int64)


def _amortize(principal, bps, payment, first_m, last_m, stmt_flag):
    """Vectorized monthly schedule. Returns (rows: loan, month, interest, principal), final balances,
    and Jan-1 statements (loan, month index of that January, balance)."""
    n = len(principal)
    balance = principal.astype(np.int64).copy()
    out_loan, out_month, out_int, out_prin = [], [], [], []
    st_loan, st_month, st_bal = [], [], []
    if n == 0 or (last_m < first_m).all():
        return (np.zeros(0, np.int64),) * 4, balance, (np.zeros(0, np.int64),) * 3
    lo, hi = int(first_m.min()), int(last_m.max())
    for month in range(lo, hi + 1):
        active = np.flatnonzero((first_m <= month) & (month <= last_m) & (balance > 0))
        if not len(active):
            continue
        bal = balance[active]
        interest = _half_up_div(bal * bps[active], 120000)
        prin = np.minimum(payment[active] - interest, bal)
        balance[active] = bal - prin
        out_loan.append(active)
        out_month.append(np.full(len(active), month, np.int64))
        out_int.append(interest)
        out_prin.append(prin)
        if month % 12 == 11:  # December payment made: a statement as of January 1 if the loan lives on
            alive = active[stmt_flag[active] & (last_m[active] > month)]
            st_loan.append(alive)
            st_month.append(np.full(len(alive), month + 1, np.int64))
            st_bal.append(balance[alive])
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64)  # noqa: E731
    return ((cat(out_loan), cat(out_month), cat(out_int), cat(out_prin)), balance,
            (cat(st_loan), cat(st_month), cat(st_bal)))


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


def generate(accounts: int, first_year: int, last_year: int, seed: int, broken: int = 0
             ) -> tuple[dict[str, pd.DataFrame], list[tuple[str, str, str]]]:
    """Build all tables in memory (text columns). Returns (tables, broken list)."""
    if accounts < 1:
        raise ValueError("accounts must be ≥ 1")
    if last_year < first_year:
        raise ValueError("years must be FIRST-LAST with FIRST ≤ LAST")
    if not 0 <= broken <= accounts:
        raise ValueError("broken must be between 0 and the number of accounts")
    rng = np.random.default_rng(seed)
    M = 12 * (last_year - first_year + 1)
    if M < 12:
        raise ValueError("need at least one year")
    # Date strings for (month index, day 1..31) → "YYYY-MM-DD"; index = m * 32 + day.
    date_table = np.empty(M * 32, dtype=object)
    days_in = np.zeros(M, np.int64)
    for m in range(M):
        y, mo = first_year + m // 12, m % 12 + 1
        days_in[m] = calendar.monthrange(y, mo)[1]
        for d in range(1, 32):
            date_table[m * 32 + d] = f"{y:04d}-{mo:02d}-{d:02d}"

    # ---- accounts --------------------------------------------------------------------------
    N = accounts
    width = max(5, len(str(N)))
    acct_ids = np.array([f"A{i + 1:0{width}d}" for i in range(N)], dtype=object)
    acct_type = rng.choice(len(ACCOUNT_TYPES), size=N, p=ACCOUNT_TYPE_P)
    profile = rng.choice(3, size=N, p=[0.90, 0.05, 0.05])  # 0 normal, 1 tiny, 2 barely leveraged
    first = _FIRST[rng.integers(len(_FIRST), size=N)]
    last = _LAST[rng.integers(len(_LAST), size=N)]
    initial = _INITIAL[rng.integers(len(_INITIAL), size=N)]
    custodian = rng.integers(len(_CUSTODIANS), size=N)
    business = _BUSINESS[rng.integers(len(_BUSINESS), size=N)]
    label = np.array(["IRA", "Roth IRA", "SEP IRA", "SIMPLE IRA", ""], dtype=object)[acct_type]
    holder = first.astype(object) + " " + initial.astype(object) + ". " + last.astype(object)
    names = _CUSTODIANS[custodian].astype(object) + " FBO " + holder + " " + label
    solo = acct_type == 4
    names[solo] = last[solo].astype(object) + " " + business[solo].astype(object) + " Solo 401(k) Plan"
    multiplier = int(rng.choice([7919, 104729, 1299709, 15485863]))
    offset = int(rng.integers(10**7))
    suffix = (np.arange(N, dtype=np.int64) * multiplier + offset) % 10**7  # unique for N < 10^7
    prefix = _EIN_PREFIX[rng.integers(len(_EIN_PREFIX), size=N)]
    eins = prefix.astype(object) + "-" + np.char.zfill(suffix.astype(str), 7).astype(object)
    addr = _CUSTODIAN_ADDR[custodian]
    street = addr[:, 0].astype(object)
    city, state, zipc, phone = addr[:, 1].astype(object), addr[:, 2].astype(object), addr[:, 3].astype(object), addr[:, 4].astype(object)
    in_care = _CUSTODIANS[custodian].astype(object)
    solo_street = (rng.integers(10, 9999, size=N)).astype(str).astype(object) + " " + _STREETS[rng.integers(len(_STREETS), size=N)].astype(object) + " " + _SUFFIX[rng.integers(len(_SUFFIX), size=N)].astype(object)
    solo_city = rng.integers(len(_CITIES), size=N)
    street[solo] = solo_street[solo]
    city[solo] = _CITIES[solo_city[solo], 0]
    state[solo] = _CITIES[solo_city[solo], 1]
    zipc[solo] = _CITIES[solo_city[solo], 2].astype(object) + np.char.zfill(rng.integers(0, 100, size=N).astype(str), 2)[solo]
    in_care[solo] = holder[solo] + ", Trustee"
    phone[solo] = np.char.add(np.char.add(rng.integers(201, 990, size=N).astype(str), "-555-0"), np.char.zfill(rng.integers(100, 200, size=N).astype(str), 3))[solo]
    accounts_df = pd.DataFrame({
        "account_id": acct_ids, "name": names, "ein": eins, "account_type": ACCOUNT_TYPES[acct_type],
        "street": street, "city": city, "state": state, "zip": zipc, "books_in_care_of": in_care, "phone": phone,
    })

    # ---- properties ------------------------------------------------------------------------
    nprop = rng.choice([1, 2, 3], size=N, p=[0.68, 0.26, 0.06])
    nprop[profile == 1] = 1
    P = int(nprop.sum())
    p_acct = np.repeat(np.arange(N), nprop)
    p_seq = np.arange(P) - np.repeat(np.cumsum(nprop) - nprop, nprop) + 1
    p_profile = profile[p_acct]
    ptype = rng.choice(3, size=P, p=[0.72, 0.14, 0.14])
    ptype[p_profile == 1] = 2
    acq_m = rng.integers(0, M - 3, size=P)
    acq_d = rng.integers(1, 29, size=P)
    cost_h = np.select([ptype == 0, ptype == 1], [rng.integers(1500, 6000, size=P), rng.integers(2000, 9000, size=P)],
                       rng.integers(200, 1500, size=P))  # hundreds of dollars
    cost_h[p_profile == 1] = rng.integers(50, 150, size=P)[p_profile == 1]
    cost = cost_h.astype(np.int64) * 10000
    land = np.where(ptype == 2, cost, (cost_h * rng.integers(15, 31, size=P) // 100).astype(np.int64) * 10000)
    # Sales: 12% of properties held ≥ 12 months within the range.
    can_sell = acq_m + 12 <= M - 1
    sold = can_sell & (rng.random(P) < 0.12) & (p_profile != 1)
    sale_m = np.where(sold, acq_m + 12 + (rng.random(P) * np.maximum(M - 1 - (acq_m + 12) + 1, 1)).astype(np.int64), M - 1)
    sale_m = np.minimum(sale_m, M - 1)
    sale_d = rng.integers(1, 29, size=P)
    realized = (cost_h * rng.integers(95, 161, size=P) // 100).astype(np.int64) * 10000
    end_m = sale_m  # last month of the holding period inside the range

    # ---- loans -----------------------------------------------------------------------------
    leveraged = (rng.random(P) < 0.80) | (p_profile == 1)
    ltv = rng.integers(40, 71, size=P)
    ltv[p_profile == 2] = rng.integers(2, 5, size=P)[p_profile == 2]
    amount1 = np.maximum(cost * ltv // 100 // 10000, 1) * 10000
    bps1 = rng.integers(60, 141, size=P) * 5
    term1 = np.where(p_profile == 1, 120, rng.choice([360, 360, 360, 300, 240], size=P))
    first1 = acq_m + 2
    # Refinance: 15% of leveraged properties with room (≥ 6 months after acquisition, ≥ 4 before end).
    refi = leveraged & (rng.random(P) < 0.15) & (acq_m + 6 <= end_m - 4) & (p_profile == 0)
    refi_m = np.where(refi, acq_m + 6 + (rng.random(P) * np.maximum(end_m - 4 - (acq_m + 6) + 1, 1)).astype(np.int64), -1)
    refi_d = 15
    # Early payoff of the last loan (not at a sale): 4% of unsold leveraged properties.
    early = leveraged & ~sold & (rng.random(P) < 0.04)
    start_early = np.where(refi, refi_m + 3, first1 + 3)
    early &= start_early <= M - 1
    early_m = np.where(early, start_early + (rng.random(P) * np.maximum(M - 1 - start_early + 1, 1)).astype(np.int64), -1)
    early_d = rng.integers(2, 29, size=P)
    # Last payment month of the final loan; payoff (sale / early) after it in the same month.
    final_last = np.where(early, early_m, end_m)
    final_payoff = leveraged & (sold | early)
    payoff_day = np.where(early, early_d, sale_d)
    payoff_m = np.where(early, early_m, sale_m)
    last1 = np.where(refi, refi_m, final_last)

    L1 = np.flatnonzero(leveraged)
    stmt_flag_all = rng.random(P) < 0.10
    pay1 = _level_payment(amount1[L1], bps1[L1], term1[L1])
    (l1_rows, l1_bal, l1_st) = _amortize(amount1[L1], bps1[L1], pay1, first1[L1], last1[L1], stmt_flag_all[L1])
    bal_at_refi = np.zeros(P, np.int64)
    bal_at_refi[L1] = l1_bal
    # Refinance loans: old balance + cash out (0–30%, most with some), rounded up to $100.
    R = np.flatnonzero(refi)
    cash_pct = rng.choice([0, 5, 10, 15, 20, 30], size=P)
    amount2 = np.zeros(P, np.int64)
    amount2[R] = ((bal_at_refi[R] * (100 + cash_pct[R]) // 100) + 9999) // 10000 * 10000
    bps2 = np.clip(bps1 + rng.integers(-30, 11, size=P) * 5, 250, 800)
    first2 = refi_m + 2
    pay2 = _level_payment(amount2[R], bps2[R], np.full(len(R), 360))
    (l2_rows, l2_bal, l2_st) = _amortize(amount2[R], bps2[R], pay2, first2[R], final_last[R], stmt_flag_all[R])

    # Loan table: global loan index = L1 loans then L2 loans.
    prop_ids = acct_ids[p_acct] + np.char.add("-P", p_seq.astype(str)).astype(object)
    loan_prop = np.concatenate([L1, R])
    loan_ids = np.concatenate([prop_ids[L1] + "-L1", prop_ids[R] + "-L2"])
    n1 = len(L1)
    loan_orig = np.concatenate([acq_m[L1] * 32 + acq_d[L1], refi_m[R] * 32 + refi_d])
    loans_df = pd.DataFrame({
        "loan_id": loan_ids,
        "property_id": prop_ids[loan_prop],
        "originated_on": date_table[loan_orig],
        "principal": _money(np.concatenate([amount1[L1], amount2[R]])),
        "purpose": np.where(np.arange(len(loan_prop)) < n1, "acquisition", "refinance"),
        "refinances": np.concatenate([np.full(n1, "", dtype=object), prop_ids[R] + "-L1"]),
        "recourse": "false",
        "lender_is_disqualified_person": "false",
    })
    loan_of_l1 = np.full(P, -1, np.int64)
    loan_of_l1[L1] = np.arange(n1)
    loan_of_l2 = np.full(P, -1, np.int64)
    loan_of_l2[R] = n1 + np.arange(len(R))

    # ---- ledger parts: (property, month, day, category, cents, loan, memo code) ------------------
    parts: list[tuple] = []
    memo_codes = np.array(["", "Payoff at refinance", "Payoff at sale", "Early payoff", "Loan payment"], dtype=object)

    def add(prop, month, day, cat, cents, loan=None, memo=0):
        k = len(prop)
        if not k:
            return
        parts.append((prop.astype(np.int64), month.astype(np.int64), np.broadcast_to(day, (k,)).astype(np.int64),
                      np.broadcast_to(cat, (k,)).astype(np.int64), cents.astype(np.int64),
                      np.full(k, -1, np.int64) if loan is None else loan.astype(np.int64),
                      np.broadcast_to(memo, (k,)).astype(np.int64)))

    # Loan payments (interest + principal on the 1st).
    for (lidx, month, interest, prin), prop_of, base in ((l1_rows, L1, 0), (l2_rows, R, n1)):
        props = prop_of[lidx]
        add(props, month, 1, CAT["interest"], interest, base + lidx, 4)
        add(props, month, 1, CAT["principal"], prin, base + lidx, 4)
    # Payoff of the first loan at refinance.
    add(R, refi_m[R], refi_d, CAT["principal"], bal_at_refi[R], loan_of_l1[R], 1)
    # Payoff of the final loan at sale / early payoff.
    final_bal = np.zeros(P, np.int64)
    final_bal[L1] = l1_bal
    final_bal[R] = l2_bal
    final_loan = np.where(refi, loan_of_l2, loan_of_l1)
    fp = np.flatnonzero(final_payoff & (final_bal > 0))
    add(fp, payoff_m[fp], payoff_day[fp], CAT["principal"], final_bal[fp], final_loan[fp], np.where(early[fp], 3, 2))

    # Property taxes prorated at closing, on the acquisition date: every held year has ledger rows
    # (no random draw, so the rest of the book is unchanged by it).
    add(np.arange(P), acq_m, acq_d, CAT["taxes"], np.maximum(cost // 1000 // 100 * 100, 100))

    # Rent: monthly from the month after acquisition through the end (vacancies ~4%).
    base_rent = np.select([ptype == 0, ptype == 1], [cost * rng.integers(70, 101, size=P) // 10000,
                                                       cost * rng.integers(55, 86, size=P) // 10000],
                          cost * rng.integers(15, 41, size=P) // 10000)
    tiny = p_profile == 1
    base_rent[tiny] = rng.integers(30, 71, size=P)[tiny] * 100
    base_rent = base_rent // 500 * 500  # whole $5
    owner, month = _ragged(acq_m + 1, end_m)
    years_held = (month // 12) - (acq_m[owner] // 12)
    rent = base_rent[owner] + base_rent[owner] * 3 * years_held // 100 // 100 * 100
    occupied = rng.random(len(owner)) >= 0.04
    add(owner[occupied], month[occupied], 1, CAT["rent"], rent[occupied])

    # Expenses (and late fees) in the months after the acquisition month and before a sale month,
    # so every day-of-month stays inside the holding period.
    inner_end = np.where(sold, end_m - 1, end_m)
    owner, month = _ragged(acq_m + 1, inner_end)
    late = rng.random(len(owner)) < 0.02
    add(owner[late], month[late], 9, CAT["other_income"], np.full(late.sum(), 7500))
    moy = month % 12
    tax_half = cost[owner] * rng.integers(50, 71, size=len(owner)) // 10000 // 2
    is_tax = (moy == 1) | (moy == 6)
    add(owner[is_tax], month[is_tax], 20, CAT["taxes"], tax_half[is_tax] // 100 * 100 + rng.integers(0, 100, size=is_tax.sum()))
    is_ins = (moy == acq_m[owner] % 12)
    premium = np.maximum(cost[owner] * 4 // 1000, 15000) // 100 * 100
    premium = np.where(ptype[owner] == 2, premium // 4, premium)
    add(owner[is_ins], month[is_ins], 10, CAT["insurance"], premium[is_ins])
    quarter = moy % 3 == 2
    built = ptype[owner] != 2
    util = quarter & built & (ptype[owner] == 0)
    add(owner[util], month[util], 18, CAT["utilities"], rng.integers(9000, 45000, size=util.sum()))
    managed = (rng.random(P) < 0.5) & (ptype != 2)
    mgmt = quarter & managed[owner]
    add(owner[mgmt], month[mgmt], 12, CAT["management"], base_rent[owner[mgmt]] * 3 * 8 // 100)
    rep = built & (rng.random(len(owner)) < 0.07)
    add(owner[rep], month[rep], rng.integers(2, 29, size=rep.sum()), CAT["repairs"], rng.integers(150, 3000, size=rep.sum()) * 100 + rng.integers(0, 100, size=rep.sum()))
    hoa = (ptype[owner] == 1) & (moy == 3)
    add(owner[hoa], month[hoa], 5, CAT["other_expense"], cost[owner[hoa]] * 3 // 1000 // 100 * 100)
    # One capital improvement on ~10% of buildings, at a random inside month.
    improve = (rng.random(P) < 0.10) & (ptype != 2) & (inner_end >= acq_m + 1)
    imp = np.flatnonzero(improve)
    imp_m = acq_m[imp] + 1 + (rng.random(len(imp)) * (inner_end[imp] - acq_m[imp])).astype(np.int64)
    add(imp, imp_m, 14, CAT["improvement"], rng.integers(50, 400, size=len(imp)) * 10000)
    # A refund now and then (negative repairs).
    ref = built & (rng.random(len(owner)) < 0.004)
    add(owner[ref], month[ref], 25, CAT["repairs"], -rng.integers(25, 200, size=ref.sum()) * 100)

    prop_i, month_i, day_i, cat_i, cents_i, loan_i, memo_i = (np.concatenate(x) for x in zip(*parts))
    keep = cents_i != 0
    prop_i, month_i, day_i, cat_i, cents_i, loan_i, memo_i = (a[keep] for a in (prop_i, month_i, day_i, cat_i, cents_i, loan_i, memo_i))
    order = np.lexsort((loan_i, cat_i, day_i, month_i, prop_i))
    prop_i, month_i, day_i, cat_i, cents_i, loan_i, memo_i = (a[order] for a in (prop_i, month_i, day_i, cat_i, cents_i, loan_i, memo_i))
    loan_text = np.concatenate([loan_ids, np.array([""], dtype=object)])
    ledger_df = pd.DataFrame({
        "date": date_table[month_i * 32 + day_i],
        "property_id": prop_ids[prop_i],
        "category": CATEGORIES[cat_i],
        "amount": _money(cents_i),
        "loan_id": loan_text[loan_i],  # -1 → ""
        "memo": memo_codes[memo_i],
    })

    placed = np.where(ptype == 2, "", date_table[acq_m * 32 + acq_d])
    properties_df = pd.DataFrame({
        "property_id": prop_ids,
        "account_id": acct_ids[p_acct],
        "description": (rng.integers(10, 9999, size=P).astype(str).astype(object) + " "
                        + _STREETS[rng.integers(len(_STREETS), size=P)].astype(object) + " "
                        + _SUFFIX[rng.integers(len(_SUFFIX), size=P)].astype(object) + ", "
                        + _CITIES[(pc := rng.integers(len(_CITIES), size=P)), 0].astype(object) + ", "
                        + _CITIES[pc, 1].astype(object) + " " + _CITIES[pc, 2].astype(object)
                        + np.char.zfill(rng.integers(0, 100, size=P).astype(str), 2).astype(object)),
        "property_type": PROPERTY_TYPES[ptype],
        "acquired_on": date_table[acq_m * 32 + acq_d],
        "cost_basis": _money(cost),
        "land_value": _money(land),
        "placed_in_service_on": placed,
        "recovery": np.where(rng.random(P) < 0.85, "ads", "gds"),
        "disposed_on": np.where(sold, date_table[sale_m * 32 + sale_d], ""),
        "amount_realized": np.where(sold, _money(realized), ""),
    })

    # Lender statements (balance at the start of January 1), consistent with the ledger.
    st_loan = np.concatenate([l1_st[0], n1 + l2_st[0]])
    st_month = np.concatenate([l1_st[1], l2_st[1]])
    st_bal = np.concatenate([l1_st[2], l2_st[2]])
    in_range = st_month < M
    balances_df = pd.DataFrame({"loan_id": loan_ids[st_loan[in_range]], "as_of": date_table[st_month[in_range] * 32 + 1],
                                "balance": _money(st_bal[in_range])}).sort_values(["loan_id", "as_of"], kind="stable")

    # Estimated payments for ~8% of accounts, one year each.
    payer = np.flatnonzero(rng.random(N) < 0.08)
    pay_year = first_year + rng.integers(0, last_year - first_year + 1, size=len(payer))
    pay_quarter_month = np.array([3, 5, 8, 11])[rng.integers(0, 4, size=len(payer))]  # Apr/Jun/Sep/Dec 15
    pay_idx = (pay_year - first_year) * 12 + pay_quarter_month
    payments_df = pd.DataFrame({"account_id": acct_ids[payer], "tax_year": pay_year.astype(str),
                                "kind": "estimated", "date": date_table[pay_idx * 32 + 15],
                                "amount": _money(rng.integers(1, 40, size=len(payer)) * 5000)})

    tables = {"accounts": accounts_df, "properties": properties_df, "loans": loans_df, "ledger": ledger_df,
              "loan_balances": balances_df.reset_index(drop=True), "payments": payments_df}
    broken_list = _break(tables, rng, broken, acct_ids, p_acct, loan_prop, loan_ids, prop_i) if broken else []
    return tables, broken_list


def _break(tables, rng, k, acct_ids, p_acct, loan_prop, loan_ids, ledger_prop) -> list[tuple[str, str, str]]:
    """Break k accounts, each in one way, touching only that account's rows."""
    accounts, properties, loans, ledger = (tables[n] for n in ("accounts", "properties", "loans", "ledger"))
    with_loan = np.unique(p_acct[loan_prop])
    # Accounts whose every loan/property stands alone are easiest to isolate; any account with a loan will do.
    candidates = with_loan if len(with_loan) >= k else np.arange(len(acct_ids))
    chosen = np.sort(rng.choice(candidates, size=k, replace=False))
    ledger_acct = p_acct[ledger_prop]
    first_row = np.searchsorted(ledger_acct, chosen)  # ledger is sorted by property → account
    loan_acct = p_acct[loan_prop]
    out = []
    for j, acct in enumerate(chosen):
        kind, what = BROKEN_KINDS[j % len(BROKEN_KINDS)]
        aid = acct_ids[acct]
        needs_loan = kind in ("principal_overpayment", "missing_property", "interest_without_loan")
        acct_loans = np.flatnonzero(loan_acct == acct)
        if needs_loan and not len(acct_loans):
            kind, what = BROKEN_KINDS[3]  # land_over_cost works for every account
        props = np.flatnonzero(p_acct == acct)
        row = int(first_row[j])
        if kind in ("bad_date", "bad_amount", "unknown_category") and not (
                row < len(ledger) and ledger.iat[row, 1].startswith(f"{aid}-")):
            kind, what = BROKEN_KINDS[3]
        if kind == "bad_date":
            ledger.iat[row, 0] = "2021-02-30"
        elif kind == "bad_amount":
            ledger.iat[row, 3] = "12.3.4"
        elif kind == "unknown_category":
            ledger.iat[row, 2] = "rnet"
        elif kind == "principal_overpayment":
            loan = loan_ids[acct_loans[0]]
            rows = np.flatnonzero((ledger["loan_id"].to_numpy() == loan) & (ledger["category"].to_numpy() == "principal"))
            last = rows[-1]
            extra = pd.DataFrame([{**ledger.iloc[last].to_dict(), "amount": loans.loc[acct_loans[0], "principal"],
                                   "memo": "Duplicate payoff (broken)"}])
            tables["ledger"] = ledger = pd.concat([ledger.iloc[: last + 1], extra, ledger.iloc[last + 1:]], ignore_index=True)
            first_row[j + 1:] += 1
        elif kind == "missing_property":
            loans.at[acct_loans[0], "property_id"] = f"{aid}-P9"
        elif kind == "interest_without_loan":
            rows = np.flatnonzero((ledger["loan_id"].to_numpy() == loan_ids[acct_loans[0]])
                                  & (ledger["category"].to_numpy() == "interest"))
            ledger.iat[int(rows[0]), 4] = ""
        elif kind == "land_over_cost":
            cost = properties.at[props[0], "cost_basis"]
            whole = int(cost.split(".")[0])
            properties.at[props[0], "land_value"] = f"{whole + 1000}.00"
        elif kind == "ssn_ein":
            accounts.at[acct, "ein"] = f"{rng.integers(100, 900)}-{rng.integers(10, 100)}-{rng.integers(1000, 10000)}"
        elif kind == "service_before_acquisition":
            acquired = properties.at[props[0], "acquired_on"]
            year = int(acquired[:4]) - 1
            properties.at[props[0], "placed_in_service_on"] = f"{year:04d}{acquired[4:]}"
        out.append((aid, kind, what))
    return out


def write_book(tables: dict[str, pd.DataFrame], out: Path, broken: list[tuple[str, str, str]] | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        tmp = out / f".{name}.csv.tmp"
        frame.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, out / f"{name}.csv")
    target = out / "broken.txt"
    if broken:
        target.write_text("".join(f"{a}\t{k}\t{w}\n" for a, k, w in broken), encoding="utf-8")
    elif target.exists():
        target.unlink()


def parse_years(text: str) -> tuple[int, int]:
    parts = text.split("-")
    try:
        if len(parts) == 1:
            return int(parts[0]), int(parts[0])
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        pass
    raise ValueError(f"years must look like 2020-2025 (got {text!r})")


def synth(accounts: int, years: str | tuple[int, int], seed: int, out: str | Path, broken: int = 0) -> SynthSummary:
    first_year, last_year = parse_years(years) if isinstance(years, str) else years
    tables, broken_list = generate(accounts, first_year, last_year, seed, broken)
    out = Path(out)
    write_book(tables, out, broken_list)
    return SynthSummary(out, len(tables["accounts"]), len(tables["properties"]), len(tables["loans"]),
                        len(tables["ledger"]), broken_list)
