"""What a valid cell looks like, shared by the two cell parsers (`validate_cells`, whole columns at once,
and `validate_few`, a few distinct values one by one): the shapes, the bounds and the messages."""

from __future__ import annotations

import re

import pandas as pd

MONEY = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2}")
MONEY_TOO_PRECISE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d{3,}")
PLAIN_MONEY = re.compile(r"-?\d+(?:\.\d{1,2})?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
EIN = re.compile(r"\d{2}-\d{7}")
YEAR = re.compile(r"\d{4}")
TRUE = frozenset({"true", "t", "yes", "y", "1"})
FALSE = frozenset({"false", "f", "no", "n", "0"})

# Dates outside this range are refused (they are typos, and pandas' nanosecond range ends in 2262).
FIRST_DATE, LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
# ISO (YYYY-MM-DD) always; MDY also accepts US dates MM/DD/YYYY when the user says so.
DATE_FORMATS = ("ISO", "MDY")
# |amount| per cell, and the total of |amounts| per property (ledger, loans, depreciation), loan
# (statements) or account (properties, carryovers, payments): $1,000,000,000,000.00. Far above any
# real IRA, far below int64's 9.2e18 cents, so no sum in the engine can wrap.
MAX_AMOUNT_CENTS = 10**14
MAX_DIGITS = 18  # a cell with more digits is refused before any integer conversion

TOO_LARGE = (f"an amount of at most ${MAX_AMOUNT_CENTS // 100:,}.00 either way (udfi's bound per cell; this one "
             "is beyond it)")
TOO_PRECISE = "an amount with at most 2 decimals (whole cents)"
SSN_IN_TEXT = ("text without an SSN: this value looks like a Social Security number and would be printed on the "
               "return or its statements (Form 990-T may be made public)")
SSN_AS_EIN = ("the account's EIN (NN-NNNNNNN); an SSN-shaped number is refused — Form 990-T may be made public, "
              "and the IRA reports under its own EIN")
DATE_RANGE = f"a date between {FIRST_DATE:%Y-%m-%d} and {LAST_DATE:%Y-%m-%d}"


def us_date_expected(expected: str) -> str:
    return (f"{expected} — this looks like a US date (MM/DD/YYYY); if every date of the book is written that way, "
            "pass --date-format MDY")


def mask_identifier(text: str) -> str:
    """Never echo a full SSN-shaped value back: keep only the last 4 digits."""
    digits = re.sub(r"\D", "", text)
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "***"
