"""Tax parameters, one small YAML file per parameter, keyed by tax year, each value with a reference.

A tax year with no entry is an error (`MissingParameterError`) — never a default and never a value
carried forward from another year.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from udfi.resources import read_yaml


_DIR = Path(__file__).resolve().parent

PARAMETER_FILES = (
    "trust_rate_schedule",
    "capital_gain_breakpoints",
    "special_rates",
    "specific_deduction",
    "filing_threshold",
    "nol_limitation",
    "recovery_periods",
    "due_dates",
    "qualifying_partnership_interest",
)


class MissingParameterError(LookupError):
    """No parameter value exists for the requested tax year."""


@lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    return read_yaml((_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def years_available(name: str) -> list[int]:
    return sorted(int(year) for year in _load(name)["values"])


def value(name: str, tax_year: int) -> dict[str, Any]:
    """The entry of parameter file `name` for `tax_year` (a dict that includes its `reference`)."""
    values = _load(name)["values"]
    if tax_year not in values:
        known = ", ".join(str(year) for year in sorted(values))
        raise MissingParameterError(
            f"no {name.replace('_', ' ')} parameters for tax year {tax_year} "
            f"(src/udfi/parameters/{name}.yaml has {known})"
        )
    return values[tax_year]


def quarters_available(name: str) -> list[tuple[int, int]]:
    """(year, quarter) of every entry of quarterly parameter file `name`, in order."""
    values = _load(name)["values"]
    return sorted((int(year), int(key[1:])) for year, by_quarter in values.items() for key in by_quarter)


def quarterly_value(name: str, year: int, quarter: int) -> dict[str, Any]:
    """The entry of quarterly parameter file `name` for calendar `year`, `quarter` 1–4 (with its
    `reference`). A quarter without an entry is an error, like a missing tax year."""
    entry = _load(name)["values"].get(year, {}).get(f"Q{quarter}")
    if entry is None:
        known = quarters_available(name)
        span = f"{known[0][0]} Q{known[0][1]} through {known[-1][0]} Q{known[-1][1]}" if known else "nothing"
        raise MissingParameterError(
            f"no {name.replace('_', ' ')} for {year} Q{quarter} (src/udfi/parameters/{name}.yaml has {span})"
        )
    return entry


@dataclass(frozen=True)
class Bracket:
    over: Decimal
    rate: Decimal


@dataclass(frozen=True)
class TaxYearParameters:
    """Every parameter the engine needs for one tax year, with the references used."""

    tax_year: int
    brackets: tuple[Bracket, ...]
    max_zero_rate_amount: Decimal
    max_15_rate_amount: Decimal
    fifteen_rate: Decimal
    twenty_rate: Decimal
    unrecaptured_1250_rate: Decimal
    rate_28_gain: Decimal
    specific_deduction: Decimal
    filing_threshold: Decimal
    post2017_nol_limit: Decimal | None
    recovery_periods: dict[str, dict[str, Decimal]]
    due_dates: dict[str, Any]
    references: dict[str, str]

    @property
    def top_of_24_percent_bracket(self) -> Decimal:
        """Taxable income taxed below 25% for a trust: the top of the 24% bracket (§1(h)(1)(A)(ii)(I))."""
        for lower, upper in zip(self.brackets, self.brackets[1:]):
            if lower.rate == Decimal("0.24"):
                return upper.over
        raise MissingParameterError(f"tax year {self.tax_year}: the schedule has no 24% bracket")


@lru_cache(maxsize=None)
def for_year(tax_year: int) -> TaxYearParameters:
    schedule = value("trust_rate_schedule", tax_year)
    gains = value("capital_gain_breakpoints", tax_year)
    special = value("special_rates", tax_year)
    specific = value("specific_deduction", tax_year)
    threshold = value("filing_threshold", tax_year)
    nol = value("nol_limitation", tax_year)
    recovery = value("recovery_periods", tax_year)
    due = value("due_dates", tax_year)
    return TaxYearParameters(
        tax_year=tax_year,
        brackets=tuple(Bracket(Decimal(b["over"]), Decimal(b["rate"])) for b in schedule["brackets"]),
        max_zero_rate_amount=Decimal(gains["max_zero_rate_amount"]),
        max_15_rate_amount=Decimal(gains["max_15_rate_amount"]),
        fifteen_rate=Decimal(special["fifteen_rate"]),
        twenty_rate=Decimal(special["twenty_rate"]),
        unrecaptured_1250_rate=Decimal(special["unrecaptured_1250_rate"]),
        rate_28_gain=Decimal(special["rate_28_gain"]),
        specific_deduction=Decimal(specific["amount"]),
        filing_threshold=Decimal(threshold["amount"]),
        post2017_nol_limit=None if nol["post2017_limit"] is None else Decimal(nol["post2017_limit"]),
        recovery_periods={
            system: {kind: Decimal(str(years)) for kind, years in periods.items()}
            for system, periods in recovery.items()
            if system in ("ads", "gds")
        },
        due_dates=due,
        references={
            "trust_rate_schedule": schedule["reference"],
            "capital_gain_breakpoints": gains["reference"],
            "special_rates": special["reference"],
            "specific_deduction": specific["reference"],
            "filing_threshold": threshold["reference"],
            "nol_limitation": nol["reference"],
            "recovery_periods": recovery["reference"],
            "due_dates": " ".join(due["reference"].split()),
        },
    )


def fingerprint(tax_year: int) -> str:
    """SHA-256 over the parameter entries used for `tax_year` (for run manifests)."""
    digest = hashlib.sha256()
    for name in PARAMETER_FILES:
        digest.update(name.encode())
        digest.update(repr(sorted(value(name, tax_year).items(), key=str)).encode())
    return digest.hexdigest()
