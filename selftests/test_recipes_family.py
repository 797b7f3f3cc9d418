"""Self-tests of the `recipe.*` family: it catches schedulers broken for a recipe and passes correct ones."""

import pytest
from hypothesis import given, settings, strategies as st
from torch.optim.lr_scheduler import StepLR

from conformance.checks.recipes import SEARCH_PITFALLS, check_last_epoch_without_optimizer, check_pitfall, check_recipe
from conformance.model.results import DIVERGES, RAISES, SAFE
from conformance.model.verdict import ERROR, FAIL, PASS
from selftests.broken_recipes import (
    ClosedFormStepLR,
    ConstantScheduler,
    ForgetfulLR,
    OptimizerCountingLR,
    RestartingLR,
    SilentLastEpochLR,
    UnloadableLR,
    WrongErrorLR,
    pinned_case,
    spec,
)
from conformance.strategies.cases import cases

FEW = settings(max_examples=4)
SEARCH_EXAMPLES = 4


# --- supported recipes: the broken scheduler is caught at the right step ---


@pytest.mark.parametrize(
    "cls, recipe, step",
    [
        # last_epoch is lost: the optimizer still holds lr 0.05 at step 3; the next
        # scheduler step restarts at epoch 1 (0.1) where epoch 4 wants 0.025.
        (ForgetfulLR, "canonical", 4),
        # restarted at epoch 0: lr 0.1 at step 3, where epoch 3 wants 0.05.
        (RestartingLR, "last_epoch", 3),
        # replayed scheduler steps decay nothing: lr 0.1 at step 3, where 0.0125 is due.
        (OptimizerCountingLR, "fast_forward", 3),
    ],
)
def test_supported_recipe_catches_broken(cls, recipe, step):
    config = {"gamma": 0.5} if cls is OptimizerCountingLR else None
    verdict = check_recipe(spec(cls, config), pinned_case(config), recipe)
    assert verdict.status == FAIL, verdict.explain()
    assert (verdict.divergence.step, verdict.divergence.field) == (step, "lr"), verdict.explain()
    assert f"first divergence at optimizer step {step}" in verdict.explain()
    assert verdict.result.supported and not verdict.result.safe and verdict.result.bad
    assert verdict.result.divergence["step"] == step


@pytest.mark.parametrize("recipe", ["canonical", "last_epoch", "fast_forward"])
@FEW
@given(data=st.data())
def test_supported_recipe_passes_correct(recipe, data):
    target = spec(ClosedFormStepLR)
    case = data.draw(cases(target), label="case")
    verdict = check_recipe(target, case, recipe)
    assert verdict.status == PASS, verdict.explain()
    assert verdict.result.outcome == SAFE and verdict.result.supported and not verdict.result.bad


def test_supported_recipe_is_a_known_torch_failure_mode():
    """torch's chainable StepLR double-applies gamma when built with last_epoch at a boundary."""
    target = spec(StepLR, {"step_size": 1, "gamma": 0.5})
    case = pinned_case({"step_size": 1, "gamma": 0.5}, epochs=2, interruption=1, lr=1.0)
    verdict = check_recipe(target, case, "last_epoch")
    assert verdict.status == FAIL
    assert (verdict.divergence.step, verdict.divergence.expected, verdict.divergence.actual) == (1, 0.5, 0.25)


# --- pitfalls: a counterexample with its first divergent step, or "safe" ---


@pytest.mark.parametrize("pitfall", ["scheduler_only", "optimizer_only", "extra_step"])
def test_pitfall_diverges_for_a_decaying_scheduler(pitfall):
    target = spec(ClosedFormStepLR)
    verdict = check_pitfall(target, pitfall, cases(target), SEARCH_EXAMPLES)
    assert verdict.status == PASS, verdict.explain()
    kept = verdict.result
    assert kept.outcome == DIVERGES and not kept.supported and not kept.bad, kept
    # The divergence is at or after the resume, never before it.
    assert kept.divergence["step"] >= kept.resume_step
    assert verdict.divergence is not None and verdict.case is not None


def test_optimizer_first_diverges_for_closed_form_and_is_safe_for_chainable():
    """Building the scheduler after the optimizer load: its initial step writes epoch 0's lr.

    A closed-form scheduler writes base * gamma**0 there, which stays until the
    next scheduler step: it diverges at the resume step. torch's chainable
    StepLR keeps the loaded lr at epoch 0: the pitfall is harmless for it.
    """
    closed = spec(ClosedFormStepLR)
    verdict = check_pitfall(closed, "optimizer_first", cases(closed), SEARCH_EXAMPLES)
    kept = verdict.result
    assert verdict.status == PASS and kept.outcome == DIVERGES, verdict.explain()
    assert kept.divergence["step"] == kept.resume_step
    assert kept.divergence["field"] == "lr"

    chainable = spec(StepLR)
    verdict = check_pitfall(chainable, "optimizer_first", cases(chainable), SEARCH_EXAMPLES)
    assert verdict.status == PASS, verdict.explain()
    assert verdict.result.safe


@pytest.mark.parametrize("pitfall", SEARCH_PITFALLS)
def test_pitfall_is_safe_for_a_constant_scheduler(pitfall):
    target = spec(ConstantScheduler, {})
    verdict = check_pitfall(target, pitfall, cases(target), SEARCH_EXAMPLES)
    assert verdict.status == PASS, verdict.explain()
    assert (verdict.result.outcome, verdict.result.tried) == (SAFE, SEARCH_EXAMPLES)


@pytest.mark.parametrize("pitfall", SEARCH_PITFALLS)
def test_pitfall_search_fails_when_the_target_cannot_resume(pitfall):
    """A target whose load_state_dict raises is an error, not a 'safe' recipe."""
    target = spec(UnloadableLR)
    verdict = check_pitfall(target, pitfall, cases(target), SEARCH_EXAMPLES)
    assert verdict.status == ERROR, verdict.explain()
    assert "load_state_dict" in verdict.explain() and "cannot load its own state" in verdict.explain()
    assert not verdict.result.safe and verdict.result.outcome == RAISES


# --- last_epoch without optimizer state: the initial_lr KeyError ---


def test_last_epoch_without_optimizer_passes_torch_key_error():
    verdict = check_last_epoch_without_optimizer(spec(StepLR), pinned_case())
    assert verdict.status == PASS, verdict.explain()
    assert "KeyError" in verdict.message and "initial_lr" in verdict.message
    assert verdict.result.outcome == RAISES


def test_last_epoch_without_optimizer_catches_silent_divergence():
    verdict = check_last_epoch_without_optimizer(spec(SilentLastEpochLR), pinned_case())
    assert verdict.status == FAIL, verdict.explain()
    assert verdict.divergence.step == 3 and verdict.divergence.field == "lr", verdict.explain()
    assert "diverges silently" in verdict.explain()


def test_last_epoch_without_optimizer_catches_the_wrong_error():
    verdict = check_last_epoch_without_optimizer(spec(WrongErrorLR), pinned_case())
    assert verdict.status == FAIL, verdict.explain()
    assert "expected a KeyError naming 'initial_lr'" in verdict.explain()
    assert "ValueError: cannot resume" in verdict.explain()
