"""Running one planned check on one target, for pytest and the library alike.

`run_check` builds the check's Hypothesis test with the check's budget under
the active profile, keys it with `key` in the example database (so a failure
found for one target x check replays on the next run of that test and of no
other), and raises `ConformanceFailure` with the (shrunk) bad verdict.
Every verdict, passing or not, goes to `observe` first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from hypothesis import currently_in_test_context, event, given, reject, strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from conformance.checks.budget import check_settings, examples, without_local_constants
from conformance.checks.table import Planned, result_only
from conformance.harness.errors import Rejected
from conformance.harness.oracle import outside_domain
from conformance.model.case import Case
from conformance.model.verdict import ERROR, FAIL, PASS, REJECTED, ConformanceFailure, Verdict
from conformance.spec import TargetSpec
from conformance.targets.known import KnownFailure

Observer = Callable[[Verdict], None]


class UncoveredFailure(AssertionError):
    """A bad verdict outside a known failure's scope or kind: a real failure, never an xfail."""


class KnownFailureChanged(AssertionError):
    """A known failure's registered example fails, but not with its registered signature."""


class UnexpectedPass(AssertionError):
    """A known failure's registered example passes on a version the record lists: fixed upstream?"""


def expect(verdict: Verdict, observe: Optional[Observer] = None, known: Optional[KnownFailure] = None) -> Verdict:
    """Hand `verdict` to `observe`, and raise unless it passed or `known` covers it.

    A bad verdict raises `ConformanceFailure`; one that `known` names but does
    not cover (another medium, other driver options, another kind of failure)
    raises `UncoveredFailure`, so it cannot pass as the xfail. One that `known`
    covers is returned: the caller counts it toward the xfail.
    """
    if observe is not None:
        observe(verdict)
    if currently_in_test_context():
        event(f"verdict: {verdict.status}")
    if verdict.ok:
        return verdict
    if known is None:
        raise ConformanceFailure(verdict)
    outside = [record.outside(verdict) for record in known.records]
    if all(outside):
        why = "; ".join(outside)
        raise UncoveredFailure(f"a failure that is not the registered known failure ({why}); "
                               f"registered: {known.xfail_reason}\n" + verdict.explain())
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


def judged(plan: Planned, target: TargetSpec, verdict: Verdict) -> Verdict:
    """The verdict as it counts: a recipe the target offers but doesn't declare is a result.

    Its failure (a divergence, or the target raising) passes the check, and is
    kept as the target's result in the recipe-safety table, not held against
    it. A timeout or an error of the suite's machinery stays an error.
    """
    if verdict.ok or verdict.status not in (FAIL, ERROR):
        return verdict
    if verdict.status == ERROR and (verdict.details.get("timeout") or not verdict.details.get("raised")):
        return verdict  # a timeout, or the suite's own machinery: an error is an error
    if not (plan.check.always_result or result_only(plan.check, target)):
        return verdict
    result = verdict.result
    if result is not None and hasattr(result, "supported"):
        result = replace(result, supported=False)
    caps = target.capabilities
    through = (f" (it resumes through {caps.resume_argument}={caps.resume_start:+d}+k)"
               if "last_epoch_resume" in plan.check.requires and caps.resume_argument != "last_epoch" else "")
    why = ("this check's outcome is always a result" if plan.check.always_result else
           f"{target.name} offers but does not declare {', '.join(plan.check.requires)}{through}, "
           f"so this is a result")
    return replace(verdict, status=PASS, result=result,
                   message=f"{why}, not a failure: {verdict.message}".rstrip(": "))


def hypothesis_test(plan: Planned, target: TargetSpec, key: str, known: Optional[KnownFailure] = None,
                    observe: Optional[Observer] = None, covered: Optional[list] = None) -> Callable[[], None]:
    """A zero-argument callable that runs `plan` on `target` and raises on a bad verdict.

    Bad verdicts that `known` covers don't stop the search (they are appended
    to `covered`), so every example still runs and one that fails otherwise
    is found and raised.
    """
    check = plan.check
    if check.search:
        def search() -> None:
            space = check.strategy(target, plan.variant)
            expect(check.run(target, space, examples(check.budget), plan.id), observe)

        return search

    refused: list[Rejected] = []  # why generated cases lie outside the target's domain
    judged_cases: list = []  # cases that were judged, for the message when Hypothesis gives up

    @check_settings(check.budget, known is not None)
    @given(data=st.data())
    def examples_of(data):
        drawn = data.draw(check.strategy(target, plan.variant), label="case")
        try:
            verdict = judged(plan, target, check.run(target, drawn, plan.id))
            outside = outside_domain(target, verdict)
            if outside is not None:
                raise outside
        except Rejected as exc:
            refused.append(exc)
            if observe is not None:
                observe(Verdict(target.name, plan.id, REJECTED, _case_of(drawn), message=str(exc),
                                details={"kind": exc.kind}))
            event(f"case rejected: {exc.kind}")
            reject()  # the target cannot run this case uninterrupted: no evidence either way
        judged_cases.append(drawn)
        if not expect(verdict, observe, known).ok and covered is not None:
            covered.append(verdict)

    test = keyed(examples_of, key)

    def run() -> None:
        try:
            with without_local_constants():
                test()
        except (Unsatisfiable, FailedHealthCheck) as exc:
            if not refused:
                raise
            expect(all_rejected(target, plan, refused, exc, len(judged_cases)), observe)

    run.hypothesis_test = test  # the Hypothesis test itself (settings, database key)
    return run


def _case_of(drawn):
    return drawn if isinstance(drawn, Case) else next((d for d in drawn if isinstance(d, Case)), None)


def all_rejected(target: TargetSpec, plan: Planned, refused: list, exc: Exception, judged: int = 0) -> Verdict:
    """One error for a check whose generated cases were (nearly) all rejected: the exceptions, and what to pin."""
    kinds = ", ".join(dict.fromkeys(r.kind for r in refused))
    how_many = "every generated case" if not judged else f"too many generated cases (only {judged} judged)"
    if target.inferred:
        args = "; ".join(f"`{arg}` {how}" for arg, how in target.inferred.items())
        fix = (f"its configs were inferred from the signature ({args}) and none of them runs: pin the argument "
               "whose inferred range leaves the domain with a TargetSpec (`configs=`), or give it a default "
               "that runs")
    else:
        fix = "the target's config strategy (TargetSpec.configs) generates configs it does not accept"
    return Verdict(target.name, plan.id, ERROR,
                   message=f"the target rejected {how_many} ({len(refused)} rejected: {kinds}), so too little was "
                   f"checked; the first: {refused[0]}\n  what to fix: {fix} ({type(exc).__name__})")


def replay(plan: Planned, target: TargetSpec, known: Optional[KnownFailure],
           observe: Optional[Observer] = None, run: Optional[Callable] = None) -> Optional[Verdict]:
    """The verdict on a known failure's own registered example (by `run`, else the check's), or None."""
    if known is None or known.example is None or plan.check.search:
        return None
    drawn = known.example
    if isinstance(drawn, Case):
        if plan.check.from_case is None:
            return None  # the check draws more than a case, and the record holds a case only
        drawn = plan.check.from_case(drawn)
    try:
        verdict = (run or plan.check.run)(target, drawn, plan.id)
    except Rejected as exc:
        verdict = Verdict(target.name, plan.id, ERROR, message=f"the registered example cannot run "
                          f"uninterrupted: {exc}\n  what to fix: update the example of this known failure")
    # After the check's own message, whose first line is part of the failure's signature.
    verdict.message = (verdict.message + f"\n  note: the registered example of this known failure, replayed: "
                       f"{known.reason}" + (f" ({known.link})" if known.link else "")).lstrip("\n")
    if observe is not None:
        observe(verdict)
    return verdict


def replay_known(plan: Planned, target: TargetSpec, known: Optional[KnownFailure],
                 observe: Optional[Observer] = None, run: Optional[Callable] = None) -> Optional[Verdict]:
    """Replay each record's example: the first failing verdict, or None (no example, or all passed off-version).

    Each must fail with its registered signature (else `KnownFailureChanged`),
    and on a version the record lists it must fail at all (else `UnexpectedPass`).
    """
    failing = []
    for record in (known.records if known is not None else ()):
        replayed = replay(plan, target, record, observe, run)
        if replayed is not None and settled(record, replayed, f"The registered example of {target.name} {plan.id}"):
            failing.append(replayed)
    return failing[0] if failing else None


def settled(record: KnownFailure, replayed: Verdict, what: str) -> bool:
    """True when `record`'s replayed example (`what`) still fails as registered; False when it passed off the
    record's versions. Raises `KnownFailureChanged` when it fails otherwise, `UnexpectedPass` when it passes on
    a version the record lists."""
    if not replayed.ok:
        changed = record.changed(replayed)
        if changed:
            raise KnownFailureChanged(f"known failure changed: {changed}\n" + replayed.explain())
        return True
    if record.strict():
        raise UnexpectedPass(f"stale known failure: fixed upstream? {what} passes on {record.versions}, which the "
                             f"record lists: {record.xfail_reason}\n" + replayed.explain())
    return False


def run_check(plan: Planned, target: TargetSpec, known: Optional[KnownFailure] = None,
              observe: Optional[Observer] = None) -> None:
    """Run `plan` on `target`; raise on a bad verdict.

    A known failure's registered example is replayed first (`replay_known`).
    The generated examples always run: a failure the record covers counts
    toward the xfail (`ConformanceFailure` with the replay, or the first
    covered one), any other is red (`UncoveredFailure`). With nothing failing,
    the test passes (xpass, off the record's versions).
    """
    failing = replay_known(plan, target, known, observe)
    covered: list[Verdict] = []
    hypothesis_test(plan, target, database_key(target, plan), known, observe, covered)()
    if failing is not None:
        raise ConformanceFailure(failing)
    if covered:
        raise ConformanceFailure(covered[0])
