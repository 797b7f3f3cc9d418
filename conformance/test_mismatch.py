"""Checks `mismatch.<param>`: resuming into a scheduler built with a different value.

Ids read `test_mismatch[<target>-<param>]`. The plugin parametrizes `target`
alone, so `param` runs over the union of all selected targets' parameters
and a (target, param) pair the target does not have is skipped at setup.
"""

import pytest
from hypothesis import Phase, assume, given, settings, strategies as st

from conformance.budget import scaled
from conformance.known_failures import lookup
from conformance.mismatch import Rejected, classify, parameters, remember
from conformance.outcome import expect
from conformance.plugin import TARGETS
from strategies.cases import mismatch_cases

BUDGET = 0.25  # of the profile's examples: ~70 tests, three runs per example
MAX_EPOCHS = 30  # scheduler steps; boundaries are biased toward, so most show early


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


def test_mismatch(target, param):
    """Fails only on `hybrid` (or an error before the resume); other outcomes are recorded."""

    @budget(target, f"mismatch.{param}", BUDGET)
    @given(data=st.data())
    def examples(data):
        case, change = data.draw(mismatch_cases(target, param, max_epochs=MAX_EPOCHS), label="case and change")
        try:
            verdict = classify(target, case, change)
        except Rejected:
            # The changed value is invalid with the rest of the config (e.g. CyclicLR's
            # base_lr above max_lr): not the target's fault.
            assume(False)
        remember(param, verdict)
        expect(verdict)

    examples()


def budget(target, check: str, factor: float) -> settings:
    """The scaled budget; no shrinking for a registered known failure (its example is on file)."""
    base = scaled(factor)
    if lookup(target.name, check, dict(target.known_failures)) is None:
        return base
    return settings(base, phases=[p for p in base.phases if p is not Phase.shrink])
