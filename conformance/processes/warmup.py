"""Imported by the fork server before it forks: one short run of a suite-owned schedule, never a target.

The first training run in a new interpreter costs about 0.5 s of torch's lazy
initialisation (the optimizer's first step, DCP's save and load machinery),
against about 0.02 s for the next. Done once in the server, every forked
child starts warm. The schedule here is the suite's own `Constant` (not a
torch scheduler, so no target's code has run); no process group is created.
"""

from __future__ import annotations

import tempfile

import torch

from conformance.harness.ddp import train
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import TargetSpec


class Constant:
    """Keeps every lr as it is: the least a schedule can do."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def step(self):
        pass

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


CONSTANT = TargetSpec("suite warm-up", build=lambda optimizer, config: Constant(optimizer))


def warm_up() -> None:
    torch.set_num_threads(1)  # no intra-op thread pool in the server: its children fork from a single thread
    case = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {}, Plan(3, (1,)))
    with tempfile.TemporaryDirectory(prefix="lrc-warm-") as where:
        train(CONSTANT, case, [1, 1, 1], stop=1, save_to=where)
        train(CONSTANT, case, [1, 1, 1], load_from=where)


warm_up()
