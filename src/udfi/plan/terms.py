"""The terms of a planned purchase, read from a form or JSON with every problem named by field.

Money and percentages are `Decimal` (text in, never a binary float); a percentage is given as a
number of percent (``20`` for 20 %).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from udfi import parameters as parameter_store
from udfi.money import round_cents

ACCOUNT_TYPES = ("traditional_ira", "roth_ira", "sep_ira", "simple_ira", "solo_401k")
PROPERTY_TYPES = ("residential_rental", "nonresidential_real", "land")
RECOVERY = ("ads", "gds")
MAX_MONEY = Decimal("1000000000")  # $1 billion: beyond any single retirement-account purchase


class PlanInputError(ValueError):
    """Terms that cannot be planned; `problems` maps a field to what was expected."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class PlanTerms:
    price: Decimal
    land_share: Decimal               # percent of the cost allocated to land
    rate: Decimal                     # annual interest, percent
    term_years: int
    rent_monthly: Decimal
    hold_years: int
    loan_amount: Decimal | None = None
    ltv: Decimal | None = None        # percent of the price
    closing_costs: Decimal = Decimal("0")
    vacancy: Decimal = Decimal("0")   # percent of the rent lost
    expenses_annual: Decimal = Decimal("0")
    growth: Decimal = Decimal("0")    # yearly growth of rent and expenses, percent
    appreciation: Decimal = Decimal("0")
    selling_costs: Decimal = Decimal("0")  # percent of the sale price
    account_type: str = "traditional_ira"
    property_type: str = "residential_rental"
    recovery: str = "ads"
    first_year: int | None = None

    @property
    def loan(self) -> Decimal:
        """The loan principal: the amount given, or LTV × price."""
        if self.loan_amount is not None:
            return self.loan_amount
        if self.ltv is not None:
            return round_cents(self.price * self.ltv / 100)
        return Decimal("0")

    @property
    def cost_basis(self) -> Decimal:
        return self.price + self.closing_costs

    @property
    def land_value(self) -> Decimal:
        return round_cents(self.cost_basis * self.land_share / 100)

    @property
    def start_year(self) -> int:
        return self.first_year if self.first_year is not None else default_first_year(self.hold_years)

    @property
    def tax_years(self) -> range:
        return range(self.start_year, self.start_year + self.hold_years)

    @property
    def acquired_on(self) -> dt.date:
        return dt.date(self.start_year, 1, 1)

    @property
    def sold_on(self) -> dt.date:
        return dt.date(self.start_year + self.hold_years - 1, 12, 31)

    def as_json(self) -> dict:
        data = {}
        for item in fields(self):
            value = getattr(self, item.name)
            data[item.name] = str(value) if isinstance(value, Decimal) else value
        data["first_year"] = self.start_year
        data["loan"] = str(self.loan)
        return data


def parameter_years() -> list[int]:
    return sorted(parameter_store.years_available("trust_rate_schedule"))


def default_first_year(hold_years: int) -> int:
    """The plan ends in the latest tax year with parameters, so it uses the most recent law."""
    return max(parameter_years()) - hold_years + 1


def _text(raw: dict, name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, float):
        value = repr(value)  # JSON numbers: keep the digits as written, never binary arithmetic
    return str(value).strip().replace(",", "").replace("$", "").removesuffix("%").strip()


def _decimal(raw, name, problems, *, required=False, default=None, low=None, high=None, low_open=False, cents=False):
    text = _text(raw, name)
    if text == "":
        if required:
            problems[name] = "a number is required"
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems[name] = f"a number (got {text[:20]!r})"
        return default
    if not value.is_finite():
        problems[name] = "a finite number"
        return default
    if cents and value != round_cents(value):
        problems[name] = "an amount with at most 2 decimals"
        return default
    if low is not None and (value < low or (low_open and value == low)):
        problems[name] = f"{'greater than' if low_open else 'at least'} {low}"
        return default
    if high is not None and value > high:
        problems[name] = f"at most {high}"
        return default
    return value


def _integer(raw, name, problems, *, required=False, default=None, low=None, high=None):
    text = _text(raw, name)
    if text == "":
        if required:
            problems[name] = "a whole number is required"
        return default
    if not text.lstrip("-").isdigit():
        problems[name] = f"a whole number (got {text[:20]!r})"
        return default
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        problems[name] = f"a whole number from {low} to {high}"
        return default
    return value


def _choice(raw, name, problems, choices, default):
    text = _text(raw, name).lower() or default
    if text not in choices:
        problems[name] = "one of " + ", ".join(choices)
        return default
    return text


def parse_terms(raw: dict) -> PlanTerms:
    """Terms from form fields or JSON (strings or numbers). Raises `PlanInputError` with every problem."""
    problems: dict[str, str] = {}
    years = parameter_years()
    money = {"cents": True, "high": MAX_MONEY}
    percent = {"high": Decimal("100"), "low": Decimal("0")}
    price = _decimal(raw, "price", problems, required=True, low=Decimal("0"), low_open=True, **money)
    closing = _decimal(raw, "closing_costs", problems, default=Decimal("0"), low=Decimal("0"), **money)
    land_share = _decimal(raw, "land_share", problems, required=True, **percent)
    loan_amount = _decimal(raw, "loan_amount", problems, low=Decimal("0"), **money)
    ltv = _decimal(raw, "ltv", problems, **percent)
    rate = _decimal(raw, "rate", problems, default=Decimal("0"), low=Decimal("0"), high=Decimal("30"))
    term_years = _integer(raw, "term_years", problems, default=30, low=1, high=40)
    rent = _decimal(raw, "rent_monthly", problems, required=True, low=Decimal("0"), **money)
    vacancy = _decimal(raw, "vacancy", problems, default=Decimal("0"), **percent)
    expenses = _decimal(raw, "expenses_annual", problems, default=Decimal("0"), low=Decimal("0"), **money)
    growth = _decimal(raw, "growth", problems, default=Decimal("0"), low=Decimal("-20"), high=Decimal("20"))
    appreciation = _decimal(raw, "appreciation", problems, default=Decimal("0"), low=Decimal("-20"),
                            high=Decimal("20"))
    selling = _decimal(raw, "selling_costs", problems, default=Decimal("0"), low=Decimal("0"), high=Decimal("20"))
    hold = _integer(raw, "hold_years", problems, required=True, low=1, high=len(years))
    if "hold_years" in problems:
        problems["hold_years"] += (f" — udfi has tax parameters for {years[0]}–{years[-1]} only, so a plan runs "
                                   f"at most {len(years)} years")
    first_year = _integer(raw, "first_year", problems, low=years[0], high=years[-1])
    account_type = _choice(raw, "account_type", problems, ACCOUNT_TYPES, "traditional_ira")
    property_type = _choice(raw, "property_type", problems, PROPERTY_TYPES, "residential_rental")
    recovery = _choice(raw, "recovery", problems, RECOVERY, "ads")

    if loan_amount is not None and ltv is not None and price is not None:
        if round_cents(price * ltv / 100) != loan_amount:
            problems["ltv"] = "give the loan amount or the LTV, not both (they disagree)"
    if price is not None and loan_amount is not None and loan_amount > price + (closing or 0):
        problems["loan_amount"] = "at most the price plus closing costs"
    if "loan_amount" not in problems and "ltv" not in problems and not (loan_amount or ltv):
        problems["loan_amount"] = ("a loan greater than 0: give the loan amount or the LTV (the same property bought "
                                   "for cash is shown beside it)")
    if hold is not None and first_year is not None and first_year + hold - 1 > years[-1]:
        problems["first_year"] = (f"a first year such that the plan ends by {years[-1]}, the last year with tax "
                                  f"parameters (at most {years[-1] - hold + 1} for a {hold}-year hold)")
    if problems:
        raise PlanInputError(problems)
    return PlanTerms(price=price, land_share=land_share, rate=rate, term_years=term_years, rent_monthly=rent,
                     hold_years=hold, loan_amount=loan_amount, ltv=ltv, closing_costs=closing, vacancy=vacancy,
                     expenses_annual=expenses, growth=growth, appreciation=appreciation, selling_costs=selling,
                     account_type=account_type, property_type=property_type, recovery=recovery,
                     first_year=first_year)

