"""The recorder: an optimizer step pre-hook that appends one trajectory record per step.

A record is a tuple over param groups of `(lr, momentum, last_lr)`, each value
frozen on capture (see `conformance.model.trajectory`).
"""

from __future__ import annotations

from conformance.model.optimizer import momentum_of
from conformance.model.trajectory import freeze


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
