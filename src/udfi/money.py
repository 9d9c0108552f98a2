"""Money and percentage arithmetic.

Money is integer cents in data frames and `Decimal` in per-item arithmetic — never a binary float
on a path to a form line. Percentages stay exact `Decimal` ratios until they are displayed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, DefaultContext, getcontext

# Enough digits that an unrounded debt/basis ratio of two 12-digit amounts stays exact for our use.
# DefaultContext too: every thread started later (web requests, Dask worker threads) copies it, while
# getcontext() is only the importing thread's — other threads computed at 28 digits.
DEFAULT_PRECISION = 40
DefaultContext.prec = DEFAULT_PRECISION
getcontext().prec = DEFAULT_PRECISION

CENT = Decimal("0.01")
ONE = Decimal("1")
HUNDRED = Decimal("100")
ZERO = Decimal("0")
_EXACT_PRODUCT = 10**38   # |cents| below this: cents × 0.01 has at most 40 digits, so it is exact


def cents_to_decimal(cents: int) -> Decimal:
    """Integer cents → Decimal dollars (exact), always with two places: 12345 → 123.45, 0 → 0.00."""
    # × 0.01 is exact below 40 digits (the context's precision) and gives exponent −2: the same value and
    # digits as (cents / 100).quantize(CENT), half the cost of scaleb(-2), which the rare huge value keeps
    if type(cents) is not int:
        cents = int(cents)
    if -_EXACT_PRODUCT < cents < _EXACT_PRODUCT:
        return Decimal(cents) * CENT
    return Decimal(cents).scaleb(-2)


def decimal_to_cents(amount: Decimal) -> int:
    """Decimal dollars → integer cents, rounding half-up to the cent."""
    return int(round_cents(amount) * 100)


def round_cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (applied after every multiplication of money)."""
    if type(amount) is not Decimal:
        amount = Decimal(amount)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def whole_dollars(amount: Decimal) -> int:
    """A form line: whole dollars, rounded half-up (−0.50 → −1)."""
    kind = type(amount)
    if kind is int:   # already whole dollars (most form lines are computed from lines)
        return amount
    if kind is not Decimal:
        amount = Decimal(amount)
    return int(amount.quantize(ONE, rounding=ROUND_HALF_UP))


def money_str(amount: Decimal) -> str:
    """JSON money: a string with exactly two decimals, e.g. ``"1234.50"``."""
    return str(round_cents(amount))


def percent_str(ratio: Decimal) -> str:
    """A ratio shown as a percentage with 4 decimals: Decimal('0.652416') → ``"65.2416"``."""
    return str((Decimal(ratio) * HUNDRED).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def format_dollars(value: int | Decimal | None, blank_zero: bool = False) -> str:
    """Whole dollars with thousands separators, negatives in parentheses: -1234 → ``(1,234)``."""
    if value is None:
        return ""
    dollars = whole_dollars(Decimal(value))
    if dollars == 0 and blank_zero:
        return ""
    text = f"{abs(dollars):,}"
    return f"({text})" if dollars < 0 else text
