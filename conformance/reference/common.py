"""What every model shares: the optimizer's initial values and per-group config values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from conformance.strategies.callables import stateful_in


class Undefined(ValueError):
    """The docs give no value for this config (e.g. a stateful callable): not judged."""


@dataclass(frozen=True)
class Initial:
    """Per param group, what the optimizer holds before the scheduler is built."""

    lrs: tuple  # floats (a tensor lr as the float it holds)
    momenta: tuple  # momentum or betas[0] per group, None where the group has neither

    @property
    def groups(self) -> int:
        return len(self.lrs)


def per_group(value: Any, groups: int) -> list:
    """A config value given once for all groups, or as a list with one per group."""
    return list(value) if isinstance(value, (list, tuple)) else [value] * groups


def callables(value: Any, groups: int) -> list:
    """An lr_lambda (or list of them), refusing stateful ones: their factor depends on the call count."""
    if stateful_in(value):
        raise Undefined("a stateful callable: its value is not a function of the epoch, so the docs give "
                        "no schedule for it (its resume is judged by the resume checks)")
    return per_group(value, groups)


def unchanged(initial: Initial, lrs: list, momenta: Optional[list] = None) -> list:
    """One epoch's record: `lrs` per group, with the given momenta or the optimizer's own."""
    moms = momenta if momenta is not None else [None] * len(lrs)
    return [(lr, m) for lr, m in zip(lrs, moms)]


def cos_anneal(start: float, end: float, progress: float) -> float:
    """From `start` (progress 0) to `end` (progress 1) along half a cosine."""
    return end + (start - end) * (1.0 + math.cos(math.pi * progress)) / 2.0


def lin_anneal(start: float, end: float, progress: float) -> float:
    return start + (end - start) * progress
