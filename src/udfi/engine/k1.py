"""Partnership interests (Schedule K-1 (Form 1065), box 20 code V) and the trade or business each
belongs to under Treas. Reg. §1.512(a)-6.

A partnership interest is a *qualifying partnership interest* (QPI) when it meets the de minimis test
(no more than 2% of the profits interest and no more than 2% of the capital interest,
§1.512(a)-6(c)(3)) or the participation test (no more than 20% of the capital interest and no control
or influence over the partnership, §1.512(a)-6(c)(4)); each percentage is the average of the interest
at the beginning and the end of the partnership's year (§1.512(a)-6(c)(5): (3% + 1%) / 2 = 2% meets
the de minimis test). A QPI's UBTI joins the investment-activities trade or business — the same
Schedule A as the account's debt-financed property (§1.512(a)-6(c)(1)) — on Part I line 5. Any other
interest is its own trade or business identified by the first two digits of its NAICS code
(§1.512(a)-6(b)); interests whose codes share those digits share one Schedule A.

Readings udfi takes (README "Assumptions"): the capital interests of disqualified persons and related
organizations in the same partnership (`related_capital_pct`) count toward the 20% of the
participation test only; an interest that met a test in the preceding year and fails it now only
because other partners' actions raised its percentage keeps qualifying for the year of the change
(the grace period) when the book says so (`increase_by_other_partners`) [M]. Pure functions; the
percentages are exact Decimals in percent (1.5 = 1.5%).
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache

import pandas as pd

from udfi import parameters as parameter_store
from udfi.engine.records import record
from udfi.money import ZERO, cents_to_decimal, whole_dollars
from udfi.resources import read_yaml, schemas_dir

DE_MINIMIS = "de_minimis"
PARTICIPATION = "participation"
GRACE_PERIOD = "grace_period"
TEST_WORDS = {DE_MINIMIS: "de minimis test", PARTICIPATION: "participation test",
              GRACE_PERIOD: "grace period (qualified in the preceding year)"}
PERCENT_COLUMNS = ("profits_pct_beginning", "profits_pct_end", "capital_pct_beginning", "capital_pct_end")
_PERCENT = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)\s*%?")
_ACTIVITY_CODE = re.compile(r"\d{6}")


@lru_cache(maxsize=None)
def naics_sectors() -> dict[str, str]:
    """Two-digit NAICS code → sector title (schemas/naics-sectors.yaml)."""
    data = read_yaml((schemas_dir() / "naics-sectors.yaml").read_text(encoding="utf-8"))
    return {str(code): title for code, title in data["sectors"].items()}


def parse_percent(text) -> Decimal | None:
    """'1.5' or '1.5%' → Decimal('1.5') (percent); None when the text is not a non-negative number."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    value = str(text).strip()
    if not _PERCENT.fullmatch(value):
        return None
    return Decimal(value.rstrip("%").strip())


def activity_code_problem(code) -> str | None:
    """Why `code` is not a usable NAICS business activity code (None when it is)."""
    text = "" if code is None else str(code).strip()
    if not _ACTIVITY_CODE.fullmatch(text):
        return "a 6-digit NAICS code"
    if text[:2] not in naics_sectors():
        return f"a NAICS code whose first two digits are a NAICS sector ({', '.join(naics_sectors())})"
    return None


def average_percent(beginning: Decimal, end: Decimal) -> Decimal:
    """§1.512(a)-6(c)(5): the average of the percentage interest at the beginning and the end of the
    partnership's taxable year, exact."""
    return (beginning + end) / 2


@record
class Thresholds:
    de_minimis_pct: Decimal
    participation_capital_pct: Decimal
    reference: str


def thresholds(tax_year: int) -> Thresholds:
    entry = parameter_store.value("qualifying_partnership_interest", tax_year)
    return Thresholds(Decimal(entry["de_minimis_pct"]), Decimal(entry["participation_capital_pct"]),
                      entry["reference"])


@record
class Qualification:
    profits_pct: Decimal          # average over the year, percent
    capital_pct: Decimal
    participation_capital_pct: Decimal   # with the related persons' capital interests
    test: str | None              # DE_MINIMIS, PARTICIPATION, GRACE_PERIOD, or None (not a QPI)
    explanation: str

    @property
    def qualifying(self) -> bool:
        return self.test is not None


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def qualification(profits_beginning: Decimal, profits_end: Decimal, capital_beginning: Decimal,
                  capital_end: Decimal, control: bool, related_capital_pct: Decimal, limits: Thresholds,
                  prior_test: str | None = None, increase_by_other_partners: bool = False) -> Qualification:
    """Which test, if any, the interest meets (see the module docstring)."""
    profits = average_percent(profits_beginning, profits_end)
    capital = average_percent(capital_beginning, capital_end)
    combined = capital + related_capital_pct
    averages = (f"profits ({_pct(profits_beginning)} + {_pct(profits_end)}) / 2 = {_pct(profits)}, "
                f"capital ({_pct(capital_beginning)} + {_pct(capital_end)}) / 2 = {_pct(capital)}")
    if profits <= limits.de_minimis_pct and capital <= limits.de_minimis_pct:
        return Qualification(profits, capital, combined, DE_MINIMIS,
                             f"de minimis test met: {averages}, each at most {_pct(limits.de_minimis_pct)}")
    related = f" + {_pct(related_capital_pct)} held by related persons" if related_capital_pct else ""
    if combined <= limits.participation_capital_pct and not control:
        return Qualification(profits, capital, combined, PARTICIPATION,
                             f"participation test met: capital {_pct(capital)}{related} = {_pct(combined)}, "
                             f"at most {_pct(limits.participation_capital_pct)}, and no control or influence "
                             f"({averages})")
    failed = []
    if combined > limits.participation_capital_pct:
        failed.append(f"capital {_pct(capital)}{related} is over {_pct(limits.participation_capital_pct)}")
    if control:
        failed.append("the account has control or influence over the partnership")
    why = (f"not a qualifying partnership interest: {averages} — over {_pct(limits.de_minimis_pct)} for the "
           f"de minimis test, and {' and '.join(failed)} for the participation test")
    if prior_test is not None and increase_by_other_partners:
        return Qualification(profits, capital, combined, GRACE_PERIOD,
                             f"{why}; it met the {TEST_WORDS[prior_test]} in the preceding year and the change came "
                             "from other partners' actions, so it is treated as qualifying for this year (grace "
                             "period, Reg. §1.512(a)-6(c) [M]); reduce the interest or it becomes its own silo next year")
    return Qualification(profits, capital, combined, None, why)


@record
class K1Interest:
    """One K-1 of one account and year, with its test."""

    partnership_id: str
    name: str
    ein: str
    tax_year: int
    ubti: Decimal                 # box 20 code V, negative for a loss
    gross_income: Decimal | None  # the account's share of the trade's gross income, when given
    profits_beginning: Decimal
    profits_end: Decimal
    capital_beginning: Decimal
    capital_end: Decimal
    related_capital_pct: Decimal
    control: bool
    publicly_traded: bool
    increase_by_other_partners: bool
    activity_code: str | None
    source_row: int
    qualification: Qualification

    @property
    def qualifying(self) -> bool:
        return self.qualification.qualifying

    @property
    def line_5(self) -> int:
        """The whole-dollar amount this K-1 adds to Schedule A Part I line 5."""
        return whole_dollars(self.ubti)

    @property
    def sector(self) -> str | None:
        return None if not self.activity_code else self.activity_code[:2]

    @property
    def gross_for_filing(self) -> Decimal:
        """Gross income for the $1,000 filing test: `gross_income` when the K-1 gives it, else the UBTI if
        positive — a lower bound, since gross income is at least the net income (README Assumptions)."""
        if self.gross_income is not None:
            return self.gross_income
        return max(self.ubti, ZERO)


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _money(value) -> Decimal | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return cents_to_decimal(int(value))


def k1_interests(k1s: pd.DataFrame) -> dict[str, dict[int, list[K1Interest]]]:
    """The k1s table by account and year, each K-1 with its test. The grace period looks at the same
    partnership's test in the preceding year, so years are taken in order."""
    by_account: dict[str, dict[int, list[K1Interest]]] = defaultdict(lambda: defaultdict(list))
    if k1s is None or not len(k1s):
        return by_account
    frame = k1s.sort_values(["account_id", "tax_year", "source_row"], kind="stable")
    tests: dict[tuple[str, str, int], str | None] = {}
    for row in frame.to_dict("records"):
        account_id, year = row["account_id"], int(row["tax_year"])
        percents = [parse_percent(row.get(column)) for column in PERCENT_COLUMNS]
        related = parse_percent(row.get("related_capital_pct")) or ZERO
        partnership_id = str(row["partnership_id"])
        prior = tests.get((account_id, partnership_id, year - 1))
        result = qualification(*percents, control=bool(row.get("control")), related_capital_pct=related,
                               limits=thresholds(year), prior_test=prior if prior != GRACE_PERIOD else None,
                               increase_by_other_partners=bool(row.get("increase_by_other_partners")))
        tests[(account_id, partnership_id, year)] = result.test
        by_account[account_id][year].append(K1Interest(
            partnership_id=partnership_id, name=_text(row.get("partnership_name")) or partnership_id,
            ein=_text(row.get("partnership_ein")) or "", tax_year=year, ubti=_money(row.get("ubti_cents")) or ZERO,
            gross_income=_money(row.get("gross_income_cents")), profits_beginning=percents[0],
            profits_end=percents[1], capital_beginning=percents[2], capital_end=percents[3],
            related_capital_pct=related, control=bool(row.get("control")),
            publicly_traded=bool(row.get("publicly_traded")),
            increase_by_other_partners=bool(row.get("increase_by_other_partners")),
            activity_code=_text(row.get("activity_code")), source_row=int(row["source_row"]), qualification=result,
        ))
    return by_account


def previously_qualifying(interests: dict[int, list[K1Interest]]) -> list[tuple[K1Interest, K1Interest]]:
    """(last year's K-1, this year's K-1) for every interest that qualified last year and does not now —
    or qualifies now only through the grace period."""
    found = []
    for year, items in sorted(interests.items()):
        before = {item.partnership_id: item for item in interests.get(year - 1, [])}
        for item in items:
            prior = before.get(item.partnership_id)
            if prior is not None and prior.qualification.test in (DE_MINIMIS, PARTICIPATION) \
                    and item.qualification.test in (None, GRACE_PERIOD):
                found.append((prior, item))
    return found
