"""Checks `mismatch.<param>`: resuming into a scheduler built with a different value.

Ids read `test_mismatch[<target>-<param>]`. The plugin parametrizes `target`
alone, so `param` runs over the union of all selected targets' parameters
and a (target, param) pair the target does not have is skipped at setup.
"""

import pytest
from hypothesis import assume, given, strategies as st

from conformance.budget import scaled
from conformance.mismatch import Rejected, classify, parameters, remember
from conformance.outcome import expect
from conformance.plugin import TARGETS
from strategies.cases import mismatch_cases


def pytest_generate_tests(metafunc):
    if "param" not in metafunc.fixturenames:
        return
    names = []
    for target in metafunc.config.stash[TARGETS]:
        names += [p for p in parameters(target) if p not in names]
    metafunc.parametrize(
        "param", [pytest.param(p, id=p, marks=pytest.mark.check(f"mismatch.{p}")) for p in names]
    )


@pytest.fixture(autouse=True)
def _has_param(target, param):
    if param not in parameters(target):
        pytest.skip(f"{target.name} has no parameter {param!r}")


@scaled(1 / 3)
@given(data=st.data())
def test_mismatch(target, param, data):
    """Fails only on `hybrid` (or an error before the resume); other outcomes are recorded."""
    case, change = data.draw(mismatch_cases(target, param), label="case and change")
    try:
        verdict = classify(target, case, change)
    except Rejected:
        # The changed value is invalid with the rest of the config (e.g. CyclicLR's
        # base_lr above max_lr): not the target's fault.
        assume(False)
    remember(param, verdict)
    expect(verdict)
