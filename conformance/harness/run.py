"""Runs a case: the uninterrupted reference, or an interrupted-and-resumed run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import torch

from conformance.model.case import Case
from conformance.harness.errors import CheckpointError, TargetError, calling
from conformance.harness.media import THROUGH
from conformance.harness.observation import captured, provoked, scheduler_log
from conformance.harness.recipes import WITHOUT_SCHEDULER_STATE, canonical
from conformance.model.optimizer import seeded
from conformance.harness.live import LiveObjects, checkpoint, fresh_or_rejected
from conformance.spec import TargetSpec
from conformance.harness.recorder import Recorder


@dataclass
class RunResult:
    records: list
    warnings: list = field(default_factory=list)
    # The scheduler calls' warnings (`observation.Heard`), in order; None for a loop that misuses the API on
    # purpose, where torch's warnings depend on which fresh optimizer has stepped, not on the scheduler.
    heard: Optional[list] = field(default_factory=list)
    checkpoints: list = field(default_factory=list)  # what each resume was given
    notes: list = field(default_factory=list)  # how checkpoints travelled, when not as asked


def _set_grads(session: LiveObjects, step: int, skip: bool) -> None:
    """A deterministic gradient of sum((p - s)^2), scaled like a GradScaler would."""
    target = 1.0 + (step % 7) / 7.0
    scale = 1.0
    if session.scaler is not None:
        # scale() lazily creates the scale tensor that scaler.step() needs.
        scale = session.scaler.scale(torch.ones(())).item()
    for p in session.params:
        grad = (p.detach() - target) * (2.0 * scale)
        if skip:
            grad = torch.full_like(grad, float("inf"))
        if p.grad is None:
            p.grad = grad
        else:
            p.grad.add_(grad)


def _optimizer_step(session: LiveObjects) -> None:
    with calling("optimizer.step"):
        if session.scaler is None:
            session.optimizer.step()
        else:
            session.scaler.step(session.optimizer)
            session.scaler.update()
    session.optimizer.zero_grad(set_to_none=True)


def run(
    target: TargetSpec,
    case: Case,
    recipe: Callable = canonical,
    interruptions: Optional[tuple] = None,
    medium: Optional[str] = None,
    on_checkpoint: Optional[Callable] = None,
    epoch_stepping: bool = False,
    resume_from: Optional[dict] = None,
    hand_over: Optional[Callable[[dict], list]] = None,
) -> RunResult:
    """One run of `case`. With no interruptions, it is the uninterrupted reference.

    Raises `Rejected` when the target's build() refuses the config.

    At each interruption the live objects are checkpointed through `medium`
    (default: the plan's) and dropped; `recipe` rebuilds fresh ones.
    `on_checkpoint(session, checkpoint)` may replace the checkpoint before it
    travels (used by the serialization checks). `epoch_stepping` steps the
    scheduler with `step(epoch)`, epoch being the count of scheduler steps
    taken so far, plus one (what `last_epoch` becomes after a plain `step()`).

    `resume_from` starts the run at a checkpoint (its loop position), resumed
    with `recipe`; `hand_over(checkpoint)` takes the run over at the first
    interruption and returns the records of the rest (another process).
    """
    plan = case.plan
    stops = set(plan.interruptions if interruptions is None else interruptions)
    carry = THROUGH[medium or plan.medium]
    metric_driven = target.capabilities.metric_driven
    recorder = Recorder()
    result = RunResult(recorder.records)
    opt_steps = sched_steps = 0

    def attach(session):
        read = lambda: target.adapter.last_lr(session.scheduler)  # noqa: E731
        recorder.attach(session.optimizer, read)

    seeded()
    # The target's warnings are counted for the report, not printed; a loop that misuses the API on
    # purpose (the pitfalls) provokes torch's warnings about it: those are the suite's doing.
    misused = epoch_stepping or getattr(case.loop, "sched_first", False)
    with (provoked() if misused else captured()) as caught, scheduler_log() as log:
        result.heard = None if misused else log
        try:
            begin = 0
            if resume_from is not None:
                session = recipe(target, case, resume_from)
                begin, sched_steps, opt_steps = (resume_from[k] for k in ("iteration", "sched_steps", "opt_steps"))
            else:
                session = fresh_or_rejected(target, case)
            attach(session)
            for i, iteration in enumerate(case.loop.iterations(plan.epochs)):
                if i < begin:
                    continue
                if i in stops and i != begin:
                    position = {"iteration": i, "sched_steps": sched_steps, "opt_steps": opt_steps}
                    recorder.detach()  # a medium may step the optimizer itself (DCP's state init): not a training step
                    ckpt = checkpoint(target, session, position, recipe not in WITHOUT_SCHEDULER_STATE)
                    if on_checkpoint is not None:
                        ckpt = on_checkpoint(session, ckpt)
                    ckpt, note = carry(ckpt, session)
                    if note and note not in result.notes:
                        result.notes.append(note)
                    result.checkpoints.append(ckpt)
                    if hand_over is not None:
                        result.records.extend(hand_over(ckpt))
                        break
                    session = recipe(target, case, ckpt)
                    for note in getattr(ckpt, "notes", ()):  # what a dcp load dropped or changed
                        if note not in result.notes:
                            result.notes.append(note)
                    attach(session)
                for action in iteration:
                    if action == "sched":
                        metric = plan.metrics[sched_steps] if metric_driven else None
                        with calling("step"):
                            if epoch_stepping:
                                session.scheduler.step(sched_steps + 1)
                            else:
                                target.adapter.step(session.scheduler, metric)
                        sched_steps += 1
                    else:
                        _set_grads(session, opt_steps, opt_steps in plan.skips)
                        if action == "opt":
                            _optimizer_step(session)
                            opt_steps += 1
        except (TargetError, CheckpointError) as exc:  # a failure after a resume names what the medium changed
            exc.notes = list(result.notes)
            raise
        recorder.detach()
    result.warnings = [str(w.message) for w in caught]
    return result


def rest_of_run(target: TargetSpec, case: Case, checkpoint: dict) -> list:
    """The records of `case` resumed from `checkpoint` (canonical recipe): what another process runs."""
    return run(target, case, resume_from=checkpoint).records
