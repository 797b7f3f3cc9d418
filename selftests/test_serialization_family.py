"""Self-tests of the `serialization.*` edge cases: broken schedulers are caught, correct ones pass."""

import pytest
from hypothesis import given, settings, strategies as st
from torch.optim.lr_scheduler import StepLR

from conformance.model.case import MEDIA_NAMES
from conformance.checks.serialization import check_deepcopy, check_delayed, check_load_twice, check_no_mutation
from conformance.targets.builtins import BY_NAME
from conformance.model.verdict import FAIL, PASS
from selftests.broken_recipes import ClosedFormStepLR, pinned_case, spec
from selftests.broken_serialization import AliasingLR, IdentityStateLR, PoppingLR
from conformance.strategies.cases import cases

FEW = settings(max_examples=4)
GAMMA = {"gamma": 0.5}


def test_no_mutation_catches_a_popping_load():
    verdict = check_no_mutation(spec(PoppingLR), pinned_case())
    assert verdict.status == FAIL, verdict.explain()
    assert "load_state_dict changed the dict it was given" in verdict.explain()
    assert "'extra'" in verdict.explain()  # names the key that went missing


def test_no_mutation_catches_a_scheduler_that_adopts_the_dicts_lists():
    verdict = check_no_mutation(spec(AliasingLR, GAMMA), pinned_case(GAMMA))
    assert verdict.status == FAIL, verdict.explain()
    assert "changed while the resumed run went on" in verdict.explain()
    assert "state['progress'][0]: 3 became 6" in verdict.explain()  # the run went on to epoch 6


def test_load_twice_catches_a_popping_load():
    verdict = check_load_twice(spec(PoppingLR), pinned_case())
    assert verdict.status == FAIL, verdict.explain()
    assert "second time raised KeyError: 'extra'" in verdict.explain()


def test_load_twice_catches_a_dict_changed_by_the_first_resume():
    # The first resume ran the held list from epoch 3 to 6: the second one steps on to epoch 7.
    verdict = check_load_twice(spec(AliasingLR, GAMMA), pinned_case(GAMMA))
    assert verdict.status == FAIL, verdict.explain()
    div = verdict.divergence
    assert (div.step, div.field, div.expected, div.actual) == (4, "lr", 0.1 * 0.5**4, 0.1 * 0.5**7), verdict.explain()


def test_delayed_catches_a_state_dict_aliasing_live_objects():
    # Taken at epoch 3, written after 2 more steps: the resume starts at epoch 5.
    verdict = check_delayed(spec(AliasingLR, GAMMA), pinned_case(GAMMA), delay=2)
    assert verdict.status == FAIL, verdict.explain()
    div = verdict.divergence
    assert (div.step, div.field, div.expected, div.actual) == (4, "lr", 0.1 * 0.5**4, 0.1 * 0.5**6), verdict.explain()
    assert "state['progress'][0]: 3 became 5" in verdict.explain()


def test_deepcopy_catches_identity_compared_state():
    config = {"step_size": 4, "gamma": 0.5}
    case = pinned_case(config, epochs=4, interruption=1)
    verdict = check_deepcopy(spec(IdentityStateLR, config), case)
    assert verdict.status == FAIL, verdict.explain()
    # In warm-up at epoch 2 the file resume takes the decay branch: 0.1 instead of 0.075.
    div = verdict.divergence
    assert (div.step, div.field, div.expected, div.actual) == (2, "lr", 0.1, 0.1 * 3 / 4), verdict.explain()


CHECKS = {
    "no_mutation": lambda t, c, data: check_no_mutation(t, c),
    "load_twice": lambda t, c, data: check_load_twice(t, c),
    "delayed": lambda t, c, data: check_delayed(t, c, data.draw(st.integers(1, 5), label="delay")),
    "deepcopy": lambda t, c, data: check_deepcopy(t, c),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("make", [lambda: spec(ClosedFormStepLR), lambda: spec(StepLR),
                                  lambda: BY_NAME["LambdaLR"]], ids=["closed_form", "StepLR", "LambdaLR"])
@FEW
@given(data=st.data())
def test_correct_schedulers_pass(check, make, data):
    target = make()
    case = data.draw(cases(target, interruptions=(1, 2), media=st.sampled_from(MEDIA_NAMES)), label="case")
    verdict = CHECKS[check](target, case, data)
    assert verdict.status == PASS, verdict.explain()
