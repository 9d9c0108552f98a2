"""Form 990-T Part II line 2: tax on UBTI at trust rates (IRC §1(e) via §511(b)), or the
Schedule D (Form 1041) computation when UBTI includes net capital gain (IRC §1(h))."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from udfi.engine.records import record
from udfi.money import ZERO, round_cents
from udfi.parameters import TaxYearParameters


@record
class BracketStep:
    over: Decimal
    upper: Decimal | None
    rate: Decimal
    taxed: Decimal        # the part of the income in this bracket
    tax: Decimal          # unrounded


def trust_rate_steps(taxable_income: Decimal, parameters: TaxYearParameters) -> list[BracketStep]:
    """The trust rate schedule of the year applied bracket by bracket (§1(e), §1(j)(2)(E))."""
    return _steps(taxable_income, parameters.brackets)


def _steps(taxable_income: Decimal, brackets: tuple) -> list[BracketStep]:
    income = max(Decimal(taxable_income), ZERO)
    steps = []
    for index, bracket in enumerate(brackets):
        upper = brackets[index + 1].over if index + 1 < len(brackets) else None
        if income <= bracket.over:
            break
        top = income if upper is None else min(income, upper)
        taxed = top - bracket.over
        steps.append(BracketStep(bracket.over, upper, bracket.rate, taxed, taxed * bracket.rate))
    return steps


def trust_rate_tax(taxable_income: Decimal, parameters: TaxYearParameters) -> Decimal:
    """Tax from the trust rate schedule of the year, to the cent."""
    return _trust_rate_tax(Decimal(taxable_income), parameters.brackets)


@lru_cache(maxsize=1024)   # many returns share an income (zero, above all); the result is always to the cent
def _trust_rate_tax(taxable_income: Decimal, brackets: tuple) -> Decimal:
    return round_cents(sum((step.tax for step in _steps(taxable_income, brackets)), ZERO))


@record
class CapitalGainTax:
    """The §1(h)(1) computation, each part's base amount and the resulting tax."""

    taxable_income: Decimal
    net_capital_gain: Decimal
    unrecaptured_1250_gain: Decimal
    adjusted_net_capital_gain: Decimal
    ordinary_base: Decimal        # (A) taxed at the regular schedule
    zero_rate_base: Decimal       # (B) 0%
    fifteen_rate_base: Decimal    # (C) 15%
    twenty_rate_base: Decimal     # (D) 20%
    unrecaptured_base: Decimal    # (E) 25%
    rate_28_base: Decimal         # (F) 28%
    regular_tax: Decimal          # tax on all of TI at the schedule
    alternative_tax: Decimal      # sum of (A)–(F)
    tax: Decimal                  # the lesser (§1(h)(1) "shall not exceed")


def capital_gain_tax(taxable_income: Decimal, net_capital_gain: Decimal, unrecaptured_1250_gain: Decimal,
                     parameters: TaxYearParameters) -> CapitalGainTax:
    """IRC §1(h)(1) for a trust, with the §1(j)(5) breakpoints of the year.

    No qualified dividends or 28-percent rate gain arise from debt-financed real estate, so adjusted
    net capital gain is net capital gain less unrecaptured §1250 gain (§1(h)(3)).
    """
    ti = max(Decimal(taxable_income), ZERO)
    ncg = max(Decimal(net_capital_gain), ZERO)
    unrecaptured = min(max(Decimal(unrecaptured_1250_gain), ZERO), ncg)
    ancg = ncg - unrecaptured
    ancg_limited = min(ancg, ti)  # "(or, if less, taxable income)"
    below_25 = min(ti, parameters.top_of_24_percent_bracket)
    # (A) the greater of TI − NCG, or the lesser of income taxed below 25% and TI − ANCG
    ordinary = max(ti - ncg, min(below_25, ti - ancg), ZERO)
    # (B) 0% up to the max zero rate amount less TI − ANCG
    zero = min(ancg_limited, max(parameters.max_zero_rate_amount - max(ti - ancg, ZERO), ZERO))
    # (C) 15% up to the max 15-percent rate amount less (A) + (B)
    fifteen = min(ancg_limited - zero, max(parameters.max_15_rate_amount - (ordinary + zero), ZERO))
    # (D) 20% on the rest of ANCG
    twenty = max(ancg_limited - zero - fifteen, ZERO)
    # (E) 25% on unrecaptured §1250 gain less the excess of (A) + NCG over TI
    unrecaptured_base = max(unrecaptured - max(ordinary + ncg - ti, ZERO), ZERO)
    # (F) 28% on what is left
    rate_28 = max(ti - (ordinary + zero + fifteen + twenty + unrecaptured_base), ZERO)
    regular = trust_rate_tax(ti, parameters)
    alternative = round_cents(
        trust_rate_tax(ordinary, parameters)
        + fifteen * parameters.fifteen_rate
        + twenty * parameters.twenty_rate
        + unrecaptured_base * parameters.unrecaptured_1250_rate
        + rate_28 * parameters.rate_28_gain
    )
    return CapitalGainTax(
        taxable_income=ti, net_capital_gain=ncg, unrecaptured_1250_gain=unrecaptured,
        adjusted_net_capital_gain=ancg, ordinary_base=ordinary, zero_rate_base=zero,
        fifteen_rate_base=fifteen, twenty_rate_base=twenty, unrecaptured_base=unrecaptured_base,
        rate_28_base=rate_28, regular_tax=regular, alternative_tax=alternative,
        tax=min(regular, alternative),
    )
