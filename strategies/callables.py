"""Picklable callable objects and plain functions used inside configs.

LambdaLR and MultiplicativeLR save a callable object's `__dict__` but not a
plain function; CyclicLR does the same for `scale_fn`. Three kinds are drawn:
plain functions (documented as not saved), objects with fixed attributes, and
stateful objects (`STATEFUL = True`) whose attributes change as they are
called, so that a scheduler which stops saving or restoring a callable
object's `__dict__` diverges on resume. Each repr is valid Python given
`from conformance.strategies.callables import *`, and holds the state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Warmup:
    """Linear warmup over `steps`, then 1."""

    steps: int

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.steps)


@dataclass
class StepDecay:
    """`gamma ** (epoch // every)`."""

    every: int
    gamma: float

    def __call__(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.every)


@dataclass
class InverseSqrt:
    """1 during `warmup`, then `sqrt(warmup / epoch)`."""

    warmup: int

    def __call__(self, epoch: int) -> float:
        return 1.0 if epoch < self.warmup else math.sqrt(self.warmup / epoch)


@dataclass
class ConstantFactor:
    """A multiplicative factor applied every epoch."""

    factor: float

    def __call__(self, epoch: int) -> float:
        return self.factor


@dataclass
class EveryN:
    """`factor` on every `n`-th epoch, else 1."""

    n: int
    factor: float

    def __call__(self, epoch: int) -> float:
        return self.factor if epoch % self.n == 0 else 1.0


@dataclass
class ExpScale:
    """CyclicLR scale_fn: `gamma ** x`."""

    gamma: float

    def __call__(self, x: float) -> float:
        return self.gamma**x


# --- stateful: attributes that change as they are called --------------------


@dataclass
class CountingWarmup:
    """Stateful lr_lambda: warms up over its own call count (`calls`), not the epoch it is given."""

    steps: int
    calls: int = 0
    STATEFUL = True

    def __call__(self, epoch: int) -> float:
        self.calls += 1
        return min(1.0, self.calls / self.steps)


@dataclass
class AdaptiveFactor:
    """Stateful MultiplicativeLR factor: `factor`, which itself shrinks by `rate` at every call."""

    factor: float
    rate: float
    STATEFUL = True

    def __call__(self, epoch: int) -> float:
        current = self.factor
        self.factor = 1.0 - (1.0 - self.factor) * self.rate
        return current


@dataclass
class DampedScale:
    """Stateful CyclicLR scale_fn: `gamma ** x`, damped by `damping` once per call."""

    gamma: float
    damping: float
    scale: float = 1.0
    STATEFUL = True

    def __call__(self, x: float) -> float:
        self.scale *= self.damping
        return self.gamma**x * self.scale


def stateful_in(value) -> bool:
    """Whether a config (or any value inside it: child configs, lists) holds a stateful callable."""
    if getattr(type(value), "STATEFUL", False):
        return True
    if isinstance(value, dict):
        return any(stateful_in(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(stateful_in(v) for v in value)
    return False


def linear_to_zero_at_300(epoch: int) -> float:
    return max(0.0, 1.0 - epoch / 300)


def cosine_300(epoch: int) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * min(epoch, 300) / 300))


def decay_0_99(epoch: int) -> float:
    return 0.99


def halve_every_7(epoch: int) -> float:
    return 0.5 if epoch and epoch % 7 == 0 else 1.0


def triangular_halving(x: float) -> float:
    return 1.0 / (2.0 ** (x - 1))
