"""Schedulers for the self-tests of what the suite observes besides verdicts.

- where a target's exception is attributed (its `get_last_lr()` or its `step()`),
- the warnings a target emits while the suite runs it,
- a schedule whose lr never changes, which no check can judge.
"""

from __future__ import annotations

import warnings

from torch.optim.lr_scheduler import LRScheduler, StepLR


class _KnowsItWasLoaded(StepLR):
    """A StepLR that remembers whether a checkpoint was loaded into it."""

    def __init__(self, optimizer, step_size=3, gamma=0.5, last_epoch=-1):
        self.loaded = False
        super().__init__(optimizer, step_size, gamma, last_epoch)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.loaded = True


class LastLrRaisesAfterLoad(_KnowsItWasLoaded):
    """A StepLR whose `get_last_lr()` raises once a checkpoint was loaded."""

    def get_last_lr(self):
        if self.loaded:
            raise RuntimeError("no last lr after a load")
        return super().get_last_lr()


class StepRaisesAfterLoad(_KnowsItWasLoaded):
    """A StepLR whose `step()` raises once a checkpoint was loaded."""

    def step(self, epoch=None):
        if getattr(self, "loaded", False):
            raise RuntimeError("no step after a load")
        super().step(epoch)


class WarnsEveryStep(StepLR):
    """A correct StepLR that warns on every step, each message its own (as a chatty library does)."""

    def step(self, epoch=None):
        warnings.warn(f"step {self.last_epoch + 1} of a chatty scheduler", UserWarning)  # WARNS_HERE
        super().step(epoch)


class Constant(LRScheduler):
    """A schedule that keeps every lr where it started: correct, and no check can tell."""

    def get_lr(self):
        return list(self.base_lrs)
