"""The decay families: StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
CosineAnnealingLR's factor, LambdaLR and MultiplicativeLR.

Each is a `Factor`: the documented multiplier of the initial lr at epoch s
(`factor(s)`), or, for MultiplicativeLR, a multiplier of the current lr per
step. Alone, a scheduler holds `initial lr * factor(t)` (the docs' examples:
"Assuming optimizer uses lr = 0.05 ... lr = 0.005 if 30 <= epoch < 60").
The composites (`composite.py`) also need their documented chainable reading:
"such decay can happen simultaneously with other changes to the learning rate
from outside this scheduler", i.e. each step multiplies whatever lr the group
holds by factor(s) / factor(s-1); LambdaLR is the exception, documented as
setting the lr to "the initial lr times a given function".

Readings where the docs are ambiguous:
- MultiStepLR: "Must be increasing"; a repeated milestone decays once per listing.
- LinearLR: "start_factor: the number we multiply learning rate in the first
  epoch" and "end_factor ... at the end of linear changing process" after
  total_iters: factor(s) = start + (end - start) * min(s, T) / T. (The
  docstring's example lists lr 0.003687 at epoch 0, which is this factor at
  epoch 1: the example is one epoch ahead of its own argument text; so is
  PolynomialLR's, 0.0490 at epoch 0.)
- PolynomialLR: no formula in the docstring; "decays ... using a polynomial
  function in the given total_iters": factor(s) = (1 - min(s, T) / T) ** power,
  1 at epoch 0 and 0 from total_iters on.
- MultiplicativeLR: the step into epoch s multiplies by lr_lambda(s) (the
  function is "given an integer parameter epoch": the epoch being entered);
  epoch 0 keeps the initial lr ("When last_epoch=-1, set initial lr as lr").
"""

from __future__ import annotations

import math
from typing import Callable, Optional

from conformance.reference.common import Initial, Undefined, callables, per_group, unchanged


class Factor:
    """A documented multiplier of the initial lr; `relative` ones multiply the current lr instead."""

    relative = False

    def factor(self, s: int) -> float:
        raise NotImplementedError

    def alone(self, base: float, s: int) -> float:
        """The lr at epoch s of this scheduler alone."""
        return base * self.factor(s)

    def begin(self, current: float, base: float) -> float:
        """Chained: what construction (epoch 0) does to the lr the group holds."""
        return current * self.factor(0)

    def amplification(self, s: int) -> float:
        """How much the step into epoch s multiplies an error in the lr it is given, against the
        schedule's scale: 1 for a factor (the error scales with the value)."""
        return 1.0

    def advance(self, current: float, base: float, s: int) -> float:
        """Chained: the step into epoch s, on the lr the group holds."""
        before, after = self.factor(s - 1), self.factor(s)
        if after == before:
            return current
        if before == 0.0:
            raise Undefined("a chained factor that was 0 becomes nonzero: the product's other factors are lost")
        return current * (after / before)


class Step(Factor):
    def __init__(self, c: dict) -> None:
        self.size, self.gamma = c["step_size"], c.get("gamma", 0.1)

    def factor(self, s: int) -> float:
        return self.gamma ** (s // self.size)


class MultiStep(Factor):
    def __init__(self, c: dict) -> None:
        self.milestones, self.gamma = list(c["milestones"]), c.get("gamma", 0.1)

    def factor(self, s: int) -> float:
        return self.gamma ** sum(1 for m in self.milestones if m <= s)


class Constant(Factor):
    def __init__(self, c: dict) -> None:
        self.f, self.total = c.get("factor", 1.0 / 3), c.get("total_iters", 5)

    def factor(self, s: int) -> float:
        # "lr = 0.025 if epoch == 0 ... lr = 0.05 if epoch >= 40" for factor=0.5, total_iters=40
        return self.f if s < self.total else 1.0


class Linear(Factor):
    def __init__(self, c: dict) -> None:
        self.start, self.end = c.get("start_factor", 1.0 / 3), c.get("end_factor", 1.0)
        self.total = c.get("total_iters", 5)

    def factor(self, s: int) -> float:
        if self.total <= 0:
            return self.end
        return self.start + (self.end - self.start) * min(s, self.total) / self.total


class Exponential(Factor):
    def __init__(self, c: dict) -> None:
        self.gamma = c["gamma"]

    def factor(self, s: int) -> float:
        return self.gamma**s


class Polynomial(Factor):
    def __init__(self, c: dict) -> None:
        self.total, self.power = c.get("total_iters", 5), c.get("power", 1.0)

    def factor(self, s: int) -> float:
        return (1.0 - min(s, self.total) / self.total) ** self.power


class Cosine(Factor):
    """CosineAnnealingLR: the docs' closed form, T_cur = t ("without restarts", so past T_max it rises again).

    Chained, the docs' recursive form: eta_{t+1} = eta_min + (eta_t - eta_min) *
    (1 + cos((t+1) pi / T_max)) / (1 + cos(t pi / T_max)). Where its denominator
    is 0 (t an odd multiple of T_max) the recursion is undefined; there the
    closed form's own increment is added (the recursion "approximates" it).
    """

    def __init__(self, c: dict) -> None:
        self.t_max, self.eta_min = c["T_max"], c.get("eta_min", 0.0)

    def alone(self, base: float, s: int) -> float:
        return self.eta_min + (base - self.eta_min) * (1.0 + math.cos(math.pi * s / self.t_max)) / 2.0

    def begin(self, current: float, base: float) -> float:
        return current

    def amplification(self, s: int) -> float:
        """The recursion multiplies lr - eta_min by its ratio: past T_max, where lr is near eta_min, a
        rounding error of lr grows by up to 2 T_max^2 / pi^2 (1 with eta_min 0: then it is a factor)."""
        below = 1.0 + math.cos(math.pi * (s - 1) / self.t_max)
        if self.eta_min == 0 or abs(below) < 1e-12:
            return 1.0
        return abs((1.0 + math.cos(math.pi * s / self.t_max)) / below)

    def advance(self, current: float, base: float, s: int) -> float:
        below = 1.0 + math.cos(math.pi * (s - 1) / self.t_max)
        if abs(below) < 1e-12:
            return current + self.alone(base, s) - self.alone(base, s - 1)
        above = 1.0 + math.cos(math.pi * s / self.t_max)
        return self.eta_min + (current - self.eta_min) * above / below


class Lambda(Factor):
    """LambdaLR: "the learning rate of each parameter group is set to the initial lr times a given function"."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def factor(self, s: int) -> float:
        return self.fn(s)

    def begin(self, current: float, base: float) -> float:
        return base * self.fn(0)

    def advance(self, current: float, base: float, s: int) -> float:
        return base * self.fn(s)


class Multiplicative(Factor):
    relative = True

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def alone(self, base: float, s: int) -> float:
        lr = base
        for k in range(1, s + 1):
            lr *= self.fn(k)
        return lr

    def begin(self, current: float, base: float) -> float:
        return current

    def advance(self, current: float, base: float, s: int) -> float:
        return current * self.fn(s)


SIMPLE = {"StepLR": Step, "MultiStepLR": MultiStep, "ConstantLR": Constant, "LinearLR": Linear,
          "ExponentialLR": Exponential, "PolynomialLR": Polynomial, "CosineAnnealingLR": Cosine}


def factors(name: str, config: dict, groups: int) -> Optional[list]:
    """One `Factor` per group for a decay family (None for another scheduler)."""
    if name in SIMPLE:
        return [SIMPLE[name](config)] * groups
    if name == "LambdaLR":
        return [Lambda(f) for f in callables(config["lr_lambda"], groups)]
    if name == "MultiplicativeLR":
        return [Multiplicative(f) for f in callables(config["lr_lambda"], groups)]
    return None


def _model(name: str):
    def model(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
        fs = factors(name, config, initial.groups)
        out, lrs = [], list(initial.lrs)
        for t in range(steps):
            if name == "MultiplicativeLR":  # step by step: a factor per epoch, each called once
                if t > 0:
                    lrs = [f.advance(lr, b, t) for f, lr, b in zip(fs, lrs, initial.lrs)]
            else:
                lrs = [f.alone(b, t) for f, b in zip(fs, initial.lrs)]
            out.append(unchanged(initial, lrs))
        return out

    return model


MODELS = {name: _model(name) for name in (*SIMPLE, "LambdaLR", "MultiplicativeLR")}
__all__ = ["MODELS", "Factor", "factors", "per_group"]
