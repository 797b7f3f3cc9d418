"""The oracle: the uninterrupted reference against the interrupted run, compared exactly.

Every check returns a `Verdict`; nothing here raises for a target's fault.
"""

from __future__ import annotations

from collections import Counter

from typing import Callable, Optional

from conformance.harness import timelimit
from conformance.model.case import Case
from conformance.harness.errors import CheckpointError, Rejected, SuiteError, TargetError
from conformance.harness.run import RunResult, reference, resumed
from conformance.harness.recipes import canonical
from conformance.spec import TargetSpec
from conformance.model.verdict import ERROR, FAIL, NONDETERMINISTIC, PASS, Verdict, first_divergence

FIX_HINTS = {
    "build": "the target rejected a generated config or could not be built; "
    "fix the target's config strategy or its build()",
    "step": "the target's step raised",
    "state_dict": "the target's state_dict() raised",
    "load_state_dict": "the target's load_state_dict() raised on its own state",
    "optimizer.step": "optimizer.step() raised with the values the scheduler set",
    "get_last_lr": "the target's get_last_lr() (its adapter's last_lr) raised; the suite reads it before every "
    "optimizer step, as a loop that logs the lr does",
}


def error_verdict(target: TargetSpec, check: str, case: Case, exc: TargetError) -> Verdict:
    hint = FIX_HINTS.get(exc.phase, "")
    if isinstance(exc.exc, AttributeError) and exc.phase in str(exc.exc):
        hint = (f"the target has no {exc.phase}(), so a checkpoint cannot hold its state: implement "
                "state_dict() and load_state_dict()")
    message = f"{target.name} raised in {exc.phase}(): {type(exc.exc).__name__}: {exc.exc}"
    if hint:
        message += f"\n  what to fix: {hint}"
    message += "".join(f"\n  note: {note}" for note in exc.notes)
    message += "\n  the target's traceback:\n" + exc.trace
    return Verdict(target.name, check, ERROR, case, message=message,
                   details=exc.facts())


TIMED_OUT: dict = {}  # target name -> the first timeout's message (its later examples fail fast)


def timeout_verdict(target: TargetSpec, check: str, case: Case, phase: str, message: str = "") -> Verdict:
    if not message:
        limit = (f"within the {timelimit.SECONDS:g} s per-example time limit" if timelimit.SECONDS else
                 "in time (the per-example limit is off; the limit of the ranks' own wait ran out, twice)")
        message = (
            f"{target.name} timed out in {phase}: no result {limit}\n  what to fix: the target hangs (an endless "
            "loop or a wait?); raise the limit with --lrc-timeout SECONDS if it is only slow"
        )
        TIMED_OUT[target.name] = message
    return Verdict(target.name, check, ERROR, case, message=message,
                   details={"phase": phase, "raised": "timeout", "timeout": True})


def guarded(target: TargetSpec, check: str, case: Case, body: Callable[[], Verdict],
            start: Optional[Callable[[], None]] = None) -> Verdict:
    """Run `body` under the per-example time limit, turning a target's exception
    or hang into an `error` verdict.

    `start` (starting the suite's processes) runs first, outside the time
    limit, which times the target; a `SuiteError` from either is an `error`
    naming the suite's part, never the target's and never a timeout. Once a
    target has timed out, its later examples (in every check of this process)
    fail at once with the same message: a hang costs one time limit, not one
    per example or per check.
    """
    if target.name in TIMED_OUT:
        earlier = TIMED_OUT[target.name]
        return timeout_verdict(target, check, case, "", earlier + "\n  (an earlier example timed out: "
                               "this target's later examples, in every check, are not run)")
    try:
        if start is not None:
            start()
        with timelimit.limit():
            return body()
    except TargetError as exc:
        if isinstance(exc.exc, timelimit.TargetTimeout):
            return timeout_verdict(target, check, case, f"{exc.phase}()")
        return error_verdict(target, check, case, exc)
    except timelimit.TargetTimeout:
        return timeout_verdict(target, check, case, "the harness")
    except SuiteError as exc:
        return Verdict(target.name, check, ERROR, case, details={"phase": "suite", "suite": exc.part},
                       message=f"the suite's own machinery failed, not {target.name}: {exc}\n  what to fix: "
                       "nothing in the target; this is an error of the suite (its environment or processes)")
    except CheckpointError as exc:
        return Verdict(
            target.name, check, FAIL, case,
            message=f"checkpoint round trip failed: {exc}" + "".join(f"\n  note: {n}" for n in exc.notes),
            details=exc.facts(),
        )


def verdict_for(target: TargetSpec, check: str, case: Case, exc: Exception) -> Verdict:
    """The verdict `guarded` gives when the target raised `exc` (a `TargetError` or `CheckpointError`)."""

    def body():
        raise exc

    return guarded(target, check, case, body)


def uninterrupted(target: TargetSpec, case: Case) -> RunResult:
    """The uninterrupted run; `Rejected` when it raises (the case is invalid for the target)."""
    try:
        return reference(target, case)
    except TargetError as exc:
        raise Rejected(str(exc), f"{type(exc.exc).__name__} in {exc.phase}()") from exc
    except CheckpointError as exc:
        raise Rejected(str(exc), f"{type(exc.exc).__name__} in {exc.action}") from exc


def outside_domain(target: TargetSpec, verdict: Verdict) -> Optional[Rejected]:
    """For a target whose configs the suite inferred: why a bad verdict's case is outside its domain, or None.

    A config the target can't even run uninterrupted (it raises anywhere: build,
    step, optimizer.step, get_last_lr, the metric) says nothing about
    resuming, so it is rejected, never judged. A `TargetSpec`'s own configs
    are declared valid by its author and stay verdicts; a resumed run that
    raises where the uninterrupted run does not is always judged.
    """
    if not target.inferred or verdict.ok or verdict.case is None or verdict.details.get("timeout"):
        return None
    try:
        with timelimit.limit():
            uninterrupted(target, verdict.case)
    except Rejected as exc:
        return exc
    except timelimit.TargetTimeout:  # a hang is judged as the timeout it already was
        pass
    return None


def nondeterminism(target: TargetSpec, case: Case, check: str, first: RunResult, again: Callable = None,
                   where: str = ""):
    """Run the reference again (`again()`, else the suite's loop); `nondeterministic` if it differs from `first`."""
    second = again() if again is not None else reference(target, case)
    div = first_divergence(first.records, second.records)
    if div is None:
        return None
    return Verdict(
        target.name, check, NONDETERMINISTIC, case, div,
        message=f"two uninterrupted runs of the same case{where} disagree: a schedule that "
        "cannot repeat itself cannot be resumed (unseeded randomness or global state?)",
        details={"expected": first.records, "actual": second.records},
    )


# A resumed run builds and loads a scheduler again, and takes state dicts: warnings there are the
# resume's own. What the training loop calls, stepping and reading the lr, must warn as it did.
COMPARED_PHASES = ("step", "get_last_lr")


def _sched_steps(checkpoint) -> Optional[int]:
    try:
        return checkpoint["sched_steps"]
    except (KeyError, TypeError, IndexError):
        return None


def extra_warning(expected: RunResult, actual: RunResult) -> Optional[dict]:
    """The first scheduler warning the resumed run emits more often than the uninterrupted run, or None."""
    if expected.heard is None or actual.heard is None:  # a misused loop: the warnings are the suite's doing
        return None
    # Resumed before the first scheduler step, torch's order warning judges the fresh optimizer, which has not
    # stepped yet (its `_step_count` is rightly still 1): torch's heuristic, the same for every target.
    if any(_sched_steps(ckpt) == 0 for ckpt in actual.checkpoints):
        return None
    def counts(run_result):
        return Counter((h.phase, h.category, h.message) for h in run_result.heard if h.phase in COMPARED_PHASES)

    before, after = counts(expected), counts(actual)
    for heard in actual.heard:
        key = (heard.phase, heard.category, heard.message)
        if after.get(key, 0) > before.get(key, 0):
            return {"phase": heard.phase, "category": heard.category, "message": heard.message,
                    "uninterrupted": before.get(key, 0), "resumed": after[key]}
    return None


def compare(target, case, check, expected: RunResult, actual: RunResult, what: str) -> Verdict:
    div = first_divergence(expected.records, actual.records)
    details = {"expected": expected.records, "actual": actual.records}
    if actual.notes:
        details["medium"] = actual.notes
        what += "".join(f"\n  note: {note}" for note in actual.notes)
    if div is not None:
        return Verdict(target.name, check, FAIL, case, div, message=what, details=details)
    extra = extra_warning(expected, actual)
    if extra is not None:
        details.update(warning=extra, phase=extra["phase"])
        message = (f"the resumed run warns where the uninterrupted run doesn't (every lr and momentum is exact): "
                   f"{extra['category']} in {extra['phase']}(), {extra['resumed']} time(s) against "
                   f"{extra['uninterrupted']}: {extra['message']}")
        return Verdict(target.name, check, FAIL, case, message=message, details=details)
    return Verdict(target.name, check, PASS, case, details=details)


def check_determinism(target: TargetSpec, case: Case, check: str = "determinism") -> Verdict:
    def body():
        first = reference(target, case)
        return nondeterminism(target, case, check, first) or Verdict(target.name, check, PASS, case)

    return guarded(target, check, case, body)


def check_resume(
    target: TargetSpec, case: Case, check: str, recipe: Callable = canonical, medium=None
) -> Verdict:
    """The resumed run (with `recipe`) must equal the uninterrupted one.

    The reference is run a second time only when the resumed run diverges, to
    tell `nondeterministic` from `fail` (a run that equals the reference
    already repeated it). The `determinism` check always runs it twice.
    """

    def body():
        expected = reference(target, case)
        actual = resumed(target, case, recipe=recipe, medium=medium)
        what = f"the run resumed with the {recipe.__name__} recipe differs from the uninterrupted run"
        verdict = compare(target, case, check, expected, actual, what)
        if verdict.ok:
            return verdict
        return nondeterminism(target, case, check, expected) or verdict

    return guarded(target, check, case, body)

