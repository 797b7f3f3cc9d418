"""The suite as a library, for a user's own test file (scikit-learn style).

    from conformance.library import parametrize_targets

    @parametrize_targets([MyScheduler, make_my_scheduler, MY_SPEC],
                         expected_failures={"serialization.weights_only": "keeps a custom class"})
    def test_my_schedulers(target, check):
        check(target)

gives one pytest test per target x check, with ids like
`MyScheduler-resume.canonical`. Targets are what `--target` accepts: classes and
factories (their numeric, boolean and choice arguments inferred from the
signature), and `TargetSpec`s. Every check of the CHECKS table runs,
the same set the pytest plugin collects for the target; `checks=[...]`
narrows it to ids or family prefixes. `expected_failures` is `{check id or
family prefix: reason}` for every target, or a callable `target -> {...}`;
it adds to the target's own known failures, and those tests are xfail.
`check_target(obj)` runs the checks in-process and returns plain `Result`
records instead, never raising for the target's sake. The Hypothesis profile
in force (`--hypothesis-profile`; `dev` when none was chosen) sets the
number of examples, and each target x check keeps its own example-database
key, as under pytest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import pytest

from conformance.checks.runner import KnownFailureChanged, UncoveredFailure, UnexpectedPass, run_check
from conformance.checks.table import Planned, missing_capability, planned
from conformance.model.verdict import ConformanceFailure
from conformance.spec import TargetSpec
from conformance.targets.known import KnownFailure, covers, entries, match
from conformance.targets.loading import BrokenTarget, convert


def as_target(obj: Any) -> TargetSpec:
    """A `TargetSpec` from what `--target` accepts; raises ValueError saying what to fix."""
    name = getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__
    (target,) = convert(obj, name, name)
    if isinstance(target, BrokenTarget):
        raise ValueError(target.problem)
    return target


class Check:
    """One planned check, callable on a target: runs it, raises `ConformanceFailure` on a bad verdict."""

    def __init__(self, plan: Planned, known_failure: Optional[KnownFailure] = None) -> None:
        self.plan = plan
        self.known_failure = known_failure

    @property
    def id(self) -> str:
        return self.plan.id

    def __call__(self, target: TargetSpec) -> None:
        run_check(self.plan, target, self.known_failure)

    def __repr__(self) -> str:
        return self.id


Expected = Union[Mapping[str, str], Callable[[TargetSpec], Mapping[str, str]], None]


def _known(expected: Expected, target: TargetSpec) -> dict:
    given = expected(target) if callable(expected) else (expected or {})
    return {**entries(target), **dict(given)}


def plans(target: TargetSpec, checks: Optional[Iterable[str]] = None) -> list[Planned]:
    """The target's planned checks, all of them or those `checks` names (ids or family prefixes).

    The framework drivers (`driver.<name>`) run only when named, as with pytest's --driver.
    """
    every = planned(target)
    if checks is None:
        return [p for p in every if p.check.id != "driver"]
    wanted = list(checks)
    return [p for p in every if any(covers(w, p.id) for w in wanted)]


def parametrize_targets(targets: Iterable[Any], checks: Optional[Iterable[str]] = None,
                        expected_failures: Expected = None):
    """A pytest parametrize decorator over `targets` x checks, as `(target, check)`."""
    params = []
    for target in (as_target(t) for t in targets):
        known = _known(expected_failures, target)
        for plan in plans(target, checks):
            marks = []
            skip = missing_capability(plan.check, target)
            if skip:
                marks.append(pytest.mark.skip(reason=skip))
            failure = match(known, plan.id)
            if failure is not None:
                marks.append(pytest.mark.xfail(reason=failure.xfail_reason, raises=ConformanceFailure, strict=False))
            params.append(pytest.param(target, Check(plan, failure), marks=marks,
                                       id=f"{target.name}-{plan.id}"))
    return pytest.mark.parametrize(("target", "check"), params)


@dataclass(frozen=True)
class Result:
    """One target x check outcome: pass, fail, error, nondeterministic, xfail, xpass or skip."""

    target: str
    check: str
    status: str
    message: str = ""


def check_target(obj: Any, checks: Optional[Iterable[str]] = None, expected_failures: Expected = None) -> list:
    """Run the checks on one target in-process; a list of `Result`s, never raising for the target."""
    target = as_target(obj)
    known = _known(expected_failures, target)
    results = []
    for plan in plans(target, checks):
        skip = missing_capability(plan.check, target)
        if skip:
            results.append(Result(target.name, plan.id, "skip", skip))
            continue
        failure = match(known, plan.id)
        covered = False
        try:
            Check(plan, failure)(target)
            status, message = "pass", ""
        except ConformanceFailure as exc:  # with a known failure: one it covers
            status, message, covered = exc.verdict.status, str(exc), failure is not None
        except (UncoveredFailure, KnownFailureChanged, UnexpectedPass) as exc:
            status, message = "fail", str(exc)
        except Exception as exc:  # noqa: BLE001 - e.g. Hypothesis finding no valid case: reported, not raised
            status, message = "error", f"{type(exc).__name__}: {exc}"
        if covered:
            status, message = "xfail", failure.xfail_reason
        elif failure is not None and status == "pass":
            status, message = "xpass", f"expected to fail: {failure.xfail_reason}"
        results.append(Result(target.name, plan.id, status, message))
    return results
