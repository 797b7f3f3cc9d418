"""The reference checks (issue 22.1): schedules wrong in both runs are caught; the real built-ins pass.

Seen failing before the rule existed: with `reference.compare` answering
None (no model comparison), every `test_mutant_is_caught` case fails, while
`test_mutant_passes_the_resume_checks` passes: only the model sees them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.checks import reference
from conformance.checks.table import BY_ID, missing_capability, planned
from conformance.harness.oracle import check_determinism, check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import ERROR, FAIL, PASS
from conformance.reference import MODELS, Initial, Undefined, expected
from conformance.strategies import callables as fn
from conformance.targets.builtins import BUILTINS, BY_NAME
from conformance.targets.known import entries, match
from selftests.reference_mutants import MUTANTS

IDS = ("reference.schedule", "reference.epoch_argument", "reference.last_epoch")
NO_STEP_EPOCH = {"SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"}  # reference.epoch_argument skips them
NO_LAST_EPOCH = {"ChainedScheduler", "ReduceLROnPlateau"}  # reference.last_epoch skips them


def _judge(target, case, check):
    return reference.check_reference(target, case, check, epoch_stepping=check == "reference.epoch_argument",
                                     resumed=check == "reference.last_epoch")


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(name):
    mutant = MUTANTS[name]
    for case in mutant.cases:
        verdict = _judge(mutant.target, case, mutant.check)
        assert verdict.status == FAIL, verdict.explain()
        div = verdict.divergence
        assert div is not None and div.field == "lr"
        # The message names the step, the group, the field, both values and the ulps.
        for part in (f"optimizer step {div.step}", f"param group {div.group}", "'lr'", repr(div.expected), "ulp"):
            assert part in verdict.message, verdict.message


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_passes_the_resume_checks(name):
    mutant = MUTANTS[name]
    for case in mutant.cases:
        assert check_determinism(mutant.target, case).status == PASS
        for check in ("resume.canonical", "resume.multi"):
            verdict = check_resume(mutant.target, case, check)
            assert verdict.status == PASS, verdict.explain()


def _real_cases(target):
    """The target's pinned cases, and each mutant's case run on the real built-in."""
    out = [case for _, case in target.pinned]
    out += [case for m in MUTANTS.values() if m.target.name == target.name for case in m.cases]
    return out


@pytest.mark.parametrize("target", BUILTINS, ids=lambda t: t.name)
def test_real_builtins_follow_the_model(target):
    known = entries(target)
    for case in _real_cases(target):
        for check in IDS:
            if check == "reference.epoch_argument" and target.name in NO_STEP_EPOCH:
                continue  # (asking the table would probe the target: slow the first time)
            if check == "reference.last_epoch" and (target.name in NO_LAST_EPOCH or not case.plan.interruptions):
                continue
            pinned = [label for label, c in target.pinned if c is case]
            edge = pinned and check == "reference.schedule"
            if pinned == ["factor_zero"] and not edge:
                continue  # torch raises ZeroDivisionError on every path (registered for reference.edge.factor_zero)
            registered = match(known, f"reference.edge.{pinned[0]}" if edge else check)
            if check == "reference.last_epoch":  # the check draws one resume, as its records' scopes assume
                case = case.with_plan(interruptions=case.plan.interruptions[:1])
            verdict = _judge(target, case, check)
            if registered is not None and not registered.outside(verdict) and not verdict.ok:
                continue  # a registered difference from the docs (ConstantLR total_iters=0, factor=0)
            assert verdict.status == PASS, verdict.explain()


def test_a_last_epoch_bug_is_not_swallowed_by_the_registered_one():
    """CosineAnnealingWarmRestarts' registered last_epoch failure covers resumes at or past T_0 only (issue 22.3):
    a resume one epoch ahead in the first cycle is red, though recipe.last_epoch's record would cover it."""
    mutant = MUTANTS["restarts_resume_ahead"]
    verdict = _judge(mutant.target, mutant.cases[0], "reference.last_epoch")
    record = entries(BY_NAME["CosineAnnealingWarmRestarts"])["reference.last_epoch"]
    assert verdict.status == FAIL and record.outside(verdict), verdict.explain()


def test_a_plain_step_run_of_the_closed_form_mutant_passes():
    """The closed-form mutant is right under step(): reference.schedule passes it, reference.epoch_argument doesn't."""
    mutant = MUTANTS["constant_closed_form_late"]
    assert _judge(mutant.target, mutant.cases[0], "reference.schedule").status == PASS


def test_every_builtin_has_a_model_and_other_targets_skip():
    assert {t.name for t in BUILTINS} == set(MODELS)
    for target in BUILTINS:
        assert reference.no_model(target) is None
    from dataclasses import replace
    other = replace(BY_NAME["StepLR"], source="mypkg.sched:StepLR")
    assert "no reference model" in missing_capability(BY_ID["reference.schedule"], other)


def test_known_failures_do_not_swallow_the_reference_checks():
    """No record of another check (an exact id or a family prefix) covers a reference.* id (issue 22.3)."""
    for target in BUILTINS:
        known = entries(target)
        for plan in planned(target):
            if plan.id.startswith("reference."):
                found = match(known, plan.id)
                assert found is None or found.check.startswith("reference."), (target.name, plan.id, found.check)


def test_rounding_budget_in_the_values_dtype():
    """A float32 tensor lr is judged in float32 ulps: one float32 rounding passes, an off-by-one step doesn't."""
    tensor = OptimizerSetup("AdamW", (0.1,), {}, tensor_lr=True)
    case = Case(tensor, {"gamma": 0.9}, Plan(30, (1,)))
    assert _judge(BY_NAME["ExponentialLR"], case, "reference.schedule").status == PASS


def test_stateful_callables_are_not_judged():
    with pytest.raises(Undefined):
        expected("LambdaLR", {"lr_lambda": fn.CountingWarmup(3)}, Initial((0.1,), (None,)), 3)


def test_documented_examples():
    """The models reproduce the docstrings' own worked examples (where those agree with their argument text)."""
    one = Initial((0.05,), (None,))
    lrs = lambda name, config, n: [row[0][0] for row in expected(name, config, one, n)]  # noqa: E731
    step = lrs("StepLR", {"step_size": 30, "gamma": 0.1}, 91)
    assert step[29] == 0.05 and step[30] == pytest.approx(0.005) and step[60] == pytest.approx(0.0005)
    multi = lrs("MultiStepLR", {"milestones": [30, 80], "gamma": 0.1}, 81)
    assert multi[29] == 0.05 and multi[30] == pytest.approx(0.005) and multi[80] == pytest.approx(0.0005)
    const = lrs("ConstantLR", {"factor": 0.5, "total_iters": 40}, 41)
    assert const[0] == const[39] == 0.025 and const[40] == 0.05
    seq = expected("SequentialLR", {"schedulers": [("ConstantLR", {"factor": 0.1, "total_iters": 20}),
                                                   ("ExponentialLR", {"gamma": 0.9})], "milestones": [20]}, one, 23)
    assert [round(r[0][0], 6) for r in seq[19:23]] == [0.005, 0.05, 0.045, 0.0405]


# Found under `thorough`: two chained cosines whose eta_min equals the (float32) lr. Past T_max the documented
# recursion eta_min + (lr - eta_min) * ratio multiplies the difference of two nearly equal numbers by up to
# 2 T_max^2 / pi^2, so the model's float64 rounding of lr - eta_min grew to 449 ulp against torch's float32.
CHAINED_COSINES = Case(OptimizerSetup("ASGD", (0.001,), {}, tensor_lr=True),
                       {"schedulers": [("CosineAnnealingLR", {"T_max": 73, "eta_min": 0.001}),
                                       ("MultiStepLR", {"gamma": 0.5144154548477164, "milestones": [149]}),
                                       ("CosineAnnealingLR", {"T_max": 73, "eta_min": 0.001})]},
                       Plan(116, (72,)))


def test_a_recursions_own_amplification_of_rounding_is_in_the_budget():
    assert _judge(BY_NAME["ChainedScheduler"], CHAINED_COSINES, "reference.schedule").status == PASS


def test_past_t_max_a_wrong_cosine_is_still_caught():
    """The budget grows with the amplification, not enough to hide a schedule 0.1% off past T_max."""
    import torch

    class LateDrift(torch.optim.lr_scheduler.CosineAnnealingLR):
        def get_lr(self):
            lrs = super().get_lr()
            return [lr * 1.001 for lr in lrs] if self.last_epoch > self.T_max else lrs

    target = replace(BY_NAME["CosineAnnealingLR"], build=lambda opt, c: LateDrift(opt, **c))  # judged by its model
    case = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {"T_max": 10, "eta_min": 0.05}, Plan(18, (5,)))
    verdict = _judge(target, case, "reference.schedule")
    assert verdict.status == FAIL and verdict.divergence.step == 11, verdict.explain()
