"""Money text → integer cents, vectorized; cents → exact 2-decimal text."""

from __future__ import annotations

import numpy as np
import pandas as pd

_MONEY_CORE = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2}"


def parse_money(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text → int64 cents (blank → 0). Accepts 1234.56, $1,234.56, -$1,234.56, $-1,234.56 and
    (1,234.56). Returns (cents, bad mask)."""
    text = text.astype(str).str.strip()
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


def money(cents: int) -> str:
    """One amount in cents as ``1,234.56`` (``-1,234.56``) for messages."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
