"""CyclicLR and OneCycleLR, with their momentum cycled inversely to the lr.

CyclicLR, from its docstring and the paper it cites: the lr climbs from
base_lr to max_lr over `step_size_up` iterations and falls back over
`step_size_down` (default: step_size_up), the amplitude (max_lr - base_lr)
scaled by the policy: "triangular" 1, "triangular2" halved each cycle,
"exp_range" gamma ** (cycle iterations), or scale_fn. Readings: cycles are
numbered from 1 (triangular2 keeps the "initial amplitude" in the first
cycle), and the iteration count given to exp_range and to a scale_fn with
scale_mode="iterations" is counted from the start of the schedule, as in
bckenstler/CLR which the docs cite; the scale_mode text ("training iterations
since start of cycle") could be read as restarting it each cycle, a reading
not taken. Momentum: max_momentum - (max_momentum - base_momentum) * the
lr's scaled height ("at the peak of a cycle, momentum is base_momentum").

OneCycleLR: from initial_lr = max_lr / div_factor up to max_lr, then down to
min_lr = initial_lr / final_div_factor; with three_phase, up, back down to
initial_lr ("the first two phases will be symmetrical about the step
indicated by pct_start"), then down to min_lr. Readings: the increase takes
the first pct_start * total_steps steps, so the peak is at step
pct_start * total_steps - 1 (fractional when that is not whole), the last
step total_steps - 1 reaches min_lr, and the three-phase mirror peak-to-initial
ends at step 2 (pct_start * total_steps - 1); within a phase the lr follows
anneal_strategy. Momentum moves inversely: max_momentum at the start and end of
the first two phases, base_momentum at the peak, max_momentum through phase 3.
"""

from __future__ import annotations

from conformance.reference.common import Initial, Undefined, cos_anneal, lin_anneal, per_group
from conformance.strategies.callables import stateful_in


def _scale(config: dict, cycle: int, iteration: int) -> float:
    fn = config.get("scale_fn")
    if fn is not None:
        return fn(cycle if config.get("scale_mode", "cycle") == "cycle" else iteration)
    mode = config.get("mode", "triangular")
    if mode == "triangular2":
        return 0.5 ** (cycle - 1)
    if mode == "exp_range":
        return config.get("gamma", 1.0) ** iteration
    return 1.0


def cyclic(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    if stateful_in(config.get("scale_fn")):
        raise Undefined("a stateful scale_fn: its value is not a function of its argument")
    n = initial.groups
    low, high = per_group(config["base_lr"], n), per_group(config["max_lr"], n)
    up = config.get("step_size_up", 2000)
    down = config.get("step_size_down") or up
    momentum = config.get("cycle_momentum", True)
    m_low = per_group(config.get("base_momentum", 0.8), n)
    m_high = per_group(config.get("max_momentum", 0.9), n)
    out = []
    for t in range(steps):
        at = t % (up + down)
        height = at / up if at <= up else (up + down - at) / down
        scaled = height * _scale(config, t // (up + down) + 1, t)
        lrs = [lo + (hi - lo) * scaled for lo, hi in zip(low, high)]
        moms = [hi - (hi - lo) * scaled for lo, hi in zip(m_low, m_high)] if momentum else [None] * n
        out.append(list(zip(lrs, moms)))
    return out


def one_cycle(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    n = initial.groups
    tops = per_group(config["max_lr"], n)
    total = config["total_steps"]
    peak = config.get("pct_start", 0.3) * total - 1
    anneal = cos_anneal if config.get("anneal_strategy", "cos") == "cos" else lin_anneal
    momentum = config.get("cycle_momentum", True)
    m_low = per_group(config.get("base_momentum", 0.85), n)
    m_high = per_group(config.get("max_momentum", 0.95), n)
    out = []
    for t in range(steps):
        record = []
        for top, lo, hi in zip(tops, m_low, m_high):
            start = top / config.get("div_factor", 25.0)
            floor = start / config.get("final_div_factor", 1e4)
            if config.get("three_phase", False):
                phases = [(0.0, peak, start, top, hi, lo), (peak, 2 * peak, top, start, lo, hi),
                          (2 * peak, total - 1, start, floor, hi, hi)]
            else:
                phases = [(0.0, peak, start, top, hi, lo), (peak, total - 1, top, floor, lo, hi)]
            a, b, lr0, lr1, m0, m1 = next((p for p in phases if t <= p[1]), phases[-1])
            progress = (t - a) / (b - a)
            record.append((anneal(lr0, lr1, progress), anneal(m0, m1, progress) if momentum else None))
        out.append(record)
    return out


MODELS = {"CyclicLR": cyclic, "OneCycleLR": one_cycle}
