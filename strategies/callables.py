"""Picklable callable objects and plain functions used inside configs.

LambdaLR and MultiplicativeLR save a callable object's `__dict__` but not a
plain function; CyclicLR does the same for `scale_fn`. Both kinds are drawn.
Each repr is valid Python given `from conformance.strategies.callables import *`.
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
