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
from typing import Optional

from hypothesis import find
from hypothesis.errors import NoSuchExample, Unsatisfiable
from torch.optim.lr_scheduler import LRScheduler

from conformance.budget import search_settings
from conformance.case import Case
from conformance.errors import CheckpointError, TargetError
from conformance.harness import RunResult, run
from conformance.loops import Loop
from conformance.oracle import compare, guarded, nondeterminism
from conformance.session import fresh
from conformance.spec import TargetSpec
from conformance.verdict import FAIL, PASS, Divergence, Verdict, first_divergence

ORDER_WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


class Rejected(Exception):
    """The uninterrupted run raised: the target rejects the case (`determinism` reports it)."""


def reference(target: TargetSpec, case: Case) -> RunResult:
    try:
        return run(target, case, interruptions=())
    except (TargetError, CheckpointError) as exc:
        raise Rejected(str(exc)) from exc


def check_loop(target: TargetSpec, case: Case, check: str) -> Verdict:
    """`placement.<loop>`: the resumed run equals the uninterrupted run of the same loop.

    Raises `Rejected` when the uninterrupted run itself raises; the test
    filters such cases out.
    """
    expected = reference(target, case)

    def body():
        actual = run(target, case)
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


def _shown(expected: RunResult, actual: Optional[RunResult], raised: str) -> Probe:
    div = None if actual is None else lr_divergence(expected.records, actual.records)
    return Probe(raised != "" or div is not None, div, raised)


def per_batch_case(case: Case) -> Case:
    """The same run with the per-epoch scheduler stepped after every batch (stale metric)."""
    b = case.loop.batches
    plan = replace(
        case.plan, epochs=case.plan.epochs * b, interruptions=(),
        metrics=tuple(m for m in case.plan.metrics for _ in range(b)),
    )
    return replace(case, loop=Loop("per_batch"), plan=plan)


def probe_per_batch(target, case, check) -> Probe:
    expected = reference(target, case)
    probe = _shown(expected, *_wrong(target, per_batch_case(case), interruptions=()))
    if probe.shown:
        probe.problem = nondeterminism(target, case, check, expected)
    return probe


def probe_restart(target, case, check) -> Probe:
    (at,) = case.plan.interruptions
    expected = reference(target, case)
    restarted = replace(case, loop=RestartedEpoch(case.loop, at))
    probe = _shown(expected, *_wrong(target, restarted))
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
    expected = reference(target, canonical_case)
    actual, raised = _wrong(target, case, interruptions=())
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


@dataclass
class Search:
    """The condition `find` searches with: memoized (replays agree) and bounded."""

    target: TargetSpec
    name: str
    limit: int
    probes: dict = field(default_factory=dict)  # case.describe() -> Probe
    rejected: int = 0

    @property
    def check(self) -> str:
        return f"placement.{self.name}"

    def __call__(self, case: Case) -> bool:
        key = case.describe()
        if key not in self.probes:
            if len(self.probes) >= self.limit:
                return False  # out of budget: `find` keeps the smallest case seen so far
            try:
                probe = PITFALLS[self.name](self.target, case, self.check)
            except Rejected:
                self.rejected += 1
                probe = Probe()
            except (TargetError, CheckpointError) as exc:
                probe = Probe(problem=guarded(self.target, self.check, case, _raise(exc)))
            self.probes[key] = probe
        probe = self.probes[key]
        return probe.shown or probe.problem is not None


def _raise(exc):
    def body():
        raise exc

    return body


def search(target: TargetSpec, name: str, strategy, max_examples: int) -> Verdict:
    """Find a case where pitfall `name` shows; a `pass` verdict either way.

    The verdict's details hold the result: `outcome` is "shown" (with the first
    divergence or the exception) or "harmless" (no counterexample within
    `max_examples`). It is `fail`/`error`/`nondeterministic` only when the
    counterexample is unsound (see `Probe.problem`). The first counterexample
    found is kept (see `budget.search_settings`).
    """
    condition = Search(target, name, limit=max_examples)
    try:
        case = find(strategy, condition, settings=search_settings(max_examples))
    except (NoSuchExample, Unsatisfiable):
        tried = len(condition.probes) - condition.rejected
        return Verdict(target.name, condition.check, PASS,
                       details={"outcome": "harmless", "cases tried": tried})
    return _verdict(target, condition.check, case, condition.probes[case.describe()])


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
