"""Runs a case: the uninterrupted `reference`, or the interrupted-and-resumed run (`resumed`), over one loop."""

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


START = {"iteration": 0, "sched_steps": 0, "opt_steps": 0}  # a loop position: the run's first iteration


def reference(target: TargetSpec, case: Case, *, epoch_stepping: bool = False) -> RunResult:
    """The uninterrupted run of `case`, from a fresh build. Raises `Rejected` when build() refuses the config.

    `epoch_stepping` steps the scheduler with `step(epoch)`, epoch being the
    count of scheduler steps taken so far, plus one (what `last_epoch` becomes
    after a plain `step()`).
    """
    return _loop(target, case, lambda: (fresh_or_rejected(target, case), START), (), None, epoch_stepping)


def resumed(
    target: TargetSpec,
    case: Case,
    recipe: Callable = canonical,
    *,
    interruptions: Optional[tuple] = None,
    medium: Optional[str] = None,
    on_checkpoint: Optional[Callable] = None,
    resume_from: Optional[dict] = None,
    hand_over: Optional[Callable[[dict], list]] = None,
    epoch_stepping: bool = False,
) -> RunResult:
    """`case` interrupted at `interruptions` (default: the plan's) and resumed with `recipe` each time.

    Raises `Rejected` when build() refuses the config. At each interruption the
    live objects are checkpointed through `medium` (default: the plan's) and
    dropped; `recipe` rebuilds fresh ones. `on_checkpoint(session, checkpoint)`
    may replace the checkpoint before it travels (the serialization checks).
    `resume_from` starts the run at a checkpoint (its loop position), resumed
    with `recipe`; `hand_over(checkpoint)` takes the run over at the first
    interruption and returns the records of the rest (another process).
    `epoch_stepping` as for `reference`.
    """
    carry = THROUGH[medium or case.plan.medium]
    with_state = recipe not in WITHOUT_SCHEDULER_STATE

    def start():
        if resume_from is None:
            return fresh_or_rejected(target, case), START
        return recipe(target, case, resume_from), resume_from

    def interrupt(session: LiveObjects, position: dict, result: RunResult) -> Optional[LiveObjects]:
        ckpt = checkpoint(target, session, position, with_state)
        if on_checkpoint is not None:
            ckpt = on_checkpoint(session, ckpt)
        ckpt, note = carry(ckpt, session)
        if note and note not in result.notes:
            result.notes.append(note)
        result.checkpoints.append(ckpt)
        if hand_over is not None:
            result.records.extend(hand_over(ckpt))
            return None
        session = recipe(target, case, ckpt)
        for note in getattr(ckpt, "notes", ()):  # what a dcp load dropped or changed
            if note not in result.notes:
                result.notes.append(note)
        return session

    stops = case.plan.interruptions if interruptions is None else interruptions
    return _loop(target, case, start, set(stops), interrupt, epoch_stepping)


def _loop(target: TargetSpec, case: Case, start: Callable, stops: set, interrupt: Optional[Callable],
          epoch_stepping: bool) -> RunResult:
    """The one training loop of both runs.

    `start()` gives the first live objects and their loop position. Before each
    iteration in `stops` (but the first), `interrupt(session, position, result)`
    gives the objects to go on with, or None when the rest of the run was handed over.
    """
    plan = case.plan
    metric_driven = target.capabilities.metric_driven
    recorder = Recorder()
    result = RunResult(recorder.records)

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
            session, at = start()
            begin, sched_steps, opt_steps = (at[k] for k in ("iteration", "sched_steps", "opt_steps"))
            attach(session)
            for i, iteration in enumerate(case.loop.iterations(plan.epochs)):
                if i < begin:
                    continue
                if i in stops and i != begin:
                    position = {"iteration": i, "sched_steps": sched_steps, "opt_steps": opt_steps}
                    recorder.detach()  # a medium may step the optimizer itself (DCP's state init): not a training step
                    session = interrupt(session, position, result)
                    if session is None:
                        break
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
    return resumed(target, case, resume_from=checkpoint).records
