"""Checks `determinism`, `resume.canonical` and `resume.multi`."""

import pytest
from hypothesis import given, strategies as st

from conformance.oracle import check_determinism, check_resume
from conformance.outcome import expect
from strategies.cases import cases


@pytest.mark.check("determinism")
@given(data=st.data())
def test_determinism(target, data):
    case = data.draw(cases(target), label="case")
    expect(check_determinism(target, case))


@pytest.mark.check("resume.canonical")
@given(data=st.data())
def test_resume_canonical(target, data):
    case = data.draw(cases(target, interruptions=(1, 1)), label="case")
    expect(check_resume(target, case, "resume.canonical"))


@pytest.mark.check("resume.multi")
@given(data=st.data())
def test_resume_multi(target, data):
    """2-4 interruptions, each through its own fresh round trip."""
    case = data.draw(cases(target, interruptions=(2, 4)), label="case")
    expect(check_resume(target, case, "resume.multi"))
