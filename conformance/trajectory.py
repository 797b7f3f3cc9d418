"""Trajectories: one record per `optimizer.step()`, taken by a step pre-hook.

A record is a tuple over param groups of `(lr, momentum, last_lr)`. Values are
frozen on capture: a tensor becomes `Value(number, dtype, device)`, so a later
in-place change cannot rewrite history, and a float lr that became a tensor
(or changed dtype) counts as a difference.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

import torch

from conformance.setup import momentum_of

FIELDS = ("lr", "momentum", "last_lr")


class Value(NamedTuple):
    """A tensor scalar, frozen: compared by value, dtype and device."""

    number: float
    dtype: str
    device: str

    def __repr__(self) -> str:
        return f"tensor({self.number!r}, dtype={self.dtype}, device={self.device})"


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


def _nth(values, i):
    return values[i] if i < len(values) else "<missing>"


class Recorder:
    """Appends one record per optimizer step of whichever optimizer is attached.

    The last-lr reader is called just before each step, as a loop that logs
    `scheduler.get_last_lr()` would.
    """

    def __init__(self) -> None:
        self.records: list[tuple] = []
        self._read_last_lr = lambda: None
        self._handle = None

    def attach(self, optimizer, read_last_lr) -> None:
        if self._handle is not None:
            self._handle.remove()
        self._read_last_lr = read_last_lr
        self._handle = optimizer.register_step_pre_hook(self._hook)

    def detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _hook(self, optimizer, args, kwargs) -> None:
        last = self._read_last_lr()
        self.records.append(
            tuple(
                (
                    freeze(group["lr"]),
                    freeze(momentum_of(group)),
                    None if last is None else freeze(_nth(last, i)),
                )
                for i, group in enumerate(optimizer.param_groups)
            )
        )
