"""Resume recipes: how fresh objects are rebuilt from a checkpoint.

Each recipe is `recipe(target, case, checkpoint) -> LiveObjects`. The checkpoint
holds `model`, `optimizer`, `scheduler`, `sched_steps` (k) and the loop
position. Supported recipes must reproduce the uninterrupted trajectory;
pitfall recipes are what users get wrong, and the suite shows where they
diverge.
"""

from __future__ import annotations

import torch

from conformance.harness.errors import calling
from conformance.harness.observation import provoked
from conformance.harness.live import (LiveObjects, build_scheduler, new_optimizer, restore_optimizer,
                                      restore_scheduler)


def canonical(target, case, checkpoint) -> LiveObjects:
    """Construct both as originally, load the optimizer state, then the scheduler state."""
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    restore_optimizer(session, checkpoint)
    restore_scheduler(target, session, checkpoint)
    return session


def resumed_config(target, config: dict, k: int) -> dict:
    """`config` with the constructor's resume position after k steps: `last_epoch=k-1` for torch's
    schedulers, `<resume_argument>=resume_start + k` for one that takes it under another name."""
    caps = target.capabilities
    return {**config, caps.resume_argument: caps.resume_start + k}


def last_epoch(target, case, checkpoint) -> LiveObjects:
    """Load the optimizer state, then construct with `last_epoch=k-1` (or the target's own resume argument)."""
    session = new_optimizer(case, checkpoint)
    restore_optimizer(session, checkpoint)
    config = resumed_config(target, case.config, checkpoint["sched_steps"])
    session.scheduler = build_scheduler(target, session.optimizer, config)
    return session


def fast_forward(target, case, checkpoint) -> LiveObjects:
    """Construct fresh and replay k scheduler steps (no optimizer steps, no optimizer state)."""
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    metric_driven = target.capabilities.metric_driven
    for k in range(checkpoint["sched_steps"]):
        metric = case.plan.metrics[k] if metric_driven else None
        with calling("step"), provoked():  # torch warns: a scheduler step before any optimizer step
            target.adapter.step(session.scheduler, metric)
    return session


def optimizer_first(target, case, checkpoint) -> LiveObjects:
    """Pitfall: load the optimizer state before constructing the scheduler."""
    session = new_optimizer(case, checkpoint)
    restore_optimizer(session, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    restore_scheduler(target, session, checkpoint)
    return session


def scheduler_only(target, case, checkpoint) -> LiveObjects:
    """Pitfall: restore the scheduler state only."""
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    restore_scheduler(target, session, checkpoint)
    return session


def optimizer_only(target, case, checkpoint) -> LiveObjects:
    """Pitfall: restore the optimizer state only."""
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    restore_optimizer(session, checkpoint)
    return session


def extra_step(target, case, checkpoint) -> LiveObjects:
    """Pitfall: a catch-up `scheduler.step()` right after a canonical load."""
    session = canonical(target, case, checkpoint)
    k = checkpoint["sched_steps"]
    metric = case.plan.metrics[k] if target.capabilities.metric_driven else None
    with calling("step"), provoked():
        target.adapter.step(session.scheduler, metric)
    return session


def last_epoch_without_optimizer(target, case, checkpoint) -> LiveObjects:
    """Pitfall: construct with `last_epoch=k-1` on a fresh optimizer (no `initial_lr`)."""
    session = new_optimizer(case, checkpoint)
    config = resumed_config(target, case.config, checkpoint["sched_steps"])
    session.scheduler = build_scheduler(target, session.optimizer, config)
    return session


# --- the recipes tutorials teach (recipe-support results, never contract failures) ---


def epoch_argument(target, case, checkpoint) -> LiveObjects:
    """Tutorial: build the scheduler as before, load the optimizer state, go on with step(epoch).

    The run steps with `scheduler.step(epoch)` throughout (see `run(epoch_stepping=True)`);
    no scheduler state is loaded: the epoch number carries the position.
    """
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    restore_optimizer(session, checkpoint)
    return session


def epoch_fast_forward(target, case, checkpoint) -> LiveObjects:
    """Tutorial: a fresh scheduler, one `step(k)` to jump to epoch k, then plain `step()`."""
    session = new_optimizer(case, checkpoint)
    session.scheduler = build_scheduler(target, session.optimizer, case.config)
    with calling("step"), provoked():  # a deprecated step(epoch), before any optimizer step
        session.scheduler.step(checkpoint["sched_steps"])
    return session


def reset_lr_last_epoch(target, case, checkpoint) -> LiveObjects:
    """Tutorial: load the optimizer state, set each lr back to its base lr, then build with last_epoch=k-1."""
    session = new_optimizer(case, checkpoint)
    restore_optimizer(session, checkpoint)
    for group, base in zip(session.optimizer.param_groups, case.setup.lrs):
        initial = group.get("initial_lr", base)
        group["lr"] = initial.clone() if isinstance(initial, torch.Tensor) else initial
    config = resumed_config(target, case.config, checkpoint["sched_steps"])
    session.scheduler = build_scheduler(target, session.optimizer, config)
    return session


TUTORIAL = {
    "epoch_argument": epoch_argument,
    "epoch_fast_forward": epoch_fast_forward,
    "reset_lr_last_epoch": reset_lr_last_epoch,
}
SUPPORTED = {"canonical": canonical, "last_epoch": last_epoch, "fast_forward": fast_forward}
PITFALLS = {
    "optimizer_first": optimizer_first,
    "scheduler_only": scheduler_only,
    "optimizer_only": optimizer_only,
    "extra_step": extra_step,
    "last_epoch_without_optimizer": last_epoch_without_optimizer,
}

# Recipes that never read the scheduler's state: their checkpoints leave it out, so a
# scheduler without state_dict() (or with state weights_only refuses) is judged on them.
WITHOUT_SCHEDULER_STATE = frozenset({last_epoch, fast_forward, optimizer_only, last_epoch_without_optimizer,
                                     *TUTORIAL.values()})
