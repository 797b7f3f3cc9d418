"""What every driver shares: the tiny model, its data, the optimizer, the recorder."""

from __future__ import annotations

import torch

from conformance.harness.live import build_scheduler
from conformance.harness.recorder import Recorder
from conformance.model.case import Case
from conformance.model.optimizer import Tiny, seeded
from conformance.spec import TargetSpec


def batches(n: int) -> list:
    """n batches, each its own index (`Tiny`'s loss at that step)."""
    return [torch.tensor(i) for i in range(n)]


def objects(target: TargetSpec, case: Case):
    """A fresh model, its optimizer (the case's setup) and the target's scheduler."""
    seeded()
    model = Tiny(case.setup)
    optimizer = case.setup.build(list(model.parameters()))
    return model, optimizer, build_scheduler(target, optimizer, case.config)


def recording(target: TargetSpec, optimizer, scheduler) -> Recorder:
    recorder = Recorder()
    recorder.attach(optimizer, lambda: target.adapter.last_lr(scheduler))
    return recorder


def metric_at(target: TargetSpec, case: Case, sched_steps: int):
    metrics = case.plan.metrics
    return metrics[sched_steps % len(metrics)] if target.capabilities.metric_driven and metrics else None
