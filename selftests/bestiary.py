"""Deliberately broken schedulers, each breaking the resume promise in its own way.

Each is a plain class loaded with `--target selftests.bestiary:NAME`, a copy of
the correct `selftests.controls.StepDecay` with one mistake. `EXPECTED` maps
each to the check that must catch it and the verdict it must get;
selftests/test_bestiary.py runs them end to end.
"""

from __future__ import annotations

import itertools

import torch
from hypothesis import strategies as st
from torch.optim.lr_scheduler import StepLR

from conformance.spec import Capabilities, TargetSpec
from selftests.controls import StepDecay


class ForgetsStepCount(StepDecay):
    """state_dict() leaves out the step counter, so a resumed schedule restarts."""

    def state_dict(self):
        return {"every": self.every, "gamma": self.gamma, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.base_lrs = list(state["base_lrs"])


class OffByOneOnLoad(StepDecay):
    """load_state_dict() resumes one step ahead of the checkpoint."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.t += 1


class BaseLrFromCurrentLr(StepDecay):
    """On load, takes the base lrs from the optimizer's current (decayed) lr instead of initial_lr."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.base_lrs = [group["lr"] for group in self.optimizer.param_groups]


class LastEpochIgnoresInitialLr(StepDecay):
    """Built with last_epoch=k-1, it takes the base lrs from the current lr, not initial_lr."""

    def __init__(self, optimizer, every=3, gamma=0.5, last_epoch=-1):
        super().__init__(optimizer, every, gamma, last_epoch)
        if last_epoch != -1:
            self.base_lrs = [group["lr"] for group in optimizer.param_groups]
            self._apply()


class ConstructorArgsWin(StepDecay):
    """Its interval grows after each decay, but load_state_dict() keeps the constructor's interval."""

    def step(self):
        super().step()
        if self.t % self.every == 0:
            self.every += 1
            self.t = 0
            self.base_lrs = [v for v in self._last]

    def load_state_dict(self, state):
        every = self.every
        super().load_state_dict(state)
        self.every = every


class UnsavedRng(StepDecay):
    """Seeds its jitter generator from torch's global RNG at construction and never saves it."""

    def __init__(self, optimizer):
        seed = int(torch.randint(0, 2**31, ()))
        self.gen = torch.Generator().manual_seed(seed)
        self.jitter = 1.0
        super().__init__(optimizer)

    def _values(self):
        return [v * self.jitter for v in super()._values()]

    def step(self):
        self.jitter = 1.0 + 0.1 * torch.rand((), generator=self.gen).item()
        super().step()

    def state_dict(self):
        return {**super().state_dict(), "jitter": self.jitter}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.jitter = state["jitter"]


class Phase:
    """A custom class in the state: torch.load(weights_only=True) refuses it."""

    def __init__(self, t):
        self.t = t


class NeedsUnsafeUnpickling(StepDecay):
    """Keeps a custom class instance in its state_dict(), which weights_only loading refuses."""

    def state_dict(self):
        return {**super().state_dict(), "phase": Phase(self.t)}


class UnsafeAndOffByOne(NeedsUnsafeUnpickling):
    """Two root causes: a custom class in its state, and a resume one step ahead of the checkpoint."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.t += 1


class NoStateDict:
    """Has no state_dict() at all: a checkpoint cannot hold it, and a resume restarts the schedule."""

    def __init__(self, optimizer, every=3, gamma=0.5):
        self.optimizer, self.every, self.gamma, self.t = optimizer, every, gamma, 0
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        self.t += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * self.gamma ** (self.t // self.every)


class OffByOneClosedForm(StepLR):
    """Correct when stepped with step(); its closed form, used by step(epoch), is one step ahead."""

    def _get_closed_form_lr(self):
        return [base * self.gamma ** ((self.last_epoch + 1) // self.step_size) for base in self.base_lrs]


_CHECKPOINTED_T: dict = {}  # module-level: survives an in-process resume, not a new process


class GlobalCheckpoint(StepDecay):
    """Keeps its step count in a module global at state_dict() and reads it back on load: lost in a new process."""

    def state_dict(self):
        _CHECKPOINTED_T["t"] = self.t
        return {k: v for k, v in super().state_dict().items() if k != "t"}

    def load_state_dict(self, state):
        super().load_state_dict({**state, "t": _CHECKPOINTED_T.get("t", 0)})


_WARMED_UP = {"done": False}  # set once any scheduler of the class finished its warmup, in this interpreter


class WarmupFlagGlobal(StepDecay):
    """Ramps up for `every` steps, then decays, but "warmup is over" lives in a module global: lost in a new process."""

    def step(self):
        self.t += 1
        if self.t == self.every:
            _WARMED_UP["done"] = True  # set while stepping through the warmup's end, never on load
        self._apply()

    def _warmed_up(self) -> bool:
        return _WARMED_UP["done"]

    def _values(self):
        if self.t < self.every or not self._warmed_up():
            return [base * (self.t + 1) / (self.every + 1) for base in self.base_lrs]
        return [base * self.gamma ** (self.t - self.every + 1) for base in self.base_lrs]


class WarmupFlagClassAttr(WarmupFlagGlobal):
    """As WarmupFlagGlobal, with "warmup is over" in a class attribute: lost in a new process."""

    warmed_up = False

    def step(self):
        self.t += 1
        if self.t == self.every:
            type(self).warmed_up = True
        self._apply()

    def _warmed_up(self) -> bool:
        return type(self).warmed_up


class LazyDecays(StepDecay):
    """Counts decays in a dict it fills as it goes: DCP loads into the fresh (empty) dict and drops them."""

    def __init__(self, optimizer):
        self.decays = {}
        super().__init__(optimizer)

    def step(self):
        self.t += 1
        if self.t % self.every == 0:
            self.decays[self.t] = 1
        self._apply()

    def _values(self):
        return [base * self.gamma ** len(self.decays) for base in self.base_lrs]

    def state_dict(self):
        return {**super().state_dict(), "decays": dict(self.decays)}

    def load_state_dict(self, state):
        self.decays = dict(state["decays"])
        super().load_state_dict(state)


class MilestoneFactors(StepDecay):
    """Keeps a factor per milestone in a dict: DCP resumes into fewer milestones with the checkpoint's factors."""

    def __init__(self, optimizer, factors=None):
        self.factors = dict(factors or {"2": 0.5})
        super().__init__(optimizer)

    def _values(self):
        scale = 1.0
        for milestone, factor in self.factors.items():
            scale *= factor if self.t >= int(milestone) else 1.0
        return [base * scale for base in self.base_lrs]

    def state_dict(self):
        return {**super().state_dict(), "factors": dict(self.factors)}

    def load_state_dict(self, state):
        self.factors = dict(state["factors"])
        super().load_state_dict(state)


# Its milestones are strings (DCP keys); `mismatch.*` varies `factors` only.
MILESTONE_FACTORS = TargetSpec(
    "MilestoneFactors",
    build=lambda optimizer, config: MilestoneFactors(optimizer, **config),
    configs=lambda groups: st.sampled_from([{"factors": {"2": 0.5, "4": 0.5}}, {"factors": {"2": 0.9}}]),
    hyperparameters=("factors",),
    source="selftests.bestiary:MILESTONE_FACTORS",
)


class RankZeroState(StepDecay):
    """Gives its state on rank 0 only ("the main process saves"): on 2 ranks, rank 1 restores nothing."""

    def state_dict(self):
        if torch.distributed.is_initialized() and torch.distributed.get_rank() != 0:
            return {}
        return super().state_dict()

    def load_state_dict(self, state):
        if state:
            super().load_state_dict(state)


class ShrinkRescales(StepDecay):
    """Saves its world size and, resumed on fewer ranks, scales its step count up by the ratio (as if per rank)."""

    def state_dict(self):
        return {**super().state_dict(), "world": _world()}

    def load_state_dict(self, state):
        saved, now = int(state.get("world", 1)), _world()
        super().load_state_dict({**state, "t": state["t"] * saved // now if now < saved else state["t"]})


def _world() -> int:
    return torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1


_built = itertools.count()


class GlobalCounter(StepDecay):
    """Each new instance starts further along a module-level counter: two identical runs disagree."""

    def __init__(self, optimizer):
        self.offset = next(_built)
        super().__init__(optimizer)

    def _values(self):
        return [v * 0.99 ** getattr(self, "offset", 0) for v in super()._values()]


class CountsGetLastLr(StepDecay):
    """Each get_last_lr() call nudges the schedule, and the read count is not saved."""

    reads = 0

    def get_last_lr(self):
        self.reads += 1
        return super().get_last_lr()

    def _values(self):
        return [base * self.gamma ** ((self.t + self.reads // 4) // self.every) for base in self.base_lrs]


class MomentumNotRestored(StepDecay):
    """Cycles momentum on its own counter, which load_state_dict() does not restore."""

    def __init__(self, optimizer):
        from conformance.model.optimizer import momentum_of

        if not all(momentum_of(g) for g in optimizer.param_groups):
            raise ValueError("MomentumNotRestored needs an optimizer with momentum or betas")
        self.m_t = 0
        super().__init__(optimizer)

    def step(self):
        self.m_t += 1
        super().step()

    def _apply(self):
        super()._apply()
        m = 0.85 + 0.05 * (getattr(self, "m_t", 0) % 3)
        for group in self.optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (m, group["betas"][1])
            else:
                group["momentum"] = m


class TensorLrBecomesFloat(StepDecay):
    """load_state_dict() writes float(lr) back into the groups, turning a tensor lr into a float."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        for group in self.optimizer.param_groups:
            group["lr"] = float(group["lr"])


class SwappedGroups(StepDecay):
    """load_state_dict() restores the per-group base lrs in reverse order."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.base_lrs = self.base_lrs[::-1]


class ClosedFormOnLoad:
    """Decays chainably (lr *= 0.9) but recomputes lr = base * 0.9**t on load: the last bits differ."""

    def __init__(self, optimizer):
        self.optimizer, self.t = optimizer, 0
        self.base = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        self.t += 1
        for group in self.optimizer.param_groups:
            group["lr"] = group["lr"] * 0.9

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"t": self.t, "base": list(self.base)}

    def load_state_dict(self, state):
        self.t, self.base = state["t"], list(state["base"])
        for group, base in zip(self.optimizer.param_groups, self.base):
            group["lr"] = base * 0.9 ** self.t


class AliasingStateDict(StepDecay):
    """state_dict() returns its live history list, so a checkpoint written later holds later steps."""

    def __init__(self, optimizer):
        self.history = []
        super().__init__(optimizer)

    def step(self):
        super().step()
        self.history.append(self.t)

    def state_dict(self):
        return {**super().state_dict(), "history": self.history}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.history = list(state["history"])
        self.t = len(self.history)
        self._last = self._values()


class LoadConsumesState(StepDecay):
    """load_state_dict() pops the keys it reads, so the same state cannot be loaded twice."""

    def load_state_dict(self, state):
        super().load_state_dict({k: state.pop(k) for k in list(state)})


class StateDictRaises(StepDecay):
    """state_dict() raises once the schedule has started."""

    def state_dict(self):
        if self.t > 0:
            raise RuntimeError("cannot save while the schedule is running")
        return super().state_dict()


class HangsAfterLoad(StepDecay):
    """After a load, step() never returns."""

    loaded = False

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.loaded = True

    def step(self):
        while self.loaded:
            pass
        super().step()


# A plain class only offers the last_epoch recipe (its outcome is a result); this record
# declares it, as a library that documents last_epoch resuming would.
LAST_EPOCH_DECLARED = TargetSpec(
    "LastEpochIgnoresInitialLr",
    build=lambda optimizer, config: LastEpochIgnoresInitialLr(optimizer, **config),
    capabilities=Capabilities(last_epoch_resume=True, accepts_last_epoch=True),
    source="selftests.bestiary:LAST_EPOCH_DECLARED",
)
REFS = {"LastEpochIgnoresInitialLr": "LAST_EPOCH_DECLARED"}  # name -> attribute, when not the class itself

# name -> (the test that catches it, the verdict it must get)
EXPECTED = {
    "ForgetsStepCount": ("test_resume_canonical", "fail"),
    "OffByOneOnLoad": ("test_resume_canonical", "fail"),
    "BaseLrFromCurrentLr": ("test_resume_canonical", "fail"),
    "LastEpochIgnoresInitialLr": ("test_recipe_last_epoch", "fail"),
    "ConstructorArgsWin": ("test_resume_canonical", "fail"),
    "UnsavedRng": ("test_resume_canonical", "fail"),
    "NeedsUnsafeUnpickling": ("test_serialization_weights_only", "fail"),
    "UnsafeAndOffByOne": ("test_resume_canonical", "fail"),
    "NoStateDict": ("test_serialization_weights_only", "error"),
    "GlobalCheckpoint": ("test_resume_fresh_process", "fail"),
    "WarmupFlagGlobal": ("test_resume_fresh_process", "fail"),
    "WarmupFlagClassAttr": ("test_resume_fresh_process", "fail"),
    "LazyDecays": ("test_resume_canonical", "fail"),
    "RankZeroState": ("test_distributed_ranks", "fail"),
    "ShrinkRescales": ("test_distributed_2_to_1", "fail"),
    "OffByOneClosedForm": ("test_consistency_closed_form", "fail"),
    "GlobalCounter": ("test_determinism", "nondeterministic"),
    "CountsGetLastLr": ("test_resume_canonical", "fail"),
    "MomentumNotRestored": ("test_resume_canonical", "fail"),
    "TensorLrBecomesFloat": ("test_resume_canonical", "fail"),
    "SwappedGroups": ("test_resume_canonical", "fail"),
    "ClosedFormOnLoad": ("test_resume_canonical", "fail"),
    "AliasingStateDict": ("test_serialization_delayed", "fail"),
    "LoadConsumesState": ("test_serialization_load_twice", "fail"),
    "StateDictRaises": ("test_resume_canonical", "error"),
    "HangsAfterLoad": ("test_resume_canonical", "error"),
}
