"""Whole cases: optimizer setup, target config, loop and plan, drawn together."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.case import Case
from conformance.loops import PER_STEP, Loop
from strategies.optimizers import optimizer_setups
from strategies.plans import MAX_EPOCHS, plans


@st.composite
def configs_and_setups(draw, target):
    """A config first (it may need momentum), then an optimizer that fits it.

    The group count is drawn first because configs may hold per-group lists.
    """
    groups = draw(st.integers(1, 4), label="param groups")
    config = draw(target.configs(groups), label=f"{target.name} config")
    setup = draw(optimizer_setups(target.needs(config), groups=st.just(groups)), label="optimizer setup")
    return config, setup


@st.composite
def cases(draw, target, interruptions=(1, 1), loop: Loop = PER_STEP, media=st.just("file"),
          max_epochs: int = MAX_EPOCHS):
    config, setup = draw(configs_and_setups(target))
    plan = draw(plans(target, config, loop, interruptions, media, max_epochs), label="plan")
    return Case(setup, config, plan, loop)
