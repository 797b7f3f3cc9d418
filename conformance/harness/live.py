"""The live objects of one run, and how they are built and checkpointed."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import torch

from conformance.model.case import Case
from conformance.harness import dcp
from conformance.harness.errors import Rejected, TargetError, calling
from conformance.spec import TargetSpec


@dataclass
class LiveObjects:
    params: list
    optimizer: torch.optim.Optimizer
    scheduler: Any = None
    scaler: Optional[Any] = None


def metric_at(target: TargetSpec, case: Case, sched_steps: int):
    """The plan's metric for scheduler step `sched_steps` (cycling), or None for a target that takes none."""
    metrics = case.plan.metrics
    return metrics[sched_steps % len(metrics)] if target.capabilities.metric_driven and metrics else None


def build_scheduler(target: TargetSpec, optimizer, config: Mapping[str, Any]):
    """A fresh scheduler from a private copy of `config`.

    Schedulers may mutate what they are given (LambdaLR's load_state_dict
    writes the checkpoint's attributes into its callable objects); a copy keeps
    every run starting from the drawn config.
    """
    with calling("build"):
        scheduler = target.build(optimizer, copy.deepcopy(config))
    if scheduler is None:
        problem = TypeError(f"build() of {target.name} returned None, not a scheduler")
        raise TargetError("build", problem)
    return scheduler


def new_optimizer(case: Case, checkpoint: Optional[dict] = None) -> LiveObjects:
    """Fresh params (restored from the checkpoint if given) and a fresh optimizer."""
    params = case.setup.make_params()
    if checkpoint is not None:
        with torch.no_grad():
            for p, saved in zip(params, checkpoint["model"]):
                p.copy_(saved)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8) if case.loop.scaler else None
    if scaler is not None and checkpoint is not None:
        scaler.load_state_dict(checkpoint["scaler"])
    return LiveObjects(params, case.setup.build(params), None, scaler)


def fresh(target: TargetSpec, case: Case, config: Optional[Mapping] = None) -> LiveObjects:
    session = new_optimizer(case)
    session.scheduler = build_scheduler(target, session.optimizer, case.config if config is None else config)
    return session


def fresh_or_rejected(target: TargetSpec, case: Case) -> LiveObjects:
    """`fresh`, with a build() that refuses the config turned into `Rejected`.

    A generated config the target cannot take is no evidence about resuming:
    the checks filter it out, never give a verdict on it.
    """
    try:
        return fresh(target, case)
    except TargetError as exc:
        if exc.phase != "build":
            raise
        raise Rejected(f"build() refused the config: {type(exc.exc).__name__}: {exc.exc}",
                       f"{type(exc.exc).__name__} in build()") from exc


def checkpoint(target: TargetSpec, session: LiveObjects, position: dict, scheduler_state: bool = True) -> dict:
    """What a training script saves: model, optimizer, scheduler, scaler, loop position.

    `scheduler_state=False` leaves the scheduler out (a recipe that never reads it).
    """
    sched_state = None
    if scheduler_state:
        with calling("state_dict"):
            sched_state = target.adapter.state_dict(session.scheduler)
    ckpt = {
        "model": [p.detach().clone() for p in session.params],
        "optimizer": session.optimizer.state_dict(),
        "scheduler": sched_state,
        **position,
    }
    if session.scaler is not None:
        ckpt["scaler"] = session.scaler.state_dict()
    return ckpt


def restore_optimizer(session: LiveObjects, ckpt: dict) -> None:
    """Load the checkpoint's optimizer state into the fresh optimizer (through DCP for a dcp checkpoint)."""
    if isinstance(ckpt, dcp.DcpCheckpoint):
        dcp.load_optimizer(session, ckpt)
    else:
        session.optimizer.load_state_dict(ckpt["optimizer"])


def restore_scheduler(target: TargetSpec, session: LiveObjects, ckpt: dict) -> None:
    """Load the checkpoint's scheduler state into the fresh scheduler (through DCP for a dcp checkpoint)."""
    if isinstance(ckpt, dcp.DcpCheckpoint):
        dcp.load_scheduler(target, session, ckpt)
        return
    with calling("load_state_dict"):
        target.adapter.load_state_dict(session.scheduler, ckpt["scheduler"])
