"""The suite as a library, for a user's own test file (scikit-learn style).

    from conformance.library import parametrize_targets

    @parametrize_targets([MyScheduler, make_my_scheduler, MY_SPEC],
                         expected_failures={"serialization.weights_only": "keeps a custom class"})
    def test_my_schedulers(target, check):
        check(target)

gives one pytest test per target x check, with ids like
`MyScheduler-resume.canonical`. Targets are what `--target` accepts (classes,
zero-config factories, `TargetSpec`s). `expected_failures` is `{check_id:
reason}` for every target, or a callable `target -> {check_id: reason}`;
those tests are xfail. `check_target(obj)` runs the checks in-process and
returns plain `Result` records instead. The Hypothesis profile in force
(`--hypothesis-profile`, default `dev`) sets the number of examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import pytest
from hypothesis import given, strategies as st

from conformance import outcome
from conformance.oracle import check_determinism, check_resume
from conformance.registry import BrokenTarget
from conformance.serialization import check_weights_only
from conformance.spec import TargetSpec
from conformance.xfails import match
from strategies.cases import cases


def _determinism(target, data):
    return check_determinism(target, data.draw(cases(target), label="case"))


def _canonical(target, data):
    case = data.draw(cases(target, interruptions=(1, 1)), label="case")
    return check_resume(target, case, "resume.canonical")


def _multi(target, data):
    case = data.draw(cases(target, interruptions=(2, 4)), label="case")
    return check_resume(target, case, "resume.multi")


def _weights_only(target, data):
    return check_weights_only(target, data.draw(cases(target, interruptions=(1, 2)), label="case"))


# check id -> fn(target, data) -> Verdict; one Hypothesis test each.
CHECKS: dict[str, Callable] = {
    "determinism": _determinism,
    "resume.canonical": _canonical,
    "resume.multi": _multi,
    "serialization.weights_only": _weights_only,
}


def as_target(obj: Any) -> TargetSpec:
    """A `TargetSpec` from what `--target` accepts; raises ValueError saying what to fix."""
    from conformance.loading import convert

    name = getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__
    (target,) = convert(obj, name, name)
    if isinstance(target, BrokenTarget):
        raise ValueError(target.problem)
    return target


class Check:
    """One check, callable on a target: runs its Hypothesis test, raises on a bad verdict."""

    def __init__(self, check_id: str) -> None:
        self.id = check_id

    def __call__(self, target: TargetSpec) -> None:
        fn = CHECKS[self.id]

        @given(data=st.data())
        def run(data):
            outcome.expect(fn(target, data))

        run()

    def __repr__(self) -> str:
        return self.id


Expected = Union[Mapping[str, str], Callable[[TargetSpec], Mapping[str, str]], None]


def _expected(expected: Expected, target: TargetSpec) -> dict:
    given_ = expected(target) if callable(expected) else (expected or {})
    return {**target.known_failures, **given_}


def parametrize_targets(targets: Iterable[Any], checks: Optional[Iterable[str]] = None,
                        expected_failures: Expected = None):
    """A pytest parametrize decorator over `targets` x `checks`, as `(target, check)`."""
    specs = [as_target(t) for t in targets]
    params = []
    for target in specs:
        known = _expected(expected_failures, target)
        for check_id in checks or CHECKS:
            reason = match(known, check_id)
            marks = [pytest.mark.xfail(reason=reason, raises=outcome.ConformanceFailure, strict=False)] if reason else []
            params.append(pytest.param(target, Check(check_id), marks=marks, id=f"{target.name}-{check_id}"))
    return pytest.mark.parametrize(("target", "check"), params)


@dataclass(frozen=True)
class Result:
    """One target x check outcome: status is pass, fail, error, nondeterministic or xfail."""

    target: str
    check: str
    status: str
    message: str = ""


def check_target(obj: Any, checks: Optional[Iterable[str]] = None, expected_failures: Expected = None) -> list:
    """Run the checks on one target in-process; a list of `Result`s, never raising for the target."""
    target = as_target(obj)
    known = _expected(expected_failures, target)
    results = []
    for check_id in checks or CHECKS:
        try:
            Check(check_id)(target)
            status, message = "pass", ""
        except outcome.ConformanceFailure as exc:
            status, message = exc.verdict.status, str(exc)
        reason = match(known, check_id)
        if reason and status != "pass":
            status, message = "xfail", reason
        results.append(Result(target.name, check_id, status, message))
    return results
