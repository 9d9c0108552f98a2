"""`engine.records.record` against `dataclass(frozen=True)`: the same instance (fields in the same
order, so the same pickle), the same equality, hash and repr, the same refusal of assignment."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from udfi.engine.records import record


@dataclass(frozen=True)
class Slow:
    name: str
    amount: int
    tags: tuple = ()
    notes: list = field(default_factory=list, hash=False)


@record
class Fast:
    name: str
    amount: int
    tags: tuple = ()
    notes: list = field(default_factory=list, hash=False)


@given(st.text(max_size=5), st.integers(), st.tuples(st.integers()), st.booleans())
def test_a_record_is_built_as_a_frozen_dataclass(name, amount, tags, by_keyword):
    if by_keyword:
        slow, fast = Slow(name=name, amount=amount, tags=tags), Fast(name=name, amount=amount, tags=tags)
    else:
        slow, fast = Slow(name, amount, tags), Fast(name, amount, tags)
    assert list(vars(fast).items()) == list(vars(slow).items())   # same fields, same order
    assert repr(fast) == repr(slow).replace("Slow(", "Fast(", 1)
    assert hash(fast) == hash(Fast(name, amount, tags)) and fast == Fast(name, amount, tags)
    assert pickle.loads(pickle.dumps(fast)) == fast
    # the pickle differs only by the class name
    assert pickle.dumps(fast).replace(b"Fast", b"Slow") == pickle.dumps(slow)
    assert dataclasses.replace(fast, amount=amount + 1).amount == amount + 1


def test_a_record_refuses_assignment_and_missing_fields():
    fast = Fast("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.amount = 2
    with pytest.raises(TypeError):
        Fast("a")
    with pytest.raises(TypeError):
        Fast("a", 1, (), [], "extra")


def test_a_default_factory_gives_each_record_its_own_value():
    first, second = Fast("a", 1), Fast("b", 2)
    assert first.notes == [] and first.notes is not second.notes
    given_notes = ["kept"]
    assert Fast("c", 3, notes=given_notes).notes is given_notes


def test_record_refuses_what_it_does_not_build():
    with pytest.raises(TypeError):
        @record
        class WithPostInit:
            amount: int

            def __post_init__(self):
                pass
