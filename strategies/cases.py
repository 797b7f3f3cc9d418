"""Whole cases: optimizer setup, target config, loop and plan, drawn together."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import assume, strategies as st

from conformance.model.case import Case
from conformance.model.change import DEFAULT, Change, optimizer_lr
from conformance.model.loop import PER_STEP, Loop
from conformance.model.statediff import difference
from conformance.strategies.optimizers import has_momentum, optimizer_setups
from conformance.strategies.plans import MAX_EPOCHS, plans


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
    plan = draw(plans(target, config, loop, interruptions, media, max_epochs, setup), label="plan")
    return Case(setup, config, plan, loop)


# The optimizer lrs of `strategies.optimizers`, for a changed base lr at resume.
_lrs = st.floats(1e-4, 1.0) | st.sampled_from([0.1, 0.01, 1e-3])


@st.composite
def mismatch_cases(draw, target, param: str, max_epochs: int = 60):
    """A case with one interruption, and a `Change` of `param` drawn from the target's own configs.

    The new value comes from a second config for the same param-group count,
    so it is valid on its own; a key missing from a config stands for the
    constructor's default. Combinations the target rejects are filtered by
    the check (the changed uninterrupted run raises).
    """
    case = draw(cases(target, (1, 1), max_epochs=max_epochs), label="case")
    if optimizer_lr(target, param):
        n = case.setup.groups
        new = draw(st.lists(_lrs, min_size=n, max_size=n, unique=True), label="new lrs")
        assume(tuple(new) != case.setup.lrs)
        return case, Change(param, list(case.setup.lrs), new, on_optimizer=True)
    other = draw(target.configs(case.setup.groups), label=f"config with another {param}")
    old, new = case.config.get(param, DEFAULT), other.get(param, DEFAULT)
    # Equal values (or both left out) change nothing.
    assume(old is not new and (DEFAULT in (old, new) or difference(old, new) is not None))
    change = Change(param, old, new)
    # The resumed scheduler is built with the changed config, so the optimizer must fit it too: turning
    # cycle_momentum on needs a momentum or betas. Drawn again only then, so other cases stay as they were.
    needs = target.needs(change.apply(case).config)
    if needs.momentum and not has_momentum(case.setup.name, case.setup.kwargs):
        setup = draw(optimizer_setups(needs, groups=st.just(case.setup.groups)), label="optimizer for both configs")
        case = replace(case, setup=setup)
    return case, change
