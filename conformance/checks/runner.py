"""Running one planned check on one target, for pytest and the library alike.

`run_check` builds the check's Hypothesis test with the check's budget under
the active profile, keys it with `key` in the example database (so a failure
found for one target x check replays on the next run of that test and of no
other), and raises `ConformanceFailure` with the (shrunk) bad verdict.
Every verdict, passing or not, goes to `observe` first.
"""

from __future__ import annotations

from typing import Callable, Optional

from hypothesis import event, given, reject, strategies as st
from hypothesis import currently_in_test_context

from conformance.checks.budget import check_settings, examples
from conformance.checks.table import Planned
from conformance.harness.errors import Rejected
from conformance.model.verdict import ConformanceFailure, Verdict
from conformance.spec import TargetSpec

Observer = Callable[[Verdict], None]


def expect(verdict: Verdict, observe: Optional[Observer] = None) -> Verdict:
    """Hand `verdict` to `observe`, and raise `ConformanceFailure` unless it passed."""
    if observe is not None:
        observe(verdict)
    if currently_in_test_context():
        event(f"verdict: {verdict.status}")
    if not verdict.ok:
        raise ConformanceFailure(verdict)
    return verdict


def keyed(test, key: str):
    """Give a Hypothesis test its own example-database key.

    Hypothesis keys a test by its source; every target runs the same source,
    so the key is extended with `key` (the pytest node id, or target x check),
    exactly as Hypothesis's pytest plugin does for parametrized tests.
    """
    test.hypothesis.inner_test._hypothesis_internal_add_digest = key.encode()
    return test


def database_key(target: TargetSpec, plan: Planned) -> str:
    """One example-database key per target x check, the same from pytest and from the library."""
    return f"{target.source or target.name}/{target.name}/{plan.id}"


def hypothesis_test(plan: Planned, target: TargetSpec, key: str, known_failure: bool = False,
                    observe: Optional[Observer] = None) -> Callable[[], None]:
    """A zero-argument callable that runs `plan` on `target` and raises on a bad verdict."""
    check = plan.check
    if check.search:
        def search() -> None:
            space = check.strategy(target, plan.variant)
            expect(check.run(target, space, examples(check.budget), plan.id), observe)

        return search

    @check_settings(check.budget, known_failure)
    @given(data=st.data())
    def examples_of(data):
        drawn = data.draw(check.strategy(target, plan.variant), label="case")
        try:
            verdict = check.run(target, drawn, plan.id)
        except Rejected:
            reject()  # the target cannot run this case uninterrupted: no evidence either way
        expect(verdict, observe)

    return keyed(examples_of, key)


def run_check(plan: Planned, target: TargetSpec, known_failure: bool = False,
              observe: Optional[Observer] = None) -> None:
    hypothesis_test(plan, target, database_key(target, plan), known_failure, observe)()
