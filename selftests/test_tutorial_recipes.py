"""The tutorial recipes and the closed-form consistency check: broken caught, correct safe.

- a StepLR whose closed form (used by `step(epoch)`) is off by one step is
  caught by `consistency.closed_form` and makes `recipe.epoch_fast_forward`
  diverge, while torch's own StepLR agrees and fast-forwards safely;
- torch's ExponentialLR differs from itself only by rounding (a result, not a
  failure), and `epoch_fast_forward` drifts, in the last bits, for it;
- the tutorial recipes are results: a diverging one still passes its check.
"""

from __future__ import annotations

import copy
import math
import warnings

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.optim.lr_scheduler import ExponentialLR, StepLR

from conformance.checks.closed_form import check_closed_form
from conformance.checks.recipes import DRIFT, check_tutorial
from conformance.checks.table import BY_ID, missing_capability
from conformance.model.case import Case, Plan
from conformance.model.loop import PER_STEP
from conformance.model.optimizer import OptimizerSetup
from conformance.model.results import AGREE, DIVERGES, DRIFTS, RAISES, ROUNDING, SAFE
from conformance.model.verdict import FAIL, PASS
from conformance.spec import Capabilities, TargetSpec
from conformance.strategies.cases import cases
from conformance.targets.builtins import BY_NAME
from selftests.bestiary import OffByOneClosedForm
from selftests.runner import run_suite


def spec(cls, config):
    return TargetSpec(cls.__name__, build=lambda opt, cfg: cls(opt, **cfg), configs=lambda groups: st.just(config),
                      capabilities=Capabilities(last_epoch_resume=True), source="selftests")


def case(config, epochs=8, at=(3,), lrs=(1.0,)):
    return Case(OptimizerSetup("ASGD", lrs), config, Plan(epochs, at))


STEP = {"step_size": 2, "gamma": 0.5}


def test_a_broken_closed_form_is_caught():
    verdict = check_closed_form(spec(OffByOneClosedForm, STEP), case(STEP))
    assert verdict.status == FAIL, verdict.explain()
    assert "at k=1, group 0: step(1) gives 0.5, 1 step() calls give 1.0" in verdict.message
    assert verdict.result.bad and verdict.result.describe().startswith("DISAGREES")


def test_a_correct_closed_form_agrees():
    verdict = check_closed_form(spec(StepLR, STEP), case(STEP))
    assert verdict.status == PASS and verdict.result.outcome == AGREE, verdict.explain()
    assert verdict.result.compared == 8


def test_exponential_lr_differs_by_rounding_only():
    """The issue's example: ExponentialLR(0.9) at k=4 gives 0.6561 against 0.6561000000000001."""
    verdict = check_closed_form(spec(ExponentialLR, {"gamma": 0.9}), case({"gamma": 0.9}, epochs=14))
    found = verdict.result
    assert verdict.status == PASS and found.outcome == ROUNDING, verdict.explain()
    assert 0 < found.differing < found.compared == 14 and found.max_ulps <= 4 and found.max_rel < 1e-15


def test_epoch_fast_forward_diverges_with_a_broken_closed_form_and_is_safe_with_torchs():
    broken = check_tutorial(spec(OffByOneClosedForm, STEP), case(STEP), "epoch_fast_forward")
    assert broken.ok and broken.result.outcome == DIVERGES, broken.explain()  # a result, not a failure
    assert broken.result.divergence["step"] == 3 and broken.result.divergence["field"] == "lr"
    correct = check_tutorial(spec(StepLR, STEP), case(STEP), "epoch_fast_forward")
    assert correct.ok and correct.result.outcome == SAFE, correct.explain()


def test_epoch_fast_forward_drifts_for_exponential_lr():
    verdict = check_tutorial(spec(ExponentialLR, {"gamma": 0.9}), case({"gamma": 0.9}, epochs=8, at=(4,)),
                             "epoch_fast_forward")
    assert verdict.ok and verdict.result.outcome == DRIFTS, verdict.explain()
    assert verdict.result.divergence["rel_error"] < 1e-15


def _replay_steplr(case, name):
    """(outcome, first divergent step) of tutorial recipe `name` on StepLR, replayed with torch alone.

    The per-step loop by hand: before each optimizer step, record every group's lr and
    get_last_lr() (momentum: StepLR never touches it); at each interruption, rebuild as the
    tutorial says. Outcomes as documented in checks/recipes.py: the first differing value
    gives the relative error, under DRIFT it drifts, else it diverges.
    """
    assert case.loop == PER_STEP and not case.plan.skips, case.describe()  # the loop replayed here
    setup, config = case.setup, case.config

    def fresh():
        return setup.build(setup.make_params())

    def value(x):
        return ("tensor", x.item(), str(x.dtype)) if isinstance(x, torch.Tensor) else ("number", float(x))

    def resume(opt, k):
        new = fresh()
        if name == "epoch_fast_forward":  # a fresh scheduler, one step(k)
            sched = StepLR(new, **config)
            sched.step(k)
            return new, sched
        if name == "epoch_argument":  # built as before, then the optimizer state
            sched = StepLR(new, **config)
            new.load_state_dict(copy.deepcopy(opt.state_dict()))
            return new, sched
        new.load_state_dict(copy.deepcopy(opt.state_dict()))  # reset_lr_last_epoch
        for group in new.param_groups:
            group["lr"] = copy.deepcopy(group["initial_lr"])
        return new, StepLR(new, last_epoch=k - 1, **config)

    def records(interrupted):
        opt = fresh()
        sched = StepLR(opt, **config)
        out = []
        for j in range(case.plan.epochs):
            if interrupted and j in case.plan.interruptions:
                opt, sched = resume(opt, j)
            out.append([value(x) for g, last in zip(opt.param_groups, sched.get_last_lr()) for x in (g["lr"], last)])
            sched.step(j + 1) if name == "epoch_argument" else sched.step()
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated
        try:
            expected, actual = records(False), records(True)
        except Exception:  # noqa: BLE001 - a recipe torch refuses
            return RAISES, None
    for step, (want, got) in enumerate(zip(expected, actual)):
        for e, a in zip(want, got):
            if e != a:
                rel = abs(a[1] - e[1]) / abs(e[1]) if e[1] else math.inf
                return (DRIFTS if rel < DRIFT else DIVERGES), step
    return SAFE, None


def test_the_replay_sees_the_divergences_worked_by_hand():
    """StepLR(step_size=1, gamma=0.5) interrupted after 2 steps: lrs 1.0, 0.5, 0.25, 0.125."""
    two = Case(OptimizerSetup("ASGD", (1.0,)), {"step_size": 1, "gamma": 0.5}, Plan(4, (2,)))
    # step(epoch) restores the lr, but get_last_lr() says 1.0, not 0.25, until the next step.
    assert _replay_steplr(two, "epoch_argument") == (DIVERGES, 2)
    assert _replay_steplr(two, "epoch_fast_forward") == (SAFE, None)  # step(2): 1.0 * 0.5 ** 2, exactly
    # last_epoch=1 on the reset lr 1.0 decays once more: 0.5 where 0.25 is due.
    assert _replay_steplr(two, "reset_lr_last_epoch") == (DIVERGES, 2)


@pytest.mark.parametrize("name", ["epoch_argument", "epoch_fast_forward", "reset_lr_last_epoch"])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_tutorial_recipes_never_fail_a_correct_builtin(name, data):
    """Each recipe passes as a result, and that result is what torch itself shows for the case."""
    target = BY_NAME["StepLR"]
    drawn = data.draw(cases(target), label="case")
    verdict = check_tutorial(target, drawn, name)
    assert verdict.ok, verdict.explain()
    found = verdict.result
    step = found.divergence["step"] if found.divergence else None
    assert (found.outcome, step) == _replay_steplr(drawn, name), verdict.explain()


def test_the_checks_apply_where_they_mean_something():
    assert missing_capability(BY_ID["consistency.closed_form"], BY_NAME["StepLR"]) is None
    assert "no closed form" in missing_capability(BY_ID["consistency.closed_form"], BY_NAME["LambdaLR"])
    assert "takes no epoch" in missing_capability(BY_ID["recipe.epoch_argument"], BY_NAME["SequentialLR"]) \
        or "not stepped" in missing_capability(BY_ID["recipe.epoch_argument"], BY_NAME["SequentialLR"])
    assert missing_capability(BY_ID["recipe.reset_lr_last_epoch"], BY_NAME["SWALR"]) is None


def test_the_readme_table_is_the_committed_reports():
    """README's "Which resume recipe should I use?" table is generated, never edited by hand."""
    from conformance.reports.markdown import render
    from conformance.reports.tables import recipe_table
    from selftests.docs import committed_report, generated_section

    shown = generated_section("README.md", "recipes-table")
    assert shown == render(recipe_table(committed_report("torch-2.13-main")))
    assert "| StepLR | safe |" in shown  # the canonical recipe is exact for every built-in


def test_a_decayed_value_near_zero_is_judged_on_the_schedules_scale():
    """Found by benchmarks/seeds.py (seed 6): just past T_max the chainable cosine cancels most of its
    digits, 131 ulp of a 2.7e-06 lr, but 1e-17 of the base lr 0.001: rounding, not a disagreement."""
    config = {"T_max": 30, "eta_min": 2.24511810617656e-42}
    found = Case(OptimizerSetup("Adagrad", (0.001, 0.1)), config, Plan(197, (125,)))
    verdict = check_closed_form(BY_NAME["CosineAnnealingLR"], found)
    assert verdict.status == PASS and verdict.result.outcome == ROUNDING, verdict.explain()
    assert verdict.result.max_ulps > 100  # reported as a result, in ulps of the value itself


@pytest.fixture(scope="session")
def closed_form_run(shared_dir):
    return run_suite(shared_dir, "closed_form", ["--target=selftests.bestiary:OffByOneClosedForm", "--lrc-timeout=0",
                                                 "conformance/tests/test_targets.py", "conformance/tests/test_checks.py"])


def test_only_the_consistency_check_catches_a_broken_closed_form(closed_form_run):
    """Loaded by reference, every other check passes: the plain step() path is correct."""
    tests = {t.split("[")[0]: s for t, (s, _) in closed_form_run["tests"].items()}
    red = sorted(t for t, s in tests.items() if s in ("failed", "error"))
    assert red == ["test_consistency_closed_form"], red
    assert tests["test_resume_canonical"] == "passed" and tests["test_recipe_epoch_fast_forward"] == "passed"
