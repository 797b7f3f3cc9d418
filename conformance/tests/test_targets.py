"""Check `target.loads`: every `--target` reference became a usable target.

A reference that did not load (a module that does not import, a missing
attribute, an object that is not a scheduler, a factory that raises) is one
failing test here, with the message naming it and saying what to fix; the
other targets' tests still run.
"""

import pytest
from hypothesis.strategies import SearchStrategy

from conformance.targets.loading import BrokenTarget


def test_target_loads(any_target):
    if isinstance(any_target, BrokenTarget) and any_target.skip:
        pytest.skip(f"target {any_target.name} cannot run here: {any_target.problem}")
    if isinstance(any_target, BrokenTarget):
        pytest.fail(f"target {any_target.name} did not load:\n{any_target.problem}", pytrace=False)
    assert callable(any_target.build), f"{any_target.name}: build must be callable"
    configs = any_target.configs(1)
    assert isinstance(configs, SearchStrategy), (
        f"{any_target.name}: configs(groups) must return a Hypothesis strategy, got {type(configs).__name__}"
    )
