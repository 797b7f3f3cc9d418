"""`distributed.*`: the target trained on 2 gloo CPU ranks with DDP, checkpointed through DCP.

- `distributed.ranks`: every rank's trajectory, interrupted and resumed on 2
  ranks, equals the single-process uninterrupted reference;
- `distributed.2_to_1` / `distributed.1_to_2`: a checkpoint written by 2
  ranks resumes in 1 process, and one written by 1 process resumes on 2
  ranks, with the uninterrupted trajectory;
- `distributed.world_size`: the scheduler is stepped k = world size times per
  optimizer step (a wrapper stepping once per process), resumed on 1 process
  (k = 1). A result: the run `checkpoint` (keeps the checkpoint's position,
  then the new pace), `constructor` (as if k = 1 all along), `raises` or
  `hybrid`.

Every run on ranks is a new group of fresh ranks (`conformance/processes/ranks.py`),
and every resume in 1 process runs in a fresh interpreter
(`conformance/processes/fresh.py`): a resumed world never ran the part before
its checkpoint. The Accelerate driver runs its multi-process setups the same
way (`Group.run(..., run=...)`). Targets another process cannot import are
skipped with what to set, as for `resume.fresh_process`.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from typing import Optional

from conformance.harness.ddp import train
from conformance.harness.errors import CheckpointError, TargetError
from conformance.harness.oracle import compare, guarded, uninterrupted
from conformance.harness.run import RunResult
from conformance.harness.scratch import scratch_dir
from conformance.model.case import Case
from conformance.model.loop import PER_STEP
from conformance.model.results import CHECKPOINT, CONSTRUCTOR, HYBRID, RAISES, MismatchResult
from conformance.model.verdict import FAIL, PASS, Verdict, first_divergence
from conformance.processes.fresh import fresh_run, unreachable as unreachable_from, warm
from conformance.processes.ranks import WORLD, group
from conformance.spec import TargetSpec

def per_step(case: Case) -> Case:
    """The case as a per-step loop (one optimizer step per iteration), its interruption kept inside the run."""
    at = min(max(case.plan.interruptions[:1] or (1,)), case.plan.epochs - 1)
    return replace(case, loop=PER_STEP, plan=replace(case.plan, interruptions=(max(at, 1),), skips=frozenset()))


def _checkpoint_dir() -> str:
    return tempfile.mkdtemp(prefix="ranks-", dir=scratch_dir())


def _first_bad(target, case, check, expected, runs: list, what: str) -> Verdict:
    """The verdict of the first run (one per rank) that differs from `expected`."""
    for rank, records in enumerate(runs):
        verdict = compare(target, case, check, expected, RunResult(records), what.format(rank=rank))
        if not verdict.ok:
            return verdict
    return verdict


def check_ranks(target: TargetSpec, case: Case, check: str = "distributed.ranks") -> Verdict:
    """Interrupted and resumed on 2 ranks: every rank's trajectory is the single-process reference."""
    case = per_step(case)

    def body():
        expected = uninterrupted(target, case)
        ks, at, path = [1] * case.plan.epochs, case.plan.interruptions[0], _checkpoint_dir()
        before = group().run(target, case, ks=ks, stop=at, save_to=path)
        after = group().run(target, case, ks=ks, load_from=path)
        runs = [b + a for b, a in zip(before, after)]
        return _first_bad(target, case, check, expected, runs,
                          f"rank {{rank}} of {WORLD} (DDP, checkpointed and resumed through DCP on {WORLD} ranks) "
                          "differs from the single-process uninterrupted run")

    return guarded(target, check, case, body, start=lambda: warm(WORLD))


def check_reshard(target: TargetSpec, case: Case, direction: str) -> Verdict:
    """A checkpoint from 2 ranks resumed in 1 process ("2_to_1"), or from 1 process on 2 ranks ("1_to_2")."""
    check = f"distributed.{direction}"
    case = per_step(case)

    def body():
        expected = uninterrupted(target, case)
        ks, at, path = [1] * case.plan.epochs, case.plan.interruptions[0], _checkpoint_dir()
        if direction == "2_to_1":
            before = group().run(target, case, ks=ks, stop=at, save_to=path)[0]
            runs = [before + fresh_run(target, case, train, "in the resumed process", ks=ks, load_from=path)]
        else:
            before = train(target, case, ks, stop=at, save_to=path)
            runs = [before + after for after in group().run(target, case, ks=ks, load_from=path)]
        saved, resumed = ("2 ranks", "1 process") if direction == "2_to_1" else ("1 process", f"{WORLD} ranks")
        return _first_bad(target, case, check, expected, runs,
                          f"checkpointed through DCP on {saved}, resumed on {resumed} (rank {{rank}}): the run "
                          "differs from the uninterrupted one")

    return guarded(target, check, case, body, start=lambda: warm(WORLD))


def check_world_size(target: TargetSpec, case: Case, check: str = "distributed.world_size") -> Verdict:
    """k = 2 scheduler steps per optimizer step on 2 ranks, resumed with k = 1 in 1 process: what follows?"""
    case = per_step(case)
    cap = target.max_steps(case.config)
    steps = case.plan.epochs if cap is None else min(case.plan.epochs, cap // WORLD)
    at = min(case.plan.interruptions[0], steps - 1)
    if steps < 2 or at < 1:
        return Verdict(target.name, check, PASS, case, details={"outcome": "unobservable"},
                       result=MismatchResult("world_size", unobservable=1))
    ks_old, ks_new = [WORLD] * steps, [1] * steps
    following = ks_old[:at] + ks_new[at:]

    def body():
        checkpoint_run = train(target, case, following)  # the checkpoint's position, then the new pace
        new_k_run = train(target, case, ks_new)
        path = _checkpoint_dir()
        try:
            before = group().run(target, case, ks=ks_old, stop=at, save_to=path)[0]
            resumed = before + fresh_run(target, case, train, "in the resumed process", ks=ks_new, load_from=path)
        except (TargetError, CheckpointError) as exc:
            return _world_size_verdict(target, case, check, RAISES, str(exc).splitlines()[0])
        if first_divergence(checkpoint_run, resumed) is None:
            return _world_size_verdict(target, case, check, CHECKPOINT)
        if first_divergence(new_k_run[at + 1:], resumed[at + 1:]) is None:
            return _world_size_verdict(target, case, check, CONSTRUCTOR)
        div = first_divergence(checkpoint_run, resumed)
        return _world_size_verdict(target, case, check, HYBRID, div.describe())

    return guarded(target, check, case, body, start=lambda: warm(WORLD))


def _world_size_verdict(target, case, check, outcome: str, evidence: str = "") -> Verdict:
    result = MismatchResult("world_size", {outcome: 1}, example=case.describe(), change=f"k {WORLD} -> 1",
                            evidence=evidence, error=evidence if outcome == RAISES else "")
    status, message = PASS, ""
    if outcome == HYBRID:
        status = FAIL
        message = (f"stepped {WORLD} times per optimizer step on {WORLD} ranks, resumed stepping once in 1 "
                   f"process: the run follows neither the checkpoint's position at the new pace nor a run "
                   f"with k = 1 all along (a hybrid): {evidence}")
    return Verdict(target.name, check, status, case, message=message, details={"outcome": outcome}, result=result)


def unreachable(target: TargetSpec) -> Optional[str]:
    """Why the ranks can't import `target`, or None."""
    return unreachable_from(target, "the ranks (other processes)")
