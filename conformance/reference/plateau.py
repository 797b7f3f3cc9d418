"""ReduceLROnPlateau, from its docstring.

The first metric sets the baseline and is always good. A metric is better
than the best so far when it beats the dynamic threshold (rel: best * (1 -
threshold) in min mode, best * (1 + threshold) in max mode; abs: best -
threshold / best + threshold); it then becomes the best, and the count of bad
epochs is reset. Otherwise the epoch is bad. When the count of bad epochs is
greater than `patience`, each lr is reduced to max(lr * factor, min_lr),
unless that changes it by less than `eps` ("the update is ignored"), and the
count starts over. For `cooldown` epochs after a reduction, bad epochs are
not counted ("Number of epochs to wait before resuming normal operation").
The metric of scheduler step k (`plan.metrics[k]`) decides the lr of epoch k+1.
"""

from __future__ import annotations

import math

from conformance.reference.common import Initial, per_group, unchanged


def _better(config: dict, value: float, best: float) -> bool:
    threshold = config.get("threshold", 1e-4)
    rel = config.get("threshold_mode", "rel") == "rel"
    if config.get("mode", "min") == "min":
        return value < (best * (1.0 - threshold) if rel else best - threshold)
    return value > (best * (1.0 + threshold) if rel else best + threshold)


def plateau(config: dict, initial: Initial, steps: int, metrics: tuple = ()) -> list:
    floors = per_group(config.get("min_lr", 0.0), initial.groups)
    factor, patience = config.get("factor", 0.1), config.get("patience", 10)
    cooldown, eps = config.get("cooldown", 0), config.get("eps", 1e-8)
    lrs = list(initial.lrs)
    best = math.inf if config.get("mode", "min") == "min" else -math.inf
    bad = cooling = 0
    first = True
    out = [unchanged(initial, lrs)]
    for k in range(steps - 1):
        value = float(metrics[k])
        if first or _better(config, value, best):
            best, bad, first = value, 0, False
        else:
            bad += 1
        if cooling > 0:
            cooling -= 1
            bad = 0
        if bad > patience:
            new = [max(lr * factor, floor) for lr, floor in zip(lrs, floors)]
            lrs = [n if lr - n >= eps and lr - n > 0 else lr for lr, n in zip(lrs, new)]
            cooling, bad = cooldown, 0
        out.append(unchanged(initial, lrs))
    return out[:steps]


MODELS = {"ReduceLROnPlateau": plateau}
