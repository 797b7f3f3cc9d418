"""Schedulers made for the `recipe.*` self-tests: correct ones, and ones broken for one recipe each."""

from __future__ import annotations

from hypothesis import strategies as st
from torch.optim.lr_scheduler import LRScheduler

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import Capabilities, TargetSpec


class ClosedFormStepLR(LRScheduler):
    """Correct: lr = base * gamma ** (last_epoch // step_size), from the epoch alone."""

    def __init__(self, optimizer, step_size=2, gamma=0.5, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ConstantScheduler(LRScheduler):
    """Correct, and stateless in effect: the lr never changes, so every pitfall is harmless."""

    def get_lr(self):
        return list(self.base_lrs)


class ForgetfulLR(ClosedFormStepLR):
    """Broken for `canonical`: its state_dict leaves out last_epoch, so a resume restarts the schedule."""

    def state_dict(self):
        state = super().state_dict()
        del state["last_epoch"]
        return state


class RestartingLR(ClosedFormStepLR):
    """Broken for `last_epoch`: the constructor ignores `last_epoch` and starts over."""

    def __init__(self, optimizer, step_size=2, gamma=0.5, last_epoch=-1):
        super().__init__(optimizer, step_size, gamma, last_epoch=-1)


class OptimizerCountingLR(LRScheduler):
    """Broken for `fast_forward`: it decays per optimizer step seen, so replayed scheduler steps do nothing."""

    def __init__(self, optimizer, gamma=0.5, last_epoch=-1):
        self.gamma, self.optimizer_steps = gamma, 0
        super().__init__(optimizer, last_epoch)
        optimizer.register_step_post_hook(self._count)

    def _count(self, optimizer, args, kwargs):
        self.optimizer_steps += 1

    def get_lr(self):
        return [base * self.gamma ** self.optimizer_steps for base in self.base_lrs]


class SilentLastEpochLR(LRScheduler):
    """Broken for `last_epoch_without_optimizer`: it invents 'initial_lr' instead of raising.

    Its lr is chainable (each decay multiplies the optimizer's current lr), so
    on a fresh optimizer it silently resumes from the wrong lr.
    """

    def __init__(self, optimizer, step_size=2, gamma=0.5, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        decays = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        return [g["lr"] * self.gamma if decays else g["lr"] for g in self.optimizer.param_groups]


class WrongErrorLR(ClosedFormStepLR):
    """Broken for `last_epoch_without_optimizer`: it raises, but not a KeyError naming 'initial_lr'."""

    def __init__(self, optimizer, step_size=2, gamma=0.5, last_epoch=-1):
        if last_epoch >= 0 and any("initial_lr" not in g for g in optimizer.param_groups):
            raise ValueError("cannot resume")
        super().__init__(optimizer, step_size, gamma, last_epoch)


class UnloadableLR(ClosedFormStepLR):
    """Broken everywhere a resume loads state: load_state_dict always raises."""

    def load_state_dict(self, state_dict):
        raise RuntimeError("this scheduler cannot load its own state")


STEP_CONFIG = {"step_size": 2, "gamma": 0.5}


def spec(cls, config=None, **capabilities) -> TargetSpec:
    """A target around `cls` with one fixed config (default: the step-decay one)."""
    config = dict(STEP_CONFIG if config is None else config)
    caps = {"last_epoch_resume": True, **capabilities}
    return TargetSpec(
        name=cls.__name__,
        build=lambda optimizer, cfg: cls(optimizer, **cfg),
        configs=lambda groups: st.just(config),
        capabilities=Capabilities(**caps),
        boundaries=lambda cfg: [cfg.get("step_size", 1)],
        source="selftests",
    )


def pinned_case(config=None, epochs=6, interruption=3, lr=0.1) -> Case:
    """SGD with one group at `lr`, per-step loop, one interruption (= the resume's optimizer step)."""
    return Case(
        OptimizerSetup("SGD", (lr,)),
        dict(STEP_CONFIG if config is None else config),
        Plan(epochs, (interruption,)),
    )
