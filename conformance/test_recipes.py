"""Checks `recipe.*`: supported resume recipes reproduce the run, pitfall recipes are shown to diverge.

Supported recipes draw cases with `@given`; the budget is set per target (see
`conformance/family_budget.py`), so each test builds its `@given` inside.
The pitfall tests search with `hypothesis.find` (see `conformance/pitfalls.py`
for what they assert); every result, safe or not, is kept for the report.
"""

import pytest
from hypothesis import given, strategies as st

from conformance.budget import scaled
from conformance.family_budget import examples_for
from conformance.outcome import expect
from conformance.pitfalls import check_last_epoch_without_optimizer, check_pitfall
from conformance.recipe_checks import check_recipe
from strategies.cases import cases

CANONICAL_BUDGET = 0.25  # of the profile's examples; resume.canonical covers the same recipe
SUPPORTED_BUDGET = 0.5
PITFALL_BUDGET = 0.5  # generated cases per pitfall search (shrinking is bounded separately)
KEY_ERROR_BUDGET = 0.25  # the KeyError comes from the constructor, whatever the case
PITFALL_EPOCHS = 60  # a pitfall shows right after its resume; longer runs only cost time


def supported(target, recipe: str, factor: float) -> None:
    @examples_for(target, f"recipe.{recipe}", factor)
    @given(data=st.data())
    def examples(data):
        case = data.draw(cases(target), label="case")
        expect(check_recipe(target, case, recipe))

    examples()


def pitfall(target, recipe: str) -> None:
    search_space = cases(target, max_epochs=PITFALL_EPOCHS)
    expect(check_pitfall(target, recipe, search_space, scaled(PITFALL_BUDGET).max_examples))


@pytest.mark.check("recipe.canonical")
def test_recipe_canonical(target):
    supported(target, "canonical", CANONICAL_BUDGET)


@pytest.mark.check("recipe.last_epoch")
@pytest.mark.requires("last_epoch_resume")
def test_recipe_last_epoch(target):
    supported(target, "last_epoch", SUPPORTED_BUDGET)


@pytest.mark.check("recipe.fast_forward")
@pytest.mark.requires("fast_forward")
def test_recipe_fast_forward(target):
    supported(target, "fast_forward", SUPPORTED_BUDGET)


@pytest.mark.check("recipe.optimizer_first")
def test_recipe_optimizer_first(target):
    pitfall(target, "optimizer_first")


@pytest.mark.check("recipe.scheduler_only")
def test_recipe_scheduler_only(target):
    pitfall(target, "scheduler_only")


@pytest.mark.check("recipe.optimizer_only")
def test_recipe_optimizer_only(target):
    pitfall(target, "optimizer_only")


@pytest.mark.check("recipe.extra_step")
def test_recipe_extra_step(target):
    pitfall(target, "extra_step")


@pytest.mark.check("recipe.last_epoch_without_optimizer")
@pytest.mark.requires("last_epoch_resume")
def test_recipe_last_epoch_without_optimizer(target):
    @examples_for(target, "recipe.last_epoch_without_optimizer", KEY_ERROR_BUDGET)
    @given(data=st.data())
    def examples(data):
        case = data.draw(cases(target), label="case")
        expect(check_last_epoch_without_optimizer(target, case))

    examples()
