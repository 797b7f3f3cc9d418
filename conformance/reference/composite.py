"""SequentialLR and ChainedScheduler, over children of the decay families (`decay.py`).

SequentialLR: "the schedulers will be called according to the milestone
points". Its docstring example (ConstantLR(factor=0.1, total_iters=20), then
ExponentialLR(gamma=0.9) from milestone 20: lr 0.005 up to epoch 19, 0.05 at
20, 0.045 at 21) shows the child due at milestone m starting its own schedule
at its epoch 0 there: epoch t is the child's epoch t - m, from the group's
initial lr. Reading for MultiplicativeLR, whose schedule is documented only
relative to the lr it finds ("multiply the learning rate ... by the factor"):
it takes over the lr the group holds and multiplies it from its epoch 1 on.

ChainedScheduler: "calls their step() functions consecutively in just one
call to step()", each a chainable change of the lr the group holds
(`Factor.begin` / `Factor.advance`, in the children's order), so a chain of
factor schedules holds the initial lr times their product (its example:
ConstantLR then ExponentialLR).
"""

from __future__ import annotations

from conformance.reference.common import Initial, unchanged
from conformance.reference.decay import factors


def _children(config: dict, groups: int) -> list:
    """Per child, one `Factor` per group."""
    return [factors(name, cfg, groups) for name, cfg in config["schedulers"]]


def starts(config: dict) -> list:
    """The epoch each SequentialLR child starts at."""
    return [0, *config["milestones"]]


def due(starts: list, t: int) -> int:
    """The SequentialLR child that steps at epoch t: the last one started."""
    return max(k for k, m in enumerate(starts) if m <= t)


def sequential(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    children, begun = _children(config, initial.groups), starts(config)
    out, lrs = [], list(initial.lrs)
    for t in range(steps):
        i = due(begun, t)
        child, s = children[i], t - begun[i]
        if s == 0 and child[0].relative:
            pass  # takes over the lr the group holds
        elif child[0].relative:
            lrs = [f.advance(lr, b, s) for f, lr, b in zip(child, lrs, initial.lrs)]
        else:
            lrs = [f.alone(b, s) for f, b in zip(child, initial.lrs)]
        out.append(unchanged(initial, lrs))
    return out


def chained(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    children = _children(config, initial.groups)
    out, lrs = [], list(initial.lrs)
    for t in range(steps):
        for child in children:
            if t == 0:
                lrs = [f.begin(lr, b) for f, lr, b in zip(child, lrs, initial.lrs)]
            else:
                lrs = [f.advance(lr, b, t) for f, lr, b in zip(child, lrs, initial.lrs)]
        out.append(unchanged(initial, lrs))
    return out


MODELS = {"SequentialLR": sequential, "ChainedScheduler": chained}
