"""What every driver shares: the tiny model, its data, the optimizer, the recorder."""

from __future__ import annotations

import torch

from conformance.harness.live import build_scheduler
from conformance.harness.recorder import Recorder
from conformance.model.case import Case
from conformance.model.optimizer import model_and_optimizer
from conformance.spec import TargetSpec


def batches(n: int) -> list:
    """n batches, each its own index (`Tiny`'s loss at that step)."""
    return [torch.tensor(i) for i in range(n)]


def objects(target: TargetSpec, case: Case):
    """A fresh model, its optimizer (the case's setup) and the target's scheduler."""
    model, optimizer = model_and_optimizer(case.setup)
    return model, optimizer, build_scheduler(target, optimizer, case.config)


def recording(target: TargetSpec, optimizer, scheduler) -> Recorder:
    recorder = Recorder()
    recorder.attach(optimizer, lambda: target.adapter.last_lr(scheduler))
    return recorder
