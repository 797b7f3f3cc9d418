"""Schedulers made for the `mismatch.*` self-tests: one per outcome, and a hybrid one."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import TargetSpec
from selftests.broken_recipes import ClosedFormStepLR


class ClosedFormLR(ClosedFormStepLR):
    """Correct: lr = base * gamma ** (last_epoch // step_size); gamma is saved, so it follows the checkpoint."""


class ConstructorGammaLR(ClosedFormLR):
    """Correct: leaves gamma out of its state, so a new gamma takes effect (constructor)."""

    def state_dict(self):
        return {k: v for k, v in super().state_dict().items() if k != "gamma"}


class StrictLR(ClosedFormLR):
    """Correct: refuses a checkpoint taken with another gamma (raises)."""

    def load_state_dict(self, state_dict):
        if state_dict["gamma"] != self.gamma:
            raise ValueError(f"checkpoint has gamma={state_dict['gamma']}, constructor got {self.gamma}")
        super().load_state_dict(state_dict)


class HybridLR(ClosedFormLR):
    """Broken: decays the current lr (chainable) but leaves gamma out of its state.

    After a resume with another gamma, the lr keeps the checkpoint's decay and
    multiplies the constructor's on top: a silent mixture of both.
    """

    def get_lr(self):
        at_boundary = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        return [g["lr"] * (self.gamma if at_boundary else 1.0) for g in self.optimizer.param_groups]

    def state_dict(self):
        return {k: v for k, v in super().state_dict().items() if k != "gamma"}


def configs(groups):
    return st.fixed_dictionaries({"step_size": st.integers(1, 6), "gamma": st.sampled_from([0.5, 0.25, 0.9])})


def spec(cls) -> TargetSpec:
    return TargetSpec(
        name=cls.__name__,
        build=lambda optimizer, config: cls(optimizer, **config),
        configs=configs,
        boundaries=lambda c: list(range(c["step_size"], 61, c["step_size"])),
        hyperparameters=("step_size", "gamma"),
    )


def pinned_case(epochs=6, interruption=3) -> Case:
    """SGD at lr 1.0, step_size 1, gamma 0.5: the lr halves every step."""
    return Case(OptimizerSetup("SGD", (1.0,)), {"step_size": 1, "gamma": 0.5}, Plan(epochs, (interruption,)))
