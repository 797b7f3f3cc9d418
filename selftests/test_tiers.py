"""Tiers: a recipe the target declares is a contract; one it merely offers is a result.

An `LRScheduler` subclass inherits a `last_epoch` argument. A correct one with
a private RNG, saved properly in its state_dict, cannot resume through
`last_epoch` (no state is loaded, so the RNG restarts). Loaded as a plain
class, it only offers that recipe: the check passes and keeps the
counterexample as a result. Declared through a TargetSpec, the same outcome
fails the run.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import strategies as st
from torch.optim.lr_scheduler import LRScheduler

from conformance.checks import runner
from conformance.checks.table import BY_ID, Planned, missing_capability, result_only
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.results import DIVERGES
from conformance.model.verdict import ERROR, PASS, ConformanceFailure, Verdict
from conformance.spec import Capabilities, TargetSpec
from conformance.targets.loading import load


class PrivateJitter(LRScheduler):
    """Correct: a private generator jitters the lr, and its state is saved and restored."""

    def __init__(self, optimizer, last_epoch=-1):
        self.gen = torch.Generator().manual_seed(7)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        noise = float(torch.rand((), generator=self.gen)) * 0.1
        return [base * (0.9 + noise) for base in self.base_lrs]

    def state_dict(self):
        return {**{k: v for k, v in self.__dict__.items() if k not in ("optimizer", "gen")},
                "gen": self.gen.get_state()}

    def load_state_dict(self, state):
        state = dict(state)
        self.gen.set_state(state.pop("gen"))
        self.__dict__.update(state)


CASE = Case(OptimizerSetup("ASGD", (1.0,)), {}, Plan(4, (2,)))
PLAN = Planned(BY_ID["recipe.last_epoch"], "recipe.last_epoch")


def _observed(target) -> list:
    seen = []
    runner.run_check(PLAN, target, observe=seen.append)
    return seen


def test_offered_last_epoch_is_a_result_with_its_counterexample():
    target = load("selftests.test_tiers:PrivateJitter")[0]
    assert target.capabilities.accepts_last_epoch and not target.capabilities.last_epoch_resume
    assert result_only(PLAN.check, target) and missing_capability(PLAN.check, target) is None
    seen = _observed(target)  # passes: no ConformanceFailure
    unsafe = [v for v in seen if v.result is not None and v.result.outcome == DIVERGES]
    assert unsafe, "the counterexample is kept as a result"
    assert all(v.ok for v in seen) and not unsafe[0].result.bad
    assert "offers but does not declare last_epoch_resume" in unsafe[0].message


def test_declared_last_epoch_is_a_contract():
    declared = TargetSpec("PrivateJitterDeclared", build=lambda opt, cfg: PrivateJitter(opt, **cfg),
                          configs=lambda groups: st.just({}),
                          capabilities=Capabilities(last_epoch_resume=True, accepts_last_epoch=True))
    with pytest.raises(ConformanceFailure) as raised:
        _observed(declared)
    assert raised.value.verdict.status == "fail" and raised.value.verdict.divergence is not None
    assert raised.value.verdict.result.bad


def test_the_canonical_resume_of_the_same_class_is_exact():
    target = load("selftests.test_tiers:PrivateJitter")[0]
    runner.run_check(Planned(BY_ID["resume.canonical"], "resume.canonical"), target)


@pytest.mark.parametrize("details, counts", [
    ({"phase": "the harness", "raised": "timeout", "timeout": True}, False),  # a hang is no recipe outcome
    ({}, False),  # the suite's own machinery, not the target
    ({"phase": "build", "raised": "KeyError"}, True),  # the target raised in the recipe: its result, "raises"
])
def test_only_the_targets_own_raise_becomes_a_result(details, counts):
    """An error of a result-only check stays an error, unless it is the target raising in the recipe."""
    target = load("selftests.test_tiers:PrivateJitter")[0]
    plan = Planned(BY_ID["recipe.epoch_fast_forward"], "recipe.epoch_fast_forward")
    verdict = runner.judged(plan, target, Verdict(target.name, plan.id, ERROR, CASE, details=details))
    assert verdict.status == (PASS if counts else ERROR), verdict
