"""Example budgets for the `recipe.*` and `serialization.*` tests, per target.

`examples_for(target, check, factor)` is the active profile's budget scaled by
`factor` (see `conformance.budget.scaled`). For a registered known failure
the shrink phase is left out: the shrunk example is already recorded in
`conformance/known_failures.py`, and shrinking a failure the run expects
would spend most of the suite's time budget on an xfail.
"""

from __future__ import annotations

from hypothesis import Phase, settings

from conformance.budget import scaled
from conformance.known_failures import lookup
from conformance.spec import TargetSpec


def examples_for(target: TargetSpec, check: str, factor: float) -> settings:
    budget = scaled(factor)
    if lookup(target.name, check, dict(target.known_failures)) is None:
        return budget
    return settings(budget, phases=[p for p in budget.phases if p is not Phase.shrink])
