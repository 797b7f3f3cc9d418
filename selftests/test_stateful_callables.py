"""Stateful callables in the drawn configs (`strategies/callables.py`, issue 22.2).

torch saves a callable object's `__dict__` for LambdaLR / MultiplicativeLR
(`lr_lambda`) and CyclicLR (`scale_fn`). A scheduler that stops saving it
resumes "correctly" as long as every drawn callable keeps fixed attributes:
the fresh object has the same ones. Callables whose attributes change as they
are called make that loss a divergence.

Seen failing before the stateful callables existed: the resume checks passed
`LambdaForgetsCallables` and `CyclicForgetsScaleFn` on every drawn config.
"""

from __future__ import annotations

import types

import pytest
from hypothesis import find
from torch.optim.lr_scheduler import CyclicLR, LambdaLR

from conformance.harness.errors import Rejected
from conformance.harness.oracle import check_resume
from conformance.checks.recipes import check_recipe
from conformance.library import check_target
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import TargetSpec
from conformance.strategies import callables as fn
from conformance.strategies import schedulers as S
from conformance.targets.builtins import BY_NAME


class LambdaForgetsCallables(LambdaLR):
    """state_dict() keeps no callable object's attributes (torch keeps each object's __dict__)."""

    def state_dict(self):
        state = super().state_dict()
        state["lr_lambdas"] = [None] * len(self.lr_lambdas)
        return state


class CyclicForgetsScaleFn(CyclicLR):
    """state_dict() keeps no custom scale_fn object's attributes."""

    def state_dict(self):
        state = super().state_dict()
        state["_scale_fn_custom"] = None
        return state


def _spec(cls, configs, base):
    return TargetSpec(cls.__name__, build=lambda optimizer, config: cls(optimizer, **config), configs=configs,
                      capabilities=base.capabilities, needs=base.needs, source=f"{__name__}:{cls.__name__}")


LAMBDA_FORGETS = _spec(LambdaForgetsCallables, S.lambda_lr, BY_NAME["LambdaLR"])
CYCLIC_FORGETS = _spec(CyclicForgetsScaleFn, S.cyclic_lr, BY_NAME["CyclicLR"])


def _case(config, optimizer="SGD", kwargs=None):
    return Case(OptimizerSetup(optimizer, (0.1, 0.2), kwargs or {"momentum": 0.9}), config, Plan(14, (6,)))


CYCLIC = dict(base_lr=0.01, max_lr=0.1, step_size_up=3)


@pytest.mark.parametrize("target, config", [
    (LAMBDA_FORGETS, {"lr_lambda": fn.CountingWarmup(10)}),
    (CYCLIC_FORGETS, {**CYCLIC, "scale_fn": fn.DampedScale(0.95, 0.9), "scale_mode": "iterations"}),
])
def test_a_lost_callable_state_diverges_only_with_a_stateful_callable(target, config):
    assert check_resume(target, _case(config), "resume.canonical").status == "fail"
    fixed = {**config, "lr_lambda": fn.Warmup(10)} if "lr_lambda" in config else {**config,
                                                                                   "scale_fn": fn.ExpScale(0.95)}
    assert check_resume(target, _case(fixed), "resume.canonical").ok  # fixed attributes can't show the loss


@pytest.mark.parametrize("name, config", [
    ("LambdaLR", {"lr_lambda": [fn.CountingWarmup(10), fn.CountingWarmup(4)]}),
    ("MultiplicativeLR", {"lr_lambda": fn.AdaptiveFactor(0.95, 0.8)}),
    ("CyclicLR", {**CYCLIC, "scale_fn": fn.DampedScale(0.95, 0.9), "scale_mode": "cycle"}),
])
def test_torch_restores_a_stateful_callable(name, config):
    assert check_resume(BY_NAME[name], _case(config), "resume.canonical").ok
    assert check_resume(BY_NAME[name], _case(config), "resume.multi").ok


def test_the_strategies_draw_stateful_callables():
    for strategy in (S.lambda_lr(2), S.multiplicative_lr(2), S.cyclic_lr(2)):
        assert fn.stateful_in(find(strategy, fn.stateful_in))
    assert not fn.stateful_in({"lr_lambda": [fn.Warmup(3), fn.linear_to_zero_at_300]})
    assert isinstance(fn.linear_to_zero_at_300, types.FunctionType)  # plain functions are drawn too


def test_a_constructor_recipe_rejects_a_stateful_config_instead_of_failing_torch():
    """`LambdaLR(..., last_epoch=k-1)` can't restore a call counter: outside the recipe, not LambdaLR's failure."""
    stateful = _case({"lr_lambda": fn.CountingWarmup(10)})
    with pytest.raises(Rejected, match="stateful callable"):
        check_recipe(BY_NAME["LambdaLR"], stateful, "last_epoch")
    assert check_recipe(BY_NAME["LambdaLR"], _case({"lr_lambda": fn.Warmup(10)}), "last_epoch").ok


def test_the_resume_check_catches_a_lost_callable_state_from_drawn_configs():
    (result,) = check_target(LAMBDA_FORGETS, checks=["resume.canonical"])
    assert result.status == "fail", result
    (result,) = check_target(BY_NAME["LambdaLR"], checks=["resume.canonical"])
    assert result.status == "pass", result
