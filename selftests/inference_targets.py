"""User-like scheduler classes for selftests/test_inference.py, loaded by `--target` as a user's would.

Correct ones have required, bool, Literal and Enum arguments; broken ones
resume exactly with their defaults and diverge only for other values, so
only inferred configs catch them; two can't be inferred; the module's last
objects are the wrong kinds of `--target`.
"""

from __future__ import annotations

import enum
import math
from typing import Callable, Literal

import torch
from torch.optim.lr_scheduler import StepLR

from selftests.controls import MetricHalving, StepDecay


class RequiredStepDecay(StepDecay):
    """Correct: lr = initial_lr * gamma ** (t // step_size), with a required step size."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.5, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"step_size must be >= 1, got {step_size}")
        super().__init__(optimizer, step_size, gamma, last_epoch)


class Shape(enum.Enum):
    LINEAR = "linear"
    COSINE = "cosine"


class Warmup:
    """Correct: warms up over `period` steps (up or down, linear or cosine), repeating if `restart`."""

    def __init__(self, optimizer, period: int = 5, direction: Literal["up", "down"] = "up",
                 shape: Shape = Shape.LINEAR, restart: bool = False):
        if period < 1:
            raise ValueError("period must be >= 1")
        self.optimizer, self.period, self.direction = optimizer, period, direction
        self.shape, self.restart, self.t = shape, restart, 0
        self.base = [group["lr"] for group in optimizer.param_groups]
        self._apply()

    def _factor(self) -> float:
        t = self.t % self.period if self.restart else min(self.t, self.period)
        x = t / self.period
        if self.shape is Shape.COSINE:
            x = 0.5 * (1 - math.cos(math.pi * x))
        return 0.1 + 0.9 * (x if self.direction == "up" else 1 - x)

    def _apply(self):
        self._last = [b * self._factor() for b in self.base]
        for group, lr in zip(self.optimizer.param_groups, self._last):
            group["lr"] = lr

    def step(self):
        self.t += 1
        self._apply()

    def get_last_lr(self):
        return list(self._last)

    def state_dict(self):
        return {"t": self.t, "period": self.period, "direction": self.direction, "shape": self.shape.value,
                "restart": self.restart, "base": list(self.base)}

    def load_state_dict(self, state):
        self.t, self.period, self.direction = state["t"], state["period"], state["direction"]
        self.shape, self.restart, self.base = Shape(state["shape"]), state["restart"], list(state["base"])
        self._apply()


class PatientHalving(MetricHalving):
    """Correct, metric-driven: multiplies lrs by `factor` after `patience` steps without a new best."""

    def __init__(self, optimizer, patience: int, factor: float = 0.5):
        if not 0 < factor <= 1:
            raise ValueError("factor must be in (0, 1]")
        super().__init__(optimizer, patience)
        self.factor = factor

    def state_dict(self):
        return {**super().state_dict(), "patience": self.patience, "factor": self.factor}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.patience, self.factor = state["patience"], state["factor"]


class SavesDecayCount(StepDecay):
    """Broken only for step_size > 1: saves the number of decays, not the step, so a resume restarts the interval."""

    def __init__(self, optimizer, step_size: int = 1, gamma: float = 0.5):
        super().__init__(optimizer, step_size, gamma)

    def state_dict(self):
        return {"decays": self.t // self.every, "every": self.every, "gamma": self.gamma,
                "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.every, self.gamma, self.base_lrs = state["every"], state["gamma"], list(state["base_lrs"])
        self.t = state["decays"] * self.every
        self._last = self._values()


class GammaResetOnLoad(StepDecay):
    """Broken only for gamma != 0.5: never saves gamma, and load_state_dict() resets it to the default."""

    def __init__(self, optimizer, every: int = 3, gamma: float = 0.5):
        super().__init__(optimizer, every, gamma)

    def state_dict(self):
        return {"t": self.t, "every": self.every, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.t, self.every, self.base_lrs = state["t"], state["every"], list(state["base_lrs"])
        self.gamma = 0.5
        self._last = self._values()


class NeedsSchedule(StepDecay):
    """Can't be inferred: its required argument is a callable."""

    def __init__(self, optimizer, schedule: Callable[[int], float], every: int = 3):
        self.schedule = schedule
        super().__init__(optimizer, every)


class Untyped(StepDecay):
    """Can't be inferred: its required argument has neither an annotation nor a default."""

    def __init__(self, optimizer, interval):
        super().__init__(optimizer, interval)


class SubclassedStepLR(StepLR):
    """A user's subclass of a built-in: inferred from its signature, not the built-in's record."""


# The wrong kinds of object, each of which must get one clear message.
OPTIMIZER = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
SCHEDULER = StepLR(OPTIMIZER, step_size=3)
NAME = "torch.optim.lr_scheduler:StepLR"


class StepLR(StepDecay):
    """A user's own class that happens to share a built-in's name."""
