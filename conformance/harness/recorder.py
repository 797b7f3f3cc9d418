"""The recorder: an optimizer step pre-hook that appends one trajectory record per step.

A record is a tuple over param groups of `(lr, momentum, last_lr)`, each value
frozen on capture (see `conformance.model.trajectory`).
"""

from __future__ import annotations

from conformance.harness import observation
from conformance.harness.errors import calling
from conformance.model.optimizer import momentum_of
from conformance.model.trajectory import freeze


READ_LAST_LR = "get_last_lr"  # the phase of an exception the reader raises (the adapter's last_lr)


def _nth(values, i):
    return values[i] if i < len(values) else "<missing>"


class Recorder:
    """Appends one record per optimizer step of whichever optimizer is attached.

    The last-lr reader is called just before each step, as a loop that logs
    `scheduler.get_last_lr()` would; what it raises is the target's, in
    `get_last_lr()` (not in the optimizer.step() that runs the hook).
    """

    def __init__(self) -> None:
        self.records: list[tuple] = []
        self._read_last_lr = lambda: None
        self._handle = None
        self._moved = False  # an lr or momentum changed since the first record

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
        with calling(READ_LAST_LR):
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
        self._observe_movement()

    def _observe_movement(self) -> None:
        """Tell the current observation (`harness.observation`) of a new trajectory, and when it first moves."""
        if len(self.records) == 1:
            observation.trajectory_started()
        elif not self._moved and _schedule(self.records[-1]) != _schedule(self.records[0]):
            self._moved = True
            observation.trajectory_moved()


def _schedule(record: tuple) -> list:
    """The values a schedule sets, per group: (lr, momentum)."""
    return [(lr, momentum) for lr, momentum, _ in record]
