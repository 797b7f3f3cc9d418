"""A resumed run that warns where the uninterrupted run doesn't fails, as its own kind (issue 22.4).

`_step_count` not restored on load changes one thing a user sees: torch's
"`lr_scheduler.step()` before `optimizer.step()`" warning after a resume
whose first optimizer step a GradScaler skipped. Every lr and momentum stays
exact, so before this rule every check passed `ForgetsStepCount` (seen).
"""

from __future__ import annotations

from torch.optim.lr_scheduler import StepLR

from conformance.checks.placement import check_loop
from conformance.library import check_target
from conformance.model.case import Case, Plan
from conformance.model.loop import Loop
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import Signature
from conformance.reports import problems
from conformance.plugin.record import capture_verdict
from conformance.spec import TargetSpec
from conformance.strategies.schedulers import step_lr
from conformance.strategies.loops import first_steps_after, placement_cases
from conformance.targets.builtins import BY_NAME
from hypothesis import find, settings


class ForgetsStepCount(StepLR):
    """load_state_dict() leaves `_step_count` at the fresh scheduler's 1: only torch's order warning changes."""

    def load_state_dict(self, state):
        state = dict(state)
        state.pop("_step_count", None)
        super().load_state_dict(state)


FORGETS = TargetSpec("ForgetsStepCount", build=lambda optimizer, config: ForgetsStepCount(optimizer, **config),
                     configs=step_lr, capabilities=BY_NAME["StepLR"].capabilities,
                     source=f"{__name__}:FORGETS")
# A GradScaler loop whose first optimizer step after the resume (iteration 4) is skipped.
CASE = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {"step_size": 3, "gamma": 0.5},
            Plan(10, (4,), skips=frozenset({4})), loop=Loop("amp", scaler=True))


def test_an_extra_warning_after_the_resume_fails_with_the_warning_named():
    verdict = check_loop(FORGETS, CASE, "placement.amp")
    assert verdict.status == "fail" and verdict.divergence is None, verdict.explain()
    assert "the resumed run warns where the uninterrupted run doesn't" in verdict.message
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in verdict.message
    assert Signature.of(verdict).field == "warning"
    record = {"target": "ForgetsStepCount", "check": "placement.amp", "verdict": "fail",
              "message": verdict.explain(), "failure": capture_verdict(verdict)}
    kind, _, title = problems.key_of(record)
    assert kind == problems.WARNING and "Detected call" in title


def test_torch_restores_the_count_and_stays_quiet():
    assert check_loop(BY_NAME["StepLR"], CASE, "placement.amp").ok


def test_drawn_gradscaler_cases_find_it():
    """placement.amp's strategy favours skipping the first optimizer step after a resume: found in 30 cases."""
    found = find(placement_cases(FORGETS, "amp"), lambda case: not check_loop(FORGETS, case, "x").ok,
                 settings=settings(max_examples=30, derandomize=True, database=None, deadline=None))
    assert set(first_steps_after(found)) & set(found.plan.skips)
    (result,) = check_target(FORGETS, checks=["resume.canonical"])
    assert result.status == "pass", result  # every lr and momentum is exact: only the warning tells


def test_a_resume_before_the_first_scheduler_step_is_torchs_heuristic_not_the_targets():
    """Resumed before any scheduler step, with the next optimizer step skipped, torch warns for every target:
    its check judges the fresh optimizer. Seen failing before the rule (a correct contrib target went red)."""
    early = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {"step_size": 3, "gamma": 0.5},
                 Plan(4, (2,), skips=frozenset({2})), loop=Loop("amp", batches=3, scaler=True))
    assert check_loop(BY_NAME["StepLR"], early, "placement.amp").ok
