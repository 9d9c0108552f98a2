"""Invariants of the silos (hypothesis): the pre-2018 allocation is the best possible one (checked
against every allocation of small cases), and the silos' figures always tie."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from udfi.engine.nol import allocate_pre2018, post2017_deduction

LIMITS = st.sampled_from([None, D("0.80")])
SILOS = st.lists(st.tuples(st.integers(-20, 40), st.integers(0, 40)), min_size=1, max_size=3)


def _used(silos, allocation, limit) -> int:
    return sum(post2017_deduction(income, a, available, limit) for (income, available), a in zip(silos, allocation))


@settings(max_examples=300, deadline=None)
@given(pre=st.integers(0, 90), silos=SILOS, limit=LIMITS)
def test_pre2018_allocation_is_optimal_and_deducts_in_full(pre, silos, limit):
    """§1.512(a)-6(h)(2): the pre-2018 NOLs are deducted in full (up to the silos' positive income), and
    no other way of setting them against the silos leaves a larger post-2017 deduction."""
    incomes = [max(income, 0) for income, _ in silos]
    allocation = allocate_pre2018(pre, silos, limit)
    total = min(pre, sum(incomes))
    assert sum(allocation) == total
    assert all(0 <= a <= income for a, income in zip(allocation, incomes))
    best = max(_used(silos, candidate, limit)
               for candidate in itertools.product(*(range(income + 1) for income in incomes))
               if sum(candidate) == total)
    assert _used(silos, allocation, limit) == best


@settings(max_examples=200, deadline=None)
@given(income=st.integers(-50, 5000), pre=st.integers(0, 5000), post=st.integers(0, 5000), limit=LIMITS)
def test_one_silo_allocation_is_the_single_silo_rule(income, pre, post, limit):
    """With one silo the allocation is simply min(pre-2018, income): the rule udfi applied before silos."""
    assert allocate_pre2018(pre, [(income, post)], limit) == [min(pre, max(income, 0))]
