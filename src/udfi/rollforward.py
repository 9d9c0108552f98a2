"""Next year's opening balances (the proforma): what the year's returns carry into the next year, as
`carryovers.csv` rows.

Per account: the NOL layers left after the year (post-2017 by loss year — a partnership silo's with the
`activity_code` that names its trade or business, Treas. Reg. §1.512(a)-6(h)(1) — pre-2018 with their
loss years so the 20-year expiry keeps running), the capital loss carryovers by character (Capital Loss Carryover
Worksheet lines 9 and 14), the net §1231 losses still open for recapture, and — when the filer chooses
on Part III line 11 to credit it — the overpayment as next year's prior-year overpayment (line 6a).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from udfi.engine.compute import AccountYear
from udfi.engine.form_4797 import carry_1231_losses
from udfi.engine.nol import POST2017

CARRYOVER_COLUMNS = ("account_id", "tax_year", "kind", "origin_year", "amount")
CREDIT, REFUND = "credit", "refund"


@dataclass(frozen=True)
class CarryoverRow:
    account_id: str
    tax_year: int
    kind: str
    origin_year: int | None
    amount: int          # whole dollars, as the return carries them
    activity_code: str = ""   # a partnership silo's post-2017 NOL: its activity code (blank: investment silo)

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "tax_year": self.tax_year, "kind": self.kind,
                "origin_year": "" if self.origin_year is None else self.origin_year, "amount": f"{self.amount}.00",
                "activity_code": self.activity_code}


def opening_rows(result: AccountYear, overpayment: str = REFUND) -> list[CarryoverRow]:
    """The rows that open `result.tax_year + 1` for its account."""
    account_id, year = result.account_id, result.tax_year + 1
    carry = result.carry_out
    rows = [CarryoverRow(account_id, year, "post2017_nol" if layer.kind == POST2017 else "pre2018_nol",
                         layer.origin_year, layer.amount) for layer in carry.nol_layers if layer.amount]
    silos = result.silos.silo_carry_out if result.silos is not None else {}
    rows += [CarryoverRow(account_id, year, "post2017_nol", layer.origin_year, layer.amount, silo.activity_code)
             for _, silo in sorted(silos.items()) for layer in silo.layers if layer.amount]
    for kind, amount in (("short_term_capital_loss", carry.short_term_capital_loss),
                         ("long_term_capital_loss", carry.long_term_capital_loss)):
        if amount:
            rows.append(CarryoverRow(account_id, year, kind, None, amount))
    # Only losses still inside next year's 5-year look-back are worth carrying (IRC §1231(c)).
    rows += [CarryoverRow(account_id, year, "section_1231_loss", loss_year, amount)
             for loss_year, amount in carry_1231_losses(carry.section_1231_losses, result.tax_year)]
    if overpayment == CREDIT and result.form.part_iii["10"] > 0:
        rows.append(CarryoverRow(account_id, year, "prior_year_overpayment", None, result.form.part_iii["10"]))
    return rows


def merged_rows(existing: Iterable[dict], new_rows: list[CarryoverRow], accounts: set[str], year: int) -> list[dict]:
    """The book's carryovers.csv with every row of (`accounts`, `year`) replaced by `new_rows`; other
    rows kept in their order (columns beyond the standard ones are kept too)."""
    kept = [row for row in existing
            if not (row.get("account_id") in accounts and str(row.get("tax_year", "")).strip() == str(year))]
    return kept + [row.as_dict() for row in new_rows]
