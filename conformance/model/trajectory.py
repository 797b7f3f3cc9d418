"""Trajectory values: one record per `optimizer.step()` (taken by `harness.recorder`).

A record is a tuple over param groups of `(lr, momentum, last_lr)`. Values are
frozen on capture: a tensor becomes `Value(number, dtype, device)`, so a later
in-place change cannot rewrite history, and a float lr that became a tensor
(or changed dtype) counts as a difference.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

import torch

FIELDS = ("lr", "momentum", "last_lr")


class Value(NamedTuple):
    """A tensor scalar, frozen: compared by value, dtype and device."""

    number: float
    dtype: str
    device: str

    def __repr__(self) -> str:
        device = "" if self.device == "cpu" else f", device={self.device}"
        return f"tensor({self.number!r}, dtype={self.dtype}{device})"


def freeze(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return Value(x.item(), str(x.dtype), str(x.device))
    if isinstance(x, (tuple, list)):
        return tuple(freeze(v) for v in x)
    return x


def number(x: Any) -> Optional[float]:
    """The plain number inside a frozen value, for plots and relative errors."""
    if isinstance(x, Value):
        return x.number
    if isinstance(x, (int, float)):
        return float(x)
    return None
