"""Schedulers made for the `placement.*` self-tests.

They count optimizer steps themselves (a post-hook on the optimizer), the way
per-batch warmup schedulers do. The broken one saves the count as of its last
`step()`, so a mid-epoch checkpoint loses the batches already done.
"""

from __future__ import annotations

from hypothesis import strategies as st
from torch.optim.lr_scheduler import LRScheduler

from conformance.model.case import Case, Plan
from conformance.model.loop import Loop
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import TargetSpec


class BatchCountingLR:
    """Correct: lr = base * gamma ** (optimizer steps // every), applied at each step()."""

    def __init__(self, optimizer, every=3, gamma=0.5):
        self.optimizer, self.every, self.gamma = optimizer, every, gamma
        self.base_lrs = [g["lr"] for g in optimizer.param_groups]
        self.count = self.count_at_step = 0
        optimizer.register_step_post_hook(self._count)
        self._apply()

    def _count(self, optimizer, args, kwargs):
        self.count += 1

    def _apply(self):
        factor = self.gamma ** (self.count // self.every)
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = base * factor
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def step(self):
        self.count_at_step = self.count
        self._apply()

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {"count": self.count, "base_lrs": self.base_lrs, "last_lr": self._last_lr}

    def load_state_dict(self, state):
        self.count, self.base_lrs, self._last_lr = state["count"], list(state["base_lrs"]), list(state["last_lr"])


class EpochRoundingLR(BatchCountingLR):
    """Broken: saves the count as of the last step(), i.e. rounded down to the epoch start.

    Harmless when every iteration ends with a scheduler step (per_step); a
    mid-epoch resume loses the batches already done in that epoch.
    """

    def state_dict(self):
        return {**super().state_dict(), "count": self.count_at_step}


class SilencedLR(LRScheduler):
    """Broken for the order warning: marks the optimizer as stepped, which silences torch's check."""

    def __init__(self, optimizer, gamma=0.5):
        self.gamma = gamma
        super().__init__(optimizer)
        optimizer._opt_called = True

    def get_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class ConstantLRScheduler(LRScheduler):
    """Correct and constant: every placement pitfall is harmless."""

    def get_lr(self):
        return list(self.base_lrs)


def spec(cls) -> TargetSpec:
    if cls is ConstantLRScheduler:
        configs = lambda groups: st.just({})  # noqa: E731
    elif cls is SilencedLR:
        configs = lambda groups: st.fixed_dictionaries({"gamma": st.sampled_from([0.5, 0.9])})  # noqa: E731
    else:
        configs = lambda groups: st.fixed_dictionaries(  # noqa: E731
            {"every": st.integers(1, 5), "gamma": st.sampled_from([0.5, 0.9])})
    return TargetSpec(name=cls.__name__, build=lambda optimizer, config: cls(optimizer, **config),
                      configs=configs)


def mid_epoch_case(cls=BatchCountingLR) -> Case:
    """3 batches per epoch, every 3 optimizer steps, interrupted after 1 batch of epoch 1."""
    config = {"every": 3, "gamma": 0.5}
    return Case(OptimizerSetup("SGD", (1.0,)), config, Plan(4, (4,)), Loop("per_epoch", batches=3))
