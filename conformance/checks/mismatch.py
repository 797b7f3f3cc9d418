"""Checks of the `mismatch.*` family: resuming into a scheduler built with other values.

`mismatch.<param>` resumes (canonical recipe, one interruption) into a
scheduler whose constructor got a *different* value of `param`, and
classifies what the run follows from the resume on:

- `checkpoint`: the original uninterrupted run;
- `constructor`: a run that used the new value all along;
- `raises`: the resume or a later step raised (the message is kept);
- `hybrid`: neither. This is the failure: a silent mixture of both.

`mismatch.base_lr` changes the optimizer's lr at resume (the optimizer is
built with other lrs; the recipe still loads the optimizer state). A target
whose constructor itself takes `base_lr` (CyclicLR) varies that instead.

`checkpoint` compares the whole run. `constructor` compares the steps after
the first scheduler step that follows the resume: before the resume the run
is the original by construction, and until that scheduler step the
optimizer keeps the lr it had at the checkpoint (the optimizer state holds
it; no scheduler step has run yet to apply the new value). An example where
the original and the constructor runs agree over that window is
*unobservable*: it is no evidence either way and is not classified.

Each example's verdict carries a `MismatchResult`; the examples of one test
fold into one (`MismatchResult.merged`): its outcome is the outcome of every
observable example when they agree, else their outcomes joined with "|" in
order of first appearance (e.g. "checkpoint|constructor" for LambdaLR, whose
callable objects keep their class but take the checkpoint's attributes).
With no observable example, the outcome is "unobservable".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from conformance.checks.probe import probe
from conformance.harness.errors import CheckpointError, TargetError
from conformance.harness.oracle import guarded, nondeterminism, uninterrupted
from conformance.harness.recipes import canonical
from conformance.harness import run as runs
from conformance.model.case import DCP, Case
from conformance.model.change import BASE_LR, Change
from conformance.model.results import CHECKPOINT, CONSTRUCTOR, HYBRID, RAISES, UNOBSERVABLE, MismatchResult
from conformance.model.verdict import FAIL, PASS, Divergence, Verdict, first_divergence
from conformance.spec import TargetSpec



def parameters(target: TargetSpec) -> tuple:
    """The parameters `mismatch.*` varies for `target`, always with `base_lr`."""
    names = _simplest_keys(target) if target.hyperparameters is None else tuple(target.hyperparameters)
    return names if BASE_LR in names else names + (BASE_LR,)


def _simplest_keys(target: TargetSpec) -> tuple:
    case = probe(target).case
    return () if case is None else tuple(k for k in sorted(case.config) if k != "last_epoch")


def variant_name(case: Case, change: Change) -> str:
    """`gamma` through a file, `dcp.gamma` through torch.distributed.checkpoint."""
    return change.param if case.plan.medium != DCP else f"{DCP}.{change.param}"


def _into(changed: Case):
    def resume_changed(target, _case, checkpoint):
        return canonical(target, changed, checkpoint)

    return resume_changed


def _recorded(case: Case, iterations: int) -> int:
    """Optimizer steps recorded in the first `iterations` iterations (skipped ones are not)."""
    its = case.loop.iterations(case.plan.epochs)[:iterations]
    n = sum(1 for it in its for a in it if a == "opt")
    return n - sum(1 for s in case.plan.skips if s < n)


def resume_index(case: Case) -> int:
    """The first optimizer step after the (first) resume."""
    return _recorded(case, min(case.plan.interruptions))


def settle_index(case: Case) -> int:
    """The first optimizer step after the first scheduler step that follows the resume.

    Until then the optimizer runs on the lr it had at the checkpoint: no
    scheduler step could have applied the new value yet.
    """
    its = case.loop.iterations(case.plan.epochs)
    first = min(case.plan.interruptions)
    after = next((i for i in range(first, len(its)) if "sched" in its[i]), len(its) - 1)
    return _recorded(case, after + 1)


def _after(div: Optional[Divergence], k: int) -> Optional[Divergence]:
    return None if div is None else replace(div, step=div.step + k)


def classify(target: TargetSpec, case: Case, change: Change) -> Verdict:
    """One example of `mismatch.<param>`; its result (and `details["outcome"]`) is the classification.

    Raises `Rejected` when the original or the changed config fails uninterrupted.
    """
    verdict = _classify(target, case, change)
    got = verdict.details.get("outcome", verdict.status)
    name = variant_name(case, change)
    if got == UNOBSERVABLE:
        verdict.result = MismatchResult(name, unobservable=1)
    else:
        verdict.result = MismatchResult(
            name, {got: 1}, example=case.describe(),
            change=f"{verdict.details.get('old')} -> {verdict.details.get('new')}",
            evidence=verdict.details.get("evidence", ""),
            error=verdict.details.get("error", "") if got == RAISES else "",
        )
    return verdict


def _classify(target: TargetSpec, case: Case, change: Change) -> Verdict:
    check = f"mismatch.{variant_name(case, change)}"
    changed = change.apply(case)
    original = uninterrupted(target, case)
    constructor = uninterrupted(target, changed)
    k, j = resume_index(case), settle_index(case)
    details = {"param": change.param, "old": repr(change.old), "new": repr(change.new), "resume_step": k}
    evidence = _after(first_divergence(original.records[j:], constructor.records[j:]), j)
    if evidence is None:
        return Verdict(target.name, check, PASS, case, details={**details, "outcome": UNOBSERVABLE})
    details["evidence"] = evidence.describe()

    def body():
        try:
            resumed = runs.resumed(target, case, _into(changed))
        except (TargetError, CheckpointError) as exc:
            return Verdict(target.name, check, PASS, case, message=str(exc),
                           details={**details, "outcome": RAISES, "error": str(exc).splitlines()[0]})
        vs_checkpoint = first_divergence(original.records, resumed.records)
        if vs_checkpoint is None:
            return Verdict(target.name, check, PASS, case, details={**details, "outcome": CHECKPOINT})
        vs_constructor = _after(first_divergence(constructor.records[j:], resumed.records[j:]), j)
        if vs_constructor is None:
            return Verdict(target.name, check, PASS, case, details={**details, "outcome": CONSTRUCTOR})
        verdict = Verdict(
            target.name, check, FAIL, case, vs_checkpoint,
            message=f"resumed (canonical recipe, at optimizer step {k}) into a scheduler built with "
            f"{change.describe()}: the run follows neither the checkpoint nor the constructor "
            f"(a hybrid).{''.join(f'{chr(10)}  note: {note}' for note in resumed.notes)}"
            f"\n  against the constructor run ({change.param}={change.new!r} all along): "
            f"{vs_constructor.describe()}\n  against the checkpoint (the uninterrupted original):",
            details={**details, "outcome": HYBRID, "vs_constructor": vs_constructor.describe()},
        )
        return nondeterminism(target, case, check, original) or verdict

    return guarded(target, check, case, body)
