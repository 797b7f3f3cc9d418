"""How a plain class or factory is driven, read off its `step` and its constructor.

`step()` with no required argument is stepped plainly. A required argument is
either a metric (`step(metrics)`, ReduceLROnPlateau-style) or the position the
scheduler is told (`step(epoch)`, `step(num_updates)`, timm-style). Told apart,
in this order, by:
1. the argument's name (`METRIC_NAMES`, `POSITION_NAMES`);
2. its annotation (int: a position; float or Tensor: a metric);
3. a probe: counts 1, 2, ... and a constant metric 1.0 are each given to a
   fresh scheduler; the one that raises is wrong. When both run, a metric is
   assumed (the name and annotation said nothing).

A constructor argument named like a resume position (`RESUME_NAMES`) is never
varied as a setting; the constructor recipe passes `default + k` through it.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch

from conformance.adapters import counter
from conformance.spec import DEFAULT_ADAPTER, Adapter, Capabilities

METRIC_NAMES = frozenset({"metrics", "metric", "loss", "val_loss", "value", "score", "val_metric", "monitor"})
POSITION_NAMES = frozenset({"epoch", "epochs", "num_updates", "step", "steps", "iteration", "iter", "it",
                            "num_steps", "global_step", "current_step", "update", "updates", "t", "count"})
RESUME_NAMES = ("last_epoch", "last_step", "last_iter", "last_iteration", "current_step", "last_batch_iteration",
                "last_update", "last_updates", "num_updates_done")
PROBE_STEPS = 3


@dataclass(frozen=True)
class Driving:
    """`kind`: "plain", "metric" or "position"; `argument`: the required argument's name; `by`: how it was told."""

    kind: str
    argument: str = ""
    by: str = ""
    metric: str = ""  # a second required argument that takes the metric (step(epoch, metric))

    def describe(self) -> str:
        if self.kind == "plain":
            return "step() once per scheduler step"
        if self.kind == "metric":
            return f"step({self.argument}) with the drawn metric ({self.by})"
        also = f", and the drawn metric as {self.metric}=" if self.metric else ""
        return f"step({self.argument}) told the count 1, 2, ... ({self.by}){also}"


def _required(fn) -> list:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    if params and params[0].name == "self":
        params = params[1:]
    return [p for p in params if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _by_annotation(p: inspect.Parameter) -> str:
    ann = p.annotation
    if isinstance(ann, str):
        ann = {"int": int, "float": float, "Tensor": torch.Tensor, "torch.Tensor": torch.Tensor}.get(ann, ann)
    members = typing.get_args(ann) if typing.get_origin(ann) is typing.Union else (ann,)
    if int in members and float not in members:
        return "position"
    if float in members or torch.Tensor in members:
        return "metric"
    return ""


def from_signature(step) -> Optional[Driving]:
    """The driving read from names and annotations alone, or None when they say nothing."""
    required = _required(step)
    if not required:
        return Driving("plain")
    p = required[0]
    metric = required[1].name if len(required) > 1 else ""
    if p.name in METRIC_NAMES:
        return Driving("metric", p.name, f"the argument's name {p.name!r}")
    if p.name in POSITION_NAMES:
        return Driving("position", p.name, f"the argument's name {p.name!r}", metric)
    kind = _by_annotation(p)
    if kind:
        return Driving(kind, p.name, f"{p.name!r} is annotated {getattr(p.annotation, '__name__', p.annotation)}",
                       metric if kind == "position" else "")
    return None


def _runs(make: Callable[[], Any], drive: Callable[[Any, int], None]) -> bool:
    try:
        scheduler = make()
        for n in range(PROBE_STEPS):
            drive(scheduler, n)
        return True
    except Exception:  # noqa: BLE001 - the probe's question is only whether it runs
        return False


def infer(scheduler, make: Callable[[], Any]) -> Driving:
    """How to drive `scheduler`: its `step`'s signature, then a probe on fresh ones from `make()`."""
    step = getattr(scheduler, "step", None)
    found = from_signature(step)
    if found is not None:
        return found
    name = _required(step)[0].name
    as_position = _runs(make, lambda s, n: s.step(n + 1))
    as_metric = _runs(make, lambda s, n: s.step(1.0))
    if as_position and not as_metric:
        return Driving("position", name, f"a probe: step({name}=1.0) raised, step({name}=1) ran")
    if as_metric and not as_position:
        return Driving("metric", name, f"a probe: step({name}=1) raised, step({name}=1.0) ran")
    return Driving("metric", name, f"assumed: neither {name!r}'s name nor its annotation says, and both ran")


def quick(scheduler) -> Driving:
    """The signature's answer, a metric when it has none (for probes that must not probe)."""
    step = getattr(scheduler, "step", None)
    found = from_signature(step)
    return found if found is not None else Driving("metric", _required(step)[0].name, "assumed")


def step_once(scheduler, driving: Driving, n: int) -> None:
    """The n-th (from 0) scheduler step of a probe, metric 1.0."""
    if driving.kind == "plain":
        scheduler.step()
    elif driving.kind == "metric":
        scheduler.step(1.0)
    elif driving.metric:
        scheduler.step(n + 1, **{driving.metric: 1.0})
    else:
        scheduler.step(n + 1)


def capabilities_of(driving: Driving) -> dict:
    """The `Capabilities` fields a driving sets."""
    return {"metric_driven": driving.kind == "metric" or bool(driving.metric),
            "position_argument": driving.argument if driving.kind == "position" else "",
            "position_metric": driving.metric}


def adapter_for(capabilities: Capabilities) -> Adapter:
    """The adapter a class or factory is driven by, from its capabilities (in any process)."""
    if capabilities.position_argument:
        return counter("step", start=1, metric_keyword=capabilities.position_metric or None)
    return DEFAULT_ADAPTER


def resume_argument(fn) -> tuple:
    """(name, value in a run that never stepped) of the constructor's resume-position argument, or ("", -1)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return "", -1
    for name in RESUME_NAMES:
        if name in params:
            default = params[name].default
            start = default if isinstance(default, int) and not isinstance(default, bool) else -1
            return name, start
    return "", -1


def describe(target) -> str:
    """How the loop drives any target, for the report and the pytest header."""
    caps = target.capabilities
    if getattr(target, "driven", ""):
        return target.driven
    if target.adapter is not DEFAULT_ADAPTER:
        return "through its adapter" + (" with the drawn metric" if caps.metric_driven else "")
    return "step(metric) with the drawn metric" if caps.metric_driven else "step() once per scheduler step"
