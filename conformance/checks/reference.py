"""`reference.*`: the uninterrupted run of a built-in against an independent model of its documented schedule.

Every other check compares runs with each other, so a schedule wrong in the
uninterrupted run and in the resumed run alike passes them. These hold the
trajectory the harness records (one record per optimizer step, taken by the
step pre-hook) against `conformance.reference`, models written from torch's
docstrings. Per optimizer step t (the loop is one scheduler step per
optimizer step, so record t is epoch t) and param group, the lr, the
momentum (cycled by CyclicLR/OneCycleLR, else the optimizer's own) and the
scheduler's last lr are compared with the model.

Independent float arithmetic differs in the last bits, so this comparison,
and only this one, has a budget: `closed_form.ROUNDING_ULPS` ulps per step
taken (construction counts as one), in ulps of the schedule's scale (the
largest value the model gives that group and field over the run), in the
value's own dtype (a float32 tensor lr is judged in float32 ulps). The
resume contract stays exact.

Variants (one check each):
- `reference.schedule`: generated configs, plain `step()`;
- `reference.edge.<label>`: the target's pinned edge cases;
- `reference.epoch_argument`: stepped with the deprecated `step(epoch)`,
  epoch = the count of steps taken (what `last_epoch` becomes), where the
  target's step() takes an epoch: the documented schedule does not change;
- `reference.last_epoch`: resumed at the plan's interruption with the
  `last_epoch` recipe (the optimizer state loaded, then the scheduler built
  with `last_epoch=k-1`, "Only use a non-default value when restoring this
  scheduler from a saved checkpoint"), for targets that declare it: the
  whole run, before and after the resume, follows the documented schedule.

A config the model gives no value for (a stateful callable) is rejected and
counted, never judged.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

import torch

from conformance.checks.closed_form import ROUNDING_ULPS, beyond_rounding, ulps
from conformance.harness.errors import Rejected
from conformance.harness.oracle import guarded
from conformance.harness.recipes import last_epoch
from conformance.harness import run as runs
from conformance.model.case import Case
from conformance.model.optimizer import momentum_of
from conformance.model.trajectory import FIELDS, Value, number
from conformance.model.verdict import FAIL, PASS, Divergence, Verdict
from conformance.reference import MODELS, Initial, Undefined, expected, period, steps_of_rounding
from conformance.spec import TargetSpec

SOURCE = "torch"  # the models describe torch's built-ins only


def no_model(target: TargetSpec) -> Optional[str]:
    """Why `target` has no reference model, or None."""
    if target.source == SOURCE and target.name in MODELS:
        return None
    return (f"{target.name} has no reference model: the reference checks model torch's documented built-in "
            "schedules only")


def initial_values(case: Case) -> Initial:
    """The groups' lr and momentum as the optimizer holds them before a scheduler is built."""
    optimizer = case.setup.build(case.setup.make_params())
    groups = optimizer.param_groups
    return Initial(tuple(float(g["lr"]) for g in groups), tuple(_float(momentum_of(g)) for g in groups))


def _float(x: Any) -> Optional[float]:
    return None if x is None else float(x)


def _as_judged(value: Any) -> Any:
    """A recorded value as the rounding helpers take it: a frozen tensor back to a tensor of its dtype."""
    if isinstance(value, Value):
        return torch.tensor(value.number, dtype=getattr(torch, value.dtype.split(".")[-1]))
    return value


def compare(records: list, model: list, initial: Initial, extra: int = 0, carried: Optional[list] = None) -> Optional[tuple]:
    """The first value beyond rounding: (Divergence, ulps apart, budget in ulps), or None.

    The budget at step t is `ROUNDING_ULPS` per step taken, t + 1 (construction counts), or the steps'
    rounding a recursion carries there (`carried[t]`, `reference.steps_of_rounding`), plus `extra`
    (a cyclic schedule's period: see `reference.PERIODS`).
    """
    scales: dict = {}
    for t, row in enumerate(model):
        for g, (lr, mom) in enumerate(row):
            mom = initial.momenta[g] if mom is None else mom
            for name, v in (("lr", lr), ("momentum", mom)):
                if v is not None:
                    scales[g, name] = max(scales.get((g, name), 0.0), abs(v))
    for t, (record, row) in enumerate(zip(records, model)):
        for g, (got, (lr, mom)) in enumerate(zip(record, row)):
            want = {"lr": lr, "momentum": initial.momenta[g] if mom is None else mom, "last_lr": lr}
            for name, actual in zip(FIELDS, got):
                exp = want[name]
                if actual is None or exp is None or number(actual) is None:
                    continue
                scale = scales[g, "lr" if name == "last_lr" else name]
                judged = _as_judged(actual)
                steps = (carried[t] if carried else t + 1) + extra
                if float(judged) == exp or not beyond_rounding(judged, exp, scale, steps):
                    continue
                apart, _ = ulps(judged, exp)
                return Divergence(t, g, name, exp, actual), apart, round(ROUNDING_ULPS * steps)
    if len(records) != len(model):
        return Divergence(min(len(records), len(model)), None, "optimizer steps taken", len(model),
                          len(records)), 0.0, 0
    return None


def check_reference(target: TargetSpec, case: Case, check: str = "reference.schedule",
                    epoch_stepping: bool = False, resumed: bool = False) -> Verdict:
    """`resumed`: the run is resumed at the plan's interruptions by building with `last_epoch=k-1`."""

    def body():
        initial = initial_values(case)
        if resumed:
            result = runs.resumed(target, case, last_epoch)
        else:
            result = runs.reference(target, case, epoch_stepping=epoch_stepping)
        try:
            model = expected(target.name, copy.deepcopy(case.config), initial, len(result.records),
                             case.plan.metrics)
        except Undefined as exc:
            raise Rejected(f"outside the reference model: {exc}", "no documented value") from exc
        carried = steps_of_rounding(target.name, case.config, len(result.records))
        found = compare(result.records, model, initial, period(target.name, case.config), carried)
        if found is None:
            return Verdict(target.name, check, PASS, case)
        div, apart, budget = found
        how = "step(epoch)" if epoch_stepping else "step()"
        run_is = "the uninterrupted run"
        if resumed:
            at = ", ".join(map(str, case.plan.interruptions))
            run_is = f"the run resumed at iteration {at} by building the scheduler with last_epoch=k-1"
        extra = period(target.name, case.config)
        where = (f"at optimizer step {div.step} (after {div.step} scheduler {how} calls), param group {div.group}, "
                 f"field {div.field!r}: the documented schedule gives {div.expected!r}, {target.name} has "
                 f"{div.actual!r}: {apart:.3g} ulp apart, beyond the rounding budget of {budget} ulp "
                 f"({ROUNDING_ULPS} per step taken{' and per step of its period' if extra else ''}"
                 f"{', grown where its recursion amplifies rounding' if carried[div.step] > div.step + 1 else ''})"
                 ) if div.group is not None else (
                 f"the run took {div.actual} optimizer steps, the model has {div.expected}")
        message = f"{run_is} departs from the documented schedule {where}"
        return Verdict(target.name, check, FAIL, case, div,
                       message=message,
                       details={"model": model, "actual": result.records})

    return guarded(target, check, case, body)
