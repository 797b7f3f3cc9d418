"""Checks of the `placement.*` family: where `scheduler.step()` sits in the loop.

`placement.<loop>` (per_step, per_epoch, metric, accumulation, amp,
sched_first): the run resumed with the canonical recipe, interrupted anywhere
(mid-epoch included), must equal the uninterrupted run of the *same* loop.

Pitfalls are shown, not required: each searches (`checks.search`) for a
case where the pitfall changes what the optimizer sees, and keeps the
counterexample and its first divergence as the target's result (`diverges`
or `raises`). Where the search finds none, the pitfall is `safe` for the
target. What each pitfall
check asserts (and so how it can fail) is in its docstring.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from torch.optim.lr_scheduler import LRScheduler

from conformance.checks.recipes import divergence_dict
from conformance.checks.search import Probe, search
from conformance.harness.errors import CheckpointError, TargetError
from conformance.harness.live import fresh
from conformance.harness.oracle import compare, guarded, nondeterminism, uninterrupted, verdict_for
from conformance.harness import run as runs
from conformance.harness.run import RunResult
from conformance.model.case import Case
from conformance.model.loop import Loop
from conformance.model.results import DIVERGES, PLACEMENT, RAISES, SAFE, RecipeResult
from conformance.model.verdict import FAIL, Divergence, PASS, Verdict, first_divergence
from conformance.spec import TargetSpec

ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


def check_loop(target: TargetSpec, case: Case, check: str) -> Verdict:
    """`placement.<loop>`: the resumed run equals the uninterrupted run of the same loop.

    Raises `Rejected` when the uninterrupted run itself raises; the test
    filters such cases out.
    """
    expected = uninterrupted(target, case)

    def body():
        actual = runs.resumed(target, case)
        what = "the resumed run differs from the uninterrupted run of the same loop"
        verdict = compare(target, case, check, expected, actual, what)
        return verdict if verdict.ok else nondeterminism(target, case, check, expected) or verdict

    return guarded(target, check, case, body)


# --- pitfalls ---------------------------------------------------------------


class RestartedEpoch(Loop):
    """A per-epoch loop whose resume at `resume_at` restarts the epoch at batch 0."""

    def __init__(self, base: Loop, resume_at: int) -> None:
        super().__init__(base.name + " (epoch restarted on resume)", base.batches, base.accumulate,
                         base.sched_first, base.scaler)
        object.__setattr__(self, "resume_at", resume_at)

    def iterations(self, epochs):
        its = super().iterations(epochs)
        start = self.resume_at - self.resume_at % self.batches
        return its[: self.resume_at] + its[start:]


def lr_divergence(expected: list, actual: list) -> Optional[Divergence]:
    """The first difference in what the optimizer saw; extra steps alone do not count."""
    n = min(len(expected), len(actual))
    return first_divergence(expected[:n], actual[:n])


def _wrong(go: Callable[[], RunResult]) -> tuple[Optional[RunResult], str]:
    """Run the pitfall (`go()`); its own exception is one way the pitfall shows."""
    try:
        return go(), ""
    except (TargetError, CheckpointError) as exc:
        return None, str(exc)


def _shown(expected: RunResult, actual: Optional[RunResult], raised: str) -> Probe:
    div = None if actual is None else lr_divergence(expected.records, actual.records)
    return Probe(div, raised)


def per_batch_case(case: Case) -> Case:
    """The same run with the per-epoch scheduler stepped after every batch (stale metric)."""
    b = case.loop.batches
    plan = replace(
        case.plan, epochs=case.plan.epochs * b, interruptions=(),
        metrics=tuple(m for m in case.plan.metrics for _ in range(b)),
    )
    return replace(case, loop=Loop("per_batch"), plan=plan)


def probe_per_batch(target, case, check) -> Probe:
    expected = uninterrupted(target, case)
    probe = _shown(expected, *_wrong(lambda: runs.reference(target, per_batch_case(case))))
    if probe.shown:
        probe.problem = nondeterminism(target, case, check, expected)
    return probe


def probe_restart(target, case, check) -> Probe:
    (at,) = case.plan.interruptions
    expected = uninterrupted(target, case)
    restarted = replace(case, loop=RestartedEpoch(case.loop, at))
    probe = _shown(expected, *_wrong(lambda: runs.resumed(target, restarted)))
    if probe.shown:  # the correctly resumed run must match, or the case proves nothing
        correct = check_loop(target, case, check)
        if not correct.ok:
            correct.message = ("the correctly resumed run (batch position restored) already "
                               "diverges, so the epoch restart is not to blame: " + correct.message)
            probe.problem = correct
    return probe


def _torch_detects(target, case) -> bool:
    """torch's order warning lives in `LRScheduler.step`; subclasses overriding it skip it."""
    scheduler = fresh(target, case).scheduler
    return isinstance(scheduler, LRScheduler) and type(scheduler).step is LRScheduler.step


def probe_sched_first(target, case, check) -> Probe:
    canonical_case = replace(case, loop=replace(case.loop, name="canonical order", sched_first=False))
    expected = uninterrupted(target, canonical_case)
    actual, raised = _wrong(lambda: runs.reference(target, case))
    probe = _shown(expected, actual, raised)
    warned = actual is not None and any(ORDER_WARNING in w for w in actual.warnings)
    probe.info = {"warned": warned, "torch_detects": _torch_detects(target, case)}
    if probe.divergence is not None:
        d = probe.divergence
        probe.info.update(lr_used=repr(d.actual), lr_canonical=repr(d.expected))
    if probe.shown and not warned and case.loop.batches == 1 and probe.info["torch_detects"]:
        probe.problem = Verdict(
            target.name, check, FAIL, case, probe.divergence,
            message=f"scheduler.step() ran before the first optimizer.step(), but torch's "
            f"warning {ORDER_WARNING!r} was not emitted (warnings: {actual and actual.warnings})",
        )
    return probe


PITFALLS = {
    "stepped_per_batch": probe_per_batch,
    "restarted_epoch": probe_restart,
    "sched_first_order": probe_sched_first,
}


def search_pitfall(target: TargetSpec, name: str, strategy, max_examples: int) -> Verdict:
    """Find a case where pitfall `name` shows; a `pass` verdict either way.

    The verdict's result is `diverges` or `raises` (with the first divergence
    or the exception) or `safe` (no counterexample within `max_examples`). It
    is `fail`/`error`/`nondeterministic` only when the counterexample is
    unsound (see `Probe.problem`).
    """
    check = f"placement.{name}"
    found = search(strategy, lambda case: PITFALLS[name](target, case, check), max_examples,
                   on_error=lambda case, exc: verdict_for(target, check, case, exc))
    if found.case is None:
        return Verdict(target.name, check, PASS, result=RecipeResult(PLACEMENT, name, SAFE, tried=found.tried))
    probe = found.probe
    if probe.problem is not None:
        return probe.problem
    outcome = DIVERGES if probe.divergence is not None else RAISES
    shown = RecipeResult(PLACEMENT, name, outcome, divergence=divergence_dict(probe.divergence),
                         error=probe.raised, case=found.case.describe(), info=probe.info)
    return Verdict(target.name, check, PASS, found.case, probe.divergence, result=shown)
