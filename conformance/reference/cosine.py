"""Annealing with restarts and to a fixed value: CosineAnnealingWarmRestarts and SWALR.

CosineAnnealingWarmRestarts, from its docstring: eta_t = eta_min + (eta_max -
eta_min) (1 + cos(pi T_cur / T_i)) / 2, eta_max the initial lr, T_cur the
epochs since the last restart, T_i the epochs between restarts: T_0 first,
then multiplied by T_mult after each restart. Reading: with integer steps the
restart happens when T_cur reaches T_i ("When T_cur=0 after restart, set
eta_t=eta_max"), so epoch T_0 is the first epoch of the second cycle, at the
initial lr. A `step(epoch)` (documented for this scheduler, fractional epochs
included) puts T_cur and T_i where that epoch falls in the cycles.

SWALR: "Anneals the learning rate in each parameter group to a fixed value"
over `anneal_epochs` epochs, by "cos" or "linear". Reading (the docstring has
no formula): the anneal starts from the lr the group holds when SWALR is
built (epoch 0 keeps it) and reaches swa_lr at epoch anneal_epochs, after
which it stays: lr_t = lr_0 + (swa_lr - lr_0) a(min(1, t / anneal_epochs)),
a(p) = p (linear) or (1 - cos(pi p)) / 2 (cos). anneal_epochs=0 means no
annealing phase at all: swa_lr from epoch 0 on.
"""

from __future__ import annotations

import math

from conformance.reference.common import Initial, per_group, unchanged


def restart_position(epoch: float, t0: int, mult: int) -> tuple:
    """(T_cur, T_i) at `epoch`: whole cycles are taken off one by one."""
    t_cur, t_i = epoch, t0
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= mult
    return t_cur, t_i


def warm_restarts(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    eta_min = config.get("eta_min", 0.0)
    out = []
    for t in range(steps):
        t_cur, t_i = restart_position(t, config["T_0"], config.get("T_mult", 1))
        lrs = [eta_min + (b - eta_min) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0 for b in initial.lrs]
        out.append(unchanged(initial, lrs))
    return out


def swalr(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    targets = per_group(config["swa_lr"], initial.groups)
    epochs = config.get("anneal_epochs", 10)
    cos = config.get("anneal_strategy", "cos") == "cos"
    out = []
    for t in range(steps):
        p = 1.0 if epochs <= 0 else min(1.0, t / epochs)
        a = (1.0 - math.cos(math.pi * p)) / 2.0 if cos else p
        out.append(unchanged(initial, [swa * a + b * (1.0 - a) for b, swa in zip(initial.lrs, targets)]))
    return out


MODELS = {"CosineAnnealingWarmRestarts": warm_restarts, "SWALR": swalr}
