"""Checks `recipe.*`: supported resume recipes reproduce the run, pitfall recipes are shown to diverge.

The pitfall tests search with `hypothesis.find` (see `conformance/pitfalls.py`
for what they assert); every result, safe or not, is kept for the report.
"""

import pytest
from hypothesis import given, strategies as st

from conformance.budget import scaled
from conformance.outcome import expect
from conformance.pitfalls import check_last_epoch_without_optimizer, check_pitfall
from conformance.recipe_checks import check_recipe
from strategies.cases import cases

SUPPORTED_BUDGET = 0.5  # of the profile's examples; resume.* covers canonical resumes too
PITFALL_BUDGET = 0.5  # generated cases per pitfall search (shrinking is bounded separately)


def pitfall_examples() -> int:
    return scaled(PITFALL_BUDGET).max_examples


@pytest.mark.check("recipe.canonical")
@scaled(SUPPORTED_BUDGET)
@given(data=st.data())
def test_recipe_canonical(target, data):
    case = data.draw(cases(target), label="case")
    expect(check_recipe(target, case, "canonical"))


@pytest.mark.check("recipe.last_epoch")
@pytest.mark.requires("last_epoch_resume")
@scaled(SUPPORTED_BUDGET)
@given(data=st.data())
def test_recipe_last_epoch(target, data):
    case = data.draw(cases(target), label="case")
    expect(check_recipe(target, case, "last_epoch"))


@pytest.mark.check("recipe.fast_forward")
@pytest.mark.requires("fast_forward")
@scaled(SUPPORTED_BUDGET)
@given(data=st.data())
def test_recipe_fast_forward(target, data):
    case = data.draw(cases(target), label="case")
    expect(check_recipe(target, case, "fast_forward"))


@pytest.mark.check("recipe.optimizer_first")
def test_recipe_optimizer_first(target):
    expect(check_pitfall(target, "optimizer_first", cases(target), pitfall_examples()))


@pytest.mark.check("recipe.scheduler_only")
def test_recipe_scheduler_only(target):
    expect(check_pitfall(target, "scheduler_only", cases(target), pitfall_examples()))


@pytest.mark.check("recipe.optimizer_only")
def test_recipe_optimizer_only(target):
    expect(check_pitfall(target, "optimizer_only", cases(target), pitfall_examples()))


@pytest.mark.check("recipe.extra_step")
def test_recipe_extra_step(target):
    expect(check_pitfall(target, "extra_step", cases(target), pitfall_examples()))


@pytest.mark.check("recipe.last_epoch_without_optimizer")
@pytest.mark.requires("last_epoch_resume")
@scaled(0.25)
@given(data=st.data())
def test_recipe_last_epoch_without_optimizer(target, data):
    case = data.draw(cases(target), label="case")
    expect(check_last_epoch_without_optimizer(target, case))
