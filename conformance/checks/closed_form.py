"""`consistency.closed_form`: the closed form at step k against k chainable steps.

torch's schedulers with a closed form (`_get_closed_form_lr`) use it when
stepped with `step(epoch)`, and the chainable update for plain `step()`. A
resume that mixes the two (`recipe.epoch_fast_forward`, a loop that switches
to `step(epoch)`) sees whatever separates them. For each k up to the case's
run length, a fresh scheduler stepped k times with `step()` is compared with
a fresh one stepped once with `step(k)`, value by value, exactly.

The size of the disagreement is a result: values compared and differing,
the largest difference in ulps and as a relative error. It fails only beyond
rounding: a difference of more than `ROUNDING_ULPS` ulps per step taken, in
ulps of the schedule's scale (the larger of the value and the group's base
lr), or one form raising where the other does not.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any, Optional

import torch

from conformance.harness.errors import TargetError, calling
from conformance.harness.live import fresh, fresh_or_rejected
from conformance.harness.oracle import guarded
from conformance.model.case import Case
from conformance.model.results import ConsistencyResult
from conformance.model.verdict import FAIL, PASS, Verdict
from conformance.spec import TargetSpec

ROUNDING_ULPS = 4  # per chainable step: each multiply-and-round adds at most a few ulps
MAX_K = 60  # steps compared per case; boundaries are biased toward, so most show early


def ulps(a: Any, b: Any) -> tuple[float, float]:
    """(|a - b| in ulps of b, relative error) for floats or scalar tensors."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        dtype = (a if isinstance(a, torch.Tensor) else b).dtype
        x, y = float(a), float(b)
        ulp = torch.finfo(dtype).eps * max(abs(y), torch.finfo(dtype).tiny)
    else:
        x, y = float(a), float(b)
        ulp = math.ulp(y) if y else math.ulp(0.0)
    diff = abs(x - y)
    return diff / ulp, (diff / abs(y) if y else (math.inf if diff else 0.0))


def beyond_rounding(a: Any, b: Any, base: float, k: int) -> bool:
    """More than `ROUNDING_ULPS` ulps per step, in ulps of the larger of `b` and the base lr."""
    tensor = a if isinstance(a, torch.Tensor) else b if isinstance(b, torch.Tensor) else None
    eps = torch.finfo(tensor.dtype).eps if tensor is not None else sys.float_info.epsilon
    scale = max(abs(float(b)), abs(float(base)))
    return abs(float(a) - float(b)) > ROUNDING_ULPS * k * eps * scale


def _chainable(target: TargetSpec, case: Case, steps: int) -> tuple[list, str]:
    """The lrs after 1, 2, ... `steps` plain step() calls of one scheduler (stops at an error).

    Raises `Rejected` when build() refuses the config (this is the case's first build).
    """
    scheduler = fresh_or_rejected(target, case).scheduler
    out = []
    try:
        with warnings.catch_warnings(), calling("step"):
            warnings.simplefilter("ignore")
            for _ in range(steps):
                scheduler.step()
                out.append(_values(scheduler))
    except TargetError as exc:
        return out, f"{type(exc.exc).__name__}: {exc.exc}"
    return out, ""


def _closed(target: TargetSpec, case: Case, k: int) -> tuple[Optional[list], str]:
    """The lrs of a fresh scheduler after one step(k)."""
    scheduler = fresh(target, case).scheduler
    try:
        with warnings.catch_warnings(), calling("step"):
            warnings.simplefilter("ignore")
            scheduler.step(k)
    except TargetError as exc:
        return None, f"{type(exc.exc).__name__}: {exc.exc}"
    return _values(scheduler), ""


def _values(scheduler) -> list:
    """The groups' lrs now (tensors cloned: the next step changes them in place)."""
    return [g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in scheduler.optimizer.param_groups]


def check_closed_form(target: TargetSpec, case: Case, check: str = "consistency.closed_form") -> Verdict:
    def body():
        found = ConsistencyResult("closed_form")
        steps = min(case.plan.epochs, MAX_K)
        chained, failed = _chainable(target, case, steps)
        for k in range(1, steps + 1):
            chain, chain_error = (chained[k - 1], "") if k <= len(chained) else (None, failed)
            closed, closed_error = _closed(target, case, k)
            if chain_error or closed_error:
                if chain_error and closed_error:
                    continue  # both forms refuse this k alike
                found.disagreement = (f"at k={k}, " + (f"step({k}) raises {closed_error} where {k} step() "
                                      f"calls don't" if closed_error else f"{k} step() calls raise {chain_error} "
                                      f"where step({k}) doesn't"))
                break
            for group, (a, b) in enumerate(zip(closed, chain)):
                found.compared += 1
                if float(a) == float(b):
                    continue
                n, rel = ulps(a, b)
                found.differing += 1
                if n > found.max_ulps:
                    found.max_ulps, found.worst = n, f"k={k}, group {group}: step(k) gives {a!r}, k steps {b!r}"
                found.max_rel = max(found.max_rel, rel)
                # Rounding scales with the schedule's magnitude, not with a value that has decayed
                # towards 0 (near a cosine's end the chainable ratio cancels most of its digits).
                if beyond_rounding(a, b, case.setup.lrs[group], k) and not found.disagreement:
                    found.disagreement = (f"at k={k}, group {group}: step({k}) gives {a!r}, {k} step() calls give "
                                          f"{b!r}: {n:.3g} ulp apart, beyond rounding ({ROUNDING_ULPS} ulp per step)")
            if found.disagreement:
                break
        if found.disagreement:
            return Verdict(target.name, check, FAIL, case,
                           message=f"the closed form and the chainable form disagree: {found.disagreement}",
                           result=found)
        return Verdict(target.name, check, PASS, case, result=found)

    return guarded(target, check, case, body)
