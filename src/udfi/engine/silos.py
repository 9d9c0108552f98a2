"""The unrelated trades or businesses of one account and year (IRC §512(a)(6); Treas. Reg. §1.512(a)-6).

- The investment-activities silo (§1.512(a)-6(c)): the debt-financed properties and the qualifying
  partnership interests (their K-1 UBTI on Part I line 5). It is always computed, because it carries the
  account's capital-loss and §1231 history and the pool of pre-2018 NOLs.
- One silo per two-digit NAICS code of the other partnership interests (§1.512(a)-6(b)): interests
  whose codes share the first two digits share one Schedule A.

Each silo computes its UBTI separately, its own post-2017 NOL deduction from its own losses only
(§1.512(a)-6(h)(1)), and is not below zero (§512(a)(6)(C)); Form 990-T line 1 is the sum. Pre-2018
NOLs are deducted from the total on line 6, allocated among the silos so the post-2017 NOLs are used
as fully as possible (§1.512(a)-6(h)(2); `nol.allocate_pre2018`). A silo with NOLs but no activity
this year files no Schedule A; its NOLs stay its own (they are never moved to another silo,
§1.512(a)-6(h)(3)-(4)) and are listed on Form 990-T Part IV line 5.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import field, replace

from udfi.engine.k1 import K1Interest, naics_sectors
from udfi.engine.nol import POST2017, PRE2018, NolLayer, allocate_pre2018, nol_year, split_layers
from udfi.engine.property_year import PropertyYear
from udfi.engine.records import record
from udfi.engine.schedule_a import BeforeNol, CarryIn, ScheduleA, before_nol, part_v_line_8, part_v_line_10, with_nol
from udfi.engine.schedule_d import capital_loss_carryover
from udfi.parameters import TaxYearParameters

INVESTMENT = "investment"


@record
class SiloCarry:
    """What a partnership silo carries to the next year: its post-2017 NOL layers and the activity
    code it was reported under."""

    activity_code: str
    layers: tuple[NolLayer, ...] = ()

    @property
    def post2017_nol(self) -> int:
        return sum(layer.amount for layer in self.layers)


@record
class Silo:
    key: str                              # INVESTMENT or a two-digit NAICS code
    activity_code: str                    # Schedule A item C
    description: str                      # Schedule A item E
    interests: tuple[K1Interest, ...]     # the K-1s on line 5
    schedule: ScheduleA
    pre2018_allocated: int                # pre-2018 NOL set against this silo's income (Form 990-T line 6)
    attached: bool                        # a Schedule A is filed for it this year
    sequence: int | None = None           # Schedule A item D ("sequence n of N"), when attached
    activity_codes: tuple[str, ...] = ()  # every 6-digit code its K-1s gave

    @property
    def label(self) -> str:
        if self.key == INVESTMENT:
            return "investment activities"
        return f"NAICS {self.key} ({naics_sectors().get(self.key, 'unknown sector')})"


@record
class Silos:
    items: tuple[Silo, ...]               # investment first, then partnership silos by NAICS code
    carry_out: CarryIn                    # the investment silo's carryovers and the pre-2018 NOL pool
    silo_carry_out: dict[str, SiloCarry] = field(default_factory=dict)

    @property
    def investment(self) -> Silo:
        return self.items[0]

    @property
    def attached(self) -> list[Silo]:
        return [silo for silo in self.items if silo.attached]

    @property
    def count(self) -> int:
        """Form 990-T item J: the number of attached Schedules A."""
        return len(self.attached)

    @property
    def line_1(self) -> int:
        """Form 990-T Part I line 1: the sum of every Schedule A's line 18 (each not below zero)."""
        return sum(max(silo.schedule.line_18, 0) for silo in self.attached)

    @property
    def pre2018_used(self) -> int:
        return sum(silo.schedule.nol.pre2018_used for silo in self.items)

    @property
    def pre2018_available(self) -> int:
        return sum(silo.schedule.nol.pre2018_available for silo in self.items)

    @property
    def income_before_nol(self) -> int:
        """Σ of the silos' line 16, each not below zero (for Form 2220's testing period)."""
        return sum(max(silo.schedule.line_16, 0) for silo in self.items)

    def part_iv_line_5(self) -> list[dict]:
        """Part IV line 5: post-2017 NOL carryovers available by business activity code, not reduced by
        this year's deductions — every silo that has one; with none, the investment silo's row (zero)."""
        rows = [{"activity_code": silo.activity_code, "amount": silo.schedule.nol.post2017_available}
                for silo in self.items if silo.schedule.nol.post2017_available]
        return rows or [{"activity_code": self.investment.activity_code, "amount": 0}]


def _description(sector: str) -> str:
    return f"Partnerships, NAICS {sector}: {naics_sectors().get(sector, 'unknown sector')}"


def _activity_code(interests: list[K1Interest], carried: SiloCarry | None, sector: str) -> tuple[str, tuple[str, ...]]:
    """Item C of a partnership silo: the code it was reported under before, while one of its K-1s still
    gives it (so the code does not change from year to year); else the code of its largest K-1 (by the
    size of its UBTI)."""
    codes = tuple(sorted({interest.activity_code for interest in interests if interest.activity_code}))
    if carried is not None and carried.activity_code in codes:
        return carried.activity_code, codes
    if interests:
        main = sorted(interests, key=lambda item: (-abs(item.ubti), item.partnership_id))[0]
        return main.activity_code or f"{sector}0000", codes
    return (carried.activity_code if carried else f"{sector}0000"), codes


def _active(schedule: ScheduleA, interests) -> bool:
    lines = (schedule.line_4a, schedule.line_4b, schedule.line_4c, schedule.line_5, schedule.line_7a,
             schedule.line_7b, schedule.line_16, schedule.line_17)
    return bool(schedule.columns or interests or any(lines))


def compute_silos(property_years: list[PropertyYear], carry_in: CarryIn, silo_carry: dict[str, SiloCarry],
                  interests: list[K1Interest], parameters: TaxYearParameters, activity_code: str,
                  activity_description: str) -> Silos:
    """Every silo of one account and year. `carry_in` is the investment silo's (with the pre-2018 pool),
    `silo_carry` the partnership silos' post-2017 NOLs."""
    if not interests and not silo_carry:   # no K-1, no partnership silo: one trade or business (most years)
        return _one_silo(before_nol(property_years, carry_in, parameters, []), carry_in, parameters, [],
                         activity_code, activity_description)
    qualifying = [item for item in interests if item.qualifying]
    by_sector: dict[str, list[K1Interest]] = defaultdict(list)
    for item in interests:
        if not item.qualifying:
            by_sector[item.sector or "00"].append(item)
    sectors = sorted(set(by_sector) | {key for key, carry in silo_carry.items() if carry.layers})
    investment_income = before_nol(property_years, carry_in, parameters, qualifying)

    if not sectors:
        return _one_silo(investment_income, carry_in, parameters, qualifying, activity_code, activity_description)

    incomes = {sector: before_nol([], CarryIn(), parameters, by_sector.get(sector, [])) for sector in sectors}
    year = parameters.tax_year
    pre = [layer for layer in carry_in.nol_layers if layer.kind == PRE2018]
    expired = [layer for layer in pre if layer.expires_after is not None and year > layer.expires_after]
    live = [layer for layer in pre if layer not in expired]
    investment_post = tuple(layer for layer in carry_in.nol_layers if layer.kind == POST2017)
    posts = {INVESTMENT: investment_post, **{s: (silo_carry[s].layers if s in silo_carry else ()) for s in sectors}}
    order = [INVESTMENT, *sectors]
    line_16 = {INVESTMENT: investment_income.line_16, **{s: incomes[s].line_16 for s in sectors}}
    allocation = allocate_pre2018(sum(layer.amount for layer in live),
                                  [(line_16[key], sum(layer.amount for layer in posts[key])) for key in order],
                                  parameters.post2017_nol_limit)
    chunks, left = split_layers(live, allocation)
    # The investment silo holds what no silo absorbs (and the expired layers, to report them): it uses
    # no more than its allocation, because anything is left over only when every silo's income is used.
    chunks[0] = list(_merged(chunks[0] + left)) + expired

    schedules = {INVESTMENT: with_nol(investment_income, CarryIn(
        nol_layers=investment_post + tuple(chunks[0]), short_term_capital_loss=carry_in.short_term_capital_loss,
        long_term_capital_loss=carry_in.long_term_capital_loss, section_1231_losses=carry_in.section_1231_losses),
        parameters)}
    for index, sector in enumerate(sectors, start=1):
        schedules[sector] = with_nol(incomes[sector], CarryIn(nol_layers=posts[sector] + tuple(chunks[index])),
                                     parameters)

    items = []
    silo_carry_out: dict[str, SiloCarry] = {}
    pre_out: list[NolLayer] = []
    for index, key in enumerate(order):
        schedule = schedules[key]
        members = qualifying if key == INVESTMENT else by_sector.get(key, [])
        attached = bool(members) if key != INVESTMENT else _active(schedule, members)
        if key == INVESTMENT:
            code, codes, words = activity_code, (), activity_description
        else:
            code, codes = _activity_code(members, silo_carry.get(key), key)
            words = _description(key)
        items.append(Silo(key, code, words, tuple(members), schedule, allocation[index], attached, None, codes))
        pre_out += [layer for layer in schedule.carry_out.nol_layers if layer.kind == PRE2018]
        if key != INVESTMENT:
            post_out = tuple(layer for layer in schedule.carry_out.nol_layers if layer.kind == POST2017)
            if post_out:
                silo_carry_out[key] = SiloCarry(code, post_out)
    if not any(item.attached for item in items):
        items[0] = _with(items[0], attached=True)   # every return has at least one Schedule A
    numbered, sequence = [], 0
    for item in items:
        if item.attached:
            sequence += 1
            item = _with(item, sequence=sequence)
        numbered.append(item)
    investment_out = schedules[INVESTMENT].carry_out
    carry_out = CarryIn(
        nol_layers=tuple(layer for layer in investment_out.nol_layers if layer.kind == POST2017) + tuple(pre_out),
        short_term_capital_loss=investment_out.short_term_capital_loss,
        long_term_capital_loss=investment_out.long_term_capital_loss,
        section_1231_losses=investment_out.section_1231_losses)
    return Silos(tuple(numbered), carry_out, silo_carry_out)


def _one_silo(investment_income: BeforeNol, carry_in: CarryIn, parameters: TaxYearParameters,
              qualifying: list[K1Interest], activity_code: str, activity_description: str) -> Silos:
    """One trade or business: every NOL layer is the investment silo's."""
    schedule = with_nol(investment_income, carry_in, parameters)
    silo = Silo(INVESTMENT, activity_code, activity_description, tuple(qualifying), schedule,
                schedule.nol.pre2018_used, True, 1)
    return Silos((silo,), schedule.carry_out, {})


def carry_forward_only(property_years: list[PropertyYear], carry_in: CarryIn, silo_carry: dict[str, SiloCarry],
                       interests: list[K1Interest], parameters: TaxYearParameters) -> tuple[CarryIn, int] | None:
    """For a year whose return is not built (only what it carries forward is kept): `compute_silos`'
    `carry_out` and `income_before_nol`, without building its Schedules A — when the year has one
    trade or business (no K-1, no partnership silo's NOL), no sale, and no capital or §1231 loss is
    carried in; None otherwise (compute the silos).

    Why that is `compute_silos`' answer: with no sale there is no Form 4797 or Schedule D (nothing is
    sold and nothing carried to it), so Schedule A lines 4a–4c and 5 are 0 and line 16 is Part V
    line 8 − line 10 (lines 7(A) − 7(B), line 15 being 0); the year's NOL is a loss on line 16
    (§172(d)(2): line 4c is 0), deducted or carried by `nol_year` as `with_nol` does; the capital loss
    carryover worksheet of a year without Schedule D carries 0 and 0 (§1212(b)), no §1231 loss is
    open; and the one silo's line 16, floored at 0, is the income before NOL."""
    if interests or carry_in.short_term_capital_loss or carry_in.long_term_capital_loss \
            or carry_in.section_1231_losses or any(carry.layers for carry in silo_carry.values()):
        return None
    columns = []
    for column in property_years:
        if column.disposition is not None:
            return None
        if column.debt_financed:
            columns.append(column)
    line_16 = part_v_line_8(columns) - part_v_line_10(columns)
    nol = nol_year(parameters.tax_year, carry_in.nol_layers, line_16, parameters.post2017_nol_limit,
                   max(-line_16, 0))
    worksheet = capital_loss_carryover(None, line_16 - nol.post2017_used - nol.pre2018_used)
    return CarryIn(nol_layers=nol.layers_out, short_term_capital_loss=worksheet.line_9,
                   long_term_capital_loss=worksheet.line_14, section_1231_losses=()), max(line_16, 0)


def _with(silo: Silo, **changes) -> Silo:
    return replace(silo, **changes)


def _merged(layers) -> tuple[NolLayer, ...]:
    """Layers of the same kind and origin year as one (a pre-2018 layer may be cut between silos)."""
    totals: dict[tuple[str, int | None], int] = {}
    for layer in layers:
        totals[(layer.kind, layer.origin_year)] = totals.get((layer.kind, layer.origin_year), 0) + layer.amount
    return tuple(NolLayer(kind, origin, amount) for (kind, origin), amount in totals.items())
