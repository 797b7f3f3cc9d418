"""Boundaries seen in a schedule's own uninterrupted run, for a target that declares none.

A boundary is a scheduler-step count where the schedule changes its rule:
a warmup's end, a milestone, a restart, a phase switch. Plans favour
interruptions there (`plans.interruption_points`), because state that only
matters past such a point (a "warmup done" flag, a phase index) is what a
resume most often loses. Built-in and contrib targets declare theirs
(`TargetSpec.boundaries`); for any other target they are read off its
uninterrupted lr and momentum, group 0: step t + 1 is a boundary when the
step t -> t + 1 follows neither the constant difference nor the constant
ratio of the step before. A schedule that changes its rule at nearly every
step (a cosine) keeps only its turning points (peaks, troughs, restarts,
the start or end of a flat stretch).

Drawing a case runs the target once here (cached per config), without a
checkpoint; a target that raises or is metric-driven gets no observed
boundaries, and its checks report the run themselves.
"""

from __future__ import annotations

import math
import random
import warnings

import torch

from conformance.harness.run import reference
from conformance.model.case import Case, Plan
from conformance.model.loop import PER_STEP

DENSE = 4  # more than 1 rule change per DENSE steps: a smooth schedule, turning points only


def observed_boundaries(target, config, setup, steps: int) -> list:
    """Boundaries of `target` under `config` within `steps` scheduler steps (see the module docstring)."""
    if target.capabilities.metric_driven or steps < 3:
        return []
    key = (id(target), repr(config), repr(setup), steps)
    if key not in _SEEN:
        if len(_SEEN) > 1024:
            _SEEN.clear()
        _SEEN[key] = _observe(target, config, setup, steps)
    return list(_SEEN[key])


_SEEN: dict = {}


def _observe(target, config, setup, steps: int) -> tuple:
    python_rng, torch_rng = random.getstate(), torch.get_rng_state()  # a run seeds both; a draw must not
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = reference(target, Case(setup, dict(config), Plan(steps, ()), PER_STEP)).records
    except Exception:  # noqa: BLE001 - the checks run the same config and report what it raises
        return ()
    finally:
        random.setstate(python_rng)
        torch.set_rng_state(torch_rng)
    found = set()
    for field in (0, 1):  # lr, momentum
        series = [record[0][field] for record in records]
        if all(isinstance(x, float) for x in series):
            found |= rule_changes(series)
    return tuple(sorted(found))


def rule_changes(xs: list) -> set:
    """Indices t + 1 where xs[t] -> xs[t + 1] breaks the difference and the ratio of the step before."""
    changes = {t + 1 for t in range(1, len(xs) - 1) if not _same_rule(xs[t - 1], xs[t], xs[t + 1])}
    if len(changes) * DENSE <= len(xs):
        return changes
    return {t + 1 for t in range(1, len(xs) - 1) if _sign(xs[t] - xs[t - 1]) != _sign(xs[t + 1] - xs[t])}


def _same_rule(a: float, b: float, c: float) -> bool:
    if math.isclose(c - b, b - a, rel_tol=1e-9, abs_tol=1e-15):
        return True
    return a != 0 and b != 0 and math.isclose(c / b, b / a, rel_tol=1e-9)


def _sign(x: float) -> int:
    return (x > 1e-15) - (x < -1e-15)
