"""carryovers.csv: the NOL, capital-loss and §1231 balances a preparer gives for an account and year,
which replace what the roll-forward carried (investment silo and pre-2018 pool; partnership silos by
activity code)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd

from udfi.book import Book
from udfi.engine.nol import POST2017, PRE2018, NolLayer
from udfi.engine.schedule_a import CarryIn
from udfi.engine.silos import INVESTMENT, SiloCarry
from udfi.money import cents_to_decimal, whole_dollars

SEEDED_KINDS = ("post2017_nol", "pre2018_nol", "short_term_capital_loss", "long_term_capital_loss", "section_1231_loss")


INVESTMENT_CODES = ("", "900000")  # carryovers.csv activity_code of the investment-activities silo


def carryover_rows(book: Book) -> dict[str, dict[int, list[tuple[str, int | None, Decimal, str]]]]:
    """carryovers.csv by account and year: (kind, origin year, amount, silo: INVESTMENT or a NAICS
    two-digit code, with the row's activity code after a colon)."""
    rows: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    origin = book.carryovers["origin_year"] if "origin_year" in book.carryovers.columns else None
    codes = book.carryovers["activity_code"] if "activity_code" in book.carryovers.columns else None
    for position, row in enumerate(book.carryovers.itertuples(index=False)):
        year_of_origin = None if origin is None or pd.isna(origin.iloc[position]) else int(origin.iloc[position])
        code = "" if codes is None or not isinstance(codes.iloc[position], str) else codes.iloc[position].strip()
        silo = INVESTMENT if code in INVESTMENT_CODES else f"{code[:2]}:{code}"
        rows[row.account_id][int(row.tax_year)].append(
            (row.kind, year_of_origin, cents_to_decimal(row.amount_cents), silo))
    return rows


def seed_silos(rows: list[tuple], year: int, silos: dict[str, SiloCarry], flags: list[str]) -> dict[str, SiloCarry]:
    """Replace a partnership silo's rolled-forward post-2017 NOL by the carryovers.csv rows that name
    its activity code (each silo keeps its own, Reg. §1.512(a)-6(h)(1))."""
    given: dict[str, list[tuple[int | None, int, str]]] = defaultdict(list)
    for kind, origin, amount, silo in rows:
        if kind == "post2017_nol" and silo != INVESTMENT:
            sector, _, code = silo.partition(":")
            given[sector].append((origin, whole_dollars(amount), code))
    if not given:
        return silos
    result = dict(silos)
    for sector, entries in given.items():
        opening = sum(amount for _, amount, _ in entries)
        rolled = silos[sector].post2017_nol if sector in silos else 0
        if rolled not in (0, opening):
            flags.append(f"carryovers.csv sets the post-2017 NOL of the NAICS {sector} silo available to {year} at "
                         f"{opening:,}, replacing {rolled:,} rolled forward from the book")
        result[sector] = SiloCarry(entries[0][2], tuple(NolLayer(POST2017, origin, amount)
                                                         for origin, amount, _ in entries if amount))
    return result


def seed(rows: list[tuple[str, int | None, Decimal]], year: int, state: CarryIn, flags: list[str]) -> CarryIn:
    """Replace the rolled-forward balances of each kind carryovers.csv gives for `year`."""
    given: dict[str, list[tuple[int | None, int]]] = defaultdict(list)
    for kind, origin, amount, silo in rows:
        if kind in SEEDED_KINDS and silo == INVESTMENT:
            given[kind].append((origin, whole_dollars(amount)))
    if not given:
        return state
    rolled = {"post2017_nol": state.post2017_nol, "pre2018_nol": state.pre2018_nol,
              "short_term_capital_loss": state.short_term_capital_loss,
              "long_term_capital_loss": state.long_term_capital_loss,
              "section_1231_loss": sum(amount for _, amount in state.section_1231_losses)}
    for kind, entries in given.items():
        opening = sum(amount for _, amount in entries)
        if rolled[kind] not in (0, opening):
            flags.append(f"carryovers.csv sets the {kind.replace('_', ' ')} available to {year} at {opening:,}, "
                         f"replacing {rolled[kind]:,} rolled forward from the book")
    layers = list(state.nol_layers)
    for kind, nol_kind in (("post2017_nol", POST2017), ("pre2018_nol", PRE2018)):
        if kind in given:
            layers = [layer for layer in layers if layer.kind != nol_kind]
            layers += [NolLayer(nol_kind, origin, amount) for origin, amount in given[kind] if amount]
    return CarryIn(
        nol_layers=tuple(layers),
        short_term_capital_loss=sum(a for _, a in given["short_term_capital_loss"])
        if "short_term_capital_loss" in given else state.short_term_capital_loss,
        long_term_capital_loss=sum(a for _, a in given["long_term_capital_loss"])
        if "long_term_capital_loss" in given else state.long_term_capital_loss,
        section_1231_losses=tuple((origin, a) for origin, a in given["section_1231_loss"] if origin is not None)
        if "section_1231_loss" in given else state.section_1231_losses,
    )
