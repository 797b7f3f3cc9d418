"""Checks `serialization.*`: what survives the trip through a checkpoint.

The edge cases build their `@given` inside the test, with a per-target budget
(see `conformance/family_budget.py`).
"""

import pytest
from hypothesis import given, strategies as st

from conformance.case import MEDIA
from conformance.family_budget import examples_for
from conformance.outcome import expect
from conformance.serialization import (
    check_deepcopy,
    check_delayed,
    check_load_twice,
    check_no_mutation,
    check_weights_only,
)
from strategies.cases import cases

EDGE_BUDGET = 0.25  # of the profile's examples, for each edge case below

media = st.sampled_from(MEDIA)


@pytest.mark.check("serialization.weights_only")
@given(data=st.data())
def test_serialization_weights_only(target, data):
    case = data.draw(cases(target, interruptions=(1, 2)), label="case")
    expect(check_weights_only(target, case))


def edge_case(target, check: str, body, media=st.just("file")) -> None:
    """Run `body(case, data)` over the target's cases, with 1-2 interruptions."""

    @examples_for(target, check, EDGE_BUDGET)
    @given(data=st.data())
    def examples(data):
        case = data.draw(cases(target, interruptions=(1, 2), media=media), label="case")
        expect(body(case, data))

    examples()


@pytest.mark.check("serialization.no_mutation")
def test_serialization_no_mutation(target):
    edge_case(target, "serialization.no_mutation", lambda case, data: check_no_mutation(target, case), media)


@pytest.mark.check("serialization.load_twice")
def test_serialization_load_twice(target):
    edge_case(target, "serialization.load_twice", lambda case, data: check_load_twice(target, case), media)


@pytest.mark.check("serialization.delayed")
def test_serialization_delayed(target):
    def delayed(case, data):
        delay = data.draw(st.integers(1, 5), label="steps before the taken state is written")
        return check_delayed(target, case, delay)

    edge_case(target, "serialization.delayed", delayed)


@pytest.mark.check("serialization.deepcopy")
def test_serialization_deepcopy(target):
    edge_case(target, "serialization.deepcopy", lambda case, data: check_deepcopy(target, case))
