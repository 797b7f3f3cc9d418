"""Independent models of the torch built-in schedules, written from torch's documentation.

Each model maps a config, the optimizer's initial values and a step count to
what the docs say the optimizer holds during each epoch t = 0, 1, ... (t
scheduler steps taken since construction): one `(lr, momentum)` per param
group, momentum None where the schedule leaves it alone. They are written
from the docstrings (formulas, examples, the documented meaning of
milestones, phases, restarts and `last_epoch`), not from torch's code; where
the docs are ambiguous, the reading taken is stated where it is modelled and
in the README. `conformance.checks.reference` holds torch's uninterrupted
trajectory against them within a rounding budget.

A model raises `Undefined` for a config the docs give no value for (a
stateful callable, whose factor is not a function of the epoch): such a case
is counted as rejected, never judged.
"""

from __future__ import annotations

from conformance.reference.common import Initial, Undefined
from conformance.reference import composite, cosine, cyclic, decay, plateau

MODELS = {
    **decay.MODELS,
    **cosine.MODELS,
    **cyclic.MODELS,
    **composite.MODELS,
    **plateau.MODELS,
}

# Schedules that place step t by its fraction of a period (t / cycle length): that fraction's
# rounding is amplified by the period, so their rounding budget counts the period's steps too.
PERIODS = {
    "CyclicLR": lambda c: c.get("step_size_up", 2000) + (c.get("step_size_down") or c.get("step_size_up", 2000)),
    "OneCycleLR": lambda c: c["total_steps"],
}

__all__ = ["MODELS", "PERIODS", "Initial", "Undefined", "expected", "period"]


def period(name: str, config: dict) -> int:
    """Steps of rounding a schedule's position carries beyond the steps taken (0 for most)."""
    return PERIODS[name](config) if name in PERIODS else 0


def expected(name: str, config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    """The documented values for `steps` epochs: `[t][group] -> (lr, momentum or None)`."""
    return MODELS[name](config, initial, steps, metrics)
