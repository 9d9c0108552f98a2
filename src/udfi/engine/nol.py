"""Net operating loss carryovers by origin year (IRC §172, §512(b)(6); Treas. Reg. §1.512(a)-6(h)).

Each loss is a layer: its kind (a loss of a year beginning after 2017, "post-2017", or before 2018,
"pre-2018"), the year it arose and what is left of it. Layers are used oldest first (§172(b)(2)).
A pre-2018 loss expires after the 20th year following the loss year (§172(b)(1)(A)(ii) as in force
for losses of years beginning before 2018); a post-2017 loss never expires.

The deduction of a year (§172(a)(1)–(2)): pre-2018 NOLs first, in full up to taxable income; then
post-2017 NOLs, for years beginning after 2020 up to 80% of taxable income reduced by the pre-2018
NOLs deducted (§172(a)(2)(B)(ii)). Pre-2018 NOLs go on Form 990-T Part I line 6 (deducted from total
UBTI, §1.512(a)-6(h)(2)); post-2017 NOLs on the silo's Schedule A Part II line 17 (§1.512(a)-6(h)(1)).
Whole dollars throughout; the 80% limit is rounded down so the deduction never exceeds it.
"""

from __future__ import annotations

import itertools
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from functools import lru_cache

from udfi.engine.records import record

POST2017 = "post2017"
PRE2018 = "pre2018"
PRE2018_CARRYFORWARD_YEARS = 20


@record
class NolLayer:
    kind: str                 # POST2017 or PRE2018
    origin_year: int | None   # None: a post-2017 loss of an unknown earlier year (from carryovers.csv)
    amount: int               # what is left, whole dollars

    @property
    def expires_after(self) -> int | None:
        """The last tax year the loss may be deducted in (pre-2018 losses only)."""
        if self.kind != PRE2018 or self.origin_year is None:
            return None
        return self.origin_year + PRE2018_CARRYFORWARD_YEARS


@record
class LayerUse:
    """One layer's line in the NOL schedule of a year."""

    kind: str
    origin_year: int | None
    available: int
    used: int
    expired: int

    @property
    def remaining(self) -> int:
        return self.available - self.used - self.expired

    @property
    def expires_after(self) -> int | None:
        return NolLayer(self.kind, self.origin_year, 0).expires_after


@record
class NolYear:
    """The NOL deduction of one year and the layers carried to the next."""

    tax_year: int
    pre2018_available: int      # after expiry
    pre2018_used: int           # Form 990-T Part I line 6
    post2017_available: int
    post2017_limit: int | None  # None: no 80% limit (years beginning before 2021)
    post2017_used: int          # Schedule A Part II line 17
    generated: int              # this year's post-2017 NOL (computed without the specific deduction)
    schedule: tuple[LayerUse, ...]
    layers_out: tuple[NolLayer, ...]

    @property
    def expired(self) -> int:
        return sum(item.expired for item in self.schedule)


def _oldest_first(layers: tuple[NolLayer, ...]) -> list[NolLayer]:
    return sorted(layers, key=lambda layer: (-1 if layer.origin_year is None else layer.origin_year))


def _use(layers: list[NolLayer], amount: int) -> tuple[list[int], int]:
    """Spread `amount` over `layers` oldest first; returns the amount used from each and in total."""
    used, left = [], max(amount, 0)
    for layer in layers:
        take = min(layer.amount, left)
        used.append(take)
        left -= take
    return used, sum(used)


def post2017_limit(taxable_income_before_nol: int, pre2018_used: int, limit_fraction: Decimal | None) -> int | None:
    """§172(a)(2)(B)(ii): 80% of (taxable income without the NOL deduction − pre-2018 NOLs deducted),
    rounded down to the dollar; None when the year has no percentage limit."""
    if limit_fraction is None:
        return None
    base = max(taxable_income_before_nol - pre2018_used, 0)
    ratio = _integer_ratio(limit_fraction)
    if ratio is not None and base < _EXACT_BASE:
        # base × p/q: the Decimal product is exact (under 40 digits) and ≥ 0, so rounding it down is
        # the integer quotient (tests/test_engine_fast_paths.py holds the two equal)
        return base * ratio[0] // ratio[1]
    return int((Decimal(base) * limit_fraction).to_integral_value(rounding=ROUND_DOWN))


_EXACT_BASE = 10**30   # a base below this times a fraction of at most 10 digits has at most 40 digits


@lru_cache(maxsize=64)
def _integer_ratio(limit_fraction: Decimal) -> tuple[int, int] | None:
    """(p, q) with p/q = `limit_fraction`, for a finite fraction ≥ 0 of at most 10 digits; None otherwise."""
    if not limit_fraction.is_finite() or limit_fraction < 0 or len(limit_fraction.as_tuple().digits) > 10:
        return None
    return limit_fraction.as_integer_ratio()


def nol_year(tax_year: int, layers: tuple[NolLayer, ...], taxable_income_before_nol: int,
             limit_fraction: Decimal | None, loss_for_nol: int) -> NolYear:
    """Deduct the carried layers from `taxable_income_before_nol` (the silo's Schedule A line 16) and
    add this year's loss (`loss_for_nol` ≥ 0, already modified by §172(d)) as a new post-2017 layer."""
    if not layers:   # nothing carried in (most account-years): what the general case gives for no layers
        generated = max(loss_for_nol, 0)
        return NolYear(
            tax_year=tax_year, pre2018_available=0, pre2018_used=0, post2017_available=0,
            post2017_limit=post2017_limit(taxable_income_before_nol, 0, limit_fraction), post2017_used=0,
            generated=generated, schedule=(),
            layers_out=(NolLayer(POST2017, tax_year, generated),) if generated else (),
        )
    live, dead = [], []
    for layer in _oldest_first(layers):
        expiry = layer.expires_after
        (dead if expiry is not None and tax_year > expiry else live).append(layer)
    pre = [layer for layer in live if layer.kind == PRE2018]
    post = [layer for layer in live if layer.kind == POST2017]
    income = max(taxable_income_before_nol, 0)
    pre_used_each, pre_used = _use(pre, income)
    limit = post2017_limit(taxable_income_before_nol, pre_used, limit_fraction)
    room = income - pre_used if limit is None else min(limit, income - pre_used)
    post_used_each, post_used = _use(post, room)

    schedule, carried = [], []
    for layer, used in list(zip(pre, pre_used_each)) + list(zip(post, post_used_each)):
        schedule.append(LayerUse(layer.kind, layer.origin_year, layer.amount, used, 0))
        if layer.amount - used:
            carried.append(NolLayer(layer.kind, layer.origin_year, layer.amount - used))
    for layer in dead:
        schedule.append(LayerUse(layer.kind, layer.origin_year, layer.amount, 0, layer.amount))
    generated = max(loss_for_nol, 0)
    if generated:
        carried.append(NolLayer(POST2017, tax_year, generated))
    schedule.sort(key=lambda item: (item.kind != PRE2018, -1 if item.origin_year is None else item.origin_year))
    return NolYear(
        tax_year=tax_year, pre2018_available=sum(layer.amount for layer in pre), pre2018_used=pre_used,
        post2017_available=sum(layer.amount for layer in post), post2017_limit=limit, post2017_used=post_used,
        generated=generated, schedule=tuple(schedule), layers_out=tuple(_oldest_first(tuple(carried))),
    )


# ---- several trades or businesses (Treas. Reg. §1.512(a)-6(h)) ------------------------------

def post2017_deduction(income: int, pre2018_used: int, post2017_available: int, limit_fraction: Decimal | None) -> int:
    """What a silo with line 16 `income` deducts of its post-2017 NOLs once `pre2018_used` of the
    pre-2018 NOLs is set against it (§172(a)(2)), as `nol_year` computes it."""
    income = max(income, 0)
    limit = post2017_limit(income, pre2018_used, limit_fraction)
    room = income - pre2018_used if limit is None else min(limit, income - pre2018_used)
    return min(post2017_available, max(room, 0))


def _free_room(income: int, post2017_available: int, limit_fraction: Decimal | None) -> int:
    """The most pre-2018 NOL a silo absorbs without reducing its post-2017 deduction."""
    full = post2017_deduction(income, 0, post2017_available, limit_fraction)
    low, high = 0, income      # post2017_deduction falls as pre2018_used grows: bisect the last equal point
    while low < high:
        middle = (low + high + 1) // 2
        if post2017_deduction(income, middle, post2017_available, limit_fraction) == full:
            low = middle
        else:
            high = middle - 1
    return low


def allocate_pre2018(pre2018_available: int, silos: list[tuple[int, int]], limit_fraction: Decimal | None) -> list[int]:
    """Treas. Reg. §1.512(a)-6(h)(2): pre-2018 NOLs are deducted from total UBTI (Form 990-T line 6), but
    the 80% limit of each silo's post-2017 deduction is figured on that silo's income less the pre-2018
    NOLs set against it, so they are allocated among the silos "in a manner that allows for maximum
    utilization of post-2017 NOLs". `silos` are (line 16, post-2017 NOL available) per silo; returns the
    pre-2018 NOL allocated to each, adding up to the smaller of `pre2018_available` and the silos'
    positive income (the pre-2018 deduction itself is never reduced).

    First every silo takes what it can absorb without losing any post-2017 deduction (a silo without
    post-2017 NOLs takes up to its whole income); the rest costs post-2017 deductions wherever it goes,
    and is placed in silo order — unless an exact search finds a placement that leaves more post-2017
    deduction (the 80% limit rounds down, so where the last dollars land can matter)."""
    incomes = [max(income, 0) for income, _ in silos]
    total = min(max(pre2018_available, 0), sum(incomes))
    allocation = [0] * len(silos)
    left = total
    for index, (income, available) in enumerate(silos):
        take = min(_free_room(incomes[index], available, limit_fraction), left)
        allocation[index] = take
        left -= take
    for index in range(len(silos)):   # the rest, in silo order
        take = min(incomes[index] - allocation[index], left)
        allocation[index] += take
        left -= take
    best = _exact_allocation(total, incomes, [available for _, available in silos], limit_fraction)
    if best is not None and _total_used(best, incomes, silos, limit_fraction) > \
            _total_used(allocation, incomes, silos, limit_fraction):
        return best   # the 80% limit rounds down: where the last few dollars go can matter
    return allocation


def _total_used(allocation: list[int], incomes: list[int], silos: list[tuple[int, int]],
                limit_fraction: Decimal | None) -> int:
    return sum(post2017_deduction(incomes[i], allocation[i], silos[i][1], limit_fraction) for i in range(len(silos)))


MAX_EXACT_SILOS = 6


def _exact_allocation(total: int, incomes: list[int], available: list[int],
                      limit_fraction: Decimal | None) -> list[int] | None:
    """The allocation with the largest post-2017 deduction, found exactly (None for more than
    MAX_EXACT_SILOS silos). Work with what each silo keeps, z = income − allocation: a silo is
    *saturated* once floor(f·z) reaches its post-2017 NOL (then it deducts all of it), otherwise it deducts
    floor(f·z) with f = p/d. For the unsaturated ones only z mod d changes the rounding, so every choice of
    saturated silos and of residues is tried (2^n · d^n cases, n ≤ 6)."""
    count = len(incomes)
    if count > MAX_EXACT_SILOS:
        return None
    fraction = Fraction(1) if limit_fraction is None else Fraction(str(limit_fraction))
    p, d = fraction.numerator, fraction.denominator
    keep = sum(incomes) - total                      # Σ z
    # the least z that saturates each silo (its post-2017 NOL fully deductible), or None if none does
    room = []
    for income, nol in zip(incomes, available):
        need = -(-nol * d // p) if nol else 0
        room.append(need if need <= income else None)
    best_value, best = -1, None
    for saturated in itertools.product((False, True), repeat=count):
        if any(flag and room[i] is None for i, flag in enumerate(saturated)):
            continue
        fixed = sum(room[i] for i in range(count) if saturated[i])
        spill = sum(incomes[i] - room[i] for i in range(count) if saturated[i])   # more z a saturated silo can take
        caps = [min(incomes[i], (room[i] - 1) if room[i] is not None else incomes[i]) for i in range(count)]
        unsaturated = [i for i in range(count) if not saturated[i]]
        if any(caps[i] < 0 for i in unsaturated):
            continue
        value_fixed = sum(available[i] for i in range(count) if saturated[i])
        high = min(keep - fixed, sum(caps[i] for i in unsaturated))
        low = max(0, keep - fixed - spill)
        for rest in range(high, max(low, high - d + 1) - 1, -1):   # the rounding repeats every d
            found = _best_residues(rest, [caps[i] for i in unsaturated], p, d)
            if found is None:
                continue
            value, kept = found
            if value_fixed + value > best_value:
                z = [0] * count
                for position, i in enumerate(unsaturated):
                    z[i] = kept[position]
                extra = keep - fixed - rest
                for i in range(count):
                    if saturated[i]:
                        add = min(extra, incomes[i] - room[i])
                        z[i] = room[i] + add
                        extra -= add
                best_value, best = value_fixed + value, [incomes[i] - z[i] for i in range(count)]
    return best


def _best_residues(total: int, caps: list[int], p: int, d: int) -> tuple[int, list[int]] | None:
    """max Σ floor(p·z_i/d) with Σ z_i = total, 0 ≤ z_i ≤ caps[i]; returns (value, z) or None."""
    if total < 0 or total > sum(caps):
        return None
    if not caps:
        return (0, []) if total == 0 else None
    best = None
    for residues in itertools.product(range(d), repeat=len(caps)):
        if any(r > cap for r, cap in zip(residues, caps)):
            continue
        left = total - sum(residues)
        if left < 0 or left % d:
            continue
        blocks = left // d
        if sum((cap - r) // d for r, cap in zip(residues, caps)) < blocks:
            continue
        z = list(residues)
        for i, cap in enumerate(caps):   # fill whole blocks of d, in order
            take = min((cap - z[i]) // d, blocks)
            z[i] += take * d
            blocks -= take
        value = sum(p * item // d for item in z)
        if best is None or value > best[0]:
            best = (value, z)
    return best


def split_layers(layers: list[NolLayer], amounts: list[int]) -> tuple[list[list[NolLayer]], list[NolLayer]]:
    """Cut `layers` (oldest first) into consecutive chunks of `amounts`; returns (chunks, what is left)."""
    queue = [layer for layer in _oldest_first(tuple(layers)) if layer.amount]
    chunks = []
    for amount in amounts:
        chunk, need = [], amount
        while need > 0 and queue:
            layer = queue[0]
            take = min(layer.amount, need)
            chunk.append(NolLayer(layer.kind, layer.origin_year, take))
            need -= take
            if take == layer.amount:
                queue.pop(0)
            else:
                queue[0] = NolLayer(layer.kind, layer.origin_year, layer.amount - take)
        chunks.append(chunk)
    return chunks, queue
