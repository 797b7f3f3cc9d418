"""A changed config's needs are met: `mismatch.cycle_momentum` resumes into a scheduler the optimizer can run.

Turning `cycle_momentum` on at resume needs an optimizer with a momentum or
betas. Drawn for the original config alone, the optimizer often had neither,
so the resumed build refused nearly every case; under `thorough` OneCycleLR's
check ended as an error ("the target rejected too many generated cases").
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from conformance.strategies.cases import mismatch_cases
from conformance.strategies.optimizers import has_momentum
from conformance.targets.builtins import BY_NAME


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_a_changed_config_that_cycles_momentum_gets_an_optimizer_with_one(name):
    target = BY_NAME[name]

    @settings(max_examples=60, derandomize=True, database=None)
    @given(mismatch_cases(target, "cycle_momentum", max_epochs=10))
    def changed_config_is_runnable(drawn):
        case, change = drawn
        if target.needs(change.apply(case).config).momentum:
            assert has_momentum(case.setup.name, case.setup.kwargs), case.setup

    changed_config_is_runnable()
