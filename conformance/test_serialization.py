"""Checks `serialization.*`: what survives the trip through a checkpoint."""

import pytest
from hypothesis import given, strategies as st

from conformance.serialization import check_weights_only
from conformance.outcome import expect
from strategies.cases import cases


@pytest.mark.check("serialization.weights_only")
@given(data=st.data())
def test_serialization_weights_only(target, data):
    case = data.draw(cases(target, interruptions=(1, 2)), label="case")
    expect(check_weights_only(target, case))
