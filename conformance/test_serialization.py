"""Checks `serialization.*`: what survives the trip through a checkpoint."""

import pytest
from hypothesis import given, strategies as st

from conformance.budget import scaled
from conformance.case import MEDIA
from conformance.outcome import expect
from conformance.serialization import (
    check_deepcopy,
    check_delayed,
    check_load_twice,
    check_no_mutation,
    check_weights_only,
)
from strategies.cases import cases

EDGE_BUDGET = 0.5  # of the profile's examples, for each edge case below

media = st.sampled_from(MEDIA)


@pytest.mark.check("serialization.weights_only")
@given(data=st.data())
def test_serialization_weights_only(target, data):
    case = data.draw(cases(target, interruptions=(1, 2)), label="case")
    expect(check_weights_only(target, case))


@pytest.mark.check("serialization.no_mutation")
@scaled(EDGE_BUDGET)
@given(data=st.data())
def test_serialization_no_mutation(target, data):
    case = data.draw(cases(target, interruptions=(1, 2), media=media), label="case")
    expect(check_no_mutation(target, case))


@pytest.mark.check("serialization.load_twice")
@scaled(EDGE_BUDGET)
@given(data=st.data())
def test_serialization_load_twice(target, data):
    case = data.draw(cases(target, interruptions=(1, 2), media=media), label="case")
    expect(check_load_twice(target, case))


@pytest.mark.check("serialization.delayed")
@scaled(EDGE_BUDGET)
@given(data=st.data())
def test_serialization_delayed(target, data):
    case = data.draw(cases(target, interruptions=(1, 2)), label="case")
    delay = data.draw(st.integers(1, 5), label="steps before the taken state is written")
    expect(check_delayed(target, case, delay))


@pytest.mark.check("serialization.deepcopy")
@scaled(EDGE_BUDGET)
@given(data=st.data())
def test_serialization_deepcopy(target, data):
    case = data.draw(cases(target, interruptions=(1, 2)), label="case")
    expect(check_deepcopy(target, case))
