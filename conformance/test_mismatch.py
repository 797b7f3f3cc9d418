"""Checks `mismatch.<param>`: resuming into a scheduler built with a different value.

One test per target and constructor parameter, `test_mismatch[<target>-<param>]`,
check id `mismatch.<param>` (the plugin's `per_target` marker pairs them).
"""

import pytest
from hypothesis import assume, given, strategies as st

from conformance.family_budget import examples_for
from conformance.mismatch import Rejected, classify, parameters, remember
from conformance.outcome import expect
from strategies.cases import mismatch_cases

BUDGET = 0.25  # of the profile's examples: ~70 tests, three runs per example
MAX_EPOCHS = 30  # scheduler steps; boundaries are biased toward, so most show early


def _parameters(target):
    return [(p, p) for p in parameters(target)]


@pytest.mark.check("mismatch")
@pytest.mark.per_target("param", _parameters)
def test_mismatch(target, param):
    """Fails only on `hybrid` (or an error before the resume); other outcomes are recorded."""
    _, param = param

    @examples_for(target, f"mismatch.{param}", BUDGET)
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

