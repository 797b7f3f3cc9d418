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

__all__ = ["MODELS", "PERIODS", "Initial", "Undefined", "expected", "period", "steps_of_rounding"]


def period(name: str, config: dict) -> int:
    """Steps of rounding a schedule's position carries beyond the steps taken (0 for most)."""
    return PERIODS[name](config) if name in PERIODS else 0


def steps_of_rounding(name: str, config: dict, steps: int) -> list:
    """Per epoch t, how many steps' rounding its value may carry: t + 1, or more where a recursion torch
    runs (CosineAnnealingLR's, alone or as a child) amplifies the errors before it (`Factor.amplification`).
    """
    def first(child: str, cfg: dict):
        fs = decay.factors(child, cfg, 1)
        return fs[0] if fs else None

    # (epoch it starts at, its Factor or None) per scheduler stepped; built once, not per epoch.
    if name == "ChainedScheduler":
        parts = [(0, first(c, cfg)) for c, cfg in config["schedulers"]]
    elif name == "SequentialLR":
        parts = [(m, first(c, cfg)) for m, (c, cfg) in zip(composite.starts(config), config["schedulers"])]
    else:
        parts = [(0, first(name, config) if name in decay.SIMPLE else None)]

    def gain(t: int) -> float:
        if name == "SequentialLR":  # only the child due at t steps
            start, f = parts[composite.due([m for m, _ in parts], t)]
            return f.amplification(t - start) if f is not None and t > start else 1.0
        out = 1.0
        for _, f in parts:
            out *= f.amplification(t) if f is not None else 1.0
        return out

    out, carried = [], 0.0
    for t in range(steps):
        carried = max(1.0, gain(t) if t else 1.0) * carried + 1.0
        out.append(carried)
    return out


def expected(name: str, config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    """The documented values for `steps` epochs: `[t][group] -> (lr, momentum or None)`."""
    return MODELS[name](config, initial, steps, metrics)
