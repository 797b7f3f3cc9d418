"""Schedulers made for the `serialization.*` self-tests, each broken in one way users meet."""

from __future__ import annotations

from torch.optim.lr_scheduler import LRScheduler

from selftests.broken_recipes import ClosedFormStepLR


class PoppingLR(ClosedFormStepLR):
    """Broken for `no_mutation` and `load_twice`: load_state_dict pops a key from the given dict.

    This is what torch's CyclicLR does with '_scale_fn_custom'.
    """

    def state_dict(self):
        return {**super().state_dict(), "extra": {"note": 1}}

    def load_state_dict(self, state_dict):
        extra = state_dict.pop("extra")
        super().load_state_dict(state_dict)
        self.extra = extra


class AliasingLR(LRScheduler):
    """Broken for `delayed`, `no_mutation` and `load_twice`: its state holds a live list.

    Progress lives in a one-element list changed in place; the default
    state_dict() returns that very list, and load_state_dict() adopts the
    given one, so whoever holds a state dict sees it move.
    """

    def __init__(self, optimizer, gamma=0.5, last_epoch=-1):
        self.gamma, self.progress = gamma, [-1]
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        self.progress[0] += 1
        return [base * self.gamma ** self.progress[0] for base in self.base_lrs]


WARMING_UP = "warming up (state value compared by identity)"
DECAYING = "decaying (state value compared by identity)"


class IdentityStateLR(ClosedFormStepLR):
    """Broken for `deepcopy`: it compares a state value by identity.

    copy.deepcopy keeps the very same string object, a file round trip makes
    an equal but new one, so the two resumes take different branches.
    """

    def __init__(self, optimizer, step_size=2, gamma=0.5, last_epoch=-1):
        self.phase = WARMING_UP
        super().__init__(optimizer, step_size, gamma, last_epoch)

    def get_lr(self):
        if self.last_epoch >= self.step_size:
            self.phase = DECAYING
        if self.phase is WARMING_UP:
            return [base * (self.last_epoch + 1) / self.step_size for base in self.base_lrs]
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]
