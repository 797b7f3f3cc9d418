"""One rank's training loop for `distributed.*`: a tiny DDP model, the target scheduler, DCP checkpoints.

`train` runs on every rank of a process group (gloo, CPU), or alone in one
process when no group is initialized, which is how a run resumes on a
different number of ranks. Each optimizer step `n` is followed by `ks[n]`
scheduler steps: 1 is the canonical loop; k is a wrapper that steps the
scheduler once per process (Accelerate's AcceleratedScheduler does so), so
a change of world size changes k at the resume.

The checkpoint is a collective `dcp.save` of the model (`get_model_state_dict`),
the optimizer (`get_optimizer_state_dict`), the scheduler as a `Stateful`
and the loop position; a resume is `dcp.load` into fresh objects. The
trajectory is recorded by the optimizer step pre-hook, as everywhere.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_model_state_dict, set_model_state_dict
from torch.distributed.checkpoint.stateful import Stateful

from conformance.harness.dcp import OptimizerState, SchedulerState, dcp_errors, writer
from conformance.harness.errors import calling
from conformance.harness.live import build_scheduler, metric_at
from conformance.harness.recorder import Recorder
from conformance.model.case import Case
from conformance.model.optimizer import model_and_optimizer
from conformance.spec import TargetSpec


class ModelState(Stateful):
    def __init__(self, model) -> None:
        self.model = model

    def state_dict(self):
        return get_model_state_dict(self.model)

    def load_state_dict(self, state_dict) -> None:
        set_model_state_dict(self.model, state_dict)


def train(target: TargetSpec, case: Case, ks: list, stop: Optional[int] = None, save_to: str = "",
          load_from: str = "") -> list:
    """The records of optimizer steps [begin, stop) (begin: 0, or the loaded checkpoint's step).

    At step `stop` the run checkpoints to `save_to` through DCP and ends.
    """
    module, optimizer = model_and_optimizer(case.setup)
    model = torch.nn.parallel.DistributedDataParallel(module) if dist.is_initialized() else module
    scheduler = build_scheduler(target, optimizer, case.config)
    position = {"step": 0, "sched_steps": 0}
    state = {"model": ModelState(model), "optimizer": OptimizerState(model, optimizer),
             "lr_scheduler": SchedulerState(target, scheduler), "train_state": position}
    if load_from:
        with dcp_errors("load"):
            dcp.load(state, checkpoint_id=load_from)
    step, sched_steps = position["step"], position["sched_steps"]
    recorder = Recorder()
    recorder.attach(optimizer, lambda: target.adapter.last_lr(scheduler))
    for n in range(step, len(ks)):
        if n == stop:
            recorder.detach()
            position.update(step=n, sched_steps=sched_steps)
            with dcp_errors("save"):
                dcp.save(state, storage_writer=writer(save_to))
            break
        model(n).backward()
        with calling("optimizer.step"):
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        for _ in range(ks[n]):
            with calling("step"):
                target.adapter.step(scheduler, metric_at(target, case, sched_steps))
            sched_steps += 1
    recorder.detach()
    return recorder.records
