"""Schedulers with the APIs real libraries ship, loaded by a plain `--target` (selftests/test_real_apis.py).

- told the position: `step(epoch)` (timm-style, int only: the epoch seeds the
  noise) and `step(num_updates)`; one forgets its own warmup count on load;
- a resume position under another name: `last_iter`; one ignores it;
- `TargetSpec.infer` partial specs: only the adapter given.
"""

from __future__ import annotations

import math

import torch

from conformance.adapters import counter
from conformance.spec import TargetSpec


def _set(optimizer, lrs) -> list:
    for group, lr in zip(optimizer.param_groups, lrs):
        group["lr"] = lr
    return list(lrs)


class _WholeState:
    """Saves everything but the optimizer; reports the lrs it last set."""

    def get_last_lr(self):
        return list(self._last)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state):
        self.__dict__.update(state)


class EpochStepDecay(_WholeState):
    """Correct, told the epoch: lr = base * gamma ** (epoch // every), times a noise seeded by the epoch."""

    def __init__(self, optimizer, every: int = 3, gamma: float = 0.5, noise: float = 0.0, seed: int = 42):
        self.optimizer, self.every, self.gamma, self.noise, self.seed = optimizer, every, gamma, noise, seed
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self._last = self._apply(0)

    def _apply(self, epoch: int) -> list:
        factor = self.gamma ** (epoch // self.every)
        if self.noise:
            g = torch.Generator().manual_seed(self.seed + epoch)  # raises for a float epoch, as timm's does
            factor *= 1 + self.noise * float(torch.rand(1, generator=g))
        return _set(self.optimizer, [base * factor for base in self.base_lrs])

    def step(self, epoch, metric=None):
        self._last = self._apply(epoch)


class UpdateCosine:
    """Correct, told the update count: cosine from base to 0 over `total` updates, then held."""

    def __init__(self, optimizer, total: int = 12):
        self.optimizer, self.total = optimizer, total
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self._last = list(self.base_lrs)

    def step(self, num_updates):
        t = min(num_updates, self.total) / self.total
        self._last = _set(self.optimizer, [b * 0.5 * (1 + math.cos(math.pi * t)) for b in self.base_lrs])

    def get_last_lr(self):
        return list(self._last)

    def state_dict(self):
        return {"total": self.total, "base_lrs": list(self.base_lrs), "_last": list(self._last)}

    def load_state_dict(self, state):
        self.total, self.base_lrs, self._last = state["total"], list(state["base_lrs"]), list(state["_last"])


class EpochWarmupForgetsCalls(EpochStepDecay):
    """Broken: warms up over its first `warmup` calls, counted by itself and not saved: a resume warms up again."""

    def __init__(self, optimizer, every: int = 3, gamma: float = 0.5, warmup: int = 4):
        self.calls, self.warmup = 0, warmup
        super().__init__(optimizer, every, gamma)

    def step(self, epoch, metric=None):
        self.calls += 1
        lrs = self._apply(epoch)
        if self.calls < self.warmup:
            lrs = _set(self.optimizer, [lr * self.calls / self.warmup for lr in lrs])
        self._last = lrs

    def state_dict(self):
        return {k: v for k, v in super().state_dict().items() if k != "calls"}


class LastIterWarmup(_WholeState):
    """Correct: linear warmup over `warmup` iterations, then `gamma` every `every`; resumes by state or by
    `last_iter=k-1` on an optimizer that holds 'initial_lr' (DeepSpeed/mmcv-style name for `last_epoch`)."""

    def __init__(self, optimizer, warmup: int = 3, every: int = 4, gamma: float = 0.5, last_iter: int = -1):
        if warmup < 0 or every < 1:
            raise ValueError("warmup must be >= 0 and every >= 1")
        self.optimizer, self.warmup, self.every, self.gamma = optimizer, warmup, every, gamma
        for group in optimizer.param_groups:
            if last_iter == -1:
                lr = group["lr"]
                group["initial_lr"] = lr.clone() if isinstance(lr, torch.Tensor) else lr
            elif "initial_lr" not in group:
                raise KeyError("resuming with last_iter needs 'initial_lr' in every param group")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.it = self._start(last_iter)
        self._last = self._apply()

    def _start(self, last_iter: int) -> int:
        return last_iter + 1

    def _apply(self) -> list:
        t = self.it
        factor = (t + 1) / (self.warmup + 1) if t < self.warmup else self.gamma ** ((t - self.warmup) // self.every)
        return _set(self.optimizer, [base * factor for base in self.base_lrs])

    def step(self):
        self.it += 1
        self._last = self._apply()


class LastIterIgnored(LastIterWarmup):
    """Broken for the constructor recipe only: takes `last_iter` and starts from 0 anyway."""

    def _start(self, last_iter: int) -> int:
        return 0


class StepUpdateOnly(UpdateCosine):
    """A non-standard API: stepped only by `step_update(num_updates)` (its `step()` does nothing)."""

    def step(self, num_updates=None):
        pass

    def step_update(self, num_updates):
        super().step(num_updates)


PARTIAL = TargetSpec.infer(StepUpdateOnly, adapter=counter("step_update"))
