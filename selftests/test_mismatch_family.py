"""Self-tests of the `mismatch.*` family: every outcome is classified, and `hybrid` is caught."""

import pytest
from hypothesis import assume, find, given, settings, strategies as st

from conformance.checks.mismatch import classify, parameters
from conformance.harness.errors import Rejected
from conformance.model.change import Change
from conformance.model.results import CHECKPOINT, CONSTRUCTOR, HYBRID, RAISES, UNOBSERVABLE
from conformance.model.verdict import FAIL, PASS
from conformance.plugin.bridge import TestOutcome
from conformance.strategies.cases import mismatch_cases
from conformance.targets.builtins import BY_NAME
from selftests.broken_mismatch import (
    ClosedFormLR, ConstructorGammaLR, HybridLR, StrictLR, pinned_case, spec,
)

GAMMA = Change("gamma", 0.5, 0.25)


@pytest.mark.parametrize(
    "cls, expected",
    [(ClosedFormLR, CHECKPOINT), (ConstructorGammaLR, CONSTRUCTOR), (StrictLR, RAISES)],
)
def test_each_outcome_is_classified(cls, expected):
    verdict = classify(spec(cls), pinned_case(), GAMMA)
    assert verdict.status == PASS, verdict.explain()
    assert verdict.details["outcome"] == expected


def test_hybrid_is_caught_with_its_first_divergence():
    # Resumed at step 3 with lr 0.125: the next step decays by the new 0.25 (0.03125),
    # where the checkpoint wants 0.0625 and the constructor run 0.25**4.
    verdict = classify(spec(HybridLR), pinned_case(), GAMMA)
    assert verdict.status == FAIL and verdict.details["outcome"] == HYBRID, verdict.explain()
    text = verdict.explain()
    assert "gamma=0.25 instead of 0.5" in text and "neither the checkpoint nor the constructor" in text
    assert (verdict.divergence.step, verdict.divergence.expected, verdict.divergence.actual) == (4, 0.0625, 0.03125)


def test_unobservable_change_is_not_evidence():
    # step_size 1 -> 2 after the last scheduler step: nothing left to observe.
    case = pinned_case(epochs=2, interruption=1)
    verdict = classify(spec(ClosedFormLR), case, Change("step_size", 1, 3))
    assert verdict.details["outcome"] == UNOBSERVABLE


def test_generated_search_finds_the_hybrid():
    target = spec(HybridLR)

    def hybrid(pair):
        try:
            return classify(target, *pair).status == FAIL
        except Rejected:
            return False

    case, change = find(mismatch_cases(target, "gamma"), hybrid, settings=settings(max_examples=30, database=None))
    assert classify(target, case, change).details["outcome"] == HYBRID


@pytest.mark.parametrize("cls", [ClosedFormLR, ConstructorGammaLR, StrictLR])
@pytest.mark.parametrize("param", ["step_size", "gamma", "base_lr"])
@settings(max_examples=5)
@given(data=st.data())
def test_correct_schedulers_are_never_hybrid(cls, param, data):
    target = spec(cls)
    case, change = data.draw(mismatch_cases(target, param), label="case and change")
    try:
        verdict = classify(target, case, change)
    except Rejected:
        assume(False)
    assert verdict.status == PASS, verdict.explain()


def test_results_fold_into_a_stable_table_cell():
    seen = TestOutcome()
    seen.observe(classify(spec(ClosedFormLR), pinned_case(epochs=2, interruption=1), GAMMA))
    seen.observe(classify(spec(ClosedFormLR), pinned_case(), GAMMA))
    seen.observe(classify(spec(ConstructorGammaLR), pinned_case(), GAMMA))
    entry = seen.results["mismatch"]["gamma"]
    assert entry.outcome == "checkpoint|constructor"
    assert entry.seen == {CHECKPOINT: 1, CONSTRUCTOR: 1} and entry.unobservable == 1
    assert entry.bad is False and seen.results_json()["mismatch"]["gamma"]["outcome"] == "checkpoint|constructor"


def test_parameters_include_base_lr_and_fall_back_to_config_keys():
    assert parameters(BY_NAME["StepLR"]) == ("step_size", "gamma", "base_lr")
    assert parameters(BY_NAME["CyclicLR"]).count("base_lr") == 1
    bare = spec(ClosedFormLR).__class__(name="bare", build=spec(ClosedFormLR).build,
                                        configs=spec(ClosedFormLR).configs)
    assert parameters(bare) == ("gamma", "step_size", "base_lr")


def test_torch_steplr_gamma_follows_the_checkpoint():
    target = BY_NAME["StepLR"]
    verdict = classify(target, pinned_case(), GAMMA)
    assert verdict.details["outcome"] == CHECKPOINT
