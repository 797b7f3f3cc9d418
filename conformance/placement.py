"""Checks of the `placement.*` family: where `scheduler.step()` sits in the loop.

`placement.<loop>` (per_step, per_epoch, metric, accumulation, amp,
sched_first): the run resumed with the canonical recipe, interrupted anywhere
(mid-epoch included), must equal the uninterrupted run of the *same* loop.

Pitfalls are shown, not required: each searches (`hypothesis.find`) for a
case where the pitfall changes what the optimizer sees, and keeps the shrunk
counterexample and its first divergence as a result. Where the search finds
none, the pitfall is recorded as harmless for the target. What each pitfall
check asserts (and so how it can fail) is in its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable
from torch.optim.lr_scheduler import LRScheduler

from conformance.case import Case
from conformance.errors import CheckpointError, TargetError
from conformance.harness import RunResult, run
from conformance.loops import Loop
from conformance.oracle import check_resume, error_verdict, guarded, nondeterminism
from conformance.session import fresh
from conformance.spec import TargetSpec
from conformance.verdict import FAIL, PASS, Divergence, Verdict, first_divergence

ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


def check_loop(target: TargetSpec, case: Case, check: str) -> Verdict:
    """`placement.<loop>`: the resumed run equals the uninterrupted run of the same loop."""
    return check_resume(target, case, check)


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


@dataclass
class Probe:
    """One case of a pitfall: did it show, and is the case itself sound?"""

    shown: bool = False
    divergence: Optional[Divergence] = None
    raised: str = ""  # the pitfall run raised (the pitfall shows as an error)
    problem: Optional[Verdict] = None  # the correct counterpart failed: not the pitfall's doing
    info: dict = field(default_factory=dict)


def _wrong(target, case, **kw) -> tuple[Optional[RunResult], str]:
    """Run the pitfall; its own exception is one way the pitfall shows."""
    try:
        return run(target, case, **kw), ""
    except (TargetError, CheckpointError) as exc:
        return None, str(exc)


def _sound(target, check, case, body: Callable[[], Probe]) -> Probe:
    try:
        return body()
    except TargetError as exc:
        return Probe(problem=error_verdict(target, check, case, exc))


def per_batch_case(case: Case) -> Case:
    """The same run with the per-epoch scheduler stepped after every batch (stale metric)."""
    b = case.loop.batches
    plan = replace(
        case.plan, epochs=case.plan.epochs * b, interruptions=(),
        metrics=tuple(m for m in case.plan.metrics for _ in range(b)),
    )
    return replace(case, loop=Loop("per_batch"), plan=plan)


def probe_per_batch(target, case, check) -> Probe:
    def body():
        expected = run(target, case, interruptions=())
        actual, raised = _wrong(target, per_batch_case(case), interruptions=())
        div = None if actual is None else lr_divergence(expected.records, actual.records)
        probe = Probe(raised != "" or div is not None, div, raised)
        if probe.shown:
            probe.problem = nondeterminism(target, case, check, expected)
        return probe

    return _sound(target, check, case, body)


def probe_restart(target, case, check) -> Probe:
    (at,) = case.plan.interruptions

    def body():
        expected = run(target, case, interruptions=())
        restarted = replace(case, loop=RestartedEpoch(case.loop, at))
        actual, raised = _wrong(target, restarted)
        div = None if actual is None else lr_divergence(expected.records, actual.records)
        probe = Probe(raised != "" or div is not None, div, raised)
        if probe.shown:  # the correctly resumed run must match, or the case proves nothing
            correct = check_resume(target, case, check)
            if not correct.ok:
                correct.message = ("the correctly resumed run (batch position restored) already "
                                   "diverges, so the epoch restart is not to blame: " + correct.message)
                probe.problem = correct
        return probe

    return _sound(target, check, case, body)


def _torch_detects(target, case) -> bool:
    """torch's order warning lives in `LRScheduler.step`; subclasses overriding it skip it."""
    scheduler = fresh(target, case).scheduler
    return isinstance(scheduler, LRScheduler) and type(scheduler).step is LRScheduler.step


def probe_sched_first(target, case, check) -> Probe:
    canonical_case = replace(case, loop=replace(case.loop, name="canonical order", sched_first=False))

    def body():
        expected = run(target, canonical_case, interruptions=())
        actual = run(target, case, interruptions=())
        div = lr_divergence(expected.records, actual.records)
        warned = any(ORDER_WARNING in w for w in actual.warnings)
        probe = Probe(div is not None, div, info={"warned": warned})
        if probe.shown and not warned and case.loop.batches == 1 and _torch_detects(target, case):
            probe.problem = Verdict(
                target.name, check, FAIL, case, div,
                message=f"scheduler.step() ran before the first optimizer.step(), but torch's "
                f"warning {ORDER_WARNING!r} was not emitted (warnings: {actual.warnings})",
            )
        return probe

    return _sound(target, check, case, body)


PITFALLS = {
    "stepped_per_batch": probe_per_batch,
    "restarted_epoch": probe_restart,
    "sched_first_order": probe_sched_first,
}


def search(target: TargetSpec, name: str, strategy, max_examples: int, max_probes: int = 60) -> Verdict:
    """Find (and shrink) a case where pitfall `name` shows; a `pass` verdict either way.

    The verdict's details hold the result: `outcome` is "shown" (with the first
    divergence or the exception) or "harmless" (no counterexample within
    `max_examples`). It is `fail`/`error`/`nondeterministic` only when the
    counterexample is unsound (see `Probe.problem`). Shrinking stops after
    `max_probes` evaluations, keeping the smallest case found so far.
    """
    check = f"placement.{name}"
    probe_of = PITFALLS[name]
    calls = [0]

    def interesting(case) -> bool:
        calls[0] += 1
        if calls[0] > max_probes:
            return False
        probe = probe_of(target, case, check)
        return probe.shown or probe.problem is not None

    config = settings(settings.default, max_examples=max_examples, database=None,
                      phases=[Phase.generate, Phase.shrink],
                      suppress_health_check=list(HealthCheck))
    try:
        case = find(strategy, interesting, settings=config)
    except (NoSuchExample, Unsatisfiable):
        return Verdict(target.name, check, PASS, details={"outcome": "harmless", "probes": calls[0]})
    return guarded(target, check, case, lambda: _verdict(target, check, case, probe_of(target, case, check)))


def _verdict(target, check, case, probe: Probe) -> Verdict:
    if probe.problem is not None:
        return probe.problem
    result = {"outcome": "shown", "example": case.describe(), **probe.info}
    if probe.raised:
        result["raised"] = probe.raised
    if probe.divergence is not None:
        d = probe.divergence
        result.update(step=d.step, group=d.group, field=d.field,
                      expected=repr(d.expected), actual=repr(d.actual), divergence=d.describe())
    return Verdict(target.name, check, PASS, case, probe.divergence, details=result)
